"""Mediators and participants: assigning a mediator of the community's roster without a conflict of
interest, and inviting other participants with every party's consent."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidInput, InvalidTransition

from .. import events as ev
from ..reference import Mediator
from .case import CASE, Case, _change, _event, _facts


class ConflictOfInterest(InvalidInput):
    code = "conflict_of_interest"


def conflicts(mediator: Mediator, parties: list[dict]) -> list[dict]:
    """Why the mediator may not mediate between these parties: being one of them, or being
    related to one, as declared in the roster (mediator's relations) or by the party."""
    found = []
    related_phones = {r.phone for r in mediator.relations if r.phone}
    related_users = {r.user_id for r in mediator.relations if r.user_id}
    for p in parties:
        if (p.get("user_id") and p["user_id"] == mediator.user_id) or (
            p.get("phone") and p["phone"] == mediator.phone
        ):
            found.append({"party_id": p["id"], "conflict": "is_party"})
        elif (
            (p.get("phone") and p["phone"] in related_phones)
            or (p.get("user_id") and p["user_id"] in related_users)
            or mediator.id in p.get("related_mediators", [])
        ):
            found.append({"party_id": p["id"], "conflict": "related"})
    return found


def assign_mediator(
    doc: Case, *, mediator: Mediator, chosen_by_parties: bool, actor: Actor, now: datetime
) -> Change:
    CASE.target(doc, "assign_mediator")
    if not mediator.serves(doc["community"]):
        raise InvalidInput(
            f"mediator {mediator.id} does not serve community {doc['community']}",
            [{"field": "mediator_id", "message": "not on the roster of this community"}],
        )
    if any(m["mediator_id"] == mediator.id for m in doc["mediators"]):
        raise InvalidTransition(f"mediator {mediator.id} is already assigned", {"mediator_id": mediator.id})
    if found := conflicts(mediator, doc["parties"]):
        raise ConflictOfInterest(
            f"mediator {mediator.id} has a conflict of interest",
            [
                {
                    "field": "mediator_id",
                    "message": f"{c['conflict'].replace('_', ' ')}: party {c['party_id']}",
                }
                for c in found
            ],
        )
    entry = {
        "mediator_id": mediator.id,
        "user_id": mediator.user_id,
        "kind": mediator.kind,
        "chosen_by_parties": chosen_by_parties,
        "assigned_at": now,
        "assigned_by": actor.id,
    }
    mediators = [*doc["mediators"], entry]
    change = _change(doc, "assign_mediator", actor, now)
    change.set.update(mediators=mediators, mediator_user_ids=sorted({m["user_id"] for m in mediators}))
    change.record(
        ev.MEDIATOR_ASSIGNED,
        _event(
            ev.MEDIATOR_ASSIGNED,
            doc,
            ev.MediatorAssigned(
                **_facts(doc, "mediating", actor),
                mediator_id=mediator.id,
                mediator_kind=mediator.kind,
                chosen_by_parties=chosen_by_parties,
            ),
            now,
        ),
    )
    return change


def invite_participant(
    doc: Case, *, name: str, capacity: str, consent_of: list[str], actor: Actor, now: datetime
) -> Change:
    """Other participants (relatives, a property company, a lawyer) join only with every party's consent."""
    CASE.target(doc, "invite_participant")
    missing = sorted({p["id"] for p in doc["parties"]} - set(consent_of))
    if missing:
        raise InvalidInput(
            "every party must consent to the invitation",
            [{"field": "consent_of", "message": f"no consent from {missing}"}],
        )
    participants = [
        *doc["participants"],
        {
            "name": name,
            "capacity": capacity,
            "consent_of": sorted(consent_of),
            "invited_at": now,
            "invited_by": actor.id,
        },
    ]
    change = Change(set={"participants": participants, "updated_at": now})
    change.record(
        ev.PARTICIPANT_INVITED,
        _event(
            ev.PARTICIPANT_INVITED,
            doc,
            ev.ParticipantInvited(**_facts(doc, doc["status"], actor), participants_count=len(participants)),
            now,
        ),
    )
    return change
