"""Mediation's scheduled jobs, run by its worker beside the outbox relay and the consumer: overdue
detection (cases and agreement terms), the court-confirmation reminders, and the open-cases gauge.
"""

from __future__ import annotations

from datetime import datetime

from civic146.errors import ConcurrencyConflict
from civic146.outbox import Outbox
from civic146.worker import Job

from . import domain, store
from . import metrics as mediation_metrics


def _apply_each(outbox: Outbox, docs, decide) -> list[dict]:
    """Apply `decide(doc)` to each document; a conflict means someone acted meanwhile: the next run
    decides."""
    done = []
    for doc in docs:
        change = decide(doc)
        if change is None:
            continue
        try:
            store.apply(outbox, doc, change)
        except ConcurrencyConflict:
            continue
        done.append(doc)
    return done


def flag_overdue(outbox: Outbox, now: datetime) -> int:
    docs = store.collection().find(
        {"status": {"$in": ["accepted", "mediating"]}, "due_at": {"$lte": now}, "overdue": {"$ne": True}},
        {"outbox": 0},
    )
    done = _apply_each(outbox, docs, lambda d: domain.overdue_change(d, now))
    for doc in done:
        mediation_metrics.OVERDUE.labels(doc["community"]).inc()
    return len(done)


def flag_overdue_terms(outbox: Outbox, now: datetime) -> int:
    """Flag agreement terms past their due date (once each); returns how many were flagged."""
    docs = store.collection().find({"status": "agreement_reached"}, {"outbox": 0})
    flagged = 0
    for doc in _apply_each(outbox, docs, lambda d: domain.overdue_terms_change(d, now)):
        count = len(domain.overdue_terms(doc, now))  # `doc` as it was before the flags
        mediation_metrics.TERMS_OVERDUE.labels(doc["community"]).inc(count)
        flagged += count
    return flagged


def send_confirmation_reminders(outbox: Outbox, now: datetime) -> int:
    docs = store.collection().find(
        {"agreement.remind_at": {"$lte": now}, "agreement.reminder_sent": False}, {"outbox": 0}
    )
    return len(_apply_each(outbox, docs, lambda d: domain.confirmation_reminder(d, now)))


def refresh_open_cases(now: datetime) -> int:
    counts: dict[str, int] = {}
    for d in store.collection().find({}, {"community": 1, "status": 1}):
        counts.setdefault(d["community"], 0)
        counts[d["community"]] += d["status"] in domain.OPEN_STATUSES
    for community, n in counts.items():
        mediation_metrics.OPEN_CASES.labels(community).set(n)
    return 0


def jobs(ctx) -> list[Job]:
    return [
        Job("flag_overdue", lambda t: flag_overdue(ctx.outbox, t)),
        Job("flag_overdue_terms", lambda t: flag_overdue_terms(ctx.outbox, t)),
        Job("send_confirmation_reminders", lambda t: send_confirmation_reminders(ctx.outbox, t)),
        Job("refresh_open_cases", refresh_open_cases, interval_seconds=30),
    ]
