"""The agreement and its court-confirmation window: recording the signed agreement and its terms, the
parties' joint application to a court within 30 days of the agreement taking effect, and the
reminder before that window closes."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidInput, InvalidTransition

from .. import events as ev
from .case import CASE, SYSTEM, Case, Policy, _change, _event, _facts


def record_agreement(
    doc: Case,
    *,
    terms: list[dict],
    signed_by: list[str],
    effective_at: datetime,
    actor: Actor,
    now: datetime,
    policy: Policy,
) -> Change:
    CASE.target(doc, "record_agreement")
    problems = []
    if not doc["sessions"]:
        raise InvalidTransition("an agreement follows at least one mediation session", {"sessions": 0})
    party_ids = {p["id"] for p in doc["parties"]}
    if unsigned := sorted(party_ids - set(signed_by)):
        problems.append({"field": "signed_by", "message": f"every party signs; missing {unsigned}"})
    if strangers := sorted(set(signed_by) - party_ids):
        problems.append({"field": "signed_by", "message": f"not parties of this case: {strangers}"})
    for i, term in enumerate(terms):
        if term["obligor"] not in party_ids:
            problems.append(
                {"field": f"terms.{i}.obligor", "message": f"not a party of this case: {term['obligor']!r}"}
            )
        if term["due_at"] < effective_at:
            problems.append({"field": f"terms.{i}.due_at", "message": "is before the agreement takes effect"})
    if effective_at < doc["opened_at"]:
        problems.append({"field": "effective_at", "message": "is before the case was opened"})
    if problems:
        raise InvalidInput("invalid agreement", problems)
    closes = effective_at + policy.confirmation_window
    agreement = {
        "terms": [
            {
                "number": i + 1,
                "description": t["description"],
                "obligor": t["obligor"],
                "due_at": t["due_at"],
                "result": None,
                "recorded_at": None,
            }
            for i, t in enumerate(terms)
        ],
        "signed_by": sorted(signed_by),
        "effective_at": effective_at,
        "recorded_at": now,
        "confirmation_window_closes_at": closes,
        "remind_at": closes - policy.reminder_before,
        "reminder_sent": False,
        "court_confirmation": None,
    }
    change = _change(doc, "record_agreement", actor, now)
    change.set.update(agreement=agreement, outcome="agreement", outcome_at=now)
    change.record(
        ev.AGREEMENT_REACHED,
        _event(
            ev.AGREEMENT_REACHED,
            doc,
            ev.AgreementReached(
                **_facts(doc, "agreement_reached", actor),
                terms_count=len(terms),
                effective_at=effective_at,
                confirmation_window_closes_at=closes,
            ),
            now,
        ),
    )
    return change


# --- the court-confirmation window -----------------------------------------------------------------


def apply_court_confirmation(
    doc: Case, *, applied_at: datetime, court: str, actor: Actor, now: datetime
) -> Change:
    CASE.target(doc, "apply_court_confirmation")
    agreement = doc["agreement"]
    if agreement.get("court_confirmation"):
        raise InvalidTransition("the parties already applied for court confirmation", {})
    if applied_at > now:
        raise InvalidInput(
            "the application date is in the future", [{"field": "applied_at", "message": "in the future"}]
        )
    if not agreement["effective_at"] <= applied_at <= agreement["confirmation_window_closes_at"]:
        raise InvalidTransition(
            "outside the 30-day window after the agreement took effect",
            {
                "effective_at": agreement["effective_at"].isoformat(),
                "window_closes_at": agreement["confirmation_window_closes_at"].isoformat(),
            },
        )
    change = Change(
        set={
            "agreement": {
                **agreement,
                "court_confirmation": {"applied_at": applied_at, "court": court, "recorded_by": actor.id},
            },
            "updated_at": now,
        }
    )
    change.record(
        ev.COURT_CONFIRMATION_APPLIED,
        _event(
            ev.COURT_CONFIRMATION_APPLIED,
            doc,
            ev.CourtConfirmationApplied(**_facts(doc, doc["status"], actor), applied_at=applied_at),
            now,
        ),
    )
    return change


def confirmation_reminder(doc: Case, now: datetime) -> Change | None:
    agreement = doc.get("agreement")
    if not agreement or agreement.get("reminder_sent") or agreement.get("court_confirmation"):
        return None
    if not agreement["remind_at"] <= now < agreement["confirmation_window_closes_at"]:
        return None
    change = Change(set={"agreement": {**agreement, "reminder_sent": True, "reminded_at": now}})
    change.record(
        ev.CONFIRMATION_WINDOW_CLOSING,
        _event(
            ev.CONFIRMATION_WINDOW_CLOSING,
            doc,
            ev.ConfirmationWindowClosing(
                **_facts(doc, doc["status"], SYSTEM),
                effective_at=agreement["effective_at"],
                closes_at=agreement["confirmation_window_closes_at"],
            ),
            now,
        ),
    )
    return change
