"""Use cases of step 1: a topic raised, edited, and the requests linked to it moved between
topics (attached, detached)."""

from __future__ import annotations

from civic146.auth import Actor
from civic146.errors import InvalidInput, NotFound

from .. import domain, store
from ..context import Deliberation
from .decide import _decide


def create_topic(ctx: Deliberation, fields: dict, origin: str, actor: Actor) -> dict:
    """`raised_at`: when the matter was raised, if before it is recorded (at a talk, on paper)."""
    now, fields = ctx.now(), dict(fields)
    raised = domain.happened(fields.pop("raised_at", None), "raised_at", now=now, policy=ctx.policy)
    doc, change = domain.new_topic(
        fields, origin=origin, actor=actor, now=now, policy=ctx.policy, raised_at=raised
    )
    return store.insert(ctx.outbox, doc, change)


def update(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    return _decide(
        ctx, doc, lambda d, now: domain.update(d, fields=fields, actor=actor, now=now, policy=ctx.policy)
    )


def attach_request(ctx: Deliberation, doc: dict, actor: Actor, request_id: str) -> dict:
    """Staff attach a request to this topic, moving it from the one it is on."""
    return _move_request(ctx, request_id, doc, actor)


def detach_request(ctx: Deliberation, doc: dict, actor: Actor, request_id: str) -> dict:
    """Staff give a request of this topic a topic of its own (returned)."""
    if request_id not in doc["request_ids"]:
        raise NotFound(f"request {request_id} does not belong to this topic")
    return _move_request(ctx, request_id, None, actor)


def _move_request(ctx: Deliberation, request_id: str, target: dict | None, actor: Actor) -> dict:
    """Attach a request to `target` (or, with None, detach it into a topic of its own).
    The new home is written first: a crash in between leaves the request on two topics (visible,
    fixable), never on none. A request stays in its own community: the caller is checked against
    the target's community only, so a move from another community is refused outright."""
    now = ctx.now()
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
        domain.detach_request(
            s, request_id, actor=actor, now=now, moved_to=None
        )  # validate before writing anything
    moved = {**entry, "via": "staff", "attached_at": now}
    if target is None:
        doc, change = domain.new_topic(
            {
                "title": domain.title_from(entry.get("description") or source["title"]),
                "description": entry.get("description") or source["description"],
                "community": source["community"],
                "compound": entry.get("compound"),
                "category": entry.get("category"),
            },
            origin="community_staff",
            actor=actor,
            now=now,
            policy=ctx.policy,
            origin_ref=request_id,
            requests=[moved],
        )
        home = store.insert(ctx.outbox, doc, change)
    else:
        home = _decide(
            ctx, target, lambda d, at: domain.attach_request(d, entry=moved, actor=actor, now=at), now
        )
    for s in sources:
        _decide(
            ctx,
            s,
            lambda d, at: domain.detach_request(
                d, request_id, actor=actor, now=at, moved_to=home["_id"], moved_to_title=home["title"]
            ),
            now,
        )
    return home
