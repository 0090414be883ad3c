"""Mediation's use cases, called by the API, the consumer's handler and the jobs alike: each decides
(domain) and commits the change with its events (store, through the outbox, which also counts the
domain metrics). Callers load and authorise. The API reports a conflict (409) and the client
retries; the handler only inserts (a replay meets the derived case id, not a conflict); a job leaves
a case changed meanwhile to its next run (civic146.worker.act_on_each)."""

from __future__ import annotations

import logging
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from civic146.auth import Actor
from civic146.reference import communities

from . import domain, store
from .context import Mediation
from .events import RoutedRequest

log = logging.getLogger(__name__)


# --- opening and parties -------------------------------------------------------------------------


def open_case(ctx: Mediation, fields: dict, actor: Actor) -> dict:
    doc, change = domain.open_case(fields, actor=actor, now=ctx.now(), policy=ctx.policy)
    return store.insert(ctx.outbox, doc, change)


def open_from_request(ctx: Mediation, event_id: str, data: RoutedRequest) -> dict | None:
    """A request intake routed to mediation opens a case in its first state (origin
    `intake_request`); the case id is derived from the request id, so a replayed or re-delivered
    event opens nothing (None)."""
    known = communities(ctx.settings.reference_dir)
    compound = (
        data.compound
        if data.community in known and data.compound in known[data.community].compounds
        else None
    )
    fields = {
        "community": data.community,
        "compound": compound,
        "case_type": domain.CATEGORY_CASE_TYPES.get(data.category, "other"),
        "origin": "intake_request",
        "facts": data.description,
        "request_ids": [data.request_id],
        "parties": [],
        "name_digests": data.name_digests,
    }
    doc, change = domain.open_case(
        fields,
        actor=domain.INTAKE,
        now=ctx.now(),
        policy=ctx.policy,
        case_id=domain.case_id_for_request(data.request_id),
    )
    try:
        return store.insert(ctx.outbox, doc, change)
    except DuplicateKeyError:
        log.info(
            "case already open for this request", extra={"event_id": event_id, "request_id": data.request_id}
        )
        return None


def add_party(ctx: Mediation, doc: dict, actor: Actor, spec: dict) -> dict:
    return store.apply(ctx.outbox, doc, domain.add_party(doc, spec, actor, ctx.now()))


def answer_consent(
    ctx: Mediation, doc: dict, actor: Actor, party_id: str, decision: str, advised_routes: list[str]
) -> dict:
    """A party's answer: `given` (the last consent accepts the case) or a refusal, which ends it."""
    if decision == "given":
        change = domain.consent(doc, party_id, actor=actor, now=ctx.now(), policy=ctx.policy)
    else:
        change = domain.refuse(doc, party_id, routes=advised_routes, actor=actor, now=ctx.now())
    return store.apply(ctx.outbox, doc, change)


# --- mediators and participants ------------------------------------------------------------------


def assign_mediator(
    ctx: Mediation, doc: dict, actor: Actor, mediator_id: str, chosen_by_parties: bool
) -> dict:
    mediator = ctx.roster[mediator_id]  # the payload names a roster id (mediation.schemas)
    change = domain.assign_mediator(
        doc, mediator=mediator, chosen_by_parties=chosen_by_parties, actor=actor, now=ctx.now()
    )
    return store.apply(ctx.outbox, doc, change)


def invite_participant(
    ctx: Mediation, doc: dict, actor: Actor, name: str, capacity: str, consent_of: list[str]
) -> dict:
    change = domain.invite_participant(
        doc, name=name, capacity=capacity, consent_of=consent_of, actor=actor, now=ctx.now()
    )
    return store.apply(ctx.outbox, doc, change)


# --- sessions and the time limit -----------------------------------------------------------------


def hold_session(
    ctx: Mediation,
    doc: dict,
    actor: Actor,
    held_at: datetime,
    location: str | None,
    attendees: list[str],
    notes: str,
) -> dict:
    change = domain.hold_session(
        doc, held_at=held_at, location=location, attendees=attendees, notes=notes, actor=actor, now=ctx.now()
    )
    return store.apply(ctx.outbox, doc, change)


def extend(ctx: Mediation, doc: dict, actor: Actor, days: int, reason: str) -> dict:
    return store.apply(
        ctx.outbox, doc, domain.extend(doc, days=days, reason=reason, actor=actor, now=ctx.now())
    )


# --- outcomes ------------------------------------------------------------------------------------


def record_agreement(
    ctx: Mediation,
    doc: dict,
    actor: Actor,
    terms: list[dict],
    signed_by: list[str],
    effective_at: datetime,
) -> dict:
    change = domain.record_agreement(
        doc,
        terms=terms,
        signed_by=signed_by,
        effective_at=effective_at,
        actor=actor,
        now=ctx.now(),
        policy=ctx.policy,
    )
    return store.apply(ctx.outbox, doc, change)


def record_fulfilment(ctx: Mediation, doc: dict, actor: Actor, term_number: int, result: str) -> dict:
    change = domain.record_fulfilment(doc, term_number, result=result, actor=actor, now=ctx.now())
    return store.apply(ctx.outbox, doc, change)


def apply_court_confirmation(
    ctx: Mediation, doc: dict, actor: Actor, applied_at: datetime, court: str
) -> dict:
    change = domain.apply_court_confirmation(
        doc, applied_at=applied_at, court=court, actor=actor, now=ctx.now()
    )
    return store.apply(ctx.outbox, doc, change)


def fail(ctx: Mediation, doc: dict, actor: Actor, reason: str, advised_routes: list[str]) -> dict:
    return store.apply(
        ctx.outbox, doc, domain.fail(doc, reason=reason, routes=advised_routes, actor=actor, now=ctx.now())
    )


def escalate(ctx: Mediation, doc: dict, actor: Actor, cause: str, summary: str) -> dict:
    change = domain.escalate(doc, cause=cause, summary=summary, actor=actor, now=ctx.now(), policy=ctx.policy)
    return store.apply(ctx.outbox, doc, change)


# --- the worker's passes (each returns whether it changed the case) ----------------------------


def flag_overdue(ctx: Mediation, doc: dict, now: datetime) -> bool:
    change = domain.overdue_change(doc, now)
    if change is None:
        return False
    store.apply(ctx.outbox, doc, change)
    return True


def flag_overdue_terms(ctx: Mediation, doc: dict, now: datetime) -> int:
    """Flag the agreement's terms past their due date; returns how many were flagged."""
    change = domain.overdue_terms_change(doc, now)
    if change is None:
        return 0
    store.apply(ctx.outbox, doc, change)
    return len(domain.overdue_terms(doc, now))  # `doc` as it was before the flags


def send_confirmation_reminder(ctx: Mediation, doc: dict, now: datetime) -> bool:
    change = domain.confirmation_reminder(doc, now)
    if change is None:
        return False
    store.apply(ctx.outbox, doc, change)
    return True
