"""A seeker profile's use cases, called by the API, the handlers and the jobs alike: each decides
(seekers.domain) and commits the change with its events (seekers.store, through the outbox, which
also counts the domain metrics)."""

from __future__ import annotations

import logging
from datetime import datetime

from civic146.auth import Actor
from civic146.errors import ConcurrencyConflict
from civic146.events import Routed
from civic146.outbox import retry_on_conflict

from ..common import known_names
from ..context import Employment
from . import domain, store

log = logging.getLogger(__name__)


def draft_from_intake(ctx: Employment, data: Routed) -> bool:
    """A request routed to employment by intake becomes a draft profile, once (its id derives from
    the request's)."""
    doc, change = domain.seeker_draft_from_intake(data, ctx.now())
    return store.insert_once(ctx.outbox, doc, change)


def register(ctx: Employment, fields: dict, actor: Actor) -> dict:
    doc, change = domain.register_seeker(
        fields,
        actor=actor,
        now=ctx.now(),
        default_days=ctx.policy.consent_retention_days,
        pathways=ctx.pathways,
    )
    return store.insert(ctx.outbox, doc, change)


def complete(ctx: Employment, doc: dict, fields: dict, actor: Actor, caller_ref: str | None) -> dict:
    """A draft completed with consent; `caller_ref`: the resident's pseudonym (see domain.check_claim)."""
    change = domain.complete_seeker(
        doc,
        fields=fields,
        actor=actor,
        now=ctx.now(),
        default_days=ctx.policy.consent_retention_days,
        caller_ref=caller_ref,
        pathways=ctx.pathways,
    )
    return store.apply(ctx.outbox, doc, change)


def update_profile(ctx: Employment, doc: dict, profile: dict, actor: Actor) -> dict:
    return store.apply(
        ctx.outbox,
        doc,
        domain.update_profile(doc, profile=profile, actor=actor, now=ctx.now(), pathways=ctx.pathways),
    )


def record_contact(ctx: Employment, doc: dict, outcome: str, note: str | None, actor: Actor) -> dict:
    names = known_names(doc, None)
    return store.apply(
        ctx.outbox,
        doc,
        domain.record_contact(doc, outcome=outcome, note=note, actor=actor, now=ctx.now(), names=names),
    )


def record_step(ctx: Employment, doc: dict, kind: str, status: str, note: str | None, actor: Actor) -> dict:
    names = known_names(doc, None)
    return store.apply(
        ctx.outbox,
        doc,
        domain.record_step(doc, kind=kind, status=status, note=note, actor=actor, now=ctx.now(), names=names),
    )


def assign_caseworker(ctx: Employment, doc: dict, caseworker_id: str) -> dict:
    return store.apply(ctx.outbox, doc, domain.assign_caseworker(doc, caseworker_id, ctx.now()))


def withdraw_consent(ctx: Employment, doc: dict, actor: Actor) -> dict:
    return store.apply(ctx.outbox, doc, domain.close_seeker(doc, "consent_withdrawn", actor, ctx.now()))


def expire_consent(ctx: Employment, doc: dict, now: datetime) -> bool:
    """The consent's retention period is over: the profile is closed and its personal data erased."""
    if (change := domain.consent_expired(doc, now)) is None:
        return False
    store.apply(ctx.outbox, doc, change)
    return True


def record_activity(ctx: Employment, seeker_id: str, now: datetime) -> None:
    """Record that the seeker did something themselves (so they do not count as dormant). Best effort:
    the action itself is already committed, and a missed update only makes outreach more eager."""

    def once() -> None:
        seeker = store.get(seeker_id)
        if (change := domain.seeker_acted(seeker, now)) is not None:
            store.apply(ctx.outbox, seeker, change)

    try:
        retry_on_conflict(once, f"the seeker {seeker_id}", attempts=3)
    except ConcurrencyConflict:
        log.warning("seeker activity not recorded", extra={"seeker_id": seeker_id})
