"""The employment domain: seeker profiles, job postings, referrals, placements and retention checks.

Pure functions, no I/O. A decision takes the current documents (dicts) and returns a Change (fields
to set, history to append, events to record) that the store writes atomically with its events.
Personal data (name, phone, ID number) and the employment-difficulty flag stay in the seeker
document; events carry ids, facts and public target groups only.
"""

from __future__ import annotations

import statistics
import uuid
from datetime import datetime, timedelta

from civic146 import pii
from civic146.auth import Actor
from civic146.errors import Forbidden, InvalidInput, InvalidTransition
from civic146.events import RequestProgressData, new_event
from civic146.outbox import Change

from . import events as ev
from .matching import Match

CHECKPOINTS = (30, 90, 180)
HOLDING = ("hired", "retained")  # referral stages in which the seeker holds the job
HIRED = (*HOLDING, "left")  # ... and those that took one of the job's openings
ENDED = ("declined", "left")  # stages a referral never leaves: no hire can follow
OUTREACH_GROUPS = ("middle_aged", "older_worker")
MAX_PART_TIME_PLACEMENTS = 2
_REFERRAL_IDS = uuid.UUID("5f0d1e8c-46b1-4c14-9a8e-146000000004")

# action -> (stages it may start from, stage it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "refer": (frozenset({"suggested"}), "referred"),
    "interview": (frozenset({"referred"}), "interview"),
    "offer": (frozenset({"referred", "interview"}), "offered"),
    "hire": (frozenset({"offered"}), "hired"),
    "decline": (frozenset({"suggested", "referred", "interview", "offered"}), "declined"),
}


SYSTEM = Actor("employment-worker", "system")


def new_id() -> str:
    return uuid.uuid4().hex


def referral_id(seeker_id: str, job_id: str) -> str:
    """One referral per seeker and job: a repeated suggestion finds the existing one."""
    return uuid.uuid5(_REFERRAL_IDS, f"{seeker_id}|{job_id}").hex


def draft_id(kind: str, request_id: str) -> str:
    """One draft per intake request: a redelivered or rerouted request finds the existing draft."""
    return uuid.uuid5(_REFERRAL_IDS, f"{kind}|{request_id}").hex


def outreach_id(seeker_id: str, job_id: str) -> str:
    return uuid.uuid5(_REFERRAL_IDS, f"outreach|{seeker_id}|{job_id}").hex


def public_group(seeker: dict) -> str | None:
    return (seeker.get("profile") or {}).get("target_group")


def group_label(seeker: dict) -> str:
    return public_group(seeker) or "none"


def _event(event_type, subject: str, community: str, data, at: datetime) -> dict:
    return new_event(event_type, ev.SOURCE, subject, community, data, at)


def _progress(subject: str, community: str, request_id: str, state: str, summary: str, at: datetime) -> dict:
    return _event(
        ev.PROGRESS,
        subject,
        community,
        RequestProgressData(
            request_id=request_id,
            state=state,
            handled_by="employment",
            reference=subject,
            summary=pii.scrub_text(summary),
        ),
        at,
    )


def known_names(seeker: dict | None, job: dict | None) -> tuple[str, ...]:
    """The names employment holds for a seeker and a job: the seeker's and the employer's contact
    person's, to be masked in free text written about them (reasons, notes, job texts)."""
    names = (
        ((seeker or {}).get("person") or {}).get("name"),
        ((job or {}).get("employer") or {}).get("contact_name"),
    )
    return tuple(n for n in names if n)


def _history(frm: str | None, to: str, actor: Actor, at: datetime, reason: str | None = None) -> dict:
    entry = {"from": frm, "to": to, "at": at, "actor_id": actor.id, "actor_role": actor.role}
    if reason:
        entry["reason"] = reason
    return entry


# --- seekers -----------------------------------------------------------------------------------------


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
        "history": [_history(None, "draft", SYSTEM, now)],
    }
    change = Change()
    change.record(
        ev.SEEKER_DRAFTED,
        _event(
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
    change = Change(set=values, push={"history": _history(doc.get("status"), "active", actor, now)})
    change.record(
        ev.SEEKER_REGISTERED,
        _event(
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
            _progress(
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
        _event(
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
        push={"history": _history(doc["status"], "closed", actor, now, reason)},
    )
    change.record(
        ev.SEEKER_CLOSED,
        _event(
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


# --- jobs --------------------------------------------------------------------------------------------


def _job_facts(doc: dict, status: str, actor: Actor) -> dict:
    return {
        "job_id": doc["_id"],
        "community": doc["community"],
        "compound": doc.get("compound"),
        "status": status,
        "request_id": doc.get("request_id"),
        "actor_role": actor.role,
    }


def job_draft_from_intake(data, now: datetime) -> tuple[dict, Change]:
    doc = {
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
        "history": [_history(None, "draft", SYSTEM, now)],
    }
    change = Change()
    change.record(
        ev.JOB_DRAFTED,
        _event(
            ev.JOB_DRAFTED,
            doc["_id"],
            doc["community"],
            ev.JobDrafted(**_job_facts(doc, "draft", SYSTEM), description=pii.scrub_text(data.description)),
            now,
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
        "contact_name": f.pop("contact_name"),
        "contact_phone": f.pop("contact_phone"),
    }
    return {**f, "hours": hours, "pay": pay, "employer": employer}


def _posted_event(doc: dict, actor: Actor, now: datetime) -> dict:
    return _event(
        ev.JOB_POSTED,
        doc["_id"],
        doc["community"],
        ev.JobPosted(
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
        now,
    )


def post_job(fields: dict, actor: Actor, employer_id: str | None, now: datetime) -> tuple[dict, Change]:
    doc = {
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
        "history": [_history(None, "open", actor, now)],
    }
    change = Change()
    change.record(ev.JOB_POSTED, _posted_event(doc, actor, now))
    return doc, change


def publish_draft(doc: dict, fields: dict, actor: Actor, employer_id: str | None, now: datetime) -> Change:
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
    change = Change(set=values, push={"history": _history("draft", "open", actor, now)})
    change.record(ev.JOB_POSTED, _posted_event(after, actor, now))
    if doc.get("request_id"):
        change.record(
            ev.PROGRESS,
            _progress(
                doc["_id"],
                after["community"],
                doc["request_id"],
                "in_progress",
                "招聘岗位已发布，正在匹配求职者",
                now,
            ),
        )
    return change


def close_job(doc: dict, reason: str, actor: Actor, now: datetime) -> Change:
    if doc["status"] not in ("open", "draft"):
        raise InvalidTransition(f"a {doc['status']} job cannot be closed", {"status": doc["status"]})
    to = "filled" if reason == "filled" else "closed"
    change = Change(
        set={"status": to, "closed_reason": reason, "updated_at": now},
        push={"history": _history(doc["status"], to, actor, now, reason)},
    )
    change.record(
        ev.JOB_CLOSED,
        _event(
            ev.JOB_CLOSED,
            doc["_id"],
            doc["community"],
            ev.JobClosed(**_job_facts(doc, to, actor), reason=reason),
            now,
        ),
    )
    return change


# --- referrals ---------------------------------------------------------------------------------------


def _reasons(match: Match) -> list[dict]:
    return [
        {
            "component": r.component,
            "weight": r.weight,
            "value": round(r.value, 4),
            "contribution": round(r.contribution, 4),
            "detail": r.detail,
        }
        for r in match.reasons
    ]


def _referral_facts(doc: dict, stage: str, actor: Actor) -> dict:
    return {
        "referral_id": doc["_id"],
        "seeker_id": doc["seeker_id"],
        "job_id": doc["job_id"],
        "community": doc["community"],
        "job_community": doc["job_community"],
        "stage": stage,
        "target_group": doc.get("target_group"),
        "actor_role": actor.role,
    }


def new_referral(
    seeker: dict, job: dict, match: Match, trigger: str, actor: Actor, now: datetime, stage: str = "suggested"
) -> tuple[dict, Change]:
    """A referral at `suggested` (from matching) or `referred` (staff referring directly)."""
    if not match.eligible:
        raise InvalidInput(
            "this seeker cannot take this job",
            [{"field": "job_id", "message": r.detail} for r in match.blocked_by],
        )
    doc = {
        "_id": referral_id(seeker["_id"], job["_id"]),
        "seeker_id": seeker["_id"],
        "job_id": job["_id"],
        "community": seeker["community"],
        "job_community": job["community"],
        "job_title": job["title"],
        "employer_id": job.get("employer_id"),
        "target_group": public_group(seeker),
        "request_id": seeker.get("request_id"),
        "job_request_id": job.get("request_id"),
        "hours_type": job["hours"]["type"],
        "hours_per_week": job["hours"]["hours_per_week"],
        "stage": stage,
        "score": round(match.score, 4),
        "reasons": _reasons(match),
        "trigger": trigger,
        "retention": [],
        "next_check_at": None,
        "placement_synced": True,
        "created_at": now,
        "updated_at": now,
        "history": [_history(None, stage, actor, now)],
    }
    change = Change()
    change.record(
        ev.REFERRAL_SUGGESTED,
        _event(
            ev.REFERRAL_SUGGESTED,
            doc["_id"],
            doc["community"],
            ev.ReferralSuggested(
                **_referral_facts(doc, "suggested", actor),
                score=doc["score"],
                trigger=trigger,
                reasons=[
                    ev.ReasonOut(component=r["component"], value=r["value"], contribution=r["contribution"])
                    for r in doc["reasons"]
                ],
            ),
            now,
        ),
    )
    if stage != "suggested":
        change.record(
            ev.REFERRAL_STAGE_CHANGED,
            _event(
                ev.REFERRAL_STAGE_CHANGED,
                doc["_id"],
                doc["community"],
                ev.ReferralStageChanged(**_referral_facts(doc, stage, actor), previous_stage="suggested"),
                now,
            ),
        )
    return doc, change


def check_job_open(job: dict, action: str) -> None:
    """Taking a referral forward (refer, interview, offer) needs the job still open: a closed or
    filled job takes nobody. Declining stays possible whatever the job's status."""
    if job["status"] != "open":
        raise InvalidTransition(
            f"the job {job['_id']} is {job['status']}; only an open job allows {action}",
            {"field": "job_id", "job_id": job["_id"], "status": job["status"]},
        )


def transition(
    doc: dict,
    action: str,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    declined_by: str | None = None,
    names: tuple[str, ...] = (),
) -> Change:
    """`names`: people (known_names() of the seeker and the job) whose names are masked in the reason."""
    allowed_from, to = TRANSITIONS[action]
    if doc["stage"] not in allowed_from:
        raise InvalidTransition(
            f"cannot {action} a referral that is {doc['stage']}",
            {"stage": doc["stage"], "allowed_from": sorted(allowed_from)},
        )
    reason = pii.scrub_text(reason, names)
    change = Change(
        set={"stage": to, "updated_at": now}, push={"history": _history(doc["stage"], to, actor, now, reason)}
    )
    if action == "decline":
        change.set.update(decline_reason=reason, declined_by=declined_by)
    change.record(
        ev.REFERRAL_STAGE_CHANGED,
        _event(
            ev.REFERRAL_STAGE_CHANGED,
            doc["_id"],
            doc["community"],
            ev.ReferralStageChanged(
                **_referral_facts(doc, to, actor),
                previous_stage=doc["stage"],
                reason=reason,
                declined_by=declined_by,
            ),
            now,
        ),
    )
    return change


def hire(doc: dict, actor: Actor, now: datetime) -> Change:
    """The referral's own hire, the last step of a hire: the job's opening and the seeker's placement
    are reserved before it (reserve_opening, reserve_placement), and it is committed at the version
    of the referral those reservations were made from."""
    change = transition(doc, "hire", actor, now)
    retention = [
        {
            "checkpoint": d,
            "due_at": now + timedelta(days=d),
            "status": "scheduled",
            "reason": None,
            "recorded_at": None,
        }
        for d in CHECKPOINTS
    ]
    change.set.update(
        hired_at=now, retention=retention, next_check_at=retention[0]["due_at"], placement_synced=False
    )
    if doc.get("request_id"):
        change.record(
            ev.PROGRESS,
            _progress(
                doc["_id"],
                doc["community"],
                doc["request_id"],
                "resolved",
                f"已成功上岗：{doc['job_title']}",
                now,
            ),
        )
    if doc.get("job_request_id"):
        change.record(
            ev.PROGRESS,
            _progress(
                doc["_id"],
                doc["job_community"],
                doc["job_request_id"],
                "resolved",
                f"岗位「{doc['job_title']}」已招到人",
                now,
            ),
        )
    return change


def retention_due(doc: dict, now: datetime) -> Change | None:
    """The worker fires the next scheduled check once it is due (staff then record the outcome)."""
    if (
        doc["stage"] not in ("hired", "retained")
        or not doc.get("next_check_at")
        or doc["next_check_at"] > now
    ):
        return None
    retention = [dict(c) for c in doc["retention"]]
    check = next((c for c in retention if c["status"] == "scheduled"), None)
    if check is None:
        return Change(set={"next_check_at": None})
    check["status"] = "due"
    change = Change(set={"retention": retention, "next_check_at": None, "updated_at": now})
    change.record(
        ev.RETENTION_CHECK_DUE,
        _event(
            ev.RETENTION_CHECK_DUE,
            doc["_id"],
            doc["community"],
            ev.RetentionCheckDue(
                **_referral_facts(doc, doc["stage"], SYSTEM),
                checkpoint=check["checkpoint"],
                due_at=check["due_at"],
            ),
            now,
        ),
    )
    return change


def record_retention(
    doc: dict,
    checkpoint: int,
    outcome: str,
    reason: str | None,
    actor: Actor,
    now: datetime,
    names: tuple[str, ...] = (),
) -> Change:
    retention = [dict(c) for c in doc.get("retention", [])]
    check = next((c for c in retention if c["checkpoint"] == checkpoint), None)
    if doc["stage"] not in ("hired", "retained") or check is None:
        raise InvalidTransition(
            f"no retention check for a referral that is {doc['stage']}", {"stage": doc["stage"]}
        )
    if check["status"] != "due":
        raise InvalidTransition(
            f"the {checkpoint}-day check is {check['status']}, not due",
            {"checkpoint": checkpoint, "status": check["status"]},
        )
    reason = pii.scrub_text(reason, names)
    check.update(status=outcome, reason=reason, recorded_at=now)
    stage = "retained" if outcome == "retained" else "left"
    if outcome == "left":
        for c in retention:
            if c["status"] == "scheduled":
                c["status"] = "left"
    following = next((c for c in retention if c["status"] == "scheduled"), None)
    change = Change(
        set={
            "retention": retention,
            "stage": stage,
            "updated_at": now,
            "next_check_at": following["due_at"] if following else None,
        },
        push={"history": _history(doc["stage"], stage, actor, now, reason)},
    )
    if outcome == "left":
        change.set.update(left_reason=reason, left_at=now, placement_synced=False)
    change.record(
        ev.RETENTION_CHECKED,
        _event(
            ev.RETENTION_CHECKED,
            doc["_id"],
            doc["community"],
            ev.RetentionChecked(
                **_referral_facts(doc, stage, actor), checkpoint=checkpoint, outcome=outcome, reason=reason
            ),
            now,
        ),
    )
    return change


# --- hiring: reservations on the job and the seeker before the referral's own write -------------------
#
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


def _reservation(referral: dict, now: datetime) -> dict:
    return {"referral_id": referral["_id"], "version": referral["version"], "at": now}


def _pending(doc: dict, referral_id: str) -> dict | None:
    return next((r for r in doc.get("reservations", []) if r["referral_id"] == referral_id), None)


def _without(doc: dict, referral_id: str) -> list[dict]:
    return [r for r in doc.get("reservations", []) if r["referral_id"] != referral_id]


def _already_reserved(doc: dict, referral: dict, now: datetime) -> Change | None:
    """The referral is already in the job's hires or the seeker's placements. Nothing to do when this
    attempt (or a newer one, or the hire itself) made it; a reservation left by an attempt from an
    older version of the referral (one that can no longer commit) is taken over, so that releasing
    that attempt's reservation leaves this one's in place."""
    mine = _pending(doc, referral["_id"])
    if mine is None or mine["version"] >= referral["version"]:
        return None
    return Change(
        set={
            "reservations": [*_without(doc, referral["_id"]), _reservation(referral, now)],
            "updated_at": now,
        }
    )


def _released(referral: dict | None, version: int) -> bool:
    """No attempt to hire from `version` of the referral can still commit: the referral moved past it."""
    return referral is None or referral["version"] > version


def _releasable(doc: dict, referral_id: str, version: int, referral: dict | None) -> bool:
    """`doc` holds a reservation for the referral made by an attempt from `version` (or an older
    one), and no such attempt can still commit."""
    mine = _pending(doc, referral_id)
    return mine is not None and mine["version"] <= version and _released(referral, version)


def _seeker_status(seeker: dict, placements: list[str]) -> str:
    return seeker["status"] if seeker["status"] == "closed" else "placed" if placements else "active"


def _close_filled(change: Change, job: dict, now: datetime) -> None:
    closing = close_job(job, "filled", SYSTEM, now)
    change.set.update(closing.set)
    change.push.update(closing.push)
    change.outbox += closing.outbox


def check_job_has_room(job: dict, referral: dict) -> None:
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


def reserve_opening(job: dict, referral: dict, now: datetime) -> Change | None:
    """First step of a hire: take one of the job's openings for `referral` (as read before the hire),
    closing the job as filled when this takes the last one. None if it is already taken for it."""
    if referral["_id"] in job.get("hires", []):
        return _already_reserved(job, referral, now)
    check_job_has_room(job, referral)
    hires = [*job.get("hires", []), referral["_id"]]
    change = Change(
        set={
            "hires": hires,
            "filled": len(hires),
            "updated_at": now,
            "reservations": [*_without(job, referral["_id"]), _reservation(referral, now)],
        }
    )
    if len(hires) >= job["openings"]:
        _close_filled(change, job, now)
    return change


def reserve_placement(seeker: dict, referral: dict, current: list[dict], now: datetime) -> Change | None:
    """Second step of a hire: add `referral` to the seeker's placements within check_can_hold. `current`:
    the referrals of the seeker's `placements`. Their hours never change, so they may be read after the
    seeker; one that was declined or left holds nothing, even before its departure reaches the seeker.
    None if the placement is already reserved for this referral. Being hired counts as activity."""
    if referral["_id"] in seeker.get("placements", []):
        return _already_reserved(seeker, referral, now)
    check_can_hold(
        seeker, referral, [p for p in current if p["_id"] != referral["_id"] and p["stage"] not in ENDED]
    )
    placements = [*seeker.get("placements", []), referral["_id"]]
    return Change(
        set={
            "placements": placements,
            "status": _seeker_status(seeker, placements),
            "reservations": [*_without(seeker, referral["_id"]), _reservation(referral, now)],
            "updated_at": now,
            "last_active_at": now,
        }
    )


def abandon_hire(referral: dict, now: datetime) -> Change:
    """An attempt to hire from this version of the referral reserved an opening or a placement and will
    not (or did not, within the grace period) commit the hire: move the referral's version on, stage
    unchanged, so that attempt's commit fails should it still come, and its reservations can go."""
    return Change(set={"hire_abandoned_at": now})


def settle_opening(
    job: dict, referral_id: str, version: int, referral: dict | None, now: datetime
) -> Change | None:
    """After an attempt to hire from `version` of the referral failed or was abandoned. `referral`: as
    it is now (None if gone). A referral hired after all (by a concurrent attempt) keeps its opening;
    otherwise the opening that attempt reserved is given back, once the referral has moved past
    `version`, and a job the reservation had closed as filled is open again."""
    if referral is not None and referral["stage"] in HIRED:
        return job_hire_change(job, referral, now)
    if not _releasable(job, referral_id, version, referral):
        return None
    hires = [h for h in job.get("hires", []) if h != referral_id]
    change = Change(
        set={
            "hires": hires,
            "filled": len(hires),
            "reservations": _without(job, referral_id),
            "updated_at": now,
        }
    )
    if job["status"] == "filled" and len(hires) < job["openings"]:
        reopened = {**job, "status": "open"}
        change.set.update(status="open", closed_reason=None)
        change.push["history"] = _history("filled", "open", SYSTEM, now, "hire_not_completed")
        change.record(ev.JOB_POSTED, _posted_event(reopened, SYSTEM, now))
    return change


def settle_placement(
    seeker: dict, referral_id: str, version: int, referral: dict | None, now: datetime
) -> Change | None:
    """The seeker's side of settle_opening: a referral that holds the job keeps its placement; otherwise
    the placement that attempt reserved is released once the referral has moved past `version`."""
    if referral is not None and referral["stage"] in HOLDING:
        return seeker_placement_change(seeker, referral, now)
    if not _releasable(seeker, referral_id, version, referral):
        return None
    placements = [p for p in seeker.get("placements", []) if p != referral_id]
    return Change(
        set={
            "placements": placements,
            "status": _seeker_status(seeker, placements),
            "reservations": _without(seeker, referral_id),
            "updated_at": now,
        }
    )


def expired_reservations(doc: dict, now: datetime, grace: timedelta) -> list[dict]:
    """Reservations older than the grace period: their attempt crashed or stalled (an attempt takes
    well under a second), so the worker settles them."""
    return [r for r in doc.get("reservations", []) if r["at"] <= now - grace]


# --- placement bookkeeping once the referral is written (hire confirmed, departure) ----------------------


def seeker_placement_change(seeker: dict, referral: dict, now: datetime) -> Change | None:
    """A referral holding the job confirms its placement (reserved before the hire; added here for one
    hired without a reservation); one that left gives it up. Other stages are left to settle_placement."""
    placements = list(seeker.get("placements", []))
    rid = referral["_id"]
    if referral["stage"] in HOLDING:
        if rid in placements and _pending(seeker, rid) is None:
            return None
        if rid in placements:
            return Change(set={"reservations": _without(seeker, rid), "updated_at": now})
        placements.append(rid)
    elif referral["stage"] in ENDED and (rid in placements or _pending(seeker, rid) is not None):
        placements = [p for p in placements if p != rid]
    else:
        return None
    return Change(
        set={
            "placements": placements,
            "status": _seeker_status(seeker, placements),
            "reservations": _without(seeker, rid),
            "updated_at": now,
            "last_active_at": now,
        }
    )


def job_hire_change(job: dict, referral: dict, now: datetime) -> Change | None:
    """A hired referral confirms the opening it reserved (or takes one, if hired without a reservation).
    The opening stays taken after the person left (HIRED includes `left`)."""
    rid = referral["_id"]
    hires = job.get("hires", [])
    if referral["stage"] not in HIRED or (rid in hires and _pending(job, rid) is None):
        return None
    change = Change(set={"reservations": _without(job, rid), "updated_at": now})
    if rid not in hires:
        hires = [*hires, rid]
        change.set.update(hires=hires, filled=len(hires))
        if len(hires) >= job["openings"] and job["status"] == "open":
            _close_filled(change, job, now)
    return change


# --- outreach ----------------------------------------------------------------------------------------


def outreach_task(seeker: dict, job: dict, score: float, now: datetime) -> tuple[dict, Change]:
    reason = f"新岗位「{job['title']}」与长期未活跃的求职者匹配（得分 {score:.2f}），请社区工作人员主动联系"
    doc = {
        "_id": outreach_id(seeker["_id"], job["_id"]),
        "seeker_id": seeker["_id"],
        "job_id": job["_id"],
        "community": seeker["community"],
        "target_group": public_group(seeker),
        "score": round(score, 4),
        "reason": pii.scrub_text(reason),
        "status": "open",
        "outcome": None,
        "created_at": now,
        "updated_at": now,
    }
    change = Change()
    change.record(
        ev.OUTREACH_CREATED,
        _event(
            ev.OUTREACH_CREATED,
            doc["_id"],
            doc["community"],
            ev.OutreachTaskCreated(
                task_id=doc["_id"],
                seeker_id=doc["seeker_id"],
                job_id=doc["job_id"],
                community=doc["community"],
                target_group=doc["target_group"],
                score=doc["score"],
                reason=doc["reason"],
            ),
            now,
        ),
    )
    return doc, change


def outreach_done(
    doc: dict, outcome: str, note: str | None, actor: Actor, now: datetime, names: tuple[str, ...] = ()
) -> Change:
    """`names`: known_names() of the task's seeker and job, masked in the note."""
    if doc["status"] != "open":
        raise InvalidTransition("the outreach task is already done", {"status": doc["status"]})
    change = Change(
        set={
            "status": "done",
            "outcome": outcome,
            "note": pii.scrub_text(note, names),
            "done_by": actor.id,
            "updated_at": now,
        }
    )
    change.record(
        ev.OUTREACH_DONE,
        _event(
            ev.OUTREACH_DONE,
            doc["_id"],
            doc["community"],
            ev.OutreachTaskDone(
                task_id=doc["_id"], seeker_id=doc["seeker_id"], community=doc["community"], outcome=outcome
            ),
            now,
        ),
    )
    return change


# --- statistics --------------------------------------------------------------------------------------


def _count(items, key) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[key(item)] = out.get(key(item), 0) + 1
    return dict(sorted(out.items()))


def compute_statistics(
    seekers: list[dict], referrals: list[dict], jobs: list[dict], with_sensitive: bool
) -> dict:
    """Seekers and placements by target group and community, time to placement, retention at 90 and
    180 days (of the checks recorded), open positions against active seekers. The difficulty group
    is counted only for roles that may see it."""
    registered = [s for s in seekers if s["status"] != "draft"]
    by_group = _count(registered, group_label)
    placed = [r for r in referrals if r.get("hired_at")]
    seeker_by_id = {s["_id"]: s for s in seekers}
    placements_by_group = _count(placed, lambda r: r.get("target_group") or "none")
    if with_sensitive:
        by_group["employment_difficulty"] = sum(1 for s in registered if s.get("employment_difficulty"))
        placements_by_group["employment_difficulty"] = sum(
            1 for r in placed if (seeker_by_id.get(r["seeker_id"]) or {}).get("employment_difficulty")
        )
    days = []
    for r in placed:
        s = seeker_by_id.get(r["seeker_id"])
        if s and s.get("consent"):
            days.append((r["hired_at"] - s["consent"]["given_at"]).total_seconds() / 86400)

    def retention_rate(checkpoint: int) -> float | None:
        outcomes = [
            c["status"]
            for r in placed
            for c in r.get("retention", [])
            if c["checkpoint"] == checkpoint and c.get("recorded_at")
        ]
        return round(outcomes.count("retained") / len(outcomes), 4) if outcomes else None

    return {
        "seekers_by_group": by_group,
        "seekers_by_community": _count(registered, lambda s: s["community"]),
        "placements_by_group": placements_by_group,
        "placements_by_community": _count(placed, lambda r: r["community"]),
        "median_days_to_placement": round(statistics.median(days), 2) if days else None,
        "retention_rate_90": retention_rate(90),
        "retention_rate_180": retention_rate(180),
        "open_positions": sum(
            max(0, j["openings"] - j.get("filled", 0)) for j in jobs if j["status"] == "open"
        ),
        "active_seekers": sum(1 for s in seekers if s["status"] == "active"),
    }
