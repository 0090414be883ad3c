"""Mediation's scheduled jobs, run by its worker beside the outbox relay and the consumer: overdue
detection (cases and agreement terms), the court-confirmation reminders, and the open-cases gauge
refreshed from the database (so it survives restarts)."""

from __future__ import annotations

from datetime import datetime

from civic146.worker import Job, act_on_each

from . import actions, domain, store
from . import metrics as m
from .context import Mediation


def flag_overdue(ctx: Mediation, now: datetime) -> int:
    return act_on_each(store.overdue(now), lambda doc: actions.flag_overdue(ctx, doc, now), "flag_overdue")


def flag_overdue_terms(ctx: Mediation, now: datetime) -> int:
    """Flag agreement terms past their due date (once each); returns how many terms were flagged."""
    flagged = 0

    def flag(doc: dict) -> bool:
        nonlocal flagged
        terms = actions.flag_overdue_terms(ctx, doc, now)
        flagged += terms
        return terms > 0

    act_on_each(store.agreements_in_force(), flag, "flag_overdue_terms")
    return flagged


def send_confirmation_reminders(ctx: Mediation, now: datetime) -> int:
    return act_on_each(
        store.confirmation_reminders_due(now),
        lambda doc: actions.send_confirmation_reminder(ctx, doc, now),
        "send_confirmation_reminders",
    )


def refresh_open_cases(now: datetime) -> int:
    counts: dict[str, int] = {}
    for d in store.statuses():
        counts.setdefault(d["community"], 0)
        counts[d["community"]] += d["status"] in domain.OPEN_STATUSES
    for community, n in counts.items():
        m.OPEN_CASES.labels(community).set(n)
    return 0


def jobs(ctx: Mediation) -> list[Job]:
    return [
        Job("flag_overdue", lambda now: flag_overdue(ctx, now)),
        Job("flag_overdue_terms", lambda now: flag_overdue_terms(ctx, now)),
        Job("send_confirmation_reminders", lambda now: send_confirmation_reminders(ctx, now)),
        Job("refresh_open_cases", refresh_open_cases, interval_seconds=30),
    ]
