"""Mediation sessions and the time limit: a session recorded after it took place, an extension,
and the case flagged overdue once its time limit has passed."""

from __future__ import annotations

from datetime import datetime, timedelta

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidInput

from .. import events as ev
from .case import CASE, SYSTEM, Case, _event, _facts


def hold_session(
    doc: Case,
    *,
    held_at: datetime,
    location: str | None,
    attendees: list[str],
    notes: str,
    actor: Actor,
    now: datetime,
) -> Change:
    CASE.target(doc, "hold_session")
    known = (
        {p["id"] for p in doc["parties"]}
        | {m["mediator_id"] for m in doc["mediators"]}
        | {x["name"] for x in doc["participants"]}
    )
    if unknown := sorted(set(attendees) - known):
        raise InvalidInput(
            "unknown attendees",
            [{"field": "attendees", "message": f"not parties, mediators or invited participants: {unknown}"}],
        )
    if held_at > now:
        raise InvalidInput(
            "a session is recorded after it took place", [{"field": "held_at", "message": "is in the future"}]
        )
    number = len(doc["sessions"]) + 1
    session = {
        "number": number,
        "held_at": held_at,
        "location": location,
        "attendees": attendees,
        "notes": notes,
        "recorded_by": actor.id,
        "recorded_at": now,
    }
    change = Change(set={"sessions": [*doc["sessions"], session], "updated_at": now})
    change.record(
        ev.SESSION_HELD,
        _event(
            ev.SESSION_HELD,
            doc,
            ev.SessionHeld(
                **_facts(doc, doc["status"], actor),
                session_number=number,
                held_at=held_at,
                attendees_count=len(attendees),
            ),
            now,
        ),
    )
    return change


def extend(doc: Case, *, days: int, reason: str, actor: Actor, now: datetime) -> Change:
    CASE.target(doc, "extend")
    due = doc["due_at"] + timedelta(days=days)
    extension = {
        "days": days,
        "reason": reason,
        "at": now,
        "actor_id": actor.id,
        "previous_due_at": doc["due_at"],
    }
    change = Change(set={"due_at": due, "overdue": False, "updated_at": now}, push={"extensions": extension})
    change.record(
        ev.EXTENDED,
        _event(
            ev.EXTENDED, doc, ev.Extended(**_facts(doc, doc["status"], actor), days=days, due_at=due), now
        ),
    )
    return change


def overdue_change(doc: Case, now: datetime) -> Change | None:
    if doc["status"] not in ("accepted", "mediating") or doc.get("overdue") or not doc.get("due_at"):
        return None
    if doc["due_at"] > now:
        return None
    change = Change(set={"overdue": True})
    change.record(
        ev.OVERDUE,
        _event(ev.OVERDUE, doc, ev.Overdue(**_facts(doc, doc["status"], SYSTEM), due_at=doc["due_at"]), now),
    )
    return change
