"""An outreach task: community staff are asked to contact a dormant middle-aged or older seeker
a new job fits, and record the outcome. Pure decisions returning `outbox.Change`."""

from __future__ import annotations

from datetime import datetime

from civic146 import pii
from civic146.auth import Actor
from civic146.errors import InvalidTransition
from civic146.outbox import Change

from .. import events as ev
from ..domain import event, outreach_id, public_group

OUTREACH_GROUPS = ("middle_aged", "older_worker")  # whom a new job's outreach tasks are for


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
        event(
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
        event(
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
