"""The employment domain: seeker profiles, job postings, referrals, placements and retention checks.

Pure functions, no I/O. A decision takes the current documents (dicts) and returns a Change (fields
to set, history to append, events to record) that the store writes atomically with its events.
Personal data (name, phone, ID number) and the employment-difficulty flag stay in the seeker
document; events carry ids, facts and public target groups only.
"""
from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from civic146 import pii
from civic146.errors import Forbidden, InvalidInput, InvalidTransition
from civic146.events import RequestProgressData, new_event
from civic146.outbox import Change

from . import events as ev
from .matching import Match

CHECKPOINTS = (30, 90, 180)
HOLDING = ("hired", "retained")                 # referral stages in which the seeker holds the job
HIRED = (*HOLDING, "left")                      # ... and those that took one of the job's openings
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


@dataclass(frozen=True)
class Actor:
    id: str
    role: str


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
    return _event(ev.PROGRESS, subject, community, RequestProgressData(
        request_id=request_id, state=state, handled_by="employment", reference=subject,
        summary=pii.scrub_text(summary)), at)


def _history(frm: str | None, to: str, actor: Actor, at: datetime, reason: str | None = None) -> dict:
    entry = {"from": frm, "to": to, "at": at, "actor_id": actor.id, "actor_role": actor.role}
    if reason:
        entry["reason"] = reason
    return entry


# --- seekers -----------------------------------------------------------------------------------------

def _seeker_facts(doc: dict, status: str, actor: Actor) -> dict:
    return {"seeker_id": doc["_id"], "community": doc["community"], "compound": doc.get("compound"),
            "status": status, "request_id": doc.get("request_id"), "actor_role": actor.role}


def profile_summary(profile: dict) -> ev.ProfileSummary:
    av = profile["availability"]
    return ev.ProfileSummary(
        desired_occupations=profile["desired_occupations"], skills=profile.get("skills", []),
        hours_types=av["hours_types"], shifts=av["shifts"], max_hours_per_week=av["max_hours_per_week"],
        max_commute_km=profile["max_commute_km"], education=profile.get("education") or "none",
        target_group=profile.get("target_group"))


def seeker_draft_from_intake(data, now: datetime) -> tuple[dict, Change]:
    """An intake request routed to employment becomes a draft profile: only masked data is known."""
    doc = {"_id": draft_id("seeker", data.request_id), "status": "draft", "source": "intake",
           "request_id": data.request_id, "community": data.community, "compound": data.compound,
           "description": data.description, "submitter_masked": {"name": data.submitter.name, "phone": data.submitter.phone},
           "owner_ref": data.submitter_ref,
           "resident_id": None, "person": None, "profile": None, "employment_difficulty": None, "consent": None,
           "placements": [], "created_at": now, "updated_at": now, "last_active_at": now,
           "history": [_history(None, "draft", SYSTEM, now)]}
    change = Change()
    change.record(ev.SEEKER_DRAFTED, _event(ev.SEEKER_DRAFTED, doc["_id"], doc["community"], ev.SeekerDrafted(
        **_seeker_facts(doc, "draft", SYSTEM), description=pii.scrub_text(data.description)), now))
    return doc, change


def _consent(fields: dict, actor: Actor, now: datetime, default_days: int) -> dict:
    days = fields["consent"].get("retention_days") or default_days
    return {"given_at": now, "given_by": actor.id, "via": "resident" if actor.role == "resident" else "staff_assisted",
            "retention_days": days, "expires_at": now + timedelta(days=days)}


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
        raise Forbidden("the request has no name and phone to check yours against; community staff complete "
                        "this profile with you")
    if pii.mask_phone(person["phone"]) != masked["phone"]:
        raise Forbidden("this draft belongs to another resident (phone does not match the request)")
    if pii.mask_name(person["name"]) != masked["name"]:
        raise Forbidden("this draft belongs to another resident (name does not match the request)")


def _activation(doc: dict, fields: dict, actor: Actor, now: datetime, default_days: int) -> tuple[dict, Change]:
    """Fields and events shared by registration and completion of a draft."""
    consent = _consent(fields, actor, now, default_days)
    values = {"status": "active", "community": fields["community"], "compound": fields.get("compound"),
              "person": fields["person"], "profile": fields["profile"],
              "employment_difficulty": bool(fields.get("employment_difficulty")), "consent": consent,
              "updated_at": now, "last_active_at": now}
    if actor.role == "resident":
        values["resident_id"] = actor.id
    after = {**doc, **values}
    change = Change(set=values, push={"history": _history(doc.get("status"), "active", actor, now)})
    change.record(ev.SEEKER_REGISTERED, _event(ev.SEEKER_REGISTERED, doc["_id"], after["community"], ev.SeekerRegistered(
        **_seeker_facts(after, "active", actor), profile=profile_summary(fields["profile"]),
        consent_expires_at=consent["expires_at"]), now))
    if doc.get("request_id"):
        change.record(ev.PROGRESS, _progress(doc["_id"], after["community"], doc["request_id"], "in_progress",
                                             "求职档案已完善，正在为您匹配附近岗位", now))
    return after, change


def register_seeker(fields: dict, actor: Actor, now: datetime, default_days: int) -> tuple[dict, Change]:
    doc = {"_id": new_id(), "status": None, "source": "registration", "request_id": None, "resident_id": None,
           "placements": [], "created_at": now, "history": []}
    after, change = _activation(doc, fields, actor, now, default_days)
    after["history"] = [change.push["history"]]
    return after, Change(outbox=change.outbox)  # the document is inserted whole


def complete_seeker(doc: dict, fields: dict, actor: Actor, now: datetime, default_days: int,
                    caller_ref: str | None = None) -> Change:
    if doc["status"] != "draft":
        raise InvalidTransition(f"only a draft profile can be completed; this one is {doc['status']}",
                                {"status": doc["status"]})
    check_claim(doc, fields["person"], actor, caller_ref)
    return _activation(doc, fields, actor, now, default_days)[1]


def update_profile(doc: dict, profile: dict, actor: Actor, now: datetime) -> Change:
    if doc["status"] not in ("active", "placed"):
        raise InvalidTransition(f"a {doc['status']} profile cannot be changed", {"status": doc["status"]})
    change = Change(set={"profile": profile, "updated_at": now, "last_active_at": now})
    change.record(ev.SEEKER_UPDATED, _event(ev.SEEKER_UPDATED, doc["_id"], doc["community"], ev.SeekerUpdated(
        **_seeker_facts(doc, doc["status"], actor), profile=profile_summary(profile)), now))
    return change


def close_seeker(doc: dict, reason: str, actor: Actor, now: datetime) -> Change:
    """Consent withdrawn or retention over: erase personal and sensitive data, keep the anonymous facts
    that statistics need (community, public target group, placements)."""
    if doc["status"] == "closed":
        raise InvalidTransition("the profile is already closed", {"status": "closed"})
    change = Change(set={"status": "closed", "person": None, "employment_difficulty": None, "submitter_masked": None,
                         "owner_ref": None,
                         "description": None, "closed_reason": reason, "updated_at": now},
                    push={"history": _history(doc["status"], "closed", actor, now, reason)})
    change.record(ev.SEEKER_CLOSED, _event(ev.SEEKER_CLOSED, doc["_id"], doc["community"], ev.SeekerClosed(
        **_seeker_facts(doc, "closed", actor), reason=reason), now))
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
    return seeker.get("last_active_at") is not None and now - seeker["last_active_at"] >= timedelta(days=after_days)


# --- jobs --------------------------------------------------------------------------------------------

def _job_facts(doc: dict, status: str, actor: Actor) -> dict:
    return {"job_id": doc["_id"], "community": doc["community"], "compound": doc.get("compound"), "status": status,
            "request_id": doc.get("request_id"), "actor_role": actor.role}


def job_draft_from_intake(data, now: datetime) -> tuple[dict, Change]:
    doc = {"_id": draft_id("job", data.request_id), "status": "draft", "source": "intake",
           "request_id": data.request_id, "community": data.community, "compound": data.compound,
           "description": data.description, "employer_id": None, "filled": 0, "hires": [], "created_at": now, "updated_at": now,
           "history": [_history(None, "draft", SYSTEM, now)]}
    change = Change()
    change.record(ev.JOB_DRAFTED, _event(ev.JOB_DRAFTED, doc["_id"], doc["community"], ev.JobDrafted(
        **_job_facts(doc, "draft", SYSTEM), description=pii.scrub_text(data.description)), now))
    return doc, change


def job_values(fields: dict) -> dict:
    """API fields -> stored job (hours and pay grouped as matching reads them)."""
    f = dict(fields)
    hours = {"type": f.pop("hours_type"), "shifts": f.pop("shifts"), "hours_per_week": f.pop("hours_per_week")}
    pay = {"min": f.pop("pay_min"), "max": f.pop("pay_max"), "unit": f.pop("pay_unit")}
    employer = {"name": f.pop("employer_name"), "contact_name": f.pop("contact_name"),
                "contact_phone": f.pop("contact_phone")}
    return {**f, "hours": hours, "pay": pay, "employer": employer}


def _posted_event(doc: dict, actor: Actor, now: datetime) -> dict:
    return _event(ev.JOB_POSTED, doc["_id"], doc["community"], ev.JobPosted(
        **_job_facts(doc, "open", actor), employer_name=doc["employer"]["name"], title=pii.scrub_text(doc["title"]),
        occupation=doc["occupation"], required_skills=doc["required_skills"], optional_skills=doc["optional_skills"],
        hours_type=doc["hours"]["type"], shifts=doc["hours"]["shifts"], hours_per_week=doc["hours"]["hours_per_week"],
        pay_min=doc["pay"]["min"], pay_max=doc["pay"]["max"], pay_unit=doc["pay"]["unit"], openings=doc["openings"],
        no_experience_needed=doc["no_experience_needed"], age_friendly=doc["age_friendly"],
        accessible=doc["accessible"], valid_until=doc.get("valid_until")), now)


def post_job(fields: dict, actor: Actor, employer_id: str | None, now: datetime) -> tuple[dict, Change]:
    doc = {"_id": new_id(), "status": "open", "source": "posting", "request_id": None, "employer_id": employer_id,
           **job_values(fields), "filled": 0, "hires": [], "created_at": now, "updated_at": now,
           "history": [_history(None, "open", actor, now)]}
    change = Change()
    change.record(ev.JOB_POSTED, _posted_event(doc, actor, now))
    return doc, change


def publish_draft(doc: dict, fields: dict, actor: Actor, employer_id: str | None, now: datetime) -> Change:
    if doc["status"] != "draft":
        raise InvalidTransition(f"only a draft posting can be published; this one is {doc['status']}",
                                {"status": doc["status"]})
    values = {**job_values(fields), "status": "open", "employer_id": employer_id or doc.get("employer_id"),
              "updated_at": now}
    after = {**doc, **values}
    change = Change(set=values, push={"history": _history("draft", "open", actor, now)})
    change.record(ev.JOB_POSTED, _posted_event(after, actor, now))
    if doc.get("request_id"):
        change.record(ev.PROGRESS, _progress(doc["_id"], after["community"], doc["request_id"], "in_progress",
                                             "招聘岗位已发布，正在匹配求职者", now))
    return change


def close_job(doc: dict, reason: str, actor: Actor, now: datetime) -> Change:
    if doc["status"] not in ("open", "draft"):
        raise InvalidTransition(f"a {doc['status']} job cannot be closed", {"status": doc["status"]})
    to = "filled" if reason == "filled" else "closed"
    change = Change(set={"status": to, "closed_reason": reason, "updated_at": now},
                    push={"history": _history(doc["status"], to, actor, now, reason)})
    change.record(ev.JOB_CLOSED, _event(ev.JOB_CLOSED, doc["_id"], doc["community"], ev.JobClosed(
        **_job_facts(doc, to, actor), reason=reason), now))
    return change


# --- referrals ---------------------------------------------------------------------------------------

def _reasons(match: Match) -> list[dict]:
    return [{"component": r.component, "weight": r.weight, "value": round(r.value, 4),
             "contribution": round(r.contribution, 4), "detail": r.detail} for r in match.reasons]


def _referral_facts(doc: dict, stage: str, actor: Actor) -> dict:
    return {"referral_id": doc["_id"], "seeker_id": doc["seeker_id"], "job_id": doc["job_id"],
            "community": doc["community"], "job_community": doc["job_community"], "stage": stage,
            "target_group": doc.get("target_group"), "actor_role": actor.role}


def new_referral(seeker: dict, job: dict, match: Match, trigger: str, actor: Actor, now: datetime,
                 stage: str = "suggested") -> tuple[dict, Change]:
    """A referral at `suggested` (from matching) or `referred` (staff referring directly)."""
    if not match.eligible:
        raise InvalidInput("this seeker cannot take this job", [
            {"field": "job_id", "message": r.detail} for r in match.blocked_by])
    doc = {"_id": referral_id(seeker["_id"], job["_id"]), "seeker_id": seeker["_id"], "job_id": job["_id"],
           "community": seeker["community"], "job_community": job["community"], "job_title": job["title"],
           "employer_id": job.get("employer_id"), "target_group": public_group(seeker),
           "request_id": seeker.get("request_id"), "job_request_id": job.get("request_id"),
           "hours_type": job["hours"]["type"], "hours_per_week": job["hours"]["hours_per_week"],
           "stage": stage, "score": round(match.score, 4), "reasons": _reasons(match), "trigger": trigger,
           "retention": [], "next_check_at": None, "placement_synced": True, "created_at": now, "updated_at": now,
           "history": [_history(None, stage, actor, now)]}
    change = Change()
    change.record(ev.REFERRAL_SUGGESTED, _event(ev.REFERRAL_SUGGESTED, doc["_id"], doc["community"], ev.ReferralSuggested(
        **_referral_facts(doc, "suggested", actor), score=doc["score"], trigger=trigger,
        reasons=[ev.ReasonOut(component=r["component"], value=r["value"], contribution=r["contribution"])
                 for r in doc["reasons"]]), now))
    if stage != "suggested":
        change.record(ev.REFERRAL_STAGE_CHANGED, _event(ev.REFERRAL_STAGE_CHANGED, doc["_id"], doc["community"],
                      ev.ReferralStageChanged(**_referral_facts(doc, stage, actor), previous_stage="suggested"), now))
    return doc, change


def check_job_open(job: dict, action: str) -> None:
    """Taking a referral forward (refer, interview, offer) needs the job still open: a closed or
    filled job takes nobody. Declining stays possible whatever the job's status."""
    if job["status"] != "open":
        raise InvalidTransition(f"the job {job['_id']} is {job['status']}; only an open job allows {action}",
                                {"field": "job_id", "job_id": job["_id"], "status": job["status"]})


def transition(doc: dict, action: str, actor: Actor, now: datetime, reason: str | None = None,
               declined_by: str | None = None, names: tuple[str, ...] = ()) -> Change:
    """`names`: people (the seeker) whose names are masked in the reason."""
    allowed_from, to = TRANSITIONS[action]
    if doc["stage"] not in allowed_from:
        raise InvalidTransition(f"cannot {action} a referral that is {doc['stage']}",
                                {"stage": doc["stage"], "allowed_from": sorted(allowed_from)})
    reason = pii.scrub_text(reason, names)
    change = Change(set={"stage": to, "updated_at": now}, push={"history": _history(doc["stage"], to, actor, now, reason)})
    if action == "decline":
        change.set.update(decline_reason=reason, declined_by=declined_by)
    change.record(ev.REFERRAL_STAGE_CHANGED, _event(ev.REFERRAL_STAGE_CHANGED, doc["_id"], doc["community"],
                  ev.ReferralStageChanged(**_referral_facts(doc, to, actor), previous_stage=doc["stage"], reason=reason,
                                          declined_by=declined_by), now))
    return change


def check_job_has_room(job: dict, hired: list[dict], referral: dict) -> None:
    """The job is open and has an opening left. `hired`: the job's referrals that were hired, the
    source of truth (the job's own `filled` is updated after the hire and can lag)."""
    if job["status"] != "open":
        raise InvalidTransition(f"the job is {job['status']}; only an open job can hire", {"job_status": job["status"]})
    taken = (set(job.get("hires", [])) | {r["_id"] for r in hired}) - {referral["_id"]}
    if len(taken) >= job["openings"]:
        raise InvalidTransition(f"all {job['openings']} openings of the job are taken",
                                {"openings": job["openings"], "hires": sorted(taken)})


def check_can_hold(seeker: dict, referral: dict, current: list[dict]) -> None:
    """One full-time placement, or up to two part-time ones within the seeker's weekly hours.
    `current`: the seeker's referrals in a HOLDING stage (not the seeker's `placements`, which lag)."""
    if not current:
        return
    if referral["hours_type"] != "part_time" or any(p["hours_type"] != "part_time" for p in current):
        raise InvalidTransition("the seeker already holds a placement; only two part-time jobs can be combined",
                                {"placements": [p["_id"] for p in current]})
    if len(current) >= MAX_PART_TIME_PLACEMENTS:
        raise InvalidTransition("the seeker already holds two part-time placements",
                                {"placements": [p["_id"] for p in current]})
    hours = referral["hours_per_week"] + sum(p["hours_per_week"] for p in current)
    limit = seeker["profile"]["availability"]["max_hours_per_week"]
    if hours > limit:
        raise InvalidTransition(f"together the jobs take {hours:g} hours a week, more than the {limit:g} offered",
                                {"hours_per_week": hours})


def hire(doc: dict, seeker: dict, job: dict, holding: list[dict], job_hired: list[dict], actor: Actor,
         now: datetime) -> Change:
    """`holding`: the seeker's referrals in a HOLDING stage; `job_hired`: the job's in a HIRED stage."""
    check_job_has_room(job, job_hired, doc)
    check_can_hold(seeker, doc, holding)
    change = transition(doc, "hire", actor, now)
    retention = [{"checkpoint": d, "due_at": now + timedelta(days=d), "status": "scheduled", "reason": None,
                  "recorded_at": None} for d in CHECKPOINTS]
    change.set.update(hired_at=now, retention=retention, next_check_at=retention[0]["due_at"], placement_synced=False)
    if doc.get("request_id"):
        change.record(ev.PROGRESS, _progress(doc["_id"], doc["community"], doc["request_id"], "resolved",
                                             f"已成功上岗：{doc['job_title']}", now))
    if doc.get("job_request_id"):
        change.record(ev.PROGRESS, _progress(doc["_id"], doc["job_community"], doc["job_request_id"], "resolved",
                                             f"岗位「{doc['job_title']}」已招到人", now))
    return change


def retention_due(doc: dict, now: datetime) -> Change | None:
    """The worker fires the next scheduled check once it is due (staff then record the outcome)."""
    if doc["stage"] not in ("hired", "retained") or not doc.get("next_check_at") or doc["next_check_at"] > now:
        return None
    retention = [dict(c) for c in doc["retention"]]
    check = next((c for c in retention if c["status"] == "scheduled"), None)
    if check is None:
        return Change(set={"next_check_at": None})
    check["status"] = "due"
    change = Change(set={"retention": retention, "next_check_at": None, "updated_at": now})
    change.record(ev.RETENTION_CHECK_DUE, _event(ev.RETENTION_CHECK_DUE, doc["_id"], doc["community"], ev.RetentionCheckDue(
        **_referral_facts(doc, doc["stage"], SYSTEM), checkpoint=check["checkpoint"], due_at=check["due_at"]), now))
    return change


def record_retention(doc: dict, checkpoint: int, outcome: str, reason: str | None, actor: Actor,
                     now: datetime, names: tuple[str, ...] = ()) -> Change:
    retention = [dict(c) for c in doc.get("retention", [])]
    check = next((c for c in retention if c["checkpoint"] == checkpoint), None)
    if doc["stage"] not in ("hired", "retained") or check is None:
        raise InvalidTransition(f"no retention check for a referral that is {doc['stage']}", {"stage": doc["stage"]})
    if check["status"] != "due":
        raise InvalidTransition(f"the {checkpoint}-day check is {check['status']}, not due",
                                {"checkpoint": checkpoint, "status": check["status"]})
    reason = pii.scrub_text(reason, names)
    check.update(status=outcome, reason=reason, recorded_at=now)
    stage = "retained" if outcome == "retained" else "left"
    if outcome == "left":
        for c in retention:
            if c["status"] == "scheduled":
                c["status"] = "left"
    following = next((c for c in retention if c["status"] == "scheduled"), None)
    change = Change(set={"retention": retention, "stage": stage, "updated_at": now,
                         "next_check_at": following["due_at"] if following else None},
                    push={"history": _history(doc["stage"], stage, actor, now, reason)})
    if outcome == "left":
        change.set.update(left_reason=reason, left_at=now, placement_synced=False)
    change.record(ev.RETENTION_CHECKED, _event(ev.RETENTION_CHECKED, doc["_id"], doc["community"], ev.RetentionChecked(
        **_referral_facts(doc, stage, actor), checkpoint=checkpoint, outcome=outcome, reason=reason), now))
    return change


# --- placement bookkeeping on the seeker and the job (after the referral's own write) ------------------

def seeker_placement_change(seeker: dict, referral: dict, now: datetime) -> Change | None:
    placements = list(seeker.get("placements", []))
    holding = referral["stage"] in HOLDING
    if holding == (referral["_id"] in placements):
        return None
    placements = placements + [referral["_id"]] if holding else [p for p in placements if p != referral["_id"]]
    status = seeker["status"] if seeker["status"] == "closed" else "placed" if placements else "active"
    return Change(set={"placements": placements, "status": status, "updated_at": now, "last_active_at": now})


def job_hire_change(job: dict, referral: dict, now: datetime) -> Change | None:
    if referral["stage"] not in HOLDING or referral["_id"] in job.get("hires", []):
        return None
    hires = [*job.get("hires", []), referral["_id"]]
    change = Change(set={"hires": hires, "filled": len(hires), "updated_at": now})
    if len(hires) >= job["openings"] and job["status"] == "open":
        closing = close_job(job, "filled", SYSTEM, now)
        change.set.update(closing.set)
        change.push.update(closing.push)
        change.outbox += closing.outbox
    return change


# --- outreach ----------------------------------------------------------------------------------------

def outreach_task(seeker: dict, job: dict, score: float, now: datetime) -> tuple[dict, Change]:
    reason = f"新岗位「{job['title']}」与长期未活跃的求职者匹配（得分 {score:.2f}），请社区工作人员主动联系"
    doc = {"_id": outreach_id(seeker["_id"], job["_id"]), "seeker_id": seeker["_id"], "job_id": job["_id"],
           "community": seeker["community"], "target_group": public_group(seeker), "score": round(score, 4),
           "reason": pii.scrub_text(reason), "status": "open", "outcome": None, "created_at": now, "updated_at": now}
    change = Change()
    change.record(ev.OUTREACH_CREATED, _event(ev.OUTREACH_CREATED, doc["_id"], doc["community"], ev.OutreachTaskCreated(
        task_id=doc["_id"], seeker_id=doc["seeker_id"], job_id=doc["job_id"], community=doc["community"],
        target_group=doc["target_group"], score=doc["score"], reason=doc["reason"]), now))
    return doc, change


def outreach_done(doc: dict, outcome: str, note: str | None, actor: Actor, now: datetime) -> Change:
    if doc["status"] != "open":
        raise InvalidTransition("the outreach task is already done", {"status": doc["status"]})
    change = Change(set={"status": "done", "outcome": outcome, "note": pii.scrub_text(note), "done_by": actor.id,
                         "updated_at": now})
    change.record(ev.OUTREACH_DONE, _event(ev.OUTREACH_DONE, doc["_id"], doc["community"], ev.OutreachTaskDone(
        task_id=doc["_id"], seeker_id=doc["seeker_id"], community=doc["community"], outcome=outcome), now))
    return change


# --- statistics --------------------------------------------------------------------------------------

def _count(items, key) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[key(item)] = out.get(key(item), 0) + 1
    return dict(sorted(out.items()))


def compute_statistics(seekers: list[dict], referrals: list[dict], jobs: list[dict], with_sensitive: bool) -> dict:
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
            1 for r in placed if (seeker_by_id.get(r["seeker_id"]) or {}).get("employment_difficulty"))
    days = []
    for r in placed:
        s = seeker_by_id.get(r["seeker_id"])
        if s and s.get("consent"):
            days.append((r["hired_at"] - s["consent"]["given_at"]).total_seconds() / 86400)

    def retention_rate(checkpoint: int) -> float | None:
        outcomes = [c["status"] for r in placed for c in r.get("retention", [])
                    if c["checkpoint"] == checkpoint and c.get("recorded_at")]
        return round(outcomes.count("retained") / len(outcomes), 4) if outcomes else None

    return {
        "seekers_by_group": by_group, "seekers_by_community": _count(registered, lambda s: s["community"]),
        "placements_by_group": placements_by_group,
        "placements_by_community": _count(placed, lambda r: r["community"]),
        "median_days_to_placement": round(statistics.median(days), 2) if days else None,
        "retention_rate_90": retention_rate(90), "retention_rate_180": retention_rate(180),
        "open_positions": sum(max(0, j["openings"] - j.get("filled", 0)) for j in jobs if j["status"] == "open"),
        "active_seekers": sum(1 for s in seekers if s["status"] == "active"),
    }
