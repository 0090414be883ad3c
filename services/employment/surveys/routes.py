"""HTTP routes of needs surveys: staff record a community's or compound's survey (its rows become
draft profiles) and see the unmet needs per community, group and compound. Each view authorises,
calls one use case (writes) or query (reads), and presents the result."""

from __future__ import annotations

from civic146.auth import STAFF_ROLES, actor_of, community_scope, principal, require_named_community
from civic146.errors import Forbidden
from civic146.web import ApiBlueprint

from .. import statistics
from ..access import ctx
from ..seekers import store as seeker_store
from . import actions, schemas, store

bp = ApiBlueprint("surveys", __name__, url_prefix="/v1", tag="employment")


def present_survey(doc: dict) -> schemas.SurveyOut:
    return schemas.SurveyOut(
        **{k: doc.get(k) for k in schemas.SurveyOut.model_fields if k != "id"}, id=doc["_id"]
    )


@bp.endpoint(
    "/needs-surveys",
    "POST",
    summary="Record a community's or compound's employment-needs survey (each row a draft profile)",
    body=schemas.SurveyIn,
    response=schemas.SurveyOut,
    status=201,
    roles=STAFF_ROLES,
)
def record_survey(body: schemas.SurveyIn):
    p = principal()
    if not p.serves(body.community):
        raise Forbidden(f"you do not serve community {body.community}")
    return present_survey(actions.record(ctx(), body.model_dump(mode="json"), actor_of(p)))


@bp.endpoint(
    "/needs-surveys/<survey_id>",
    "GET",
    summary="One needs survey",
    response=schemas.SurveyOut,
    roles=STAFF_ROLES,
)
def get_survey(survey_id: str):
    doc = store.get(survey_id)
    if not principal().serves(doc["community"]):
        raise Forbidden(f"you do not serve community {doc['community']}")
    return present_survey(doc)


@bp.endpoint(
    "/unmet-needs",
    "GET",
    summary="Employment needs not yet met (drafts and profiles without a placement) per community and group",
    query=schemas.UnmetNeedsQuery,
    response=schemas.UnmetNeeds,
    roles=STAFF_ROLES,
)
def unmet_needs(query: schemas.UnmetNeedsQuery):
    p = principal()
    require_named_community(p, query.community)
    seekers = seeker_store.open_in(community_scope(p, query.community))
    return schemas.UnmetNeeds(community=query.community, **statistics.unmet_needs(seekers, ctx().now()))
