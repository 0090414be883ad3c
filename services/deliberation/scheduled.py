"""Deliberation's scheduled jobs, run by its worker beside the outbox relay and the consumer:
closing the votes whose window passed, and refreshing the gauges from the database.
"""

from __future__ import annotations

from datetime import datetime

from civic146.worker import Job, act_on_each

from . import actions, domain, store
from . import metrics as m
from .context import Deliberation
from .events import PLATFORMS


def close_due_votes(ctx: Deliberation, now: datetime) -> int:
    """Votes are open only during the consultation step, so only those topics are looked at."""
    return act_on_each(
        store.in_consultation(), lambda doc: actions.close_due_votes(ctx, doc, now), "close_due_votes"
    )


def refresh_gauges(now: datetime) -> int:
    counts: dict[tuple[str, str], int] = {}
    last_vote: dict[str, tuple[datetime, float]] = {}
    for doc in store.gauge_rows():
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


def jobs(ctx: Deliberation) -> list[Job]:
    return [
        Job("close_due_votes", lambda now: close_due_votes(ctx, now)),
        Job("refresh_gauges", refresh_gauges),
    ]
