"""Deliberation's scheduled jobs, run by its worker beside the outbox relay and the consumer:
closing the votes whose window passed, and refreshing the gauges.
"""

from __future__ import annotations

from datetime import datetime

from civic146.errors import ConcurrencyConflict
from civic146.outbox import Outbox
from civic146.worker import Job

from . import actions, domain, store
from . import metrics as m
from .events import PLATFORMS


def close_due_votes(outbox: Outbox, now: datetime) -> int:
    """Votes are open only during the consultation step, so only those topics are looked at."""
    acted = 0
    for doc in store.collection().find({"step": "consultation"}, {"outbox": 0}):
        if any(v["status"] == "open" and v["closes_at"] <= now for v in doc["votes"]):
            try:
                actions.settle_votes(outbox, doc, now)
                acted += 1
            except ConcurrencyConflict:
                pass  # the next run decides
    return acted


def refresh_gauges(now: datetime) -> int:
    counts: dict[tuple[str, str], int] = {}
    last_vote: dict[str, tuple[datetime, float]] = {}
    for doc in store.collection().find({}, {"step": 1, "platform": 1, "community": 1, "votes": 1}):
        counts[(doc["platform"], doc["step"])] = counts.get((doc["platform"], doc["step"]), 0) + 1
        for v in doc.get("votes", []):
            if v["status"] == "closed" and (
                doc["community"] not in last_vote or v["closed_at"] > last_vote[doc["community"]][0]
            ):
                last_vote[doc["community"]] = (v["closed_at"], v["turnout"])
    for platform in PLATFORMS:  # every pair, so a step that emptied shows 0
        for step in (*domain.STEPS, *domain.FINAL_STEPS):
            m.TOPICS_BY_STEP.labels(platform, step).set(counts.get((platform, step), 0))
    for community, (_, turnout) in last_vote.items():
        m.LAST_VOTE_TURNOUT.labels(community).set(turnout)
    return 0


def jobs(ctx) -> list[Job]:
    return [
        Job("close_due_votes", lambda t: close_due_votes(ctx.outbox, t)),
        Job("refresh_gauges", refresh_gauges),
    ]
