"""Opening a case (from a registration or a routed intake request) and adding its parties."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidInput

from .. import events as ev
from .case import CASE, Case, Policy, _event, _facts, new_case_id


def make_party(spec: dict, number: int) -> dict:
    return {
        "id": f"p{number}",
        "role": spec["role"],
        "name": spec["name"],
        "phone": spec.get("phone"),
        "id_number": spec.get("id_number"),
        "user_id": spec.get("user_id"),
        "related_mediators": list(spec.get("related_mediators") or []),
        "consent": None,
        "consent_at": None,
    }


def _user_ids(parties: list[dict]) -> list[str]:
    return sorted({p["user_id"] for p in parties if p.get("user_id")})


def open_case(
    fields: dict, *, actor: Actor, now: datetime, policy: Policy, case_id: str | None = None
) -> tuple[Case, Change]:
    """A new case document (without version/outbox) and the change carrying its event."""
    parties = [make_party(spec, i + 1) for i, spec in enumerate(fields.get("parties") or [])]
    doc: Case = {
        "_id": case_id or new_case_id(),
        "community": fields["community"],
        "compound": fields.get("compound"),
        "case_type": fields["case_type"],
        "origin": fields["origin"],
        "facts": fields["facts"],
        "request_ids": list(fields.get("request_ids") or []),
        "status": "registered",
        "name_digests": list(fields.get("name_digests") or []),
        "parties": parties,
        "party_user_ids": _user_ids(parties),
        "mediators": [],
        "mediator_user_ids": [],
        "participants": [],
        "sessions": [],
        "extensions": [],
        "time_limit_days": policy.time_limit.days,
        "due_at": None,
        "overdue": False,
        "agreement": None,
        "outcome": None,
        "failure_reason": None,
        "advised_routes": [],
        "escalation": None,
        "opened_by": actor.id,
        "opened_at": now,
        "accepted_at": None,
        "outcome_at": None,
        "closed_at": None,
        "updated_at": now,
        "history": [
            {
                "action": "open",
                "from": None,
                "to": "registered",
                "at": now,
                "actor_id": actor.id,
                "actor_role": actor.role,
            }
        ],
    }
    change = Change()
    change.record(
        ev.OPENED,
        _event(
            ev.OPENED,
            doc,
            ev.Opened(
                **_facts(doc, "registered", actor),
                origin=doc["origin"],
                request_ids=doc["request_ids"],
                parties_count=len(parties),
            ),
            now,
        ),
    )
    return doc, change


def add_party(doc: Case, spec: dict, actor: Actor, now: datetime) -> Change:
    CASE.target(doc, "add_party")
    party = make_party(spec, len(doc["parties"]) + 1)
    parties = [*doc["parties"], party]
    change = Change(set={"parties": parties, "party_user_ids": _user_ids(parties), "updated_at": now})
    change.record(
        ev.PARTY_ADDED,
        _event(
            ev.PARTY_ADDED,
            doc,
            ev.PartyAdded(
                **_facts(doc, doc["status"], actor),
                party_id=party["id"],
                party_role=party["role"],
                parties_count=len(parties),
            ),
            now,
        ),
    )
    return change


def find_party(doc: Case, party_id: str) -> dict:
    party = next((p for p in doc["parties"] if p["id"] == party_id), None)
    if party is None:
        raise InvalidInput(
            f"no party {party_id!r} in this case",
            [{"field": "party_id", "message": f"known parties: {[p['id'] for p in doc['parties']]}"}],
        )
    return party
