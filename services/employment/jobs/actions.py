"""A job posting's use cases, called by the API, the handlers and the jobs alike: each decides
(jobs.domain) and commits the change with its events (jobs.store, through the outbox, which also
counts the domain metrics)."""

from __future__ import annotations

from datetime import datetime

from civic146.auth import Actor
from civic146.events import Routed

from ..common import SYSTEM
from ..context import Employment
from . import domain, store


def draft_from_intake(ctx: Employment, data: Routed) -> bool:
    """A hiring request routed to employment by intake becomes a draft posting, once (its id derives
    from the request's)."""
    doc, change = domain.job_draft_from_intake(data, ctx.now())
    return store.insert_once(ctx.outbox, doc, change)


def post(ctx: Employment, fields: dict, actor: Actor, employer_id: str | None) -> dict:
    doc, change = domain.post_job(fields, actor, employer_id, ctx.now())
    return store.insert(ctx.outbox, doc, change)


def publish(ctx: Employment, doc: dict, fields: dict, actor: Actor) -> dict:
    """A draft from intake completed and opened by staff."""
    return store.apply(
        ctx.outbox,
        doc,
        domain.publish_draft(doc, fields=fields, actor=actor, employer_id=None, now=ctx.now()),
    )


def close(ctx: Employment, doc: dict, reason: str, actor: Actor) -> dict:
    return store.apply(ctx.outbox, doc, domain.close_job(doc, reason, actor, ctx.now()))


def expire(ctx: Employment, doc: dict, now: datetime) -> bool:
    """An open posting past its `valid_until` stops taking candidates."""
    store.apply(ctx.outbox, doc, domain.close_job(doc, "expired", SYSTEM, now))
    return True
