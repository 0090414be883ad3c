"""Employment's scheduled jobs, run by its worker beside the outbox relay and the consumer:
retention checks at 30/90/180 days, finishing placement bookkeeping a crash interrupted, expiring
jobs and consents, and the gauges.
"""

from __future__ import annotations

from datetime import datetime

from civic146.reference import communities
from civic146.worker import Job

from . import domain, store, workflows
from . import metrics as m
from .context import Employment


def fire_retention_checks(ctx: Employment, now: datetime) -> int:
    acted = 0
    for doc in store.find(
        "referrals", {"stage": {"$in": ["hired", "retained"]}, "next_check_at": {"$lte": now}}
    ):
        change = domain.retention_due(doc, now)
        if change is not None:
            store.apply(ctx.outbox, "referrals", doc, change)  # a conflict: the next run decides again
            acted += 1
    return acted


def finish_placements(ctx: Employment, now: datetime) -> int:
    """What a crash left of a hire or a departure: placements not yet confirmed or released after the
    referral's write, and reservations whose referral was never hired (after the grace period)."""
    docs = store.find("referrals", {"placement_synced": False})
    for doc in docs:
        workflows.sync_placement(ctx, doc, now)
    return len(docs) + workflows.release_expired_reservations(ctx, now)


def expire_jobs(ctx: Employment, now: datetime) -> int:
    docs = store.find("jobs", {"status": "open", "valid_until": {"$lte": now}})
    for doc in docs:
        store.apply(ctx.outbox, "jobs", doc, domain.close_job(doc, "expired", domain.SYSTEM, now))
    return len(docs)


def expire_consents(ctx: Employment, now: datetime) -> int:
    acted = 0
    for doc in store.find("seekers", {"status": {"$ne": "closed"}, "consent.expires_at": {"$lte": now}}):
        if (change := domain.consent_expired(doc, now)) is not None:
            store.apply(ctx.outbox, "seekers", doc, change)
            acted += 1
    return acted


def refresh_gauges(ctx: Employment, now: datetime) -> int:
    """Open positions and active seekers per community (every community of the register, zeros included)."""
    open_positions = dict.fromkeys(communities(ctx.settings.reference_dir), 0)
    active = dict(open_positions)
    for job in store.find("jobs", {"status": "open"}):
        open_positions[job["community"]] = open_positions.get(job["community"], 0) + max(
            0, job["openings"] - job.get("filled", 0)
        )
    for seeker in store.collection("seekers").find({"status": "active"}, {"community": 1}):
        active[seeker["community"]] = active.get(seeker["community"], 0) + 1
    for community, count in open_positions.items():
        m.OPEN_JOBS.labels(community).set(count)
    for community, count in active.items():
        m.ACTIVE_SEEKERS.labels(community).set(count)
    return 0


def jobs(ctx) -> list[Job]:
    return [
        Job("fire_retention_checks", lambda t: fire_retention_checks(ctx, t)),
        Job("finish_placements", lambda t: finish_placements(ctx, t)),
        Job("expire_jobs", lambda t: expire_jobs(ctx, t)),
        Job("expire_consents", lambda t: expire_consents(ctx, t)),
        Job("refresh_gauges", lambda t: refresh_gauges(ctx, t), interval_seconds=60),
    ]
