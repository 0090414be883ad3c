"""A job posting: drafted from an intake request or posted, published, closed or expired; its
openings, reserved by a hire before the referral commits (see employment.reservations) and confirmed or
given back after. Pure decisions on a `Job` returning `civic146.change.Change`."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from civic146 import pii
from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidTransition

from .. import events as ev
from ..common import (
    HIRED,
    SYSTEM,
    draft_id,
    event,
    history_entry,
    known_names,
    new_id,
    progress,
)
from ..reservations import already_reserved, pending, releasable, reservation, without


class Job(TypedDict, total=False):
    """A stored job posting (collection `jobs`), as drafted or posted here and changed by the decisions."""

    _id: str
    version: int  # the outbox's commits
    outbox: list[dict]
    status: str  # draft, open, filled, closed
    source: str  # intake, posting
    request_id: str | None  # the intake request it was drafted from
    community: str
    compound: str | None
    description: str | None
    employer_id: str | None  # the employer's account, when they posted it
    # job_values(): the payload's fields, with hours, pay and employer grouped
    title: str
    occupation: str
    required_skills: list[str]
    optional_skills: list[str]
    hours: dict  # type, shifts, hours_per_week
    pay: dict  # min, max, unit
    employer: dict  # name, kind, contact_name, contact_phone
    offer: str
    community_service: str | None
    physical_demands: list[str]
    openings: int
    no_experience_needed: bool
    min_experience_years: float
    min_education: str
    age_friendly: bool
    accessible: bool
    valid_from: datetime | None
    valid_until: datetime | None
    # its openings
    filled: int
    hires: list[str]  # referral ids holding an opening (reservations included)
    reservations: list[dict]  # employment.reservations.reservation()
    closed_reason: str | None
    created_at: datetime
    updated_at: datetime
    history: list[dict]  # common.history_entry()


def _job_facts(doc: Job, status: str, actor: Actor) -> dict:
    return {
        "job_id": doc["_id"],
        "community": doc["community"],
        "compound": doc.get("compound"),
        "status": status,
        "request_id": doc.get("request_id"),
        "actor_role": actor.role,
    }


def job_draft_from_intake(data, now: datetime) -> tuple[Job, Change]:
    doc: Job = {
        "_id": draft_id("job", data.request_id),
        "status": "draft",
        "source": "intake",
        "request_id": data.request_id,
        "community": data.community,
        "compound": data.compound,
        "description": data.description,
        "employer_id": None,
        "filled": 0,
        "hires": [],
        "created_at": now,
        "updated_at": now,
        "history": [history_entry(None, "draft", actor=SYSTEM, at=now)],
    }
    change = Change()
    change.record(
        ev.JOB_DRAFTED,
        event(
            ev.JOB_DRAFTED,
            subject=doc["_id"],
            community=doc["community"],
            data=ev.JobDrafted(
                **_job_facts(doc, "draft", SYSTEM), description=pii.scrub_text(data.description)
            ),
            at=now,
        ),
    )
    return doc, change


def job_values(fields: dict) -> dict:
    """API fields -> stored job (hours and pay grouped as matching reads them)."""
    f = dict(fields)
    hours = {
        "type": f.pop("hours_type"),
        "shifts": f.pop("shifts"),
        "hours_per_week": f.pop("hours_per_week"),
    }
    pay = {"min": f.pop("pay_min"), "max": f.pop("pay_max"), "unit": f.pop("pay_unit")}
    employer = {
        "name": f.pop("employer_name"),
        "kind": f.pop("employer_kind", "enterprise"),
        "contact_name": f.pop("contact_name"),
        "contact_phone": f.pop("contact_phone"),
    }
    return {**f, "hours": hours, "pay": pay, "employer": employer}


def _posted_event(doc: Job, actor: Actor, now: datetime) -> dict:
    return event(
        ev.JOB_POSTED,
        subject=doc["_id"],
        community=doc["community"],
        data=ev.JobPosted(
            **_job_facts(doc, "open", actor),
            employer_name=doc["employer"]["name"],
            title=pii.scrub_text(doc["title"], known_names(None, doc)),
            occupation=doc["occupation"],
            required_skills=doc["required_skills"],
            optional_skills=doc["optional_skills"],
            hours_type=doc["hours"]["type"],
            shifts=doc["hours"]["shifts"],
            hours_per_week=doc["hours"]["hours_per_week"],
            pay_min=doc["pay"]["min"],
            pay_max=doc["pay"]["max"],
            pay_unit=doc["pay"]["unit"],
            openings=doc["openings"],
            no_experience_needed=doc["no_experience_needed"],
            age_friendly=doc["age_friendly"],
            accessible=doc["accessible"],
            valid_until=doc.get("valid_until"),
        ),
        at=now,
    )


def post_job(fields: dict, actor: Actor, employer_id: str | None, now: datetime) -> tuple[Job, Change]:
    doc: Job = {
        "_id": new_id(),
        "status": "open",
        "source": "posting",
        "request_id": None,
        "employer_id": employer_id,
        **job_values(fields),
        "filled": 0,
        "hires": [],
        "created_at": now,
        "updated_at": now,
        "history": [history_entry(None, "open", actor=actor, at=now)],
    }
    change = Change()
    change.record(ev.JOB_POSTED, _posted_event(doc, actor, now))
    return doc, change


def publish_draft(doc: Job, *, fields: dict, actor: Actor, employer_id: str | None, now: datetime) -> Change:
    if doc["status"] != "draft":
        raise InvalidTransition(
            f"only a draft posting can be published; this one is {doc['status']}", {"status": doc["status"]}
        )
    values = {
        **job_values(fields),
        "status": "open",
        "employer_id": employer_id or doc.get("employer_id"),
        "updated_at": now,
    }
    after = {**doc, **values}
    change = Change(set=values, push={"history": history_entry("draft", "open", actor=actor, at=now)})
    change.record(ev.JOB_POSTED, _posted_event(after, actor, now))
    if doc.get("request_id"):
        change.record(
            ev.PROGRESS,
            progress(
                doc["_id"],
                community=after["community"],
                request_id=doc["request_id"],
                state="in_progress",
                summary="招聘岗位已发布，正在匹配求职者",
                at=now,
            ),
        )
    return change


def close_job(doc: Job, reason: str, actor: Actor, now: datetime) -> Change:
    if doc["status"] not in ("open", "draft"):
        raise InvalidTransition(f"a {doc['status']} job cannot be closed", {"status": doc["status"]})
    to = "filled" if reason == "filled" else "closed"
    change = Change(
        set={"status": to, "closed_reason": reason, "updated_at": now},
        push={"history": history_entry(doc["status"], to, actor=actor, at=now, reason=reason)},
    )
    change.record(
        ev.JOB_CLOSED,
        event(
            ev.JOB_CLOSED,
            subject=doc["_id"],
            community=doc["community"],
            data=ev.JobClosed(**_job_facts(doc, to, actor), reason=reason),
            at=now,
        ),
    )
    return change


def _close_filled(change: Change, job: Job, now: datetime) -> None:
    closing = close_job(job, "filled", SYSTEM, now)
    change.set.update(closing.set)
    change.push.update(closing.push)
    change.outbox += closing.outbox


def check_job_has_room(job: Job, referral: dict) -> None:
    """The job is open and has an opening left: its `hires` (reservations included) other than this
    referral are fewer than its openings."""
    taken = [h for h in job.get("hires", []) if h != referral["_id"]]
    if len(taken) >= job["openings"]:
        raise InvalidTransition(
            f"all {job['openings']} openings of the job are taken",
            {"openings": job["openings"], "hires": sorted(taken)},
        )
    if job["status"] != "open":
        raise InvalidTransition(
            f"the job is {job['status']}; only an open job can hire", {"job_status": job["status"]}
        )


def reserve_opening(job: Job, referral: dict, now: datetime) -> Change | None:
    """First step of a hire: take one of the job's openings for `referral` (as read before the hire),
    closing the job as filled when this takes the last one. None if it is already taken for it."""
    if referral["_id"] in job.get("hires", []):
        return already_reserved(job, referral, now)
    check_job_has_room(job, referral)
    hires = [*job.get("hires", []), referral["_id"]]
    change = Change(
        set={
            "hires": hires,
            "filled": len(hires),
            "updated_at": now,
            "reservations": [*without(job, referral["_id"]), reservation(referral, now)],
        }
    )
    if len(hires) >= job["openings"]:
        _close_filled(change, job, now)
    return change


def settle_opening(
    job: Job, referral_id: str, *, version: int, referral: dict | None, now: datetime
) -> Change | None:
    """After an attempt to hire from `version` of the referral failed or was abandoned. `referral`: as
    it is now (None if gone). A referral hired after all (by a concurrent attempt) keeps its opening;
    otherwise the opening that attempt reserved is given back, once the referral has moved past
    `version`, and a job the reservation had closed as filled is open again."""
    if referral is not None and referral["stage"] in HIRED:
        return job_hire_change(job, referral, now)
    if not releasable(job, referral_id, version, referral):
        return None
    hires = [h for h in job.get("hires", []) if h != referral_id]
    change = Change(
        set={
            "hires": hires,
            "filled": len(hires),
            "reservations": without(job, referral_id),
            "updated_at": now,
        }
    )
    if job["status"] == "filled" and len(hires) < job["openings"]:
        reopened = {**job, "status": "open"}
        change.set.update(status="open", closed_reason=None)
        change.push["history"] = history_entry(
            "filled", "open", actor=SYSTEM, at=now, reason="hire_not_completed"
        )
        change.record(ev.JOB_POSTED, _posted_event(reopened, SYSTEM, now))
    return change


def job_hire_change(job: Job, referral: dict, now: datetime) -> Change | None:
    """A hired referral confirms the opening it reserved (or takes one, if hired without a reservation).
    The opening stays taken after the person left (HIRED includes `left`)."""
    rid = referral["_id"]
    hires = job.get("hires", [])
    if referral["stage"] not in HIRED or (rid in hires and pending(job, rid) is None):
        return None
    change = Change(set={"reservations": without(job, rid), "updated_at": now})
    if rid not in hires:
        hires = [*hires, rid]
        change.set.update(hires=hires, filled=len(hires))
        if len(hires) >= job["openings"] and job["status"] == "open":
            _close_filled(change, job, now)
    return change
