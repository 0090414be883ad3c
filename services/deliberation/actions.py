"""Use cases shared by the API, the consumer and the worker: each loads, decides (domain), writes
(store, with the outbox) and counts (metrics). Conflicts are retried where the caller is a
machine (consumer, worker); the API reports them (409) and the client retries."""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from civic146.errors import ConcurrencyConflict, InvalidInput, NotFound
from civic146.outbox import Change, Outbox, retry_on_conflict

from . import domain, store
from . import metrics as m


def commit(outbox: Outbox, doc: dict, change: Change) -> dict:
    updated = store.apply(outbox, doc, change)
    m.count_committed(doc, change)
    return updated


def create(outbox: Outbox, doc: dict, change: Change) -> dict:
    created = store.insert(outbox, doc, change)
    m.count_committed({}, change)
    return created


def settle_votes(outbox: Outbox, doc: dict, now: datetime) -> dict:
    """Close the votes whose window has passed (result computed at the window's end). Returns the
    document as it now is; if someone else changed it meanwhile, the fresh copy (they settled it)."""
    current = doc

    def once() -> dict:
        nonlocal current
        change = domain.close_due_votes(current, now)
        if change is None:
            return current
        try:
            return commit(outbox, current, change)
        except ConcurrencyConflict:
            current = store.get(current["_id"])
            raise

    return retry_on_conflict(once, f"topic {doc['_id']}")


def take_up_request(
    outbox: Outbox, policy: domain.Policy, request: dict, via_event: str, now: datetime
) -> dict:
    """A request routed to deliberation joins the open topic about the same matter, or becomes a
    new topic candidate (step 1). Idempotent: a request already on a topic changes nothing (a
    request never leaves every topic: a detach moves it), and a topic made from this event has an
    id derived from it. The consumer drops repeated events before they get here, so no separate
    "event applied?" lookup (a collection scan on the test server, a third of the handler's time)."""

    def once() -> dict:
        if store.holding(request["request_id"]):
            return {}
        found = domain.matching_topic(
            request,
            store.open_candidates(
                request["community"], request.get("compound"), request.get("category"), domain.OPEN_STEPS
            ),
            policy.attach_similarity,
        )
        if found is not None:
            entry = domain.request_entry(
                request["request_id"],
                request.get("compound"),
                request.get("category"),
                request["description"],
                "similarity",
                now,
                request.get("submitter_ref"),
                request.get("name_digests"),
            )
            return commit(
                outbox, found[0], domain.attach_request(found[0], entry, domain.SYSTEM, now, via_event)
            )
        entry = domain.request_entry(
            request["request_id"],
            request.get("compound"),
            request.get("category"),
            request["description"],
            "new_topic",
            now,
            request.get("submitter_ref"),
            request.get("name_digests"),
        )
        doc, change = domain.new_topic(
            {
                "title": domain.title_from(request["description"]),
                "description": request["description"],
                "community": request["community"],
                "compound": request.get("compound"),
                "category": request.get("category"),
            },
            "intake_request",
            domain.SYSTEM,
            now,
            policy,
            topic_id=domain.derived_id(via_event),
            origin_ref=request["request_id"],
            requests=[entry],
        )
        doc["applied_events"] = [via_event]
        try:
            return create(outbox, doc, change)
        except DuplicateKeyError:
            return {}  # the same event created it before

    return retry_on_conflict(once, f"the topic for request {request['request_id']}")


def move_request(
    outbox: Outbox,
    request_id: str,
    target: dict | None,
    actor: domain.Actor,
    now: datetime,
    policy: domain.Policy,
) -> dict:
    """Staff attach a request to `target` (or, with None, detach it into a topic of its own).
    The new home is written first: a crash in between leaves the request on two topics (visible,
    fixable), never on none. A request stays in its own community: the caller is checked against
    the target's community only, so a move from another community is refused outright."""
    sources = [t for t in store.holding(request_id) if target is None or t["_id"] != target["_id"]]
    if not sources:
        raise NotFound(
            f"request {request_id} is not on any other topic; deliberation knows only requests routed to it"
        )
    if target is not None and any(s["community"] != target["community"] for s in sources):
        raise InvalidInput(
            "a request joins topics of its own community only",
            [{"field": "request_id", "message": f"request {request_id} belongs to another community"}],
        )
    source = sources[0]
    entry = next(r for r in source["requests"] if r["request_id"] == request_id)
    for s in sources:
        domain.detach_request(s, request_id, actor, now, None)  # validate before writing anything
    if target is None:
        doc, change = domain.new_topic(
            {
                "title": domain.title_from(entry.get("description") or source["title"]),
                "description": entry.get("description") or source["description"],
                "community": source["community"],
                "compound": entry.get("compound"),
                "category": entry.get("category"),
            },
            "community_staff",
            actor,
            now,
            policy,
            origin_ref=request_id,
            requests=[{**entry, "via": "staff", "attached_at": now}],
        )
        home = create(outbox, doc, change)
    else:
        home = commit(
            outbox,
            target,
            domain.attach_request(target, {**entry, "via": "staff", "attached_at": now}, actor, now),
        )
    for s in sources:
        commit(outbox, s, domain.detach_request(s, request_id, actor, now, home["_id"]))
    return home
