"""The intake domain: the request's status machine, deadlines, duplicates and statistics.

Pure functions, no I/O. A decision takes the current document (a `Request`) and returns a Change:
the fields to set, the history entry to append and the events to record. The store applies the
Change in one atomic write together with the events (outbox).
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from civic146 import pii, text
from civic146.actor import RESIDENT, Actor, pseudonym
from civic146.change import Change
from civic146.errors import Forbidden, InvalidInput, InvalidTransition
from civic146.events import MaskedPerson, Rated, Routed, new_event
from civic146.lifecycle import Lifecycle

from . import events as ev
from .reference import Category

# action -> (statuses it may start from, status it leads to)
REQUEST = Lifecycle(
    "status",
    {
        "accept": (frozenset({"submitted"}), "accepted"),
        "reject": (frozenset({"submitted", "accepted"}), "rejected"),
        "mark_duplicate": (frozenset({"submitted", "accepted"}), "duplicate"),
        "route": (frozenset({"accepted", "routed", "in_progress", "reopened"}), "routed"),
        "start": (frozenset({"routed", "reopened"}), "in_progress"),
        "resolve": (frozenset({"routed", "in_progress", "reopened"}), "resolved"),
        "close": (frozenset({"resolved"}), "closed"),
        "reopen": (frozenset({"resolved", "closed"}), "reopened"),
    },
    lambda doing, doc: f"cannot {doing} a request that is {doc['status']}",
)
OPEN_STATUSES = ("submitted", "accepted", "routed", "in_progress", "reopened")


@dataclass(frozen=True)
class Policy:
    reopen_window: timedelta = timedelta(days=7)
    follow_up_after: timedelta = timedelta(days=3)
    duplicate_window: timedelta = timedelta(days=30)


class Request(TypedDict, total=False):
    """A stored request (collection `requests`) as the decisions below and the store write it."""

    _id: str
    version: int  # the outbox's commits
    outbox: list[dict]
    # submitted (the payload, and what submit adds)
    community: str
    compound: str | None
    category: str
    description: str
    location: str | None
    channel: str
    submitter: dict  # name, phone, id_number
    attachments: list[str]
    suggested_category: str | None
    status: str  # REQUEST's states
    submitted_by: str
    submitted_at: datetime
    updated_at: datetime
    response_due_at: datetime
    resolution_due_at: datetime
    history: list[dict]  # from, to, at, actor_id, actor_role, reason?, reference?
    applied_events: list[str]  # ids of the events of other services already applied
    # handled
    responded_at: datetime
    rejection_reason: str
    duplicate_of: str
    route_target: str
    department: str | None
    routed_at: datetime
    handled_by: str | None
    reference: str | None
    reference_since: datetime
    outcome: str
    resolved_at: datetime | None
    closed_at: datetime | None
    feedback_due_at: datetime | None
    follow_up_sent: bool
    rating: dict | None  # satisfaction, comment, at
    ratings: list[dict]
    response_overdue: bool
    resolution_overdue: bool


def new_request_id() -> str:
    return uuid.uuid4().hex


def masked_submitter(doc: Request) -> MaskedPerson:
    s = doc["submitter"]
    return MaskedPerson(name=pii.mask_name(s["name"]), phone=pii.mask_phone(s.get("phone")))


def _facts(doc: Request, status: str, actor: Actor) -> dict:
    return {
        "request_id": doc["_id"],
        "community": doc["community"],
        "compound": doc.get("compound"),
        "category": doc["category"],
        "channel": doc["channel"],
        "status": status,
        "actor_role": actor.role,
    }


def scrub(doc: Request, text: str | None) -> str | None:
    """Free text as it may leave intake: no phone or ID numbers, no submitter's name."""
    return pii.scrub_text(text, known_names(doc))


def _event(event_type, doc: Request, data, at: datetime) -> dict:
    return new_event(event_type, ev.SOURCE, doc["_id"], doc["community"], data, at)


def submit(fields: dict, category: Category, actor: Actor, now: datetime) -> tuple[Request, Change]:
    """A new request document (without version/outbox) and the change carrying its event."""
    doc: Request = {
        "_id": new_request_id(),
        **fields,
        "status": "submitted",
        "submitted_by": actor.id,
        "submitted_at": now,
        "updated_at": now,
        "response_due_at": now + timedelta(hours=category.response_hours),
        "resolution_due_at": now + timedelta(days=category.resolution_days),
        "history": [
            {"from": None, "to": "submitted", "at": now, "actor_id": actor.id, "actor_role": actor.role}
        ],
        "applied_events": [],
    }
    change = Change()
    change.record(
        ev.SUBMITTED,
        _event(
            ev.SUBMITTED,
            doc,
            ev.Submitted(
                **_facts(doc, "submitted", actor),
                description=scrub(doc, doc["description"]),
                location=scrub(doc, doc.get("location")),
                attachment_count=len(doc.get("attachments", [])),
                submitter=masked_submitter(doc),
                response_due_at=doc["response_due_at"],
                resolution_due_at=doc["resolution_due_at"],
            ),
            now,
        ),
    )
    return doc, change


def transition(
    doc: Request, action: str, *, actor: Actor, now: datetime, reason: str | None = None
) -> Change:
    """The common part of every status change: check it is allowed, set status, record history."""
    to = REQUEST.target(doc, action)
    entry = {"from": doc["status"], "to": to, "at": now, "actor_id": actor.id, "actor_role": actor.role}
    if reason:
        entry["reason"] = reason
    return Change(set={"status": to, "updated_at": now}, push={"history": entry})


def accept(doc: Request, actor: Actor, now: datetime) -> Change:
    change = transition(doc, "accept", actor=actor, now=now)
    change.set["responded_at"] = now
    change.record(ev.ACCEPTED, _event(ev.ACCEPTED, doc, ev.Accepted(**_facts(doc, "accepted", actor)), now))
    return change


def reject(doc: Request, actor: Actor, now: datetime, reason: str) -> Change:
    change = transition(doc, "reject", actor=actor, now=now, reason=reason)
    change.set.update(rejection_reason=reason, **({} if doc.get("responded_at") else {"responded_at": now}))
    change.record(
        ev.REJECTED,
        _event(
            ev.REJECTED, doc, ev.Rejected(**_facts(doc, "rejected", actor), reason=scrub(doc, reason)), now
        ),
    )
    return change


def mark_duplicate(doc: Request, original: Request, actor: Actor, now: datetime) -> Change:
    if original["_id"] == doc["_id"]:
        raise InvalidInput(
            "a request cannot duplicate itself", [{"field": "duplicate_of", "message": "same request"}]
        )
    if original["community"] != doc["community"]:
        raise InvalidInput(
            "the original request belongs to another community",
            [{"field": "duplicate_of", "message": "different community"}],
        )
    if original["status"] in ("rejected", "duplicate"):
        raise InvalidInput(
            "the original request is itself rejected or a duplicate",
            [{"field": "duplicate_of", "message": f"original is {original['status']}"}],
        )
    change = transition(doc, "mark_duplicate", actor=actor, now=now, reason=f"duplicate of {original['_id']}")
    change.set.update(
        duplicate_of=original["_id"], **({} if doc.get("responded_at") else {"responded_at": now})
    )
    change.record(
        ev.MARKED_DUPLICATE,
        _event(
            ev.MARKED_DUPLICATE,
            doc,
            ev.MarkedDuplicate(**_facts(doc, "duplicate", actor), duplicate_of=original["_id"]),
            now,
        ),
    )
    return change


def submitter_ref(doc: Request, secret: str) -> str | None:
    """The submitter's pseudonym when a resident submitted the request themselves; a request
    staff entered for someone has no account behind it to recognise."""
    if doc["history"][0]["actor_role"] != RESIDENT:
        return None
    return pseudonym(secret, doc["submitted_by"])


def known_names(doc: Request) -> tuple[str, ...]:
    """The names intake knows for the request: the submitter's (the only person its forms name)."""
    return (doc["submitter"]["name"],)


def name_digests(doc: Request, secret: str) -> list[str]:
    """Digests of known_names(), for the services the request is routed to (pii.name_digests)."""
    return pii.name_digests(pii.name_key(secret), known_names(doc))


def route(
    doc: Request,
    *,
    category: Category | None,
    actor: Actor,
    now: datetime,
    target: str | None = None,
    department: str | None = None,
    note: str | None = None,
    submitter_ref: str | None = None,
    name_digests: list[str] | None = None,
) -> Change:
    """Route to `target`, or to the category's target (a category dropped from the catalogue
    has none: the caller then names the target). Records routed v4: the request's facts, its
    scrubbed text, the submitter's pseudonym (submitter_ref()) and the digests of the names intake
    knows for it (name_digests())."""
    target = target or category.route_to
    department = department or (category.department if category and target == "department" else None)
    if target == "department" and not department:
        raise InvalidInput(
            "routing to a department needs its name", [{"field": "department", "message": "required"}]
        )
    change = transition(doc, "route", actor=actor, now=now, reason=note)
    change.set.update(route_target=target, department=department if target == "department" else None)
    if not doc.get("routed_at"):
        change.set["routed_at"] = now
    routed = Routed(
        **_facts(doc, "routed", actor),
        target=target,
        department=change.set["department"],
        description=scrub(doc, doc["description"]),
        location=scrub(doc, doc.get("location")),
        submitter=masked_submitter(doc),
        note=scrub(doc, note),
        submitter_ref=submitter_ref,
        name_digests=name_digests or [],
    )
    change.record(ev.ROUTED, _event(ev.ROUTED, doc, routed, now))
    return change


def start(
    doc: Request,
    *,
    actor: Actor,
    now: datetime,
    handled_by: str,
    reference: str | None = None,
    summary: str | None = None,
) -> Change:
    change = transition(doc, "start", actor=actor, now=now)
    change.set.update(handled_by=handled_by, reference=reference)
    change.record(
        ev.IN_PROGRESS,
        _event(
            ev.IN_PROGRESS,
            doc,
            ev.InProgress(
                **_facts(doc, "in_progress", actor),
                handled_by=handled_by,
                reference=reference,
                summary=scrub(doc, summary),
            ),
            now,
        ),
    )
    return change


def reassign(
    doc: Request,
    *,
    actor: Actor,
    now: datetime,
    handled_by: str,
    reference: str,
    previous_reference: str,
    summary: str,
    reassigned_at: datetime,
) -> Change | None:
    """The handling service moved the request to another of its aggregates: the reference follows it
    and the history says so; the status stays. None when the news is stale: the request is handled
    elsewhere now, or a later move was applied already (moves of one request come from different
    aggregates, whose events have no order between them)."""
    if doc.get("handled_by") not in (None, handled_by):
        return None
    if doc.get("reference_since") is not None and reassigned_at <= doc["reference_since"]:
        return None
    said = scrub(doc, summary)
    change = Change(
        set={"reference": reference, "reference_since": reassigned_at, "updated_at": now},
        push={
            "history": {
                "from": doc["status"],
                "to": doc["status"],
                "at": now,
                "actor_id": actor.id,
                "actor_role": actor.role,
                "reason": said,
                "reference": reference,
            }
        },
    )
    if doc.get("handled_by") is None:
        change.set["handled_by"] = handled_by
    change.record(
        ev.REASSIGNED,
        _event(
            ev.REASSIGNED,
            doc,
            ev.Reassigned(
                **_facts(doc, doc["status"], actor),
                handled_by=handled_by,
                reference=reference,
                previous_reference=previous_reference,
                summary=said or "",
            ),
            now,
        ),
    )
    return change


def resolve(
    doc: Request,
    *,
    actor: Actor,
    now: datetime,
    outcome: str,
    policy: Policy,
    handled_by: str | None = None,
    reference: str | None = None,
) -> Change:
    change = transition(doc, "resolve", actor=actor, now=now)
    handled_by = handled_by or doc.get("handled_by") or doc.get("route_target") or "staff"
    change.set.update(
        outcome=outcome,
        resolved_at=now,
        handled_by=handled_by,
        reference=reference or doc.get("reference"),
        rating=None,
        follow_up_sent=False,
        feedback_due_at=now + policy.follow_up_after,
    )
    change.record(
        ev.RESOLVED,
        _event(
            ev.RESOLVED,
            doc,
            ev.Resolved(
                **_facts(doc, "resolved", actor),
                handled_by=handled_by,
                reference=change.set["reference"],
                outcome=scrub(doc, outcome),
            ),
            now,
        ),
    )
    return change


def close(doc: Request, actor: Actor, now: datetime) -> Change:
    change = transition(doc, "close", actor=actor, now=now)
    change.set["closed_at"] = now
    change.record(ev.CLOSED, _event(ev.CLOSED, doc, ev.Closed(**_facts(doc, "closed", actor)), now))
    return change


def reopen(doc: Request, *, actor: Actor, now: datetime, reason: str, policy: Policy) -> Change:
    _require_submitter(doc, actor)
    change = transition(doc, "reopen", actor=actor, now=now, reason=reason)
    if now - doc["resolved_at"] > policy.reopen_window:
        raise InvalidTransition(
            f"the reopening window of {policy.reopen_window.days} days has passed",
            {"resolved_at": doc["resolved_at"].isoformat()},
        )
    change.set.update(resolved_at=None, closed_at=None, rating=None, feedback_due_at=None)
    change.record(
        ev.REOPENED,
        _event(
            ev.REOPENED, doc, ev.Reopened(**_facts(doc, "reopened", actor), reason=scrub(doc, reason)), now
        ),
    )
    return change


def rate(doc: Request, *, actor: Actor, now: datetime, satisfaction: int, comment: str | None) -> Change:
    """Step 6 (feedback): the resident rates the handling once per resolution."""
    _require_submitter(doc, actor)
    if doc["status"] not in ("resolved", "closed"):
        raise InvalidTransition(
            f"only a resolved request can be rated; this one is {doc['status']}", {"status": doc["status"]}
        )
    if doc.get("rating"):
        raise InvalidTransition(
            "this resolution was already rated", {"rating": doc["rating"]["satisfaction"]}
        )
    rating = {"satisfaction": satisfaction, "comment": comment, "at": now}
    change = Change(set={"rating": rating, "updated_at": now}, push={"ratings": rating})
    change.record(
        ev.RATED,
        _event(
            ev.RATED,
            doc,
            Rated(
                **_facts(doc, doc["status"], actor), satisfaction=satisfaction, comment=scrub(doc, comment)
            ),
            now,
        ),
    )
    return change


def _require_submitter(doc: Request, actor: Actor) -> None:
    if actor.role == "resident" and doc.get("submitted_by") != actor.id:
        raise Forbidden("only the resident who submitted the request may do this")


SYSTEM = Actor("intake-worker", "system")


def overdue_changes(doc: Request, now: datetime) -> Change | None:
    """Flag a passed response or resolution deadline (each once) and record the event."""
    change = Change()
    if doc["status"] == "submitted" and not doc.get("response_overdue") and doc["response_due_at"] <= now:
        change.set["response_overdue"] = True
        change.record(
            ev.OVERDUE,
            _event(
                ev.OVERDUE,
                doc,
                ev.Overdue(
                    **_facts(doc, doc["status"], SYSTEM), deadline="response", due_at=doc["response_due_at"]
                ),
                now,
            ),
        )
    if (
        doc["status"] in OPEN_STATUSES
        and not doc.get("resolution_overdue")
        and doc["resolution_due_at"] <= now
    ):
        change.set["resolution_overdue"] = True
        change.record(
            ev.OVERDUE,
            _event(
                ev.OVERDUE,
                doc,
                ev.Overdue(
                    **_facts(doc, doc["status"], SYSTEM),
                    deadline="resolution",
                    due_at=doc["resolution_due_at"],
                ),
                now,
            ),
        )
    return change if change.outbox else None


def follow_up_change(doc: Request, now: datetime) -> Change | None:
    if doc["status"] != "resolved" or doc.get("rating") or doc.get("follow_up_sent"):
        return None
    if not doc.get("feedback_due_at") or doc["feedback_due_at"] > now:
        return None
    change = Change(set={"follow_up_sent": True})
    change.record(
        ev.FOLLOW_UP_DUE,
        _event(
            ev.FOLLOW_UP_DUE,
            doc,
            ev.FollowUpDue(**_facts(doc, doc["status"], SYSTEM), resolved_at=doc["resolved_at"]),
            now,
        ),
    )
    return change


# --- duplicates (character-bigram similarity from civic146.text) ---------------------------------


def rank_duplicates(doc: Request, candidates: list[Request]) -> list[tuple[Request, float]]:
    """Every candidate with its similarity, most similar first (the newest first among equals)."""
    scored = [
        (c, text.similarity(doc["description"], c["description"]))
        for c in candidates
        if c["_id"] != doc["_id"]
    ]
    return sorted(scored, key=lambda s: -s[1])


# --- statistics (the indicators 12345 hotlines are judged by) --------------------------------------


def _hours(a: datetime | None, b: datetime | None) -> float | None:
    return (b - a).total_seconds() / 3600 if a and b else None


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def statistics_by_community(docs: list[Request], communities: list[str]) -> dict[str, dict]:
    """The indicators of each of `communities` (in that order; one without requests has zeros),
    from one pass over the rows."""
    rows: dict[str, list[dict]] = {c: [] for c in communities}
    for d in docs:
        if d["community"] in rows:
            rows[d["community"]].append(d)
    return {c: compute_statistics(rows[c]) for c in communities}


def compute_statistics(docs: list[Request]) -> dict:
    """Indicators over the given requests.

    response rate: requests responded to (accepted, rejected or merged) within the response time
    limit, over all requests; resolution rate: resolved or closed over requests that were not
    rejected or duplicates; satisfaction rate: ratings of 4 or 5 over all ratings.
    """
    by: dict[str, dict[str, int]] = {"status": {}, "channel": {}, "category": {}}
    responded_in_time = valid = solved = rated = satisfied = overdue = 0
    to_route, to_resolve = [], []
    for d in docs:
        for key in by:
            by[key][d[key]] = by[key].get(d[key], 0) + 1
        if d.get("responded_at") and d["responded_at"] <= d["response_due_at"]:
            responded_in_time += 1
        if d["status"] not in ("rejected", "duplicate"):
            valid += 1
            if d.get("resolved_at") or d["status"] in ("resolved", "closed"):
                solved += 1
        if d.get("rating"):
            rated += 1
            satisfied += d["rating"]["satisfaction"] >= 4
        overdue += bool(d.get("response_overdue") or d.get("resolution_overdue"))
        if (h := _hours(d["submitted_at"], d.get("routed_at"))) is not None:
            to_route.append(h)
        if (h := _hours(d["submitted_at"], d.get("resolved_at"))) is not None:
            to_resolve.append(h)
    return {
        "total": len(docs),
        "by_status": by["status"],
        "by_channel": by["channel"],
        "by_category": by["category"],
        "response_rate": _rate(responded_in_time, len(docs)),
        "resolution_rate": _rate(solved, valid),
        "satisfaction_rate": _rate(satisfied, rated),
        "ratings": rated,
        "overdue": overdue,
        "median_hours_to_route": _median(to_route),
        "median_hours_to_resolve": _median(to_resolve),
    }
