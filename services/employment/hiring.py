"""Hiring across the aggregates: a referral, its job's opening and its seeker's placement, and keeping
placements on seekers and jobs in step with referrals.

Each step is one atomic single-document write through the outbox, guarded by the document's
version. A hire reserves the job's opening and the seeker's placement before the referral becomes
hired (see `hire`); the referral then carries `placement_synced: false` until both reservations are
confirmed. A departure releases the seeker's placement the same way. The worker finishes what a
crash interrupted: unconfirmed placements, and reservations whose hire never came."""

from __future__ import annotations

import logging
from datetime import datetime

from civic146.auth import Actor
from civic146.errors import ConcurrencyConflict, DomainError
from civic146.outbox import Change, retry_on_conflict

from . import common, reservations
from .context import Employment
from .jobs import domain as job_domain
from .jobs import store as job_store
from .referrals import domain as referral_domain
from .referrals import store as referral_store
from .seekers import domain as seeker_domain
from .seekers import store as seeker_store

log = logging.getLogger(__name__)


def sync_placement(ctx: Employment, referral: dict, now: datetime) -> bool:
    """Bring the seeker's placements and the job's hires in line with the referral (idempotent): a
    hire confirms the reservations made before it, a departure releases the seeker's placement."""

    def once() -> None:
        seeker = seeker_store.get(referral["seeker_id"])
        if (change := seeker_domain.seeker_placement_change(seeker, referral, now)) is not None:
            seeker_store.apply(ctx.outbox, seeker, change)
        job = job_store.get(referral["job_id"])
        if (change := job_domain.job_hire_change(job, referral, now)) is not None:
            job_store.apply(ctx.outbox, job, change)

    retry_on_conflict(once, f"the placement of referral {referral['_id']}")
    current = referral_store.get(referral["_id"])
    if not current.get("placement_synced") and current["stage"] == referral["stage"]:
        referral_store.apply(ctx.outbox, current, Change(set={"placement_synced": True}))
    return True


def sync_placement_now(ctx: Employment, referral: dict, now: datetime) -> None:
    """From the API right after a hire or departure; what fails here the worker finishes."""
    try:
        sync_placement(ctx, referral, now)
    except ConcurrencyConflict as exc:
        log.warning(
            "placement left for the worker", extra={"referral_id": referral["_id"], "error": str(exc)}
        )


RESERVE_ATTEMPTS = 20  # reloads of one document before a contended step gives up (409, try again)


def _retrying(what: str, step):
    """A contended step of a hire (reload, decide, guarded write), retried more often and with a
    pause: a hire's documents are the ones concurrent hires fight over."""
    return retry_on_conflict(step, what, attempts=RESERVE_ATTEMPTS, pause_seconds=0.002)


def reserve_opening(ctx: Employment, referral: dict, now: datetime) -> None:
    """Take one of the job's openings for `referral` (as read before the hire); idempotent."""

    def step():
        job = job_store.get(referral["job_id"])
        if (change := job_domain.reserve_opening(job, referral, now)) is not None:
            job_store.apply(ctx.outbox, job, change)

    _retrying(f"the job {referral['job_id']}", step)


def reserve_placement(ctx: Employment, referral: dict, now: datetime) -> None:
    """Reserve the seeker's placement for `referral`; idempotent. The rules need the hours of the
    seeker's other placements, read from their referrals after the seeker (they never change)."""

    def step():
        seeker = seeker_store.get(referral["seeker_id"])
        others = [p for p in seeker.get("placements", []) if p != referral["_id"]]
        current = referral_store.of_ids(others)
        if (change := seeker_domain.reserve_placement(seeker, referral, current, now)) is not None:
            seeker_store.apply(ctx.outbox, seeker, change)

    _retrying(f"the seeker {referral['seeker_id']}", step)


def _moved_past(ctx: Employment, referral_id: str, version: int, now: datetime) -> dict | None:
    """The referral as it is now, moved past `version` unless it was hired (None if it is gone).
    While it is still at that version an attempt to hire from it could yet commit, so it is moved on
    (referrals.domain.abandon_hire): that attempt's commit then fails."""

    def step():
        current = referral_store.find_one(referral_id)
        if current is None or current["version"] != version or current["stage"] in common.HIRED:
            return current
        return referral_store.apply(ctx.outbox, current, referral_domain.abandon_hire(current, now))

    return _retrying(f"the referral {referral_id}", step)


def settle_reservations(
    ctx: Employment,
    referral_id: str,
    version: int,
    now: datetime,
    job_id: str | None = None,
    seeker_id: str | None = None,
) -> None:
    """Confirm or release what an attempt to hire from `version` of the referral reserved, once it
    failed or was abandoned; idempotent. The referral is moved past `version` first, so nothing can
    be hired on what is released. `job_id`, `seeker_id`: where to look if the referral is gone."""
    current = _moved_past(ctx, referral_id, version, now)
    if current is not None:
        job_id, seeker_id = current["job_id"], current["seeker_id"]

    def settle(store, what: str, doc_id: str, decide) -> None:
        def step():
            doc = store.get(doc_id)
            if (change := decide(doc, referral_id, version=version, referral=current, now=now)) is not None:
                store.apply(ctx.outbox, doc, change)

        _retrying(f"the {what} {doc_id}", step)

    if job_id is not None:
        settle(job_store, "job", job_id, job_domain.settle_opening)
    if seeker_id is not None:
        settle(seeker_store, "seeker", seeker_id, seeker_domain.settle_placement)


def hire(ctx: Employment, referral: dict, actor: Actor, now: datetime) -> dict:
    """Hire within the job's openings and the seeker's placements, without locks: (1) reserve one of
    the job's openings, (2) reserve the seeker's placement, (3) commit the referral's hire at the
    version read at the start, then (4) confirm the reservations (sync_placement_now; what fails
    there the worker finishes, as `placement_synced` stays false). Each step is a version-guarded
    write of one document, retried on conflict, so two hires for the last opening (or for one
    person) cannot both reserve it. If a step before the commit fails the reservations are
    released; if the process dies between the steps the worker releases them after the grace
    period (settle_expired_reservations). Returns the referral as the hire committed it."""
    referral = referral_store.get(referral["_id"])
    change = referral_domain.hire(referral, actor, now)  # a referral not `offered` reserves nothing
    reserve_opening(ctx, referral, now)
    try:
        reserve_placement(ctx, referral, now)
        hired = referral_store.apply(ctx.outbox, referral, change)
    except Exception:
        # The seeker cannot take the job, or the referral changed meanwhile (declined, or hired by a
        # concurrent request, whose reservations these are too and are then kept).
        try:
            settle_reservations(ctx, referral["_id"], referral["version"], now)
        except Exception as exc:  # the worker releases them after the grace period
            log.warning(
                "reservations left for the worker", extra={"referral_id": referral["_id"], "error": str(exc)}
            )
        raise
    sync_placement_now(ctx, hired, now)
    return hired


def settle_expired_reservations(ctx: Employment, doc: dict, now: datetime, where: dict) -> bool:
    """Reservations on one job or seeker (`where`: {"job_id": ...} or {"seeker_id": ...}) older than
    the grace period, left by a crash or a stall between a reservation and the referral's commit,
    are released, or confirmed if the referral was hired. True if any was settled."""
    settled = False
    for entry in reservations.expired_reservations(doc, now, ctx.policy.hire_reservation_grace):
        try:
            settle_reservations(ctx, entry["referral_id"], entry["version"], now, **where)
            settled = True
        except (ConcurrencyConflict, DomainError) as exc:  # changed meanwhile: the next run tries again
            log.warning(
                "reservation not settled", extra={"referral_id": entry["referral_id"], "error": str(exc)}
            )
    return settled
