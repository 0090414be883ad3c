"""What the API and the worker both do with the database: match stored seekers and jobs, record
suggestions and outreach tasks, keep placements on seekers and jobs in step with referrals.

Each step is one atomic single-document write through the outbox. A hire or a departure touches
three documents (referral, then job and seeker); the referral carries `placement_synced: false`
until the other two are updated, so the worker finishes the work a crash interrupted.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from civic146 import clock
from civic146.errors import ConcurrencyConflict, Unavailable
from civic146.outbox import Outbox, document_lock

from . import domain, matching, store
from . import metrics as m
from .settings import EmploymentSettings
from .vocabulary import Vocabulary

log = logging.getLogger(__name__)


@dataclass
class Employment:
    """What views and handlers need, built once per process."""
    settings: EmploymentSettings
    outbox: Outbox
    vocab: Vocabulary

    def now(self) -> datetime:
        return clock.now(self.settings.clock_offset_file)


def seeker_features(seeker: dict, vocab: Vocabulary) -> matching.SeekerFeatures:
    return matching.seeker_features({**seeker["profile"], "community": seeker["community"],
                                     "compound": seeker.get("compound")}, vocab)


def open_jobs(ctx: Employment, now: datetime, community: str | None = None) -> list[dict]:
    flt = {"status": "open", **({"community": community} if community else {})}
    return [j for j in store.find("jobs", flt) if matching.job_features(j, ctx.vocab, now).open]


def matchable_seekers(community: str | None = None) -> list[dict]:
    return store.find("seekers", {"status": "active", **({"community": community} if community else {})})


def top_jobs(ctx: Employment, seeker: dict, now: datetime, k: int, min_score: float = 0.0) -> list[tuple[dict, matching.Match]]:
    jobs = open_jobs(ctx, now)
    if not jobs:
        return []
    index = matching.JobIndex([matching.job_features(j, ctx.vocab, now) for j in jobs], ctx.vocab)
    features = seeker_features(seeker, ctx.vocab)
    return [(jobs[i], matching.explain(features, index.jobs[i], ctx.vocab))
            for i, _ in index.rank(features, k, min_score)]


def top_seekers(ctx: Employment, job: dict, now: datetime, k: int, min_score: float = 0.0,
                seekers: list[dict] | None = None) -> list[tuple[dict, matching.Match]]:
    seekers = matchable_seekers() if seekers is None else seekers
    features = [seeker_features(s, ctx.vocab) for s in seekers]
    job_f = matching.job_features(job, ctx.vocab, now)
    ranked = matching.rank_seekers(job_f, features, ctx.vocab, k, min_score)
    return [(seekers[i], matching.explain(features[i], job_f, ctx.vocab)) for i, _ in ranked]


def record_suggestion(ctx: Employment, seeker: dict, job: dict, match: matching.Match, trigger: str,
                      now: datetime) -> str | None:
    doc, change = domain.new_referral(seeker, job, match, trigger, domain.SYSTEM, now)
    if store.insert_once(ctx.outbox, "referrals", doc, change):
        m.REFERRAL_TRANSITIONS.labels(doc["community"], "suggested").inc()
        return doc["_id"]
    return None


def suggest_for_seeker(ctx: Employment, seeker: dict, now: datetime) -> int:
    s = ctx.settings
    made = 0
    for job, match in top_jobs(ctx, seeker, now, s.suggestions_per_change, s.min_suggestion_score):
        made += record_suggestion(ctx, seeker, job, match, "profile_changed", now) is not None
    return made


def suggest_for_job(ctx: Employment, job: dict, now: datetime) -> int:
    """Suggestions for a new job (the best few seekers), then outreach tasks (see create_outreach_tasks)."""
    s = ctx.settings
    seekers = matchable_seekers()
    made = 0
    for seeker, match in top_seekers(ctx, job, now, s.suggestions_per_change, s.min_suggestion_score, seekers):
        made += record_suggestion(ctx, seeker, job, match, "job_posted", now) is not None
    create_outreach_tasks(ctx, job, now, seekers)
    return made


def create_outreach_tasks(ctx: Employment, job: dict, now: datetime, seekers: list[dict]) -> int:
    """Dormant middle-aged or older seekers the job fits (score at least MIN_SUGGESTION_SCORE) get a
    task for community staff, whether or not they ranked among the suggestions: a notification alone
    rarely reaches them. At most MAX_OUTREACH_PER_JOB tasks, for the best fits: staff can only call
    so many people about one job."""
    s = ctx.settings
    dormant = [x for x in seekers if domain.public_group(x) in domain.OUTREACH_GROUPS
               and domain.is_dormant(x, now, s.dormant_after_days)]
    limit = min(len(dormant), s.max_outreach_per_job)
    created = 0
    for seeker, match in top_seekers(ctx, job, now, limit, s.min_suggestion_score, dormant) if limit > 0 else []:
        task, change = domain.outreach_task(seeker, job, match.score, now)
        created += store.insert_once(ctx.outbox, "outreach_tasks", task, change)
    return created


def sync_placement(ctx: Employment, referral: dict, now: datetime) -> None:
    """Bring the seeker's placements and the job's hires in line with the referral (idempotent)."""
    for _ in range(5):
        try:
            seeker = store.get("seekers", referral["seeker_id"])
            if (change := domain.seeker_placement_change(seeker, referral, now)) is not None:
                store.apply(ctx.outbox, "seekers", seeker, change)
            job = store.get("jobs", referral["job_id"])
            if (change := domain.job_hire_change(job, referral, now)) is not None:
                store.apply(ctx.outbox, "jobs", job, change)
            break
        except ConcurrencyConflict:
            continue
    else:
        raise ConcurrencyConflict(f"placement of referral {referral['_id']} kept conflicting; the worker retries")
    current = store.get("referrals", referral["_id"])
    if not current.get("placement_synced") and current["stage"] == referral["stage"]:
        store.apply(ctx.outbox, "referrals", current, domain.Change(set={"placement_synced": True}))


def sync_placement_now(ctx: Employment, referral: dict, now: datetime) -> None:
    """From the API right after a hire or departure; what fails here the worker finishes."""
    try:
        sync_placement(ctx, referral, now)
    except (ConcurrencyConflict, Unavailable) as exc:
        log.warning("placement left for the worker", extra={"referral_id": referral["_id"], "error": str(exc)})


def seeker_acted(ctx: Employment, seeker_id: str, now: datetime) -> None:
    """Record that the seeker did something themselves (so they do not count as dormant). Best effort:
    the action itself is already committed, and a missed update only makes outreach more eager."""
    for _ in range(3):
        try:
            seeker = store.get("seekers", seeker_id)
            if (change := domain.seeker_acted(seeker, now)) is not None:
                store.apply(ctx.outbox, "seekers", seeker, change)
            return
        except ConcurrencyConflict:
            continue
        except Unavailable:
            break
    log.warning("seeker activity not recorded", extra={"seeker_id": seeker_id})


def hire(ctx: Employment, referral: dict, actor: domain.Actor, now: datetime) -> dict:
    """Hire within the job's openings and the seeker's placements, both counted from the referrals
    themselves (the job's `filled` and the seeker's `placements` are updated after the hire). The job's
    and the seeker's write locks are held from the check to the referral's commit, so two concurrent
    hires for the last opening (or for one person) cannot both pass the check. Returns the referral."""
    with document_lock(store.collection("jobs"), referral["job_id"]), \
            document_lock(store.collection("seekers"), referral["seeker_id"]):
        referral = store.get("referrals", referral["_id"])
        seeker = store.get("seekers", referral["seeker_id"])
        job = store.get("jobs", referral["job_id"])
        holding = store.find("referrals", {"seeker_id": seeker["_id"], "stage": {"$in": list(domain.HOLDING)}})
        job_hired = store.find("referrals", {"job_id": job["_id"], "stage": {"$in": list(domain.HIRED)}})
        change = domain.hire(referral, seeker, job, holding, job_hired, actor, now)
        return store.apply(ctx.outbox, "referrals", referral, change)


def job_fair_round(ctx: Employment, now: datetime, community: str | None, min_score: float) -> dict:
    """A stable matching round over active seekers and open jobs; each pair becomes a suggestion."""
    seekers = matchable_seekers(community)
    jobs = open_jobs(ctx, now, community)
    if not seekers or not jobs:
        return {"seekers": len(seekers), "jobs": len(jobs), "matched": 0, "proposals": 0, "pairs": []}
    index = matching.JobIndex([matching.job_features(j, ctx.vocab, now) for j in jobs], ctx.vocab)
    features = [seeker_features(s, ctx.vocab) for s in seekers]
    result = matching.stable_match(index, features, min_score=min_score)
    pairs = []
    for i, j in sorted(result.assignment.items()):
        match = matching.explain(features[i], index.jobs[j], ctx.vocab)
        rid = domain.referral_id(seekers[i]["_id"], jobs[j]["_id"])
        record_suggestion(ctx, seekers[i], jobs[j], match, "job_fair", now)
        pairs.append({"seeker_id": seekers[i]["_id"], "job_id": jobs[j]["_id"], "score": round(match.score, 4),
                      "referral_id": rid})
    return {"seekers": len(seekers), "jobs": len(jobs), "matched": len(pairs), "proposals": result.proposals,
            "pairs": pairs}
