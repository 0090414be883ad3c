"""A seeker's profile: drafted from an intake request or registered with consent, completed,
changed, closed (data erased) on withdrawal or at the end of its retention; its placements, reserved
by a hire before the referral commits (see employment.domain) and confirmed or released after.
Pure decisions returning `outbox.Change`."""

from __future__ import annotations

from datetime import datetime, timedelta

from civic146 import pii
from civic146.auth import Actor
from civic146.errors import Forbidden, InvalidTransition
from civic146.outbox import Change

from .. import events as ev
from ..domain import (
    ENDED,
    HOLDING,
    SYSTEM,
    already_reserved,
    draft_id,
    event,
    history_entry,
    new_id,
    pending,
    progress,
    releasable,
    reservation,
    without,
)

MAX_PART_TIME_PLACEMENTS = 2


def _seeker_facts(doc: dict, status: str, actor: Actor) -> dict:
    return {
        "seeker_id": doc["_id"],
        "community": doc["community"],
        "compound": doc.get("compound"),
        "status": status,
        "request_id": doc.get("request_id"),
        "actor_role": actor.role,
    }


def profile_summary(profile: dict) -> ev.ProfileSummary:
    av = profile["availability"]
    return ev.ProfileSummary(
        desired_occupations=profile["desired_occupations"],
        skills=profile.get("skills", []),
        hours_types=av["hours_types"],
        shifts=av["shifts"],
        max_hours_per_week=av["max_hours_per_week"],
        max_commute_km=profile["max_commute_km"],
        education=profile.get("education") or "none",
        target_group=profile.get("target_group"),
    )


def seeker_draft_from_intake(data, now: datetime) -> tuple[dict, Change]:
    """An intake request routed to employment becomes a draft profile: only masked data is known."""
    doc = {
        "_id": draft_id("seeker", data.request_id),
        "status": "draft",
        "source": "intake",
        "request_id": data.request_id,
        "community": data.community,
        "compound": data.compound,
        "description": data.description,
        "submitter_masked": {"name": data.submitter.name, "phone": data.submitter.phone},
        "owner_ref": data.submitter_ref,
        "resident_id": None,
        "person": None,
        "profile": None,
        "employment_difficulty": None,
        "consent": None,
        "placements": [],
        "created_at": now,
        "updated_at": now,
        "last_active_at": now,
        "history": [history_entry(None, "draft", SYSTEM, now)],
    }
    change = Change()
    change.record(
        ev.SEEKER_DRAFTED,
        event(
            ev.SEEKER_DRAFTED,
            doc["_id"],
            doc["community"],
            ev.SeekerDrafted(
                **_seeker_facts(doc, "draft", SYSTEM), description=pii.scrub_text(data.description)
            ),
            now,
        ),
    )
    return doc, change


def _consent(fields: dict, actor: Actor, now: datetime, default_days: int) -> dict:
    days = fields["consent"].get("retention_days") or default_days
    return {
        "given_at": now,
        "given_by": actor.id,
        "via": "resident" if actor.role == "resident" else "staff_assisted",
        "retention_days": days,
        "expires_at": now + timedelta(days=days),
    }


def check_claim(doc: dict, person: dict, actor: Actor, caller_ref: str | None) -> None:
    """A resident seeing or completing a draft from intake must be the person who asked.

    When a resident submitted the request, the draft holds their pseudonym (`owner_ref`, from
    intake's routed v2 event) and only the resident with that pseudonym (`caller_ref`) may claim
    it, without further proof. A draft without one (staff submitted the request) holds only the
    masked name and phone of the request: the full ones the resident gives must match both; without
    both masks to check, only staff may complete the draft with the resident."""
    if actor.role != "resident":
        return
    if doc.get("owner_ref"):
        if caller_ref != doc["owner_ref"]:
            raise Forbidden("this draft belongs to another resident")
        return
    masked = doc.get("submitter_masked") or {}
    if not (masked.get("name") and masked.get("phone")):
        raise Forbidden(
            "the request has no name and phone to check yours against; community staff complete "
            "this profile with you"
        )
    if pii.mask_phone(person["phone"]) != masked["phone"]:
        raise Forbidden("this draft belongs to another resident (phone does not match the request)")
    if pii.mask_name(person["name"]) != masked["name"]:
        raise Forbidden("this draft belongs to another resident (name does not match the request)")


def _activation(
    doc: dict, fields: dict, actor: Actor, now: datetime, default_days: int
) -> tuple[dict, Change]:
    """Fields and events shared by registration and completion of a draft."""
    consent = _consent(fields, actor, now, default_days)
    values = {
        "status": "active",
        "community": fields["community"],
        "compound": fields.get("compound"),
        "person": fields["person"],
        "profile": fields["profile"],
        "employment_difficulty": bool(fields.get("employment_difficulty")),
        "consent": consent,
        "updated_at": now,
        "last_active_at": now,
    }
    if actor.role == "resident":
        values["resident_id"] = actor.id
    after = {**doc, **values}
    change = Change(set=values, push={"history": history_entry(doc.get("status"), "active", actor, now)})
    change.record(
        ev.SEEKER_REGISTERED,
        event(
            ev.SEEKER_REGISTERED,
            doc["_id"],
            after["community"],
            ev.SeekerRegistered(
                **_seeker_facts(after, "active", actor),
                profile=profile_summary(fields["profile"]),
                consent_expires_at=consent["expires_at"],
            ),
            now,
        ),
    )
    if doc.get("request_id"):
        change.record(
            ev.PROGRESS,
            progress(
                doc["_id"],
                after["community"],
                doc["request_id"],
                "in_progress",
                "求职档案已完善，正在为您匹配附近岗位",
                now,
            ),
        )
    return after, change


def register_seeker(fields: dict, actor: Actor, now: datetime, default_days: int) -> tuple[dict, Change]:
    doc = {
        "_id": new_id(),
        "status": None,
        "source": "registration",
        "request_id": None,
        "resident_id": None,
        "placements": [],
        "created_at": now,
        "history": [],
    }
    after, change = _activation(doc, fields, actor, now, default_days)
    after["history"] = [change.push["history"]]
    return after, Change(outbox=change.outbox)  # the document is inserted whole


def complete_seeker(
    doc: dict, fields: dict, actor: Actor, now: datetime, default_days: int, caller_ref: str | None = None
) -> Change:
    if doc["status"] != "draft":
        raise InvalidTransition(
            f"only a draft profile can be completed; this one is {doc['status']}", {"status": doc["status"]}
        )
    check_claim(doc, fields["person"], actor, caller_ref)
    return _activation(doc, fields, actor, now, default_days)[1]


def update_profile(doc: dict, profile: dict, actor: Actor, now: datetime) -> Change:
    if doc["status"] not in ("active", "placed"):
        raise InvalidTransition(f"a {doc['status']} profile cannot be changed", {"status": doc["status"]})
    change = Change(set={"profile": profile, "updated_at": now, "last_active_at": now})
    change.record(
        ev.SEEKER_UPDATED,
        event(
            ev.SEEKER_UPDATED,
            doc["_id"],
            doc["community"],
            ev.SeekerUpdated(**_seeker_facts(doc, doc["status"], actor), profile=profile_summary(profile)),
            now,
        ),
    )
    return change


def close_seeker(doc: dict, reason: str, actor: Actor, now: datetime) -> Change:
    """Consent withdrawn or retention over: erase personal and sensitive data, keep the anonymous facts
    that statistics need (community, public target group, placements)."""
    if doc["status"] == "closed":
        raise InvalidTransition("the profile is already closed", {"status": "closed"})
    change = Change(
        set={
            "status": "closed",
            "person": None,
            "employment_difficulty": None,
            "submitter_masked": None,
            "owner_ref": None,
            "description": None,
            "closed_reason": reason,
            "updated_at": now,
        },
        push={"history": history_entry(doc["status"], "closed", actor, now, reason)},
    )
    change.record(
        ev.SEEKER_CLOSED,
        event(
            ev.SEEKER_CLOSED,
            doc["_id"],
            doc["community"],
            ev.SeekerClosed(**_seeker_facts(doc, "closed", actor), reason=reason),
            now,
        ),
    )
    return change


def consent_expired(doc: dict, now: datetime) -> Change | None:
    consent = doc.get("consent")
    if doc["status"] == "closed" or not consent or consent["expires_at"] > now:
        return None
    return close_seeker(doc, "retention_expired", SYSTEM, now)


def seeker_acted(seeker: dict, now: datetime) -> Change | None:
    """The seeker did something themselves (applied, accepted or declined a referral): not dormant."""
    if seeker["status"] == "closed" or (seeker.get("last_active_at") and seeker["last_active_at"] >= now):
        return None
    return Change(set={"last_active_at": now})


def is_dormant(seeker: dict, now: datetime, after_days: int) -> bool:
    return seeker.get("last_active_at") is not None and now - seeker["last_active_at"] >= timedelta(
        days=after_days
    )


def _seeker_status(seeker: dict, placements: list[str]) -> str:
    return seeker["status"] if seeker["status"] == "closed" else "placed" if placements else "active"


def check_can_hold(seeker: dict, referral: dict, current: list[dict]) -> None:
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


def reserve_placement(seeker: dict, referral: dict, current: list[dict], now: datetime) -> Change | None:
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
    seeker: dict, referral_id: str, version: int, referral: dict | None, now: datetime
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


def seeker_placement_change(seeker: dict, referral: dict, now: datetime) -> Change | None:
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
