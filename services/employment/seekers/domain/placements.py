"""A seeker's placements: one full-time job or up to two part-time ones within the weekly hours offered,
reserved by a hire before the referral commits (see employment.reservations) and confirmed or
released after."""

from __future__ import annotations

from datetime import datetime

from civic146.change import Change
from civic146.errors import InvalidTransition

from ...common import ENDED, HOLDING
from ...reservations import already_reserved, pending, releasable, reservation, without
from .documents import Seeker

MAX_PART_TIME_PLACEMENTS = 2


def _seeker_status(seeker: Seeker, placements: list[str]) -> str:
    return seeker["status"] if seeker["status"] == "closed" else "placed" if placements else "active"


def check_can_hold(seeker: Seeker, referral: dict, current: list[dict]) -> None:
    """One full-time placement, or up to two part-time ones within the seeker's weekly hours.
    `current`: the referrals of the placements the seeker holds or has reserved, this one excluded."""
    if not current:
        return
    if referral["hours_type"] != "part_time" or any(p["hours_type"] != "part_time" for p in current):
        raise InvalidTransition(
            "the seeker already holds a placement; only two part-time jobs can be combined",
            {"placements": [p["_id"] for p in current]},
        )
    if len(current) >= MAX_PART_TIME_PLACEMENTS:
        raise InvalidTransition(
            "the seeker already holds two part-time placements", {"placements": [p["_id"] for p in current]}
        )
    hours = referral["hours_per_week"] + sum(p["hours_per_week"] for p in current)
    limit = seeker["profile"]["availability"]["max_hours_per_week"]
    if hours > limit:
        raise InvalidTransition(
            f"together the jobs take {hours:g} hours a week, more than the {limit:g} offered",
            {"hours_per_week": hours},
        )


def reserve_placement(seeker: Seeker, referral: dict, current: list[dict], now: datetime) -> Change | None:
    """Second step of a hire: add `referral` to the seeker's placements within check_can_hold. `current`:
    the referrals of the seeker's `placements`. Their hours never change, so they may be read after the
    seeker; one that was declined or left holds nothing, even before its departure reaches the seeker.
    None if the placement is already reserved for this referral. Being hired counts as activity."""
    if referral["_id"] in seeker.get("placements", []):
        return already_reserved(seeker, referral, now)
    check_can_hold(
        seeker, referral, [p for p in current if p["_id"] != referral["_id"] and p["stage"] not in ENDED]
    )
    placements = [*seeker.get("placements", []), referral["_id"]]
    return Change(
        set={
            "placements": placements,
            "status": _seeker_status(seeker, placements),
            "reservations": [*without(seeker, referral["_id"]), reservation(referral, now)],
            "updated_at": now,
            "last_active_at": now,
        }
    )


def settle_placement(
    seeker: Seeker, referral_id: str, *, version: int, referral: dict | None, now: datetime
) -> Change | None:
    """The seeker's side of settle_opening: a referral that holds the job keeps its placement; otherwise
    the placement that attempt reserved is released once the referral has moved past `version`."""
    if referral is not None and referral["stage"] in HOLDING:
        return seeker_placement_change(seeker, referral, now)
    if not releasable(seeker, referral_id, version, referral):
        return None
    placements = [p for p in seeker.get("placements", []) if p != referral_id]
    return Change(
        set={
            "placements": placements,
            "status": _seeker_status(seeker, placements),
            "reservations": without(seeker, referral_id),
            "updated_at": now,
        }
    )


def seeker_placement_change(seeker: Seeker, referral: dict, now: datetime) -> Change | None:
    """A referral holding the job confirms its placement (reserved before the hire; added here for one
    hired without a reservation); one that left gives it up. Other stages are left to settle_placement."""
    placements = list(seeker.get("placements", []))
    rid = referral["_id"]
    if referral["stage"] in HOLDING:
        if rid in placements and pending(seeker, rid) is None:
            return None
        if rid in placements:
            return Change(set={"reservations": without(seeker, rid), "updated_at": now})
        placements.append(rid)
    elif referral["stage"] in ENDED and (rid in placements or pending(seeker, rid) is not None):
        placements = [p for p in placements if p != rid]
    else:
        return None
    return Change(
        set={
            "placements": placements,
            "status": _seeker_status(seeker, placements),
            "reservations": without(seeker, rid),
            "updated_at": now,
            "last_active_at": now,
        }
    )
