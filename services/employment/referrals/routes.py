"""HTTP routes of referrals: referring a seeker to a job, the stages through to a hire or a decline,
retention checks, job-fair rounds (which make suggested referrals), and the statistics of seekers
and placements. Each view authorises, calls one use case (writes) or query (reads), and presents
the result; employers see a referral's candidate masked, and only from stage `referred`."""

from __future__ import annotations

from civic146.auth import (
    EMPLOYER,
    RESIDENT,
    STAFF_ROLES,
    Principal,
    actor_of,
    community_scope,
    principal,
    require_named_community,
)
from civic146.errors import Forbidden, InvalidInput, NotFound
from civic146.web import ApiBlueprint

from .. import hiring, statistics, suggestions
from ..access import ctx, is_staff_for, owns, seeker_for
from ..jobs import store as job_store
from ..schemas import candidate_out
from ..seekers import store as seeker_store
from . import actions as referral_actions
from . import schemas, store

bp = ApiBlueprint("referrals", __name__, url_prefix="/v1", tag="employment")


def present_referral(doc: dict, p: Principal, seeker: dict | None = None) -> schemas.ReferralOut:
    show_candidate = p.has(EMPLOYER, *STAFF_ROLES)
    if show_candidate and seeker is None:
        try:
            seeker = seeker_store.get(doc["seeker_id"])
        except NotFound:
            seeker = None
    return schemas.ReferralOut(
        **{
            k: doc.get(k)
            for k in (
                "seeker_id",
                "job_id",
                "job_title",
                "community",
                "job_community",
                "stage",
                "score",
                "reasons",
                "trigger",
                "decline_reason",
                "declined_by",
                "hired_at",
                "retention",
                "version",
            )
        },
        id=doc["_id"],
        candidate=candidate_out(seeker) if show_candidate and seeker else None,
        history=[schemas.HistoryOut.model_validate(h) for h in doc["history"]],
    )


def referral_for(
    referral_id: str, *, employer_may: bool = True, resident_may: bool = True
) -> tuple[dict, Principal]:
    p = principal()
    doc = store.get(referral_id)
    if is_staff_for(p, doc["community"]) or is_staff_for(p, doc["job_community"]):
        return doc, p
    if employer_may and p.has(EMPLOYER) and doc.get("employer_id") == p.sub and doc["stage"] != "suggested":
        return doc, p
    if resident_may and p.has(RESIDENT):
        seeker = seeker_store.get(doc["seeker_id"])
        if owns(p, seeker):
            return doc, p
    raise Forbidden("you may not act on this referral")


@bp.endpoint(
    "/referrals",
    "POST",
    summary="Refer a seeker to a job (staff, or the resident applying)",
    body=schemas.ReferralIn,
    response=schemas.ReferralOut,
    status=201,
    roles=(RESIDENT, *STAFF_ROLES),
)
def create_referral(body: schemas.ReferralIn):
    seeker, p = seeker_for(body.seeker_id, write=True)
    job = job_store.get(body.job_id)
    doc = referral_actions.refer(ctx(), seeker, job, actor_of(p), by_seeker=owns(p, seeker))
    return present_referral(doc, p, seeker)


@bp.endpoint(
    "/referrals",
    "GET",
    summary="Referrals you may see",
    query=schemas.ReferralListQuery,
    response=schemas.ReferralPage,
    roles=(RESIDENT, EMPLOYER, *STAFF_ROLES),
)
def list_referrals(query: schemas.ReferralListQuery):
    p = principal()
    flt: dict = {k: getattr(query, k) for k in ("seeker_id", "job_id", "stage") if getattr(query, k)}
    if p.has(*STAFF_ROLES):
        if query.community and not p.serves(query.community):
            raise Forbidden(f"you do not serve community {query.community}")
        if not p.is_admin or query.community:
            served = [query.community] if query.community else sorted(p.communities)
            flt["$or"] = [{"community": {"$in": served}}, {"job_community": {"$in": served}}]
    elif p.has(EMPLOYER):
        flt.update(employer_id=p.sub, stage=flt.get("stage") or {"$ne": "suggested"})
        if flt["stage"] == "suggested":
            return schemas.ReferralPage(items=[])
    else:
        own = [s["_id"] for s in seeker_store.of_resident(p.sub)]
        flt["seeker_id"] = flt["seeker_id"] if flt.get("seeker_id") in own else {"$in": own}
    return schemas.ReferralPage(items=[present_referral(d, p) for d in store.find(flt, query.limit)])


@bp.endpoint(
    "/referrals/<referral_id>",
    "GET",
    summary="One referral with its reasons and history",
    response=schemas.ReferralOut,
    roles=(RESIDENT, EMPLOYER, *STAFF_ROLES),
)
def get_referral(referral_id: str):
    doc, p = referral_for(referral_id)
    return present_referral(doc, p)


def _stage_action(referral_id: str, action: str, *, employer_may: bool, resident_may: bool):
    doc, p = referral_for(referral_id, employer_may=employer_may, resident_may=resident_may)
    by_seeker = resident_may and p.has(RESIDENT) and owns(p, seeker_store.get(doc["seeker_id"]))
    return present_referral(referral_actions.move(ctx(), doc, action, actor_of(p), by_seeker), p)


@bp.endpoint(
    "/referrals/<referral_id>/refer",
    "POST",
    summary="Refer a suggested match to the employer",
    response=schemas.ReferralOut,
    roles=(RESIDENT, *STAFF_ROLES),
)
def refer(referral_id: str):
    return _stage_action(referral_id, "refer", employer_may=False, resident_may=True)


@bp.endpoint(
    "/referrals/<referral_id>/interview",
    "POST",
    summary="An interview is arranged",
    response=schemas.ReferralOut,
    roles=(EMPLOYER, *STAFF_ROLES),
)
def interview(referral_id: str):
    return _stage_action(referral_id, "interview", employer_may=True, resident_may=False)


@bp.endpoint(
    "/referrals/<referral_id>/offer",
    "POST",
    summary="The employer made an offer",
    response=schemas.ReferralOut,
    roles=(EMPLOYER, *STAFF_ROLES),
)
def offer(referral_id: str):
    return _stage_action(referral_id, "offer", employer_may=True, resident_may=False)


@bp.endpoint(
    "/referrals/<referral_id>/hire",
    "POST",
    summary="The seeker was hired (the intake request is resolved)",
    response=schemas.ReferralOut,
    roles=(EMPLOYER, *STAFF_ROLES),
)
def hire(referral_id: str):
    c = ctx()
    doc, p = referral_for(referral_id, resident_may=False)
    return present_referral(hiring.hire(c, doc, actor_of(p), c.now()), p)


@bp.endpoint(
    "/referrals/<referral_id>/decline",
    "POST",
    summary="Declined by the seeker, the employer or staff",
    body=schemas.DeclineIn,
    response=schemas.ReferralOut,
    roles=(RESIDENT, EMPLOYER, *STAFF_ROLES),
)
def decline(referral_id: str, body: schemas.DeclineIn):
    doc, p = referral_for(referral_id)
    seeker = seeker_store.get(doc["seeker_id"])
    if not (is_staff_for(p, doc["community"]) or is_staff_for(p, doc["job_community"])):
        # outside staff, one declines for one's own side only (referral_for let them act on one side)
        own_side = "seeker" if owns(p, seeker) else "employer"
        if body.declined_by != own_side:
            raise InvalidInput(
                f"you decline as the {own_side}", [{"field": "declined_by", "message": f"must be {own_side}"}]
            )
    doc = referral_actions.decline(ctx(), doc, seeker, actor_of(p), body.reason, body.declined_by)
    return present_referral(doc, p, seeker)


@bp.endpoint(
    "/referrals/<referral_id>/retention-checks",
    "POST",
    summary="Record the outcome of a due retention check",
    body=schemas.RetentionIn,
    response=schemas.ReferralOut,
    roles=STAFF_ROLES,
)
def record_retention(referral_id: str, body: schemas.RetentionIn):
    doc, p = referral_for(referral_id, employer_may=False, resident_may=False)
    doc = referral_actions.record_retention(
        ctx(), doc, body.checkpoint, body.outcome, body.reason, actor_of(p)
    )
    return present_referral(doc, p)


@bp.endpoint(
    "/job-fair-rounds",
    "POST",
    summary="Run a job-fair round: stable matching with openings as capacities",
    body=schemas.RoundIn,
    response=schemas.RoundOut,
    roles=STAFF_ROLES,
)
def job_fair_round(body: schemas.RoundIn):
    c, p = ctx(), principal()
    require_named_community(p, body.community)
    if body.community is not None and not p.serves(body.community):
        raise Forbidden(f"you do not serve community {body.community}")
    return suggestions.job_fair_round(c, c.now(), body.community, body.min_score)


@bp.endpoint(
    "/statistics",
    "GET",
    summary="Seekers, placements, open jobs; per group and community: time from need to placement, "
    "drop-out, retention at 30/90/180 days, jobs pushed and acted on, support received",
    query=schemas.StatisticsQuery,
    response=schemas.Statistics,
    roles=STAFF_ROLES,
)
def get_statistics(query: schemas.StatisticsQuery):
    p = principal()
    require_named_community(p, query.community)
    scope = community_scope(p, query.community)
    with_sensitive = p.has(*ctx().settings.sensitive_role_list)
    stats = statistics.compute_statistics(
        seeker_store.in_scope(scope), store.in_scope(scope), job_store.open_in(scope), with_sensitive
    )
    return schemas.Statistics(community=query.community, **stats)
