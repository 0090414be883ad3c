"""The mediation domain: a case from registration to agreement, fulfilment and court confirmation.

Follows the People's Mediation Law (2010): mediation is voluntary (it goes ahead only when every
party agrees; a refusal ends it and the other routes are advised), a signed agreement binds the
parties and the committee follows its fulfilment, and the parties may jointly apply to a court
for confirmation within 30 days of the agreement taking effect.

Pure functions, no I/O. A decision takes the current case document (a dict) and returns a
Change: the fields to set, the history entry to append and the events to record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from civic146 import pii
from civic146.auth import Actor
from civic146.errors import InvalidInput, InvalidTransition
from civic146.events import CaseEscalatedData, RequestProgressData, new_event
from civic146.lifecycle import Lifecycle
from civic146.outbox import Change

from . import events as ev
from .reference import Mediator

OPEN_STATUSES = ("registered", "accepted", "mediating")
CLOSED_STATUSES = ("fulfilled", "breached", "failed", "refused", "escalated")


def _refusal(doing: str, doc: dict) -> str:
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


class ConflictOfInterest(InvalidInput):
    code = "conflict_of_interest"


def new_case_id() -> str:
    return uuid.uuid4().hex


def case_id_for_request(request_id: str) -> str:
    """A routed intake request always maps to the same case: a replayed event cannot open two."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"civic146:intake-request:{request_id}").hex


def _facts(doc: dict, status: str, actor: Actor) -> dict:
    return {
        "case_id": doc["_id"],
        "community": doc["community"],
        "compound": doc.get("compound"),
        "case_type": doc["case_type"],
        "status": status,
        "actor_role": actor.role,
    }


def _event(event_type, doc: dict, data, at: datetime) -> dict:
    return new_event(event_type, ev.SOURCE, doc["_id"], doc["community"], data, at)


def _history(doc: dict, action: str, to: str, actor: Actor, now: datetime, reason: str | None = None) -> dict:
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
    doc: dict,
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


def known_names(doc: dict) -> list[str]:
    """The names mediation holds for the case: its parties and the participants invited."""
    return [p["name"] for p in doc.get("parties", [])] + [x["name"] for x in doc.get("participants", [])]


def redact(text: str | None, doc: dict, policy: Policy) -> str | None:
    """Free text leaving the service: phone and ID numbers masked, the names of the case's people
    masked, those it holds (known_names) and those intake sent by digest (the submitters of the
    linked requests)."""
    return pii.scrub_text(
        text, known_names(doc), pii.known_by_digest(policy.name_key, doc.get("name_digests", []))
    )


def name_digests(doc: dict, policy: Policy) -> list[str]:
    """Digests of every name the case knows, for deliberation when the case is escalated."""
    return sorted({*doc.get("name_digests", []), *pii.name_digests(policy.name_key, known_names(doc))})


def _progress(doc: dict, state: str, summary: str, now: datetime) -> list[tuple]:
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


# --- opening and parties -------------------------------------------------------------------------


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
    fields: dict, actor: Actor, now: datetime, policy: Policy, case_id: str | None = None
) -> tuple[dict, Change]:
    """A new case document (without version/outbox) and the change carrying its event."""
    parties = [make_party(spec, i + 1) for i, spec in enumerate(fields.get("parties") or [])]
    doc = {
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


def add_party(doc: dict, spec: dict, actor: Actor, now: datetime) -> Change:
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


def find_party(doc: dict, party_id: str) -> dict:
    party = next((p for p in doc["parties"] if p["id"] == party_id), None)
    if party is None:
        raise InvalidInput(
            f"no party {party_id!r} in this case",
            [{"field": "party_id", "message": f"known parties: {[p['id'] for p in doc['parties']]}"}],
        )
    return party


def _with_consent(doc: dict, party_id: str, decision: str, now: datetime) -> list[dict]:
    return [
        {**p, "consent": decision, "consent_at": now} if p["id"] == party_id else p for p in doc["parties"]
    ]


def consent(doc: dict, party_id: str, actor: Actor, now: datetime, policy: Policy) -> Change:
    """Record that a party agrees to mediation; when every party agreed, the committee accepts."""
    CASE.target(doc, "consent")
    roles = {p["role"] for p in doc["parties"]}
    if roles != {"applicant", "respondent"}:
        raise InvalidTransition(
            "consent is collected once the case has an applicant and a respondent",
            {"party_roles": sorted(roles)},
        )
    party = find_party(doc, party_id)
    if party["consent"] == "given":
        raise InvalidTransition(f"party {party_id} has already agreed to mediation", {"party_id": party_id})
    parties = _with_consent(doc, party_id, "given", now)
    everyone = all(p["consent"] == "given" for p in parties)
    change = _change(doc, "consent", actor, now) if everyone else Change(set={"updated_at": now})
    change.set["parties"] = parties
    change.record(
        ev.CONSENT_RECORDED,
        _event(
            ev.CONSENT_RECORDED,
            doc,
            ev.ConsentRecorded(
                **_facts(doc, "accepted" if everyone else doc["status"], actor),
                party_id=party_id,
                party_role=party["role"],
                decision="given",
            ),
            now,
        ),
    )
    if everyone:
        due = now + policy.time_limit
        change.set.update(accepted_at=now, due_at=due)
        change.record(
            ev.ACCEPTED,
            _event(ev.ACCEPTED, doc, ev.Accepted(**_facts(doc, "accepted", actor), due_at=due), now),
        )
        _record_all(
            change,
            _progress(
                doc,
                "in_progress",
                "人民调解委员会已受理，各方当事人同意调解 / "
                "Accepted for mediation: every party agreed to mediate",
                now,
            ),
        )
    return change


def _close(
    change: Change, doc: dict, outcome: str, now: datetime, actor: Actor, status: str, **extra
) -> None:
    change.set.update(closed_at=now)
    change.record(
        ev.CLOSED,
        _event(ev.CLOSED, doc, ev.Closed(**_facts(doc, status, actor), outcome=outcome, **extra), now),
    )


def refuse(doc: dict, party_id: str, routes: list[str], actor: Actor, now: datetime) -> Change:
    """A party's explicit refusal ends the mediation; the other routes are recorded as advised."""
    CASE.target(doc, "refuse")
    party = find_party(doc, party_id)
    change = _change(doc, "refuse", actor, now, f"party {party_id} refused mediation")
    change.set.update(
        parties=_with_consent(doc, party_id, "refused", now),
        outcome="refused",
        outcome_at=now,
        advised_routes=routes,
    )
    change.record(
        ev.CONSENT_RECORDED,
        _event(
            ev.CONSENT_RECORDED,
            doc,
            ev.ConsentRecorded(
                **_facts(doc, "refused", actor),
                party_id=party_id,
                party_role=party["role"],
                decision="refused",
            ),
            now,
        ),
    )
    _close(change, doc, "refused", now, actor, "refused", advised_routes=routes)
    _record_all(
        change,
        _progress(
            doc,
            "resolved",
            "一方当事人拒绝调解，调解终止；建议途径："
            + _routes_text(routes)
            + " / A party declined mediation; advised routes: "
            + ", ".join(routes),
            now,
        ),
    )
    return change


# --- mediators and participants ----------------------------------------------------------------


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
    doc: dict, mediator: Mediator, chosen_by_parties: bool, actor: Actor, now: datetime
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
    doc: dict, name: str, capacity: str, consent_of: list[str], actor: Actor, now: datetime
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


# --- sessions and the time limit ---------------------------------------------------------------


def hold_session(
    doc: dict,
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


def extend(doc: dict, days: int, reason: str, actor: Actor, now: datetime) -> Change:
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


def overdue_change(doc: dict, now: datetime) -> Change | None:
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


def overdue_terms(doc: dict, now: datetime) -> list[int]:
    """Numbers of the agreement's terms whose due date passed with neither fulfilment nor breach
    recorded, not flagged yet."""
    agreement = doc.get("agreement")
    if doc["status"] != "agreement_reached" or not agreement:
        return []
    return [
        t["number"]
        for t in agreement["terms"]
        if t["result"] is None and not t.get("overdue") and t["due_at"] <= now
    ]


def overdue_terms_change(doc: dict, now: datetime) -> Change | None:
    """Flag each overdue term once, so the mediators follow it up. State only: no released event
    type describes a term (`case.overdue` is the case's time limit), so none is published."""
    numbers = overdue_terms(doc, now)
    if not numbers:
        return None
    terms = [
        {**t, "overdue": True, "overdue_at": now} if t["number"] in numbers else t
        for t in doc["agreement"]["terms"]
    ]
    return Change(set={"agreement": {**doc["agreement"], "terms": terms}})


# --- outcomes ------------------------------------------------------------------------------------


def record_agreement(
    doc: dict,
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


def record_fulfilment(doc: dict, term_number: int, result: str, actor: Actor, now: datetime) -> Change:
    """Follow-up of the agreement: a breached term ends it as breached (the court route is advised),
    the last fulfilled term ends it as fulfilled."""
    CASE.target(doc, "record_fulfilment")
    agreement = doc["agreement"]
    term = next((t for t in agreement["terms"] if t["number"] == term_number), None)
    if term is None:
        raise InvalidInput(
            f"no term {term_number}",
            [{"field": "term_number", "message": f"the agreement has {len(agreement['terms'])} terms"}],
        )
    if term["result"] is not None:
        raise InvalidTransition(
            f"term {term_number} is already recorded as {term['result']}", {"term": term_number}
        )
    terms = [
        {**t, "result": result, "recorded_at": now} if t["number"] == term_number else t
        for t in agreement["terms"]
    ]
    ends = "breached" if result == "breached" else ("fulfilled" if all(t["result"] for t in terms) else None)
    change = (
        _change(doc, "record_fulfilment", actor, now, to=ends) if ends else Change(set={"updated_at": now})
    )
    change.set["agreement"] = {**agreement, "terms": terms}
    change.record(
        ev.FULFILMENT_RECORDED,
        _event(
            ev.FULFILMENT_RECORDED,
            doc,
            ev.FulfilmentRecorded(
                **_facts(doc, ends or doc["status"], actor), term_number=term_number, result=result
            ),
            now,
        ),
    )
    if ends == "fulfilled":
        _close(change, doc, "agreement", now, actor, ends, result="fulfilled")
        _record_all(
            change,
            _progress(
                doc,
                "resolved",
                "调解达成协议并已履行完毕 / Mediation reached an agreement and it was fulfilled",
                now,
            ),
        )
    elif ends == "breached":
        change.set["advised_routes"] = ["court"]
        _close(change, doc, "agreement", now, actor, ends, result="breached", advised_routes=["court"])
        _record_all(
            change,
            _progress(
                doc,
                "resolved",
                "调解协议未履行；建议途径："
                + _routes_text(["court"])
                + " / The agreement was not fulfilled; advised route: court",
                now,
            ),
        )
    return change


def fail(doc: dict, reason: str, routes: list[str], actor: Actor, now: datetime) -> Change:
    change = _change(doc, "fail", actor, now, reason)
    change.set.update(outcome="failed", outcome_at=now, failure_reason=reason, advised_routes=routes)
    _close(change, doc, "failed", now, actor, "failed", failure_reason=reason, advised_routes=routes)
    _record_all(
        change,
        _progress(
            doc,
            "resolved",
            f"调解未成功（{FAILURE_LABELS[reason]}）；建议途径："
            + _routes_text(routes)
            + f" / Mediation failed ({reason.replace('_', ' ')}); "
            "advised routes: " + ", ".join(routes),
            now,
        ),
    )
    return change


def escalate(doc: dict, cause: str, summary: str, actor: Actor, now: datetime, policy: Policy) -> Change:
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


# --- the court-confirmation window -----------------------------------------------------------------


def apply_court_confirmation(
    doc: dict, applied_at: datetime, court: str, actor: Actor, now: datetime
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


def confirmation_reminder(doc: dict, now: datetime) -> Change | None:
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


# --- statistics ------------------------------------------------------------------------------------


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _days_from_opening(field: str) -> dict:
    """Days from the case's opening to the date in `field`, as an aggregation expression: dates
    subtract to milliseconds, and an unset date gives null, which $avg skips."""
    return {"$divide": [{"$subtract": [f"${field}", "$opened_at"]}, 86_400_000]}


AVERAGE_DAYS = {
    "average_days_to_close": {
        "$avg": {
            "$cond": [{"$in": ["$status", list(CLOSED_STATUSES)]}, _days_from_opening("closed_at"), None]
        }
    },
    "average_days_to_outcome": {"$avg": _days_from_opening("outcome_at")},
}


def average_days_pipeline(flt: dict) -> list[dict]:
    """The database's averages of days to close and to outcome over the cases matching `flt`: one
    document with `overall` (one row, none without cases) and `communities` (a row per community,
    `_id` the community), each row holding the AVERAGE_DAYS fields (null when nothing to average)."""
    return [
        {"$match": flt},
        {
            "$facet": {
                "overall": [{"$group": {"_id": None, **AVERAGE_DAYS}}],
                "communities": [{"$group": {"_id": "$community", **AVERAGE_DAYS}}],
            }
        },
    ]


def _rounded_days(averages: dict | None, key: str) -> float | None:
    value = (averages or {}).get(key)
    return round(value, 2) if value is not None else None


def compute_statistics(docs: list[dict], now: datetime, averages: dict | None) -> dict:
    """Indicators over the given cases (one community, or the whole sub-district). `averages`: their
    row of average_days_pipeline (the database computes the averages; None when there are none).

    success rate: agreements over mediations that concluded (agreement or failure; refusals and
    escalations never reached a mediated outcome); fulfilment rate: fulfilled over fulfilled plus
    breached agreements; confirmation take-up: agreements the parties took to court for
    confirmation, over agreements whose window has closed or that were taken; days to close:
    opening to the terminal status; days to outcome: opening to agreement, failure, refusal or
    escalation.
    """
    by_type: dict[str, dict[str, int]] = {}
    by_outcome: dict[str, int] = {}
    by_status: dict[str, int] = {}
    agreements = failed = fulfilled = breached = confirmed = confirmation_decided = overdue_open = 0
    for d in docs:
        outcome = d.get("outcome") or "open"
        row = by_type.setdefault(d["case_type"], {"total": 0})
        row["total"] += 1
        row[outcome] = row.get(outcome, 0) + 1
        by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
        by_status[d["status"]] = by_status.get(d["status"], 0) + 1
        agreements += outcome == "agreement"
        failed += outcome == "failed"
        fulfilled += d["status"] == "fulfilled"
        breached += d["status"] == "breached"
        if a := d.get("agreement"):
            if a.get("court_confirmation"):
                confirmed += 1
                confirmation_decided += 1
            elif a["confirmation_window_closes_at"] <= now:
                confirmation_decided += 1
        overdue_open += bool(d.get("overdue")) and d["status"] in OPEN_STATUSES
    return {
        "total": len(docs),
        "by_type": by_type,
        "by_outcome": by_outcome,
        "by_status": by_status,
        "success_rate": _rate(agreements, agreements + failed),
        "fulfilment_rate": _rate(fulfilled, fulfilled + breached),
        "confirmation_take_up": _rate(confirmed, confirmation_decided),
        "overdue_open": overdue_open,
        "average_days_to_close": _rounded_days(averages, "average_days_to_close"),
        "average_days_to_outcome": _rounded_days(averages, "average_days_to_outcome"),
    }
