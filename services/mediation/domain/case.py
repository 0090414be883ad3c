"""A mediation case as every decision sees it: its statuses and the moves between them (`CASE`), the
worker's and intake's actors, the `Policy`, case ids, the words for the resident, and the parts every
decision shares (facts, events, history, a status change, progress for intake, closing). Also the names
the case holds and how free text leaving the service is masked.

The helpers with a leading underscore are the domain package's own, shared by its modules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from civic146 import pii
from civic146.actor import Actor
from civic146.change import Change
from civic146.events import RequestProgressData, new_event
from civic146.lifecycle import Lifecycle

from .. import events as ev

OPEN_STATUSES = ("registered", "accepted", "mediating")
CLOSED_STATUSES = ("fulfilled", "breached", "failed", "refused", "escalated")


def _refusal(doing: str, doc: Case) -> str:
    closed = " (the case is closed)" if doc["status"] in CLOSED_STATUSES else ""
    return f"cannot {doing}: the case is {doc['status']}{closed}"


# action -> (statuses it may start from, status it leads to; None: the status stays). Every decision
# asks CASE.target first, so a move refused by the case's status is refused before any other check.
CASE = Lifecycle(
    "status",
    {
        "add_party": (frozenset({"registered"}), None),
        # The last party's consent accepts the case; the others' leave it registered.
        "consent": (frozenset({"registered"}), "accepted"),
        "refuse": (frozenset({"registered", "accepted"}), "refused"),
        "assign_mediator": (frozenset({"accepted", "mediating"}), "mediating"),
        "invite_participant": (frozenset({"accepted", "mediating"}), None),
        "hold_session": (frozenset({"mediating"}), None),
        "extend": (frozenset({"accepted", "mediating"}), None),
        "record_agreement": (frozenset({"mediating"}), "agreement_reached"),
        # The terms decide: a breach ends it as breached, the last fulfilled term as fulfilled.
        "record_fulfilment": (frozenset({"agreement_reached"}), None),
        "fail": (frozenset({"accepted", "mediating"}), "failed"),
        "escalate": (frozenset({"registered", "accepted", "mediating"}), "escalated"),
        # The confirmation concerns the agreement, which outlives the case's fulfilment.
        "apply_court_confirmation": (frozenset({"agreement_reached", "fulfilled", "breached"}), None),
    },
    _refusal,
)

# Words for the resident (intake shows them); built from codes only, so no personal data.
ROUTE_LABELS = {
    "arbitration": "仲裁 arbitration",
    "administrative": "行政处理 administrative handling",
    "court": "诉讼 court",
}
FAILURE_LABELS = {
    "party_withdrew": "当事人撤回 a party withdrew",
    "no_agreement": "未达成协议 no agreement reached",
    "party_unreachable": "无法联系当事人 a party could not be reached",
    "outside_scope": "不属于人民调解范围 outside the scope of people's mediation",
}
# Intake categories that route to mediation -> dispute type.
CATEGORY_CASE_TYPES = {"neighbour_dispute": "neighbours", "property_management": "property_management"}


class Case(TypedDict, total=False):
    """A stored case (collection `cases`) as `opening.open_case` makes it and the decisions change it."""

    _id: str
    version: int  # the outbox's commits
    outbox: list[dict]
    community: str
    compound: str | None
    case_type: str
    origin: str
    facts: str
    request_ids: list[str]  # the intake requests the case handles
    status: str  # CASE's states
    name_digests: list[str]  # names intake knows by digest
    parties: list[dict]  # opening.make_party: id, role, name, phone, ..., consent, consent_at
    party_user_ids: list[str]
    mediators: list[dict]
    mediator_user_ids: list[str]
    participants: list[dict]
    sessions: list[dict]
    extensions: list[dict]
    time_limit_days: int
    due_at: datetime | None
    overdue: bool
    agreement: dict | None  # terms, effective date, fulfilment, court confirmation
    outcome: str | None
    failure_reason: str | None
    advised_routes: list[str]
    escalation: dict | None
    opened_by: str
    opened_at: datetime
    accepted_at: datetime | None
    outcome_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    history: list[dict]  # action, from, to, at, actor_id, actor_role, reason?


SYSTEM = Actor("mediation-worker", "system")
INTAKE = Actor("intake", "system")  # who opens the cases intake routes to mediation


@dataclass(frozen=True)
class Policy:
    time_limit: timedelta = timedelta(days=30)  # from acceptance to an outcome
    confirmation_window: timedelta = timedelta(
        days=30
    )  # joint court confirmation after the agreement takes effect
    reminder_before: timedelta = timedelta(days=7)  # remind the parties this long before the window closes
    name_key: bytes = b""  # recognises names known by digest (pii.name_key of the JWT secret)


def new_case_id() -> str:
    return uuid.uuid4().hex


def case_id_for_request(request_id: str) -> str:
    """A routed intake request always maps to the same case: a replayed event cannot open two."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"civic146:intake-request:{request_id}").hex


def _facts(doc: Case, status: str, actor: Actor) -> dict:
    return {
        "case_id": doc["_id"],
        "community": doc["community"],
        "compound": doc.get("compound"),
        "case_type": doc["case_type"],
        "status": status,
        "actor_role": actor.role,
    }


def _event(event_type, doc: Case, data, at: datetime) -> dict:
    return new_event(event_type, ev.SOURCE, doc["_id"], doc["community"], data, at)


def _history(doc: Case, action: str, to: str, actor: Actor, now: datetime, reason: str | None = None) -> dict:
    entry = {
        "action": action,
        "from": doc["status"],
        "to": to,
        "at": now,
        "actor_id": actor.id,
        "actor_role": actor.role,
    }
    if reason:
        entry["reason"] = reason
    return entry


def _change(
    doc: Case,
    action: str,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    to: str | None = None,
) -> Change:
    """The common part of every status change: check the case may make the move (CASE), set the
    status it leads to (or `to`, where the case decides, as a fulfilment does) and record history."""
    declared = CASE.target(doc, action)  # checks the move in any case
    to = to or declared
    if to is None:  # a move that keeps the status records no status change
        raise ValueError(f"{action} does not change the status; it needs no status change")
    return Change(
        set={"status": to, "updated_at": now}, push={"history": _history(doc, action, to, actor, now, reason)}
    )


def known_names(doc: Case) -> list[str]:
    """The names mediation holds for the case: its parties and the participants invited."""
    return [p["name"] for p in doc.get("parties", [])] + [x["name"] for x in doc.get("participants", [])]


def redact(text: str | None, doc: Case, policy: Policy) -> str | None:
    """Free text leaving the service: phone and ID numbers masked, the names of the case's people
    masked, those it holds (known_names) and those intake sent by digest (the submitters of the
    linked requests)."""
    return pii.scrub_text(
        text, known_names(doc), pii.known_by_digest(policy.name_key, doc.get("name_digests", []))
    )


def name_digests(doc: Case, policy: Policy) -> list[str]:
    """Digests of every name the case knows, for deliberation when the case is escalated."""
    return sorted({*doc.get("name_digests", []), *pii.name_digests(policy.name_key, known_names(doc))})


def _progress(doc: Case, state: str, summary: str, now: datetime) -> list[tuple]:
    return [
        (
            ev.PROGRESS,
            _event(
                ev.PROGRESS,
                doc,
                RequestProgressData(
                    request_id=rid, state=state, handled_by="mediation", reference=doc["_id"], summary=summary
                ),
                now,
            ),
        )
        for rid in doc.get("request_ids", [])
    ]


def _record_all(change: Change, items: list[tuple]) -> None:
    for event_type, event in items:
        change.record(event_type, event)


def _routes_text(routes: list[str]) -> str:
    return "、".join(ROUTE_LABELS[r] for r in routes)


def _close(
    change: Change, doc: Case, outcome: str, now: datetime, actor: Actor, status: str, **extra
) -> None:
    change.set.update(closed_at=now)
    change.record(
        ev.CLOSED,
        _event(ev.CLOSED, doc, ev.Closed(**_facts(doc, status, actor), outcome=outcome, **extra), now),
    )
