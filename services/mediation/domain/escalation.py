"""Escalation: a community-wide cause goes to deliberation, which takes over the linked intake
requests."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.events import CaseEscalatedData

from .. import events as ev
from .case import Case, Policy, _change, _close, _event, name_digests, redact


def escalate(doc: Case, *, cause: str, summary: str, actor: Actor, now: datetime, policy: Policy) -> Change:
    """A community-wide cause (property fees, liability for storm damage) goes to deliberation,
    which takes over the linked intake requests and reports on them."""
    change = _change(doc, "escalate", actor, now, "community-wide cause")
    public_cause, public_summary = redact(cause, doc, policy), redact(summary, doc, policy)
    change.set.update(
        outcome="escalated",
        outcome_at=now,
        escalation={"cause": cause, "summary": summary, "at": now, "by": actor.id},
    )
    change.record(
        ev.ESCALATED,
        _event(
            ev.ESCALATED,
            doc,
            CaseEscalatedData(
                case_id=doc["_id"],
                community=doc["community"],
                compound=doc.get("compound"),
                case_type=doc["case_type"],
                cause=public_cause[:200],
                summary=public_summary[:2000],
                parties_count=max(1, len(doc["parties"])),
                request_ids=doc.get("request_ids", []),
                name_digests=name_digests(doc, policy),
            ),
            now,
        ),
    )
    _close(change, doc, "escalated", now, actor, "escalated")
    return change
