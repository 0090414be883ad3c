"""Intake's use cases, called by the API, the consumer's handlers and the jobs alike: each decides
(domain) and commits the change with its events (store, through the outbox, which also counts the
domain metrics). Callers load and authorise; a conflict is retried where the caller is a machine
(handlers, jobs); the API reports it (409) and the client retries."""

from __future__ import annotations

import logging
from datetime import datetime

from civic146.auth import Actor
from civic146.consumer import PermanentError
from civic146.errors import InvalidInput, NotFound
from civic146.events import RequestProgressData, RequestReassignedData
from civic146.outbox import Change, retry_on_conflict

from . import domain, reference, store
from .context import Intake

log = logging.getLogger(__name__)


def submit(ctx: Intake, fields: dict, actor: Actor) -> dict:
    category = ctx.categories.get(fields["category"])
    if category is None:
        raise InvalidInput(
            "invalid reference data",
            [
                {
                    "field": "category",
                    "message": f"unknown category {fields['category']!r}; see /v1/categories",
                }
            ],
        )
    suggestions = reference.suggest(fields["description"], ctx.categories)
    fields = {**fields, "suggested_category": suggestions[0][0] if suggestions else None}
    doc, change = domain.submit(fields, category, actor, ctx.now())
    return store.insert(ctx.outbox, doc, change)


def accept(ctx: Intake, doc: dict, actor: Actor) -> dict:
    return store.apply(ctx.outbox, doc, domain.accept(doc, actor, ctx.now()))


def reject(ctx: Intake, doc: dict, actor: Actor, reason: str) -> dict:
    return store.apply(ctx.outbox, doc, domain.reject(doc, actor, ctx.now(), reason))


def mark_duplicate(ctx: Intake, doc: dict, actor: Actor, original_id: str) -> dict:
    try:
        original = store.get(original_id)
    except NotFound:
        raise InvalidInput(
            "unknown original request", [{"field": "duplicate_of", "message": "no such request"}]
        ) from None
    return store.apply(ctx.outbox, doc, domain.mark_duplicate(doc, original, actor, ctx.now()))


def route(
    ctx: Intake, doc: dict, actor: Actor, target: str | None, department: str | None, note: str | None
) -> dict:
    category = ctx.categories.get(doc["category"])
    if category is None and target is None:  # the operator removed it from the catalogue
        raise InvalidInput(
            f"category {doc['category']!r} is no longer in the catalogue: name the target",
            [{"field": "target", "message": "required for this request"}],
        )
    secret = ctx.settings.jwt_secret
    change = domain.route(
        doc,
        category=category,
        actor=actor,
        now=ctx.now(),
        target=target,
        department=department,
        note=note,
        submitter_ref=domain.submitter_ref(doc, secret),
        name_digests=domain.name_digests(doc, secret),
    )
    return store.apply(ctx.outbox, doc, change)


def start(
    ctx: Intake, doc: dict, actor: Actor, handled_by: str | None, reference_: str | None, summary: str | None
) -> dict:
    change = domain.start(
        doc, actor=actor, now=ctx.now(), handled_by=handled_by, reference=reference_, summary=summary
    )
    return store.apply(ctx.outbox, doc, change)


def resolve(ctx: Intake, doc: dict, actor: Actor, outcome: str, reference_: str | None) -> dict:
    change = domain.resolve(
        doc, actor=actor, now=ctx.now(), outcome=outcome, policy=ctx.policy, reference=reference_
    )
    return store.apply(ctx.outbox, doc, change)


def close(ctx: Intake, doc: dict, actor: Actor) -> dict:
    return store.apply(ctx.outbox, doc, domain.close(doc, actor, ctx.now()))


def rate(ctx: Intake, doc: dict, actor: Actor, satisfaction: int, comment: str | None) -> dict:
    return store.apply(
        ctx.outbox,
        doc,
        domain.rate(doc, actor=actor, now=ctx.now(), satisfaction=satisfaction, comment=comment),
    )


def reopen(ctx: Intake, doc: dict, actor: Actor, reason: str) -> dict:
    return store.apply(
        ctx.outbox, doc, domain.reopen(doc, actor=actor, now=ctx.now(), reason=reason, policy=ctx.policy)
    )


def apply_progress(ctx: Intake, event_id: str, data: RequestProgressData) -> None:
    """A downstream service reports on a request intake routed to it: the request moves to in
    progress or resolved. Idempotent on its own: the event id is stored in the same write."""
    actor, now = Actor(data.handled_by, "system"), ctx.now()

    def once() -> None:
        try:
            doc = store.get(data.request_id)
        except NotFound:
            raise PermanentError(f"unknown request {data.request_id}") from None
        if event_id in doc.get("applied_events", []):
            return
        if data.state == "in_progress" and doc["status"] in ("routed", "reopened"):
            change = domain.start(
                doc,
                actor=actor,
                now=now,
                handled_by=data.handled_by,
                reference=data.reference,
                summary=data.summary,
            )
        elif data.state == "resolved" and doc["status"] in ("routed", "in_progress", "reopened"):
            change = domain.resolve(
                doc,
                actor=actor,
                now=now,
                outcome=data.summary,
                policy=ctx.policy,
                handled_by=data.handled_by,
                reference=data.reference,
            )
        else:
            log.info(
                "progress does not change the request",
                extra={
                    "event_id": event_id,
                    "request_id": doc["_id"],
                    "status": doc["status"],
                    "state": data.state,
                },
            )
            change = Change()
        change.push["applied_events"] = event_id
        store.apply(ctx.outbox, doc, change)

    retry_on_conflict(once, f"request {data.request_id}")


def apply_reassignment(ctx: Intake, event_id: str, data: RequestReassignedData) -> None:
    """A downstream service moved a request to another of its aggregates: the request's reference
    and history follow. Idempotent on its own (the event id is stored in the same write); a stale
    move (a later one applied already) only marks the event applied."""
    actor, now = Actor(data.handled_by, "system"), ctx.now()

    def once() -> None:
        try:
            doc = store.get(data.request_id)
        except NotFound:
            raise PermanentError(f"unknown request {data.request_id}") from None
        if event_id in doc.get("applied_events", []):
            return
        change = domain.reassign(
            doc,
            actor=actor,
            now=now,
            handled_by=data.handled_by,
            reference=data.reference,
            previous_reference=data.previous_reference,
            summary=data.summary,
            reassigned_at=data.reassigned_at,
        )
        if change is None:
            log.info(
                "stale reassignment left out",
                extra={"event_id": event_id, "request_id": doc["_id"], "reference": doc.get("reference")},
            )
            change = Change()
        change.push["applied_events"] = event_id
        store.apply(ctx.outbox, doc, change)

    retry_on_conflict(once, f"request {data.request_id}")


def flag_overdue(ctx: Intake, doc: dict, now: datetime) -> bool:
    change = domain.overdue_changes(doc, now)
    if change is None:
        return False
    store.apply(ctx.outbox, doc, change)
    return True


def send_follow_up(ctx: Intake, doc: dict, now: datetime) -> bool:
    change = domain.follow_up_change(doc, now)
    if change is None:
        return False
    store.apply(ctx.outbox, doc, change)
    return True
