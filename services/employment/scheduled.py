"""Employment's scheduled jobs, run by its worker beside the outbox relay and the consumer:
retention checks at 30/90/180 days, finishing placement bookkeeping a crash interrupted, expiring
jobs and consents, and the gauges. Each passes over the documents it finds (civic146.worker.
act_on_each) and calls the use case for each.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from civic146.reference import communities
from civic146.worker import Job, act_on_each

from . import hiring, pathways, statistics
from . import metrics as m
from .context import Employment
from .jobs import actions as job_actions
from .jobs import store as job_store
from .reference import TARGET_GROUPS
from .referrals import actions as referral_actions
from .referrals import store as referral_store
from .seekers import actions as seeker_actions
from .seekers import store as seeker_store
from .surveys import actions as survey_actions
from .surveys import store as survey_store

SURVEY_GRACE = timedelta(seconds=60)  # the API makes a survey's drafts in well under this


def fire_retention_checks(ctx: Employment, now: datetime) -> int:
    return act_on_each(
        referral_store.retention_checks_due(now),
        lambda doc: referral_actions.fire_retention_check(ctx, doc, now),
        "fire_retention_checks",
    )


def finish_placements(ctx: Employment, now: datetime) -> int:
    """What a crash left of a hire or a departure: placements not yet confirmed or released after the
    referral's write, and reservations whose referral was never hired (after the grace period)."""
    synced = act_on_each(
        referral_store.placements_unsynced(),
        lambda doc: hiring.sync_placement(ctx, doc, now),
        "finish_placements",
    )
    released = act_on_each(
        job_store.with_reservations(),
        lambda doc: hiring.settle_expired_reservations(ctx, doc, now, {"job_id": doc["_id"]}),
        "finish_placements",
    )
    released += act_on_each(
        seeker_store.with_reservations(),
        lambda doc: hiring.settle_expired_reservations(ctx, doc, now, {"seeker_id": doc["_id"]}),
        "finish_placements",
    )
    return synced + released


def expire_jobs(ctx: Employment, now: datetime) -> int:
    return act_on_each(job_store.expired(now), lambda doc: job_actions.expire(ctx, doc, now), "expire_jobs")


def expire_consents(ctx: Employment, now: datetime) -> int:
    return act_on_each(
        seeker_store.consents_due(now),
        lambda doc: seeker_actions.expire_consent(ctx, doc, now),
        "expire_consents",
    )


def follow_pathways(ctx: Employment, now: datetime) -> int:
    """Contact attempts of the support pathways past their grace: answered or missed, and a seeker
    who missed too many in a row is disengaged (an outreach task for staff)."""
    return act_on_each(
        seeker_store.pathways_due(now),
        lambda doc: pathways.follow_pathway(ctx, doc, now),
        "follow_pathways",
    )


def finish_surveys(ctx: Employment, now: datetime) -> int:
    """Needs surveys whose draft profiles a crash interrupted (the drafts are made once each)."""
    return act_on_each(
        survey_store.unfinished(now - SURVEY_GRACE),
        lambda doc: survey_actions.finish(ctx, doc, now),
        "finish_surveys",
    )


def refresh_gauges(ctx: Employment, now: datetime) -> int:
    """Open positions and active seekers per community (every community of the register, zeros included)."""
    open_positions = dict.fromkeys(communities(ctx.settings.reference_dir), 0)
    active = dict(open_positions)
    for job in job_store.open_jobs():
        open_positions[job["community"]] = open_positions.get(job["community"], 0) + max(
            0, job["openings"] - job.get("filled", 0)
        )
    for community in seeker_store.active_communities():
        active[community] = active.get(community, 0) + 1
    for community, count in open_positions.items():
        m.OPEN_JOBS.labels(community).set(count)
    for community, count in active.items():
        m.ACTIVE_SEEKERS.labels(community).set(count)
    return 0


def refresh_tracking(ctx: Employment, now: datetime) -> int:
    """The per-group tracking gauges, from the same computation as the statistics API (every public
    group, NaN where nothing is known yet)."""
    tracked = statistics.tracking(seeker_store.in_scope({}), referral_store.in_scope({}))["by_group"]
    nan = float("nan")
    for group in (*TARGET_GROUPS, "none"):
        t = tracked.get(group) or {}
        days, rate = t.get("median_days_to_placement"), t.get("drop_out_rate")
        m.GROUP_DAYS_TO_PLACEMENT.labels(group).set(nan if days is None else days)
        m.GROUP_DROP_OUT_RATE.labels(group).set(nan if rate is None else rate)
        for checkpoint in statistics.CHECKPOINT_DAYS:
            value = t.get(f"retention_rate_{checkpoint}")
            m.GROUP_RETENTION_RATE.labels(group, str(checkpoint)).set(nan if value is None else value)
    return 0


def jobs(ctx: Employment) -> list[Job]:
    return [
        Job("fire_retention_checks", lambda t: fire_retention_checks(ctx, t)),
        Job("finish_placements", lambda t: finish_placements(ctx, t)),
        Job("expire_jobs", lambda t: expire_jobs(ctx, t)),
        Job("expire_consents", lambda t: expire_consents(ctx, t)),
        Job("follow_pathways", lambda t: follow_pathways(ctx, t)),
        Job("finish_surveys", lambda t: finish_surveys(ctx, t)),
        Job("refresh_gauges", lambda t: refresh_gauges(ctx, t), interval_seconds=60),
        Job("refresh_tracking", lambda t: refresh_tracking(ctx, t), interval_seconds=30),
    ]
