"""HTTP routes of seeker profiles: registration with consent, drafts from intake requests and who
may claim them, the profile and its changes, withdrawal of consent, and a seeker's best jobs. Each
view authorises, calls one use case (writes) or query (reads), and presents the result; who sees
what is in employment.access."""

from __future__ import annotations

from civic146 import pii
from civic146.auth import (
    RESIDENT,
    STAFF_ROLES,
    Actor,
    Principal,
    actor_of,
    community_scope,
    principal,
    principal_pseudonym,
)
from civic146.errors import Forbidden, InvalidInput, NotFound
from civic146.web import ApiBlueprint

from .. import ranking
from ..access import ctx, is_staff_for, owns, plain_view, seeker_for, sees_sensitive
from ..referrals import store as referral_store
from ..schemas import TopQuery, reasons_out
from . import actions as seeker_actions
from . import domain, schemas, store

bp = ApiBlueprint("seekers", __name__, url_prefix="/v1", tag="employment")


def present_seeker(doc: dict, p: Principal) -> schemas.SeekerOut:
    sensitive = sees_sensitive(p, doc)
    person = None
    if doc.get("person"):
        raw = doc["person"]
        plain = plain_view(p, doc)
        person = schemas.PersonOut(
            name=raw["name"] if plain else pii.mask_name(raw["name"]),
            phone=raw["phone"] if plain else pii.mask_phone(raw["phone"]),
            id_number=raw.get("id_number") if sensitive else pii.mask_id_number(raw.get("id_number")),
            masked=not sensitive,
        )
    elif doc.get("submitter_masked"):
        person = schemas.PersonOut(**doc["submitter_masked"], masked=True)
    return schemas.SeekerOut(
        id=doc["_id"],
        status=doc["status"],
        source=doc["source"],
        request_id=doc.get("request_id"),
        community=doc["community"],
        compound=doc.get("compound"),
        description=pii.scrub_text(doc.get("description")) if plain_view(p, doc) else None,
        person=person,
        profile=doc.get("profile"),
        employment_difficulty=doc.get("employment_difficulty") if sensitive else None,
        consent=doc.get("consent"),
        need=doc.get("need"),
        placements=doc.get("placements", []),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        version=doc["version"],
    )


@bp.endpoint(
    "/seekers",
    "POST",
    summary="Register a seeker profile (with consent)",
    body=schemas.SeekerIn,
    response=schemas.SeekerOut,
    status=201,
    roles=(RESIDENT, *STAFF_ROLES),
)
def register_seeker(body: schemas.SeekerIn):
    p = principal()
    if not p.has(RESIDENT) and not p.serves(body.community):
        raise Forbidden(f"you do not serve community {body.community}")
    return present_seeker(seeker_actions.register(ctx(), body.model_dump(mode="json"), actor_of(p)), p)


@bp.endpoint(
    "/seekers",
    "GET",
    summary="Profiles of the communities you serve",
    query=schemas.SeekerListQuery,
    response=schemas.SeekerPage,
    roles=STAFF_ROLES,
)
def list_seekers(query: schemas.SeekerListQuery):
    p = principal()
    flt = community_scope(p, query.community)
    if query.status:
        flt["status"] = query.status
    return schemas.SeekerPage(items=[present_seeker(d, p) for d in store.find(flt, query.limit)])


@bp.endpoint(
    "/seekers/mine",
    "GET",
    summary="Your own profiles (residents)",
    response=schemas.SeekerPage,
    roles=(RESIDENT,),
)
def my_profiles():
    p = principal()
    return schemas.SeekerPage(items=[present_seeker(d, p) for d in store.of_resident(p.sub)])


def seeker_of_request(request_id: str) -> dict:
    doc = store.of_request(request_id)
    if doc is None:
        raise NotFound(f"no profile for request {request_id}")
    return doc


@bp.endpoint(
    "/seekers/by-request/<request_id>",
    "GET",
    summary="The profile made from an intake request (staff "
    "serving the community; the resident once it is theirs)",
    response=schemas.SeekerOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def seeker_by_request(request_id: str):
    p = principal()
    doc = seeker_of_request(request_id)
    if not (owns(p, doc) or is_staff_for(p, doc["community"])):
        raise Forbidden(
            "staff serving the community and the resident it belongs to may see this profile; for "
            "a request staff entered for a resident, the resident finds the draft with POST "
            f"/v1/seekers/by-request/{request_id}/lookup, giving the name and phone of the request"
        )
    return present_seeker(doc, p)


@bp.endpoint(
    "/seekers/by-request/<request_id>/lookup",
    "POST",
    summary="A resident finds the draft profile made "
    "from their intake request, giving the full name and phone of the request (kept out of the URL)",
    body=schemas.DraftLookupIn,
    response=schemas.SeekerOut,
    roles=(RESIDENT,),
    throttled="guess",
)
def find_own_draft(request_id: str, body: schemas.DraftLookupIn):
    p = principal()
    doc = seeker_of_request(request_id)
    if not owns(p, doc):
        if doc["status"] != "draft":
            raise Forbidden("this profile belongs to another resident")
        domain.check_claim(doc, body.model_dump(), Actor(p.sub, RESIDENT), principal_pseudonym())
    return present_seeker(doc, p)


@bp.endpoint(
    "/seekers/<seeker_id>",
    "GET",
    summary="One profile",
    response=schemas.SeekerOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def get_seeker(seeker_id: str):
    doc, p = seeker_for(seeker_id)
    return present_seeker(doc, p)


@bp.endpoint(
    "/seekers/<seeker_id>/complete",
    "POST",
    summary="Complete a draft profile, with consent",
    body=schemas.SeekerIn,
    response=schemas.SeekerOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def complete_seeker(seeker_id: str, body: schemas.SeekerIn):
    p = principal()
    doc = store.get(seeker_id)
    if not (p.has(RESIDENT) or is_staff_for(p, doc["community"])):
        raise Forbidden(f"you do not serve community {doc['community']}")
    if not (owns(p, doc) or is_staff_for(p, doc["community"]) or doc["status"] == "draft"):
        # Before the domain's status check: its 409 would tell another resident this profile's status.
        raise Forbidden("this profile belongs to another resident")
    doc = seeker_actions.complete(
        ctx(), doc, body.model_dump(mode="json"), actor_of(p), principal_pseudonym()
    )
    return present_seeker(doc, p)


@bp.endpoint(
    "/seekers/<seeker_id>/profile",
    "PUT",
    summary="Change the profile (it is matched again)",
    body=schemas.ProfileUpdateIn,
    response=schemas.SeekerOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def update_profile(seeker_id: str, body: schemas.ProfileUpdateIn):
    doc, p = seeker_for(seeker_id, write=True)
    doc = seeker_actions.update_profile(ctx(), doc, body.profile.model_dump(mode="json"), actor_of(p))
    return present_seeker(doc, p)


@bp.endpoint(
    "/seekers/<seeker_id>/withdraw-consent",
    "POST",
    summary="Withdraw consent: the profile is closed and personal data erased",
    response=schemas.SeekerOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def withdraw_consent(seeker_id: str):
    doc, p = seeker_for(seeker_id, write=True)
    return present_seeker(seeker_actions.withdraw_consent(ctx(), doc, actor_of(p)), p)


@bp.endpoint(
    "/seekers/<seeker_id>/matches",
    "GET",
    summary="Best jobs for a seeker, with the reasons of each score",
    query=TopQuery,
    response=schemas.JobMatchList,
    roles=(RESIDENT, *STAFF_ROLES),
)
def seeker_matches(seeker_id: str, query: TopQuery):
    doc, _ = seeker_for(seeker_id)
    if doc["status"] not in ("active", "placed"):
        raise InvalidInput(
            "the profile is not complete", [{"field": "seeker_id", "message": f"status {doc['status']}"}]
        )
    items = [
        schemas.JobMatch(
            job_id=j["_id"],
            title=j["title"],
            employer_name=j["employer"]["name"],
            community=j["community"],
            score=round(mt.score, 4),
            reasons=reasons_out(mt),
        )
        for j, mt in ranking.matches_for_seeker(ctx(), doc, query.k)
    ]
    return schemas.JobMatchList(seeker_id=seeker_id, items=items)


def present_support(doc: dict) -> schemas.SupportOut:
    support = doc.get("support") or {}
    stages: dict[str, int] = {}
    for r in referral_store.of_seeker(doc["_id"]):
        stages[r["stage"]] = stages.get(r["stage"], 0) + 1
    return schemas.SupportOut(
        seeker_id=doc["_id"],
        target_group=(doc.get("profile") or {}).get("target_group"),
        **{k: support.get(k) for k in ("pathway", "assigned_at", "caseworker_id", "disengaged_at")},
        caseworker_needed=bool(support.get("caseworker_needed")),
        steps=support.get("steps", []),
        contacts=support.get("contacts", []),
        pushed=support.get("pushed", []),
        referrals_by_stage=dict(sorted(stages.items())),
        placed=bool(doc.get("placements")),
    )


@bp.endpoint(
    "/seekers/<seeker_id>/support",
    "GET",
    summary="The profile's support pathway: steps, contact attempts, caseworker, jobs pushed, referrals",
    response=schemas.SupportOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def get_support(seeker_id: str):
    doc, _ = seeker_for(seeker_id)
    return present_support(doc)


def _staff_for_seeker(seeker_id: str) -> tuple[dict, Principal]:
    p = principal()
    doc = store.get(seeker_id)
    if not is_staff_for(p, doc["community"]):
        raise Forbidden(f"you do not serve community {doc['community']}")
    return doc, p


@bp.endpoint(
    "/seekers/<seeker_id>/support/contacts",
    "POST",
    summary="Record a contact attempt of the pathway (reached or no response)",
    body=schemas.ContactIn,
    response=schemas.SupportOut,
    roles=STAFF_ROLES,
)
def record_contact(seeker_id: str, body: schemas.ContactIn):
    doc, p = _staff_for_seeker(seeker_id)
    return present_support(seeker_actions.record_contact(ctx(), doc, body.outcome, body.note, actor_of(p)))


@bp.endpoint(
    "/seekers/<seeker_id>/support/steps",
    "POST",
    summary="Record a step of the pathway as done or skipped",
    body=schemas.StepIn,
    response=schemas.SupportOut,
    roles=STAFF_ROLES,
)
def record_step(seeker_id: str, body: schemas.StepIn):
    doc, p = _staff_for_seeker(seeker_id)
    return present_support(
        seeker_actions.record_step(ctx(), doc, body.kind, body.status, body.note, actor_of(p))
    )


@bp.endpoint(
    "/seekers/<seeker_id>/support/caseworker",
    "POST",
    summary="Assign the seeker's caseworker",
    body=schemas.CaseworkerIn,
    response=schemas.SupportOut,
    roles=STAFF_ROLES,
)
def assign_caseworker(seeker_id: str, body: schemas.CaseworkerIn):
    doc, _ = _staff_for_seeker(seeker_id)
    return present_support(seeker_actions.assign_caseworker(ctx(), doc, body.caseworker_id))
