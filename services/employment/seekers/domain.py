"""A seeker's profile: drafted from an intake request or a needs survey, or registered with consent,
completed, changed, closed (data erased) on withdrawal or at the end of its retention; its support
pathway (given when the profile becomes active: steps, a caseworker, contact attempts, disengagement,
jobs pushed); its placements, reserved by a hire before the referral commits (see employment.reservations)
and confirmed or released after. Pure decisions returning `outbox.Change`."""

from __future__ import annotations

from datetime import datetime, timedelta

from civic146 import pii
from civic146.auth import Actor
from civic146.errors import Forbidden, InvalidInput, InvalidTransition
from civic146.outbox import Change

from .. import events as ev
from ..common import (
    ENDED,
    HOLDING,
    SYSTEM,
    draft_id,
    event,
    history_entry,
    known_names,
    new_id,
    progress,
    survey_draft_id,
)
from ..reference import Pathway, pathway_for
from ..reservations import already_reserved, pending, releasable, reservation, without

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


def seeker_draft_from_survey(survey: dict, row_index: int, row: dict, now: datetime) -> tuple[dict, Change]:
    """A row of a needs survey becomes a draft profile holding the person (the household consented
    to being recorded and contacted) and the need; staff complete it with the resident."""
    person = row["person"]
    doc = {
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
        "history": [history_entry(None, "draft", SYSTEM, now, "needs_survey")],
    }
    change = Change()
    change.record(
        ev.SEEKER_DRAFTED,
        event(
            ev.SEEKER_DRAFTED,
            doc["_id"],
            doc["community"],
            ev.SeekerDrafted(**_seeker_facts(doc, "draft", SYSTEM), description=doc["description"] or ""),
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
    doc: dict,
    fields: dict,
    actor: Actor,
    now: datetime,
    default_days: int,
    pathways: tuple[Pathway, ...] = (),
) -> tuple[dict, Change]:
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


def register_seeker(
    fields: dict, actor: Actor, now: datetime, default_days: int, pathways: tuple[Pathway, ...] = ()
) -> tuple[dict, Change]:
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
    after, change = _activation(doc, fields, actor, now, default_days, pathways)
    after["history"] = [change.push["history"]]
    return after, Change(outbox=change.outbox)  # the document is inserted whole


def complete_seeker(
    doc: dict,
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
    doc: dict, profile: dict, actor: Actor, now: datetime, pathways: tuple[Pathway, ...] = ()
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
            "household": None,
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


# --- the support pathway -------------------------------------------------------------------------------
#
# `support` on the profile: the pathway's id, its steps with due dates, the contact attempts scheduled
# (each answered, unanswered or missed), the caseworker, the jobs pushed, and when the seeker counted
# as disengaged. A snapshot of the pathway when it was given: an operator's later change of the data
# applies to profiles that become active after it.

ANSWERED = ("reached", "responded")
UNANSWERED = ("no_response", "missed")


def new_support(pathway: Pathway, now: datetime) -> dict:
    contacts = []
    plan = pathway.contacts
    if plan:
        contacts = [
            {"n": n, "due_at": now + timedelta(days=plan.every_days * n), "status": "scheduled"}
            for n in range(1, plan.attempts + 1)
        ]
    support = {
        "pathway": pathway.id,
        "assigned_at": now,
        "caseworker_needed": pathway.caseworker,
        "caseworker_id": None,
        "steps": [
            {
                "kind": st.kind,
                "label_zh": st.label_zh,
                "due_at": now + timedelta(days=st.due_days),
                "status": "planned",
            }
            for st in pathway.steps
        ],
        "contacts": contacts,
        "contact_plan": {
            "every_days": plan.every_days,
            "grace_days": plan.grace_days,
            "disengaged_after_missed": plan.disengaged_after_missed,
        }
        if plan
        else None,
        "push_min_score": pathway.push_min_score,
        "prefer_community_service": pathway.prefer_community_service,
        "prefer_offers": list(pathway.prefer_offers),
        "pushed": [],
        "disengaged_at": None,
    }
    support["next_due_at"] = next_due(support)
    return support


def support_for(doc: dict, profile: dict, pathways: tuple[Pathway, ...], now: datetime) -> dict | None:
    """The support a profile becoming active (or changed) starts, or None to keep what it has."""
    pathway = pathway_for(pathways, profile)
    current = (doc.get("support") or {}).get("pathway")
    if pathway is None or pathway.id == current:
        return None
    return new_support(pathway, now)


def next_due(support: dict) -> datetime | None:
    """When the worker next has to look at the contacts: the first scheduled attempt's end of grace."""
    plan = support.get("contact_plan")
    if not plan or support.get("disengaged_at"):
        return None
    due = [c["due_at"] for c in support["contacts"] if c["status"] == "scheduled"]
    return min(due) + timedelta(days=plan["grace_days"]) if due else None


def _with_support(seeker: dict, support: dict, now: datetime, **extra) -> Change:
    support = {**support, "next_due_at": next_due(support)}
    return Change(set={"support": support, "updated_at": now, **extra})


def _support(seeker: dict) -> dict:
    support = seeker.get("support")
    if not support:
        raise InvalidTransition("this profile has no support pathway", {"status": seeker["status"]})
    if seeker["status"] not in ("active", "placed"):
        raise InvalidTransition(f"a {seeker['status']} profile has no support", {"status": seeker["status"]})
    return support


def missed_in_a_row(contacts: list[dict]) -> int:
    n = 0
    for c in contacts:
        if c["status"] == "scheduled":
            break
        n = n + 1 if c["status"] in UNANSWERED else 0
    return n


def contacts_due(seeker: dict, now: datetime) -> tuple[Change | None, int]:
    """Contact attempts past their grace: answered if the seeker did something themselves since the
    attempt before (applied, changed the profile, accepted or declined), missed otherwise. Returns
    the change and, when the seeker has just become disengaged, how many they missed in a row (0
    otherwise)."""
    support = seeker.get("support") or {}
    plan = support.get("contact_plan")
    if seeker["status"] != "active" or not plan or support.get("disengaged_at"):
        return None, 0
    grace = timedelta(days=plan["grace_days"])
    every = timedelta(days=plan["every_days"])
    active_at = seeker.get("last_active_at")
    contacts, changed = [], False
    for c in support["contacts"]:
        if c["status"] == "scheduled" and c["due_at"] + grace <= now:
            window_start = c["due_at"] - every
            c = {
                **c,
                "status": "responded" if active_at and active_at > window_start else "missed",
                "at": now,
            }
            changed = True
        contacts.append(c)
    if not changed:
        return None, 0
    missed = missed_in_a_row(contacts)
    disengaged = missed >= plan["disengaged_after_missed"]
    support = {**support, "contacts": contacts, "disengaged_at": now if disengaged else None}
    return _with_support(seeker, support, now), missed if disengaged else 0


def record_contact(
    seeker: dict, outcome: str, note: str | None, actor: Actor, now: datetime, names: tuple[str, ...]
) -> Change:
    """Staff tried to reach the seeker: the first scheduled attempt gets the outcome (an attempt
    beyond the schedule is added). Reaching them counts as their activity and ends a disengagement."""
    support = _support(seeker)
    entry = {"status": outcome, "at": now, "by": actor.id, "note": pii.scrub_text(note, names)}
    contacts = list(support.get("contacts", []))
    first = next((i for i, c in enumerate(contacts) if c["status"] == "scheduled"), None)
    if first is None:
        contacts.append({"n": len(contacts) + 1, "due_at": now, **entry})
    else:
        contacts[first] = {**contacts[first], **entry}
    support = {**support, "contacts": contacts}
    extra = {}
    if outcome == "reached":
        support["disengaged_at"] = None
        extra["last_active_at"] = now
    return _with_support(seeker, support, now, **extra)


def record_step(
    seeker: dict,
    kind: str,
    status: str,
    note: str | None,
    actor: Actor,
    now: datetime,
    names: tuple[str, ...],
) -> Change:
    support = _support(seeker)
    steps = list(support["steps"])
    at = next((i for i, st in enumerate(steps) if st["kind"] == kind), None)
    if at is None:
        raise InvalidInput(
            f"the pathway {support['pathway']} has no step {kind}",
            [{"field": "kind", "message": f"one of {', '.join(st['kind'] for st in steps) or 'none'}"}],
        )
    steps[at] = {
        **steps[at],
        "status": status,
        "at": now,
        "by": actor.id,
        "note": pii.scrub_text(note, names),
    }
    return _with_support(seeker, {**support, "steps": steps}, now)


def assign_caseworker(seeker: dict, caseworker_id: str, now: datetime) -> Change:
    support = _support(seeker)
    return _with_support(seeker, {**support, "caseworker_id": caseworker_id}, now)


def push_channels(seeker: dict) -> list[str]:
    return list((seeker.get("profile") or {}).get("online_channels") or [])


def job_pushed(seeker: dict, job: dict, score: float, now: datetime) -> Change | None:
    """A new job fits a seeker whose pathway pushes jobs: recorded once per job, with the event a
    mini-program or SMS gateway reads (no personal data: the seeker's id and channels, the job)."""
    support = seeker.get("support") or {}
    if seeker["status"] != "active" or any(p["job_id"] == job["_id"] for p in support.get("pushed", [])):
        return None
    channels = push_channels(seeker)
    pushed = [
        *support.get("pushed", []),
        {"job_id": job["_id"], "at": now, "score": round(score, 4), "channels": channels},
    ]
    change = _with_support(seeker, {**support, "pushed": pushed}, now)
    change.record(
        ev.JOB_PUSHED,
        event(
            ev.JOB_PUSHED,
            seeker["_id"],
            seeker["community"],
            ev.JobPushed(
                seeker_id=seeker["_id"],
                job_id=job["_id"],
                community=seeker["community"],
                job_community=job["community"],
                target_group=seeker["profile"]["target_group"],
                pathway=support["pathway"],
                score=round(score, 4),
                channels=channels,
                title=pii.scrub_text(job["title"], known_names(seeker, job)),
                occupation=job["occupation"],
                hours_type=job["hours"]["type"],
                hours_per_week=job["hours"]["hours_per_week"],
                pay_min=job["pay"]["min"],
                pay_max=job["pay"]["max"],
                pay_unit=job["pay"]["unit"],
            ),
            now,
        ),
    )
    return change
