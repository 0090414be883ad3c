"""An outreach task: community staff are asked to contact a seeker, and record the outcome. Three
kinds: a new job fits a dormant middle-aged or older seeker (`job_fit`); a job was pushed to a
seeker with no online channel (`job_push`); a seeker of a pathway stopped answering its contact
attempts (`disengaged`). Pure decisions on an `OutreachTask` returning `civic146.change.Change`."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from civic146 import pii
from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidTransition

from .. import events as ev
from ..common import disengaged_outreach_id, event, outreach_id, public_group

OUTREACH_GROUPS = ("middle_aged", "older_worker")  # whom a new job's outreach tasks are for


class OutreachTask(TypedDict, total=False):
    """A stored outreach task (collection `outreach_tasks`): made by `_task`, ended by `outreach_done`."""

    _id: str  # common.outreach_id() or common.disengaged_outreach_id(): one per seeker (and job)
    version: int  # the outbox's commits
    outbox: list[dict]
    kind: str  # job_fit, job_push, disengaged
    seeker_id: str
    job_id: str | None
    community: str
    target_group: str | None  # common.public_group()
    score: float | None
    reason: str
    status: str  # open, done
    outcome: str | None
    note: str | None
    done_by: str
    created_at: datetime
    updated_at: datetime


def outreach_task(
    seeker: dict, job: dict, *, score: float, now: datetime, kind: str = "job_fit"
) -> tuple[OutreachTask, Change]:
    """About a job: it fits a dormant seeker (job_fit) or was pushed to one with no online channel
    (job_push). One task per seeker and job whatever the kind (the id derives from both)."""
    if kind == "job_push":
        reason = (
            f"新岗位「{job['title']}」适合该求职者（得分 {score:.2f}），"
            "其无线上渠道，请社区工作人员当面或电话告知"
        )
    else:
        reason = (
            f"新岗位「{job['title']}」与长期未活跃的求职者匹配（得分 {score:.2f}），请社区工作人员主动联系"
        )
    return _task(
        outreach_id(seeker["_id"], job["_id"]), seeker, kind, job["_id"], round(score, 4), reason, now
    )


def disengagement_task(seeker: dict, missed: int, now: datetime) -> tuple[OutreachTask, Change]:
    """A seeker of a pathway missed `missed` contact attempts in a row: one task per seeker."""
    reason = (
        f"求职者连续 {missed} 次未回应联系（{seeker['support']['pathway']}），请社区工作人员上门或电话跟进"
    )
    return _task(disengaged_outreach_id(seeker["_id"]), seeker, "disengaged", None, None, reason, now)


def _task(
    task_id: str,
    seeker: dict,
    kind: str,
    job_id: str | None,
    score: float | None,
    reason: str,
    now: datetime,
) -> tuple[OutreachTask, Change]:
    doc: OutreachTask = {
        "_id": task_id,
        "kind": kind,
        "seeker_id": seeker["_id"],
        "job_id": job_id,
        "community": seeker["community"],
        "target_group": public_group(seeker),
        "score": score,
        "reason": pii.scrub_text(reason),
        "status": "open",
        "outcome": None,
        "created_at": now,
        "updated_at": now,
    }
    change = Change()
    change.record(
        ev.OUTREACH_CREATED,
        event(
            ev.OUTREACH_CREATED,
            subject=doc["_id"],
            community=doc["community"],
            data=ev.OutreachTaskOpened(
                task_id=doc["_id"],
                seeker_id=doc["seeker_id"],
                kind=kind,
                job_id=job_id,
                community=doc["community"],
                target_group=doc["target_group"],
                score=score,
                reason=doc["reason"],
            ),
            at=now,
        ),
    )
    return doc, change


def outreach_done(
    doc: OutreachTask,
    *,
    outcome: str,
    note: str | None,
    actor: Actor,
    now: datetime,
    names: tuple[str, ...] = (),
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
        event(
            ev.OUTREACH_DONE,
            subject=doc["_id"],
            community=doc["community"],
            data=ev.OutreachTaskDone(
                task_id=doc["_id"], seeker_id=doc["seeker_id"], community=doc["community"], outcome=outcome
            ),
            at=now,
        ),
    )
    return change
