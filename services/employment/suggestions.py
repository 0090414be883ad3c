"""What a changed profile or a new job sets off across the aggregates: suggestions (referrals at
`suggested`), jobs pushed to the seekers whose pathway asks for it, outreach tasks for dormant
seekers the job fits; and a job fair's stable matching round, each pair a suggestion."""

from __future__ import annotations

from datetime import datetime

from civic146.outbox import retry_on_conflict

from . import common, matching
from .context import Employment
from .jobs import store as job_store
from .outreach import domain as outreach_domain
from .outreach import store as outreach_store
from .ranking import open_jobs, scorable_seekers, skipped, top_jobs, top_seekers
from .referrals import domain as referral_domain
from .referrals import store as referral_store
from .seekers import domain as seeker_domain
from .seekers import store as seeker_store


def record_suggestion(
    ctx: Employment, seeker: dict, job: dict, match: matching.Match, trigger: str, now: datetime
) -> str | None:
    doc, change = referral_domain.new_referral(
        seeker, job, match=match, trigger=trigger, actor=common.SYSTEM, now=now
    )
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
            task, change = outreach_domain.outreach_task(
                seeker, job, score=match.score, now=now, kind="job_push"
            )
            outreach_store.insert_once(ctx.outbox, task, change)
        pushed += retry_on_conflict(once, f"the seeker {seeker['_id']}")
    return pushed


def create_outreach_tasks(ctx: Employment, job: dict, now: datetime, seekers: list[dict]) -> int:
    """Dormant middle-aged or older seekers the job fits (score at least MIN_SUGGESTION_SCORE) get a
    task for community staff, whether or not they ranked among the suggestions: a notification alone
    rarely reaches them. At most MAX_OUTREACH_PER_JOB tasks, for the best fits: staff can only call
    so many people about one job."""
    p = ctx.policy
    dormant = [
        x
        for x in seekers
        if common.public_group(x) in outreach_domain.OUTREACH_GROUPS
        and seeker_domain.is_dormant(x, now, p.dormant_after_days)
    ]
    limit = min(len(dormant), p.max_outreach_per_job)
    created = 0
    for seeker, match in (
        top_seekers(ctx, job, now, limit, p.min_suggestion_score, dormant) if limit > 0 else []
    ):
        task, change = outreach_domain.outreach_task(seeker, job, score=match.score, now=now)
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
        rid = common.referral_id(seekers[i]["_id"], jobs[j]["_id"])
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
