"""Intake's scheduled jobs, run by its worker: overdue detection, feedback follow-ups, and the
indicator gauges refreshed from the database (so they survive restarts)."""

from __future__ import annotations

from datetime import datetime

from civic146.worker import Job, act_on_each

from . import actions, domain, store
from . import metrics as m
from .context import Intake


def flag_overdue(ctx: Intake, now: datetime) -> int:
    return act_on_each(store.overdue(now), lambda doc: actions.flag_overdue(ctx, doc, now), "flag_overdue")


def send_follow_ups(ctx: Intake, now: datetime) -> int:
    return act_on_each(
        store.follow_ups_due(now), lambda doc: actions.send_follow_up(ctx, doc, now), "send_follow_ups"
    )


def refresh_indicators(now: datetime) -> int:
    by_community: dict[str, list[dict]] = {}
    for doc in store.indicator_rows(now):
        by_community.setdefault(doc["community"], []).append(doc)
    for community, items in by_community.items():
        stats = domain.compute_statistics(items)
        for gauge, key in (
            (m.RESPONSE_RATE, "response_rate"),
            (m.RESOLUTION_RATE, "resolution_rate"),
            (m.SATISFACTION_RATE, "satisfaction_rate"),
        ):
            if stats[key] is not None:
                gauge.labels(community).set(stats[key])
        open_overdue = sum(
            1
            for d in items
            if d["status"] in domain.OPEN_STATUSES
            and (d.get("response_overdue") or d.get("resolution_overdue"))
        )
        m.OPEN_OVERDUE.labels(community).set(open_overdue)
    return 0


def jobs(ctx: Intake) -> list[Job]:
    return [
        Job("flag_overdue", lambda now: flag_overdue(ctx, now)),
        Job("send_follow_ups", lambda now: send_follow_ups(ctx, now)),
        Job("refresh_indicators", refresh_indicators, interval_seconds=60),
    ]
