"""A referral of a seeker to a job: suggested by matching or made by staff, then referred,
interviewed, offered, hired or declined (`REFERRAL`), and after a hire the retention checks at 30,
90 and 180 days. Pure decisions on a `Referral` returning `civic146.change.Change`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

from civic146 import pii
from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidInput, InvalidTransition
from civic146.lifecycle import Lifecycle

from .. import events as ev
from ..common import SYSTEM, event, history_entry, progress, public_group, referral_id
from ..matching.explanation import Match

CHECKPOINTS = (30, 90, 180)

# action -> (stages it may start from, stage it leads to)
REFERRAL = Lifecycle(
    "stage",
    {
        "refer": (frozenset({"suggested"}), "referred"),
        "interview": (frozenset({"referred"}), "interview"),
        "offer": (frozenset({"referred", "interview"}), "offered"),
        "hire": (frozenset({"offered"}), "hired"),
        "decline": (frozenset({"suggested", "referred", "interview", "offered"}), "declined"),
    },
    lambda action, doc: f"cannot {action} a referral that is {doc['stage']}",
)


class Referral(TypedDict, total=False):
    """A stored referral (collection `referrals`), as `new_referral` makes it and the decisions change it."""

    _id: str  # common.referral_id(seeker, job): one per pair
    version: int  # the outbox's commits
    outbox: list[dict]
    seeker_id: str
    job_id: str
    community: str  # the seeker's
    job_community: str
    job_title: str
    employer_id: str | None
    target_group: str | None  # common.public_group()
    request_id: str | None  # the seeker's intake request
    job_request_id: str | None
    hours_type: str
    hours_per_week: float
    stage: str  # REFERRAL's stages, and left
    score: float
    reasons: list[dict]  # the match's: component, weight, value, contribution, detail
    trigger: str
    decline_reason: str | None
    declined_by: str | None
    hired_at: datetime
    hire_abandoned_at: datetime
    retention: list[dict]  # the checks at CHECKPOINTS days
    next_check_at: datetime | None
    left_at: datetime
    left_reason: str | None
    placement_synced: bool  # whether the seeker's placements know the last hire or leaving
    created_at: datetime
    updated_at: datetime
    history: list[dict]  # common.history_entry()


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


def _referral_facts(doc: Referral, stage: str, actor: Actor) -> dict:
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
    seeker: dict,
    job: dict,
    *,
    match: Match,
    trigger: str,
    actor: Actor,
    now: datetime,
    stage: str = "suggested",
) -> tuple[Referral, Change]:
    """A referral at `suggested` (from matching) or `referred` (staff referring directly)."""
    if not match.eligible:
        raise InvalidInput(
            "this seeker cannot take this job",
            [{"field": "job_id", "message": r.detail} for r in match.blocked_by],
        )
    doc: Referral = {
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
        "history": [history_entry(None, stage, actor=actor, at=now)],
    }
    change = Change()
    change.record(
        ev.REFERRAL_SUGGESTED,
        event(
            ev.REFERRAL_SUGGESTED,
            subject=doc["_id"],
            community=doc["community"],
            data=ev.ReferralSuggested(
                **_referral_facts(doc, "suggested", actor),
                score=doc["score"],
                trigger=trigger,
                reasons=[
                    ev.ReasonOut(component=r["component"], value=r["value"], contribution=r["contribution"])
                    for r in doc["reasons"]
                ],
            ),
            at=now,
        ),
    )
    if stage != "suggested":
        change.record(
            ev.REFERRAL_STAGE_CHANGED,
            event(
                ev.REFERRAL_STAGE_CHANGED,
                subject=doc["_id"],
                community=doc["community"],
                data=ev.ReferralStageChanged(
                    **_referral_facts(doc, stage, actor), previous_stage="suggested"
                ),
                at=now,
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
    doc: Referral,
    action: str,
    *,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    declined_by: str | None = None,
    names: tuple[str, ...] = (),
) -> Change:
    """`names`: people (known_names() of the seeker and the job) whose names are masked in the reason."""
    to = REFERRAL.target(doc, action)
    reason = pii.scrub_text(reason, names)
    change = Change(
        set={"stage": to, "updated_at": now},
        push={"history": history_entry(doc["stage"], to, actor=actor, at=now, reason=reason)},
    )
    if action == "decline":
        change.set.update(decline_reason=reason, declined_by=declined_by)
    change.record(
        ev.REFERRAL_STAGE_CHANGED,
        event(
            ev.REFERRAL_STAGE_CHANGED,
            subject=doc["_id"],
            community=doc["community"],
            data=ev.ReferralStageChanged(
                **_referral_facts(doc, to, actor),
                previous_stage=doc["stage"],
                reason=reason,
                declined_by=declined_by,
            ),
            at=now,
        ),
    )
    return change


def hire(doc: Referral, actor: Actor, now: datetime) -> Change:
    """The referral's own hire, the last step of a hire: the job's opening and the seeker's placement
    are reserved before it (reserve_opening, reserve_placement), and it is committed at the version
    of the referral those reservations were made from."""
    change = transition(doc, "hire", actor=actor, now=now)
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
            progress(
                doc["_id"],
                community=doc["community"],
                request_id=doc["request_id"],
                state="resolved",
                summary=f"已成功上岗：{doc['job_title']}",
                at=now,
            ),
        )
    if doc.get("job_request_id"):
        change.record(
            ev.PROGRESS,
            progress(
                doc["_id"],
                community=doc["job_community"],
                request_id=doc["job_request_id"],
                state="resolved",
                summary=f"岗位「{doc['job_title']}」已招到人",
                at=now,
            ),
        )
    return change


def retention_due(doc: Referral, now: datetime) -> Change | None:
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
        event(
            ev.RETENTION_CHECK_DUE,
            subject=doc["_id"],
            community=doc["community"],
            data=ev.RetentionCheckDue(
                **_referral_facts(doc, doc["stage"], SYSTEM),
                checkpoint=check["checkpoint"],
                due_at=check["due_at"],
            ),
            at=now,
        ),
    )
    return change


def record_retention(
    doc: Referral,
    *,
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
        push={"history": history_entry(doc["stage"], stage, actor=actor, at=now, reason=reason)},
    )
    if outcome == "left":
        change.set.update(left_reason=reason, left_at=now, placement_synced=False)
    change.record(
        ev.RETENTION_CHECKED,
        event(
            ev.RETENTION_CHECKED,
            subject=doc["_id"],
            community=doc["community"],
            data=ev.RetentionChecked(
                **_referral_facts(doc, stage, actor), checkpoint=checkpoint, outcome=outcome, reason=reason
            ),
            at=now,
        ),
    )
    return change


def abandon_hire(referral: Referral, now: datetime) -> Change:
    """An attempt to hire from this version of the referral reserved an opening or a placement and will
    not (or did not, within the grace period) commit the hire: move the referral's version on, stage
    unchanged, so that attempt's commit fails should it still come, and its reservations can go."""
    return Change(set={"hire_abandoned_at": now})
