"""HTTP routes of outreach tasks: community staff list theirs and record the outcome. Each view
authorises, calls one use case (writes) or query (reads), and presents the result."""

from __future__ import annotations

from civic146.auth import STAFF_ROLES, actor_of, community_scope, principal
from civic146.errors import Forbidden
from civic146.web import ApiBlueprint

from ..access import ctx
from . import actions, schemas, store

bp = ApiBlueprint("outreach", __name__, url_prefix="/v1", tag="employment")


def present_task(doc: dict) -> schemas.OutreachOut:
    return schemas.OutreachOut(
        **{k: doc.get(k) for k in schemas.OutreachOut.model_fields if k not in ("id", "kind")},
        id=doc["_id"],
        kind=doc.get("kind") or "job_fit",
    )


@bp.endpoint(
    "/outreach-tasks",
    "GET",
    summary="Outreach tasks for community staff",
    query=schemas.OutreachQuery,
    response=schemas.OutreachPage,
    roles=STAFF_ROLES,
)
def list_outreach(query: schemas.OutreachQuery):
    flt = community_scope(principal(), query.community)
    if query.status:
        flt["status"] = query.status
    if query.kind:  # tasks written before kinds existed are about a job that fits
        flt["kind"] = query.kind if query.kind != "job_fit" else {"$in": ["job_fit", None]}
    return schemas.OutreachPage(items=[present_task(d) for d in store.find(flt, 200)])


@bp.endpoint(
    "/outreach-tasks/<task_id>/done",
    "POST",
    summary="Record the outcome of an outreach task",
    body=schemas.OutreachDoneIn,
    response=schemas.OutreachOut,
    roles=STAFF_ROLES,
)
def outreach_done(task_id: str, body: schemas.OutreachDoneIn):
    p = principal()
    doc = store.get(task_id)
    if not p.serves(doc["community"]):
        raise Forbidden(f"you do not serve community {doc['community']}")
    return present_task(actions.done(ctx(), doc, body.outcome, body.note, actor_of(p)))
