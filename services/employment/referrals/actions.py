"""A referral's use cases, called by the API and the jobs alike: each decides (referrals.domain) and
commits the change with its events (referrals.store, through the outbox, which also counts the
domain metrics). Suggestions and hires, which span a referral's seeker and job, are in
employment.suggestions and employment.hiring."""

from __future__ import annotations

from datetime import datetime

from civic146.auth import Actor
from civic146.errors import InvalidInput, InvalidTransition

from .. import hiring, matching, ranking
from ..common import known_names, referral_id
from ..context import Employment
from ..jobs import store as job_store
from ..seekers import actions as seeker_actions
from ..seekers import store as seeker_store
from . import domain, store


def refer(ctx: Employment, seeker: dict, job: dict, actor: Actor, by_seeker: bool) -> dict:
    """Refer a seeker to a job (staff, or the resident applying, `by_seeker`): a suggested referral
    moves on to `referred`, otherwise a new one is made at `referred`, scored and explained."""
    if seeker["status"] not in ("active", "placed"):
        raise InvalidInput(
            "the profile is not complete", [{"field": "seeker_id", "message": f"status {seeker['status']}"}]
        )
    if job["status"] != "open":  # a draft has no hours or pay to score yet; a closed job takes nobody
        raise InvalidTransition(
            f"the job is {job['status']}; only an open job takes referrals",
            {"field": "job_id", "status": job["status"]},
        )
    now = ctx.now()
    existing = store.find_one(referral_id(seeker["_id"], job["_id"]))
    if existing is not None:
        doc = store.apply(ctx.outbox, existing, domain.transition(existing, "refer", actor=actor, now=now))
    else:
        try:
            seeker_f = ranking.seeker_features(seeker, ctx.vocab)
        except matching.Unscorable as exc:
            raise ranking.unscorable(exc, "seeker_id", "profile") from None
        try:
            job_f = matching.job_features(job, ctx.vocab, now)
        except matching.Unscorable as exc:
            raise ranking.unscorable(exc, "job_id", "posting") from None
        match = matching.explain(seeker_f, job_f, ctx.vocab)
        doc, change = domain.new_referral(
            seeker, job, match=match, trigger="staff", actor=actor, now=now, stage="referred"
        )
        doc = store.insert(ctx.outbox, doc, change)
    if by_seeker:
        seeker_actions.record_activity(ctx, seeker["_id"], now)
    return doc


def move(ctx: Employment, doc: dict, action: str, actor: Actor, by_seeker: bool) -> dict:
    """Take the referral forward (refer, interview, offer): only while its job is open."""
    domain.check_job_open(job_store.get(doc["job_id"]), action)
    now = ctx.now()
    doc = store.apply(ctx.outbox, doc, domain.transition(doc, action, actor=actor, now=now))
    if by_seeker:
        seeker_actions.record_activity(ctx, doc["seeker_id"], now)
    return doc


def decline(ctx: Employment, doc: dict, seeker: dict, actor: Actor, reason: str, declined_by: str) -> dict:
    """Declined by the seeker, the employer or staff, whatever the job's status; the reason is
    written without the names of the seeker and the job's contact."""
    now = ctx.now()
    names = known_names(seeker, job_store.get(doc["job_id"]))
    change = domain.transition(
        doc, "decline", actor=actor, now=now, reason=reason, declined_by=declined_by, names=names
    )
    doc = store.apply(ctx.outbox, doc, change)
    if declined_by == "seeker":
        seeker_actions.record_activity(ctx, seeker["_id"], now)
    return doc


def record_retention(
    ctx: Employment, doc: dict, checkpoint: int, outcome: str, reason: str | None, actor: Actor
) -> dict:
    """The outcome of a due retention check; a person who left gives up the placement."""
    now = ctx.now()
    names = known_names(seeker_store.get(doc["seeker_id"]), job_store.get(doc["job_id"]))
    change = domain.record_retention(
        doc, checkpoint=checkpoint, outcome=outcome, reason=reason, actor=actor, now=now, names=names
    )
    doc = store.apply(ctx.outbox, doc, change)
    if outcome == "left":
        hiring.sync_placement_now(ctx, doc, now)
    return doc


def fire_retention_check(ctx: Employment, doc: dict, now: datetime) -> bool:
    """The next scheduled retention check is due: staff are asked to record it."""
    if (change := domain.retention_due(doc, now)) is None:
        return False
    store.apply(ctx.outbox, doc, change)
    return True
