"""Employment's use cases that span its aggregates, called by the API, the handlers and the jobs
alike: matching stored seekers and jobs (suggestions, outreach tasks, job-fair rounds), hiring (a
referral, its job's opening and its seeker's placement), and keeping placements on seekers and jobs
in step with referrals. Each aggregate's own use cases are in its package (`seekers.actions`,
`jobs.actions`, `referrals.actions`, `outreach.actions`).

Each step is one atomic single-document write through the outbox, guarded by the document's
version. A hire reserves the job's opening and the seeker's placement before the referral becomes
hired (see `hire`); the referral then carries `placement_synced: false` until both reservations are
confirmed. A departure releases the seeker's placement the same way. The worker finishes what a
crash interrupted: unconfirmed placements, and reservations whose hire never came.
"""

from __future__ import annotations

import logging
from datetime import datetime

from civic146.auth import Actor
from civic146.errors import ConcurrencyConflict, DomainError, InvalidInput
from civic146.outbox import Change, retry_on_conflict

from . import domain, matching
from . import metrics as m
from .context import Employment
from .jobs import domain as job_domain
from .jobs import store as job_store
from .outreach import domain as outreach_domain
from .outreach import store as outreach_store
from .reference import Vocabulary
from .referrals import domain as referral_domain
from .referrals import store as referral_store
from .seekers import domain as seeker_domain
from .seekers import store as seeker_store

log = logging.getLogger(__name__)


# --- matching ------------------------------------------------------------------------------------------


def seeker_features(seeker: dict, vocab: Vocabulary) -> matching.SeekerFeatures:
    """Raises matching.Unscorable for a stored profile matching cannot use."""
    profile = seeker.get("profile")
    if not isinstance(profile, dict):
        raise matching.Unscorable("no profile")
    return matching.seeker_features(
        {**profile, "community": seeker["community"], "compound": seeker.get("compound")}, vocab
    )


def skipped(kind: str, doc: dict, exc: matching.Unscorable) -> None:
    """One stored document that cannot be scored is left out (logged and counted); the others are
    matched as usual."""
    m.UNSCORABLE.labels(kind).inc()
    log.warning(
        "left out of matching: cannot be scored", extra={f"{kind}_id": doc.get("_id"), "error": str(exc)}
    )


def unscorable(exc: matching.Unscorable, field: str, what: str) -> InvalidInput:
    """A stored profile or posting that matching cannot use (older data outside today's bounds):
    the request is refused with the reason, instead of failing."""
    return InvalidInput(
        f"the stored {what} cannot be matched; change it", [{"field": field, "message": str(exc)}]
    )


def scorable_seekers(
    seekers: list[dict], vocab: Vocabulary
) -> tuple[list[dict], list[matching.SeekerFeatures]]:
    """The seekers whose profiles can be scored, and their features."""
    kept, features = [], []
    for s in seekers:
        try:
            features.append(seeker_features(s, vocab))
        except matching.Unscorable as exc:
            skipped("seeker", s, exc)
            continue
        kept.append(s)
    return kept, features


def open_jobs(
    ctx: Employment, now: datetime, community: str | None = None
) -> tuple[list[dict], list[matching.JobFeatures]]:
    """The open jobs that can be scored, and their features."""
    jobs, features = [], []
    for j in job_store.open_jobs(community):
        try:
            f = matching.job_features(j, ctx.vocab, now)
        except matching.Unscorable as exc:
            skipped("job", j, exc)
            continue
        if f.open:
            jobs.append(j)
            features.append(f)
    return jobs, features


def top_jobs(
    ctx: Employment, seeker: dict, now: datetime, k: int, min_score: float = 0.0, only=None
) -> list[tuple[dict, matching.Match]]:
    """`only(job) -> bool`: rank only the open jobs it keeps."""
    features = seeker_features(seeker, ctx.vocab)
    jobs, job_features = open_jobs(ctx, now)
    if only is not None:
        kept = [i for i, j in enumerate(jobs) if only(j)]
        jobs, job_features = [jobs[i] for i in kept], [job_features[i] for i in kept]
    if not jobs:
        return []
    index = matching.JobIndex(job_features, ctx.vocab)
    return [
        (jobs[i], matching.explain(features, index.jobs[i], ctx.vocab))
        for i, _ in index.rank(features, k, min_score)
    ]


def top_seekers(
    ctx: Employment,
    job: dict,
    now: datetime,
    k: int,
    min_score: float = 0.0,
    seekers: list[dict] | None = None,
) -> list[tuple[dict, matching.Match]]:
    job_f = matching.job_features(job, ctx.vocab, now)
    seekers, features = scorable_seekers(seeker_store.matchable() if seekers is None else seekers, ctx.vocab)
    ranked = matching.rank_seekers(job_f, features, ctx.vocab, k, min_score)
    return [(seekers[i], matching.explain(features[i], job_f, ctx.vocab)) for i, _ in ranked]


def matches_for_seeker(ctx: Employment, seeker: dict, k: int) -> list[tuple[dict, matching.Match]]:
    """The best `k` open jobs for a seeker (the API's matches), or 422 for an unscorable profile."""
    try:
        return top_jobs(ctx, seeker, ctx.now(), k)
    except matching.Unscorable as exc:
        raise unscorable(exc, "seeker_id", "profile") from None


def candidates_for_job(ctx: Employment, job: dict, k: int) -> list[tuple[dict, matching.Match]]:
    """The best `k` seekers for a job (the API's candidates), or 422 for an unscorable posting."""
    try:
        return top_seekers(ctx, job, ctx.now(), k)
    except matching.Unscorable as exc:
        raise unscorable(exc, "job_id", "posting") from None


def record_suggestion(
    ctx: Employment, seeker: dict, job: dict, match: matching.Match, trigger: str, now: datetime
) -> str | None:
    doc, change = referral_domain.new_referral(seeker, job, match, trigger, domain.SYSTEM, now)
    return doc["_id"] if referral_store.insert_once(ctx.outbox, doc, change) else None


def suggest_for_seeker(ctx: Employment, seeker: dict, now: datetime) -> int:
    p = ctx.policy
    made = 0
    try:
        ranked = top_jobs(ctx, seeker, now, p.suggestions_per_change, p.min_suggestion_score)
    except matching.Unscorable as exc:  # the next change of the profile is matched again
        skipped("seeker", seeker, exc)
        return 0
    # The pathway puts a community service position (older workers interested in one) and a trial
    # place or internship (young people) the seeker can take among the suggestions.
    if wants_community_service(seeker) and not any(j.get("community_service") for j, _ in ranked):
        ranked += top_jobs(
            ctx, seeker, now, 1, p.min_suggestion_score, only=lambda j: j.get("community_service")
        )
    offers = set((seeker.get("support") or {}).get("prefer_offers") or ())
    if offers and not any(offer_of(j) in offers for j, _ in ranked):
        ranked += top_jobs(ctx, seeker, now, 1, p.min_suggestion_score, only=lambda j: offer_of(j) in offers)
    for job, match in ranked:
        made += record_suggestion(ctx, seeker, job, match, "profile_changed", now) is not None
    return made


def offer_of(job: dict) -> str:
    return job.get("offer") or "position"


def wants_community_service(seeker: dict) -> bool:
    """An older worker interested in community service roles, on a pathway that prefers them."""
    return bool(
        (seeker.get("support") or {}).get("prefer_community_service")
        and (seeker.get("profile") or {}).get("community_service_interest")
    )


def suggest_for_job(ctx: Employment, job: dict, now: datetime) -> int:
    """Suggestions for a new job (the best few seekers), then outreach tasks (see create_outreach_tasks)."""
    p = ctx.policy
    try:
        matching.job_features(job, ctx.vocab, now)
    except matching.Unscorable as exc:
        skipped("job", job, exc)
        return 0
    seekers, _ = scorable_seekers(seeker_store.matchable(), ctx.vocab)
    made = 0
    for seeker, match in top_seekers(
        ctx, job, now, p.suggestions_per_change, p.min_suggestion_score, seekers
    ):
        made += record_suggestion(ctx, seeker, job, match, "job_posted", now) is not None
    create_outreach_tasks(ctx, job, now, seekers)
    push_job(ctx, job, now, seekers)
    return made


def rematch_seeker(ctx: Employment, seeker_id: str) -> int:
    """A profile was registered or changed: suggest the best open jobs, if it is still active."""
    seeker = seeker_store.get(seeker_id)
    return suggest_for_seeker(ctx, seeker, ctx.now()) if seeker["status"] == "active" else 0


def rematch_job(ctx: Employment, job_id: str) -> int:
    """A job was posted: suggest the best seekers and make outreach tasks, if it is still open."""
    job = job_store.get(job_id)
    return suggest_for_job(ctx, job, ctx.now()) if job["status"] == "open" else 0


def push_job(ctx: Employment, job: dict, now: datetime, seekers: list[dict]) -> int:
    """Seekers whose pathway pushes new jobs (the middle-aged with an information gap) hear of one that
    fits them at least as well as the pathway asks, at once: a `seeker.job-pushed` event for the
    mini-program or SMS gateway, and an outreach task for staff when they have no online channel."""
    pushable = [
        x
        for x in seekers
        if x["status"] == "active" and (x.get("support") or {}).get("push_min_score") is not None
    ]
    if not pushable:
        return 0
    floor = min(x["support"]["push_min_score"] for x in pushable)
    pushed = 0
    for seeker, match in top_seekers(ctx, job, now, len(pushable), floor, pushable):
        if match.score < seeker["support"]["push_min_score"]:
            continue

        def once(seeker_id=seeker["_id"], score=match.score) -> bool:
            current = seeker_store.get(seeker_id)
            if (change := seeker_domain.job_pushed(current, job, score, now)) is None:
                return False
            seeker_store.apply(ctx.outbox, current, change)
            return True

        if not seeker_domain.push_channels(seeker):  # before the push: a replay finds the task made
            task, change = outreach_domain.outreach_task(seeker, job, match.score, now, kind="job_push")
            outreach_store.insert_once(ctx.outbox, task, change)
        pushed += retry_on_conflict(once, f"the seeker {seeker['_id']}")
    return pushed


def follow_pathway(ctx: Employment, seeker: dict, now: datetime) -> bool:
    """Contact attempts past their grace are settled (answered or missed); a seeker who missed as
    many in a row as the pathway allows is disengaged and gets an outreach task for staff, long
    before the dormancy of DORMANT_AFTER_DAYS. The task is written first, so a crash in between
    leaves the attempts due and the next run finds the task already there."""
    change, missed = seeker_domain.contacts_due(seeker, now)
    if change is None:
        return False
    if missed:
        task, task_change = outreach_domain.disengagement_task(seeker, missed, now)
        outreach_store.insert_once(ctx.outbox, task, task_change)
    seeker_store.apply(ctx.outbox, seeker, change)
    return True


def create_outreach_tasks(ctx: Employment, job: dict, now: datetime, seekers: list[dict]) -> int:
    """Dormant middle-aged or older seekers the job fits (score at least MIN_SUGGESTION_SCORE) get a
    task for community staff, whether or not they ranked among the suggestions: a notification alone
    rarely reaches them. At most MAX_OUTREACH_PER_JOB tasks, for the best fits: staff can only call
    so many people about one job."""
    p = ctx.policy
    dormant = [
        x
        for x in seekers
        if domain.public_group(x) in outreach_domain.OUTREACH_GROUPS
        and seeker_domain.is_dormant(x, now, p.dormant_after_days)
    ]
    limit = min(len(dormant), p.max_outreach_per_job)
    created = 0
    for seeker, match in (
        top_seekers(ctx, job, now, limit, p.min_suggestion_score, dormant) if limit > 0 else []
    ):
        task, change = outreach_domain.outreach_task(seeker, job, match.score, now)
        created += outreach_store.insert_once(ctx.outbox, task, change)
    return created


def job_fair_round(ctx: Employment, now: datetime, community: str | None, min_score: float) -> dict:
    """A stable matching round over active seekers and open jobs; each pair becomes a suggestion."""
    seekers, features = scorable_seekers(seeker_store.matchable(community), ctx.vocab)
    jobs, job_features = open_jobs(ctx, now, community)
    if not seekers or not jobs:
        return {"seekers": len(seekers), "jobs": len(jobs), "matched": 0, "proposals": 0, "pairs": []}
    index = matching.JobIndex(job_features, ctx.vocab)
    result = matching.stable_match(index, features, min_score=min_score)
    pairs = []
    for i, j in sorted(result.assignment.items()):
        match = matching.explain(features[i], index.jobs[j], ctx.vocab)
        rid = domain.referral_id(seekers[i]["_id"], jobs[j]["_id"])
        record_suggestion(ctx, seekers[i], jobs[j], match, "job_fair", now)
        pairs.append(
            {
                "seeker_id": seekers[i]["_id"],
                "job_id": jobs[j]["_id"],
                "score": round(match.score, 4),
                "referral_id": rid,
            }
        )
    return {
        "seekers": len(seekers),
        "jobs": len(jobs),
        "matched": len(pairs),
        "proposals": result.proposals,
        "pairs": pairs,
    }


# --- hiring and placements -----------------------------------------------------------------------------


def sync_placement(ctx: Employment, referral: dict, now: datetime) -> bool:
    """Bring the seeker's placements and the job's hires in line with the referral (idempotent): a
    hire confirms the reservations made before it, a departure releases the seeker's placement."""

    def once() -> None:
        seeker = seeker_store.get(referral["seeker_id"])
        if (change := seeker_domain.seeker_placement_change(seeker, referral, now)) is not None:
            seeker_store.apply(ctx.outbox, seeker, change)
        job = job_store.get(referral["job_id"])
        if (change := job_domain.job_hire_change(job, referral, now)) is not None:
            job_store.apply(ctx.outbox, job, change)

    retry_on_conflict(once, f"the placement of referral {referral['_id']}")
    current = referral_store.get(referral["_id"])
    if not current.get("placement_synced") and current["stage"] == referral["stage"]:
        referral_store.apply(ctx.outbox, current, Change(set={"placement_synced": True}))
    return True


def sync_placement_now(ctx: Employment, referral: dict, now: datetime) -> None:
    """From the API right after a hire or departure; what fails here the worker finishes."""
    try:
        sync_placement(ctx, referral, now)
    except ConcurrencyConflict as exc:
        log.warning(
            "placement left for the worker", extra={"referral_id": referral["_id"], "error": str(exc)}
        )


RESERVE_ATTEMPTS = 20  # reloads of one document before a contended step gives up (409, try again)


def _retrying(what: str, step):
    """A contended step of a hire (reload, decide, guarded write), retried more often and with a
    pause: a hire's documents are the ones concurrent hires fight over."""
    return retry_on_conflict(step, what, attempts=RESERVE_ATTEMPTS, pause_seconds=0.002)


def reserve_opening(ctx: Employment, referral: dict, now: datetime) -> None:
    """Take one of the job's openings for `referral` (as read before the hire); idempotent."""

    def step():
        job = job_store.get(referral["job_id"])
        if (change := job_domain.reserve_opening(job, referral, now)) is not None:
            job_store.apply(ctx.outbox, job, change)

    _retrying(f"the job {referral['job_id']}", step)


def reserve_placement(ctx: Employment, referral: dict, now: datetime) -> None:
    """Reserve the seeker's placement for `referral`; idempotent. The rules need the hours of the
    seeker's other placements, read from their referrals after the seeker (they never change)."""

    def step():
        seeker = seeker_store.get(referral["seeker_id"])
        others = [p for p in seeker.get("placements", []) if p != referral["_id"]]
        current = referral_store.of_ids(others)
        if (change := seeker_domain.reserve_placement(seeker, referral, current, now)) is not None:
            seeker_store.apply(ctx.outbox, seeker, change)

    _retrying(f"the seeker {referral['seeker_id']}", step)


def _moved_past(ctx: Employment, referral_id: str, version: int, now: datetime) -> dict | None:
    """The referral as it is now, moved past `version` unless it was hired (None if it is gone).
    While it is still at that version an attempt to hire from it could yet commit, so it is moved on
    (referrals.domain.abandon_hire): that attempt's commit then fails."""

    def step():
        current = referral_store.find_one(referral_id)
        if current is None or current["version"] != version or current["stage"] in domain.HIRED:
            return current
        return referral_store.apply(ctx.outbox, current, referral_domain.abandon_hire(current, now))

    return _retrying(f"the referral {referral_id}", step)


def settle_reservations(
    ctx: Employment,
    referral_id: str,
    version: int,
    now: datetime,
    job_id: str | None = None,
    seeker_id: str | None = None,
) -> None:
    """Confirm or release what an attempt to hire from `version` of the referral reserved, once it
    failed or was abandoned; idempotent. The referral is moved past `version` first, so nothing can
    be hired on what is released. `job_id`, `seeker_id`: where to look if the referral is gone."""
    current = _moved_past(ctx, referral_id, version, now)
    if current is not None:
        job_id, seeker_id = current["job_id"], current["seeker_id"]

    def settle(store, what: str, doc_id: str, decide) -> None:
        def step():
            doc = store.get(doc_id)
            if (change := decide(doc, referral_id, version, current, now)) is not None:
                store.apply(ctx.outbox, doc, change)

        _retrying(f"the {what} {doc_id}", step)

    if job_id is not None:
        settle(job_store, "job", job_id, job_domain.settle_opening)
    if seeker_id is not None:
        settle(seeker_store, "seeker", seeker_id, seeker_domain.settle_placement)


def hire(ctx: Employment, referral: dict, actor: Actor, now: datetime) -> dict:
    """Hire within the job's openings and the seeker's placements, without locks: (1) reserve one of
    the job's openings, (2) reserve the seeker's placement, (3) commit the referral's hire at the
    version read at the start, then (4) confirm the reservations (sync_placement_now; what fails
    there the worker finishes, as `placement_synced` stays false). Each step is a version-guarded
    write of one document, retried on conflict, so two hires for the last opening (or for one
    person) cannot both reserve it. If a step before the commit fails the reservations are
    released; if the process dies between the steps the worker releases them after the grace
    period (settle_expired_reservations). Returns the referral as the hire committed it."""
    referral = referral_store.get(referral["_id"])
    change = referral_domain.hire(referral, actor, now)  # a referral not `offered` reserves nothing
    reserve_opening(ctx, referral, now)
    try:
        reserve_placement(ctx, referral, now)
        hired = referral_store.apply(ctx.outbox, referral, change)
    except Exception:
        # The seeker cannot take the job, or the referral changed meanwhile (declined, or hired by a
        # concurrent request, whose reservations these are too and are then kept).
        try:
            settle_reservations(ctx, referral["_id"], referral["version"], now)
        except Exception as exc:  # the worker releases them after the grace period
            log.warning(
                "reservations left for the worker", extra={"referral_id": referral["_id"], "error": str(exc)}
            )
        raise
    sync_placement_now(ctx, hired, now)
    return hired


def settle_expired_reservations(ctx: Employment, doc: dict, now: datetime, where: dict) -> bool:
    """Reservations on one job or seeker (`where`: {"job_id": ...} or {"seeker_id": ...}) older than
    the grace period, left by a crash or a stall between a reservation and the referral's commit,
    are released, or confirmed if the referral was hired. True if any was settled."""
    settled = False
    for entry in domain.expired_reservations(doc, now, ctx.policy.hire_reservation_grace):
        try:
            settle_reservations(ctx, entry["referral_id"], entry["version"], now, **where)
            settled = True
        except (ConcurrencyConflict, DomainError) as exc:  # changed meanwhile: the next run tries again
            log.warning(
                "reservation not settled", extra={"referral_id": entry["referral_id"], "error": str(exc)}
            )
    return settled
