"""The reservations a hire leaves on a job and a seeker before the referral's own write: made, found,
taken over, released and expired. Pure functions; the hire itself is `employment.hiring`."""

from __future__ import annotations

from datetime import datetime, timedelta

from civic146.change import Change

# A hire changes three documents and MongoDB updates one document atomically, so the rules that span
# documents are kept by *reservations*: the job's `hires` (its openings taken) and the seeker's
# `placements` are authoritative and are written before the referral becomes hired, each by one
# version-guarded update of that document. Two hires racing for the last opening (or for one person)
# both reload the document and only the first write at a version lands; the other reloads and sees
# the opening gone. A reservation not yet confirmed by a hired referral is also listed in the
# document's `reservations` with the version of the referral the attempt started from and the time
# it was made. The attempt commits the referral at that version, so releasing a reservation is safe
# once the referral has moved past it (abandon_hire moves it on for an attempt that never finished):
# no attempt can then commit on the strength of what is released.


def reservation(referral: dict, now: datetime) -> dict:
    return {"referral_id": referral["_id"], "version": referral["version"], "at": now}


def pending(doc: dict, referral_id: str) -> dict | None:
    return next((r for r in doc.get("reservations", []) if r["referral_id"] == referral_id), None)


def without(doc: dict, referral_id: str) -> list[dict]:
    return [r for r in doc.get("reservations", []) if r["referral_id"] != referral_id]


def already_reserved(doc: dict, referral: dict, now: datetime) -> Change | None:
    """The referral is already in the job's hires or the seeker's placements. Nothing to do when this
    attempt (or a newer one, or the hire itself) made it; a reservation left by an attempt from an
    older version of the referral (one that can no longer commit) is taken over, so that releasing
    that attempt's reservation leaves this one's in place."""
    mine = pending(doc, referral["_id"])
    if mine is None or mine["version"] >= referral["version"]:
        return None
    return Change(
        set={
            "reservations": [*without(doc, referral["_id"]), reservation(referral, now)],
            "updated_at": now,
        }
    )


def _released(referral: dict | None, version: int) -> bool:
    """No attempt to hire from `version` of the referral can still commit: the referral moved past it."""
    return referral is None or referral["version"] > version


def releasable(doc: dict, referral_id: str, version: int, referral: dict | None) -> bool:
    """`doc` holds a reservation for the referral made by an attempt from `version` (or an older
    one), and no such attempt can still commit."""
    mine = pending(doc, referral_id)
    return mine is not None and mine["version"] <= version and _released(referral, version)


def expired_reservations(doc: dict, now: datetime, grace: timedelta) -> list[dict]:
    """Reservations older than the grace period: their attempt crashed or stalled (an attempt takes
    well under a second), so the worker settles them."""
    return [r for r in doc.get("reservations", []) if r["at"] <= now - grace]
