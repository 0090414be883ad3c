"""A seeker's profile: drafted from an intake request or a needs survey, or registered with consent,
completed (by the resident who asked, or with staff), changed, closed (data erased) on withdrawal or
at the end of its retention; and the seeker's own activity, which keeps them from counting as
dormant. A profile becoming active is given its support pathway (`pathway.support_for`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from civic146 import pii
from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import Forbidden, InvalidTransition

from ... import events as ev
from ...common import SYSTEM, draft_id, event, history_entry, new_id, progress, survey_draft_id
from ...reference import Pathway
from .documents import Seeker
from .pathway import support_for


def _seeker_facts(doc: Seeker, status: str, actor: Actor) -> dict:
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


def seeker_draft_from_intake(data, now: datetime) -> tuple[Seeker, Change]:
    """An intake request routed to employment becomes a draft profile: only masked data is known."""
    doc: Seeker = {
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
        "history": [history_entry(None, "draft", actor=SYSTEM, at=now)],
    }
    change = Change()
    change.record(
        ev.SEEKER_DRAFTED,
        event(
            ev.SEEKER_DRAFTED,
            subject=doc["_id"],
            community=doc["community"],
            data=ev.SeekerDrafted(
                **_seeker_facts(doc, "draft", SYSTEM), description=pii.scrub_text(data.description)
            ),
            at=now,
        ),
    )
    return doc, change


def seeker_draft_from_survey(survey: dict, row_index: int, row: dict, now: datetime) -> tuple[Seeker, Change]:
    """A row of a needs survey becomes a draft profile holding the person (the household consented
    to being recorded and contacted) and the need; staff complete it with the resident."""
    person = row["person"]
    doc: Seeker = {
        "_id": survey_draft_id(survey["_id"], row_index),
        "status": "draft",
        "source": "survey",
        "survey_id": survey["_id"],
        "request_id": None,
        "community": survey["community"],
        "compound": survey.get("compound"),
        "description": pii.scrub_text(row.get("need"), (person["name"],)),
        "household": row.get("household"),
        "need": {
            "target_group": row.get("target_group"),
            "desired_occupations": row.get("desired_occupations", []),
            "hours_types": row.get("hours_types", []),
            "collected_by": survey["collected_by"],
            "consent_at": survey["created_at"],
        },
        "submitter_masked": {"name": pii.mask_name(person["name"]), "phone": pii.mask_phone(person["phone"])},
        "owner_ref": None,
        "resident_id": None,
        "person": {"name": person["name"], "phone": person["phone"]},
        "profile": None,
        "employment_difficulty": None,
        "consent": None,
        "placements": [],
        "created_at": now,
        "updated_at": now,
        "last_active_at": now,
        "history": [history_entry(None, "draft", actor=SYSTEM, at=now, reason="needs_survey")],
    }
    change = Change()
    change.record(
        ev.SEEKER_DRAFTED,
        event(
            ev.SEEKER_DRAFTED,
            subject=doc["_id"],
            community=doc["community"],
            data=ev.SeekerDrafted(
                **_seeker_facts(doc, "draft", SYSTEM), description=doc["description"] or ""
            ),
            at=now,
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


def check_claim(doc: Seeker, person: dict, actor: Actor, caller_ref: str | None) -> None:
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
    doc: Seeker,
    fields: dict,
    actor: Actor,
    now: datetime,
    default_days: int,
    pathways: tuple[Pathway, ...] = (),
) -> tuple[Seeker, Change]:
    """Fields and events shared by registration and completion of a draft; the profile's support
    pathway is given here (the first of `pathways` that fits it)."""
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
    if (support := support_for(doc, fields["profile"], pathways, now)) is not None:
        values["support"] = support
    if actor.role == "resident":
        values["resident_id"] = actor.id
    after = {**doc, **values}
    change = Change(
        set=values, push={"history": history_entry(doc.get("status"), "active", actor=actor, at=now)}
    )
    change.record(
        ev.SEEKER_REGISTERED,
        event(
            ev.SEEKER_REGISTERED,
            subject=doc["_id"],
            community=after["community"],
            data=ev.SeekerRegistered(
                **_seeker_facts(after, "active", actor),
                profile=profile_summary(fields["profile"]),
                consent_expires_at=consent["expires_at"],
            ),
            at=now,
        ),
    )
    if doc.get("request_id"):
        change.record(
            ev.PROGRESS,
            progress(
                doc["_id"],
                community=after["community"],
                request_id=doc["request_id"],
                state="in_progress",
                summary="求职档案已完善，正在为您匹配附近岗位",
                at=now,
            ),
        )
    return after, change


def register_seeker(
    fields: dict, *, actor: Actor, now: datetime, default_days: int, pathways: tuple[Pathway, ...] = ()
) -> tuple[Seeker, Change]:
    doc: Seeker = {
        "_id": new_id(),
        "status": None,
        "source": "registration",
        "request_id": None,
        "resident_id": None,
        "placements": [],
        "created_at": now,
        "history": [],
    }
    after, change = _activation(doc, fields, actor, now, default_days, pathways)
    after["history"] = [change.push["history"]]
    return after, Change(outbox=change.outbox)  # the document is inserted whole


def complete_seeker(
    doc: Seeker,
    *,
    fields: dict,
    actor: Actor,
    now: datetime,
    default_days: int,
    caller_ref: str | None = None,
    pathways: tuple[Pathway, ...] = (),
) -> Change:
    if doc["status"] != "draft":
        raise InvalidTransition(
            f"only a draft profile can be completed; this one is {doc['status']}", {"status": doc["status"]}
        )
    check_claim(doc, fields["person"], actor, caller_ref)
    return _activation(doc, fields, actor, now, default_days, pathways)[1]


def update_profile(
    doc: Seeker, *, profile: dict, actor: Actor, now: datetime, pathways: tuple[Pathway, ...] = ()
) -> Change:
    """A changed target group may bring another pathway (the one in progress is replaced)."""
    if doc["status"] not in ("active", "placed"):
        raise InvalidTransition(f"a {doc['status']} profile cannot be changed", {"status": doc["status"]})
    change = Change(set={"profile": profile, "updated_at": now, "last_active_at": now})
    if (support := support_for(doc, profile, pathways, now)) is not None:
        change.set["support"] = support
    change.record(
        ev.SEEKER_UPDATED,
        event(
            ev.SEEKER_UPDATED,
            subject=doc["_id"],
            community=doc["community"],
            data=ev.SeekerUpdated(
                **_seeker_facts(doc, doc["status"], actor), profile=profile_summary(profile)
            ),
            at=now,
        ),
    )
    return change


def close_seeker(doc: Seeker, reason: str, actor: Actor, now: datetime) -> Change:
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
            "household": None,
            "closed_reason": reason,
            "updated_at": now,
        },
        push={"history": history_entry(doc["status"], "closed", actor=actor, at=now, reason=reason)},
    )
    change.record(
        ev.SEEKER_CLOSED,
        event(
            ev.SEEKER_CLOSED,
            subject=doc["_id"],
            community=doc["community"],
            data=ev.SeekerClosed(**_seeker_facts(doc, "closed", actor), reason=reason),
            at=now,
        ),
    )
    return change


def consent_expired(doc: Seeker, now: datetime) -> Change | None:
    consent = doc.get("consent")
    if doc["status"] == "closed" or not consent or consent["expires_at"] > now:
        return None
    return close_seeker(doc, "retention_expired", SYSTEM, now)


def seeker_acted(seeker: Seeker, now: datetime) -> Change | None:
    """The seeker did something themselves (applied, accepted or declined a referral): not dormant."""
    if seeker["status"] == "closed" or (seeker.get("last_active_at") and seeker["last_active_at"] >= now):
        return None
    return Change(set={"last_active_at": now})


def is_dormant(seeker: Seeker, now: datetime, after_days: int) -> bool:
    return seeker.get("last_active_at") is not None and now - seeker["last_active_at"] >= timedelta(
        days=after_days
    )
