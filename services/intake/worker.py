"""Entry point of the intake worker: `python -m intake.worker`.

Runs the outbox sweep, the consumer of downstream progress events, and the scheduled jobs
(overdue detection, feedback follow-ups, indicator gauges).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from civic146.errors import ConcurrencyConflict
from civic146.outbox import Outbox
from civic146.worker import Job, WorkerSpec, serve

from . import domain, store
from . import metrics as intake_metrics
from .context import build as build_context
from .events import PUBLISHED
from .handlers import SUBSCRIPTIONS
from .settings import IntakeSettings


def apply_or_skip(outbox: Outbox, doc: dict, change) -> bool:
    """Apply a job's change; a document changed meanwhile is left to the next run."""
    try:
        store.apply(outbox, doc, change)
        return True
    except ConcurrencyConflict:
        return False


def flag_overdue(outbox: Outbox, now: datetime) -> int:
    docs = store.collection().find(
        {
            "$or": [
                {"status": "submitted", "response_due_at": {"$lte": now}, "response_overdue": {"$ne": True}},
                {
                    "status": {"$in": list(domain.OPEN_STATUSES)},
                    "resolution_due_at": {"$lte": now},
                    "resolution_overdue": {"$ne": True},
                },
            ]
        },
        {"outbox": 0},
    )
    acted = 0
    for doc in docs:
        change = domain.overdue_changes(doc, now)
        if change is None or not apply_or_skip(outbox, doc, change):
            continue
        for item in change.outbox:
            intake_metrics.OVERDUE.labels(doc["community"], item["event"]["data"]["deadline"]).inc()
        acted += 1
    return acted


def send_follow_ups(outbox: Outbox, now: datetime) -> int:
    docs = store.collection().find(
        {
            "status": "resolved",
            "rating": None,
            "follow_up_sent": {"$ne": True},
            "feedback_due_at": {"$lte": now},
        },
        {"outbox": 0},
    )
    acted = 0
    for doc in docs:
        change = domain.follow_up_change(doc, now)
        if change is not None and apply_or_skip(outbox, doc, change):
            intake_metrics.FOLLOW_UPS.labels(doc["community"]).inc()
            acted += 1
    return acted


def refresh_indicators(now: datetime) -> int:
    fields = [
        "community",
        "status",
        "channel",
        "category",
        "submitted_at",
        "responded_at",
        "response_due_at",
        "routed_at",
        "resolved_at",
        "rating",
        "response_overdue",
        "resolution_overdue",
    ]
    docs = list(
        store.collection().find(
            {"submitted_at": {"$gte": now - timedelta(days=30)}}, dict.fromkeys(fields, 1)
        )
    )
    by_community: dict[str, list[dict]] = {}
    for d in docs:
        by_community.setdefault(d["community"], []).append(d)
    for community, items in by_community.items():
        stats = domain.compute_statistics(items)
        for gauge, key in (
            (intake_metrics.RESPONSE_RATE, "response_rate"),
            (intake_metrics.RESOLUTION_RATE, "resolution_rate"),
            (intake_metrics.SATISFACTION_RATE, "satisfaction_rate"),
        ):
            if stats[key] is not None:
                gauge.labels(community).set(stats[key])
        open_overdue = sum(
            1
            for d in items
            if d["status"] in domain.OPEN_STATUSES
            and (d.get("response_overdue") or d.get("resolution_overdue"))
        )
        intake_metrics.OPEN_OVERDUE.labels(community).set(open_overdue)
    return 0


def jobs(ctx) -> list[Job]:
    return [
        Job("flag_overdue", lambda t: flag_overdue(ctx.outbox, t)),
        Job("send_follow_ups", lambda t: send_follow_ups(ctx.outbox, t)),
        Job("refresh_indicators", refresh_indicators, interval_seconds=60),
    ]


WORKER = WorkerSpec(
    settings_class=IntakeSettings,
    collections=lambda: [store.collection()],
    ensure_indexes=store.ensure_indexes,
    published=PUBLISHED,
    subscriptions=SUBSCRIPTIONS,
    context=build_context,
    jobs=jobs,
)


if __name__ == "__main__":
    serve(WORKER)
