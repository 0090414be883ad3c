"""Step 4, the implementation: it begins once the consultation decided (meetings held, the vote
passed where one is required, the decision reviewed), and its tasks with their progress."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidInput, InvalidTransition

from .. import events as ev
from .reviews import _require_review
from .steps import (
    TOPIC,
    Policy,
    Topic,
    _facts,
    _find,
    _not_before,
    _record,
    _replace,
    happened,
    new_id,
    scrub,
    step_began,
    transition,
)


def start_implementation(
    doc: Topic,
    *,
    decision: str,
    actor: Actor,
    now: datetime,
    policy: Policy,
    started_at: datetime | None = None,
) -> Change:
    when, change = transition(
        doc, "start_implementation", actor=actor, now=now, policy=policy, at=started_at, field="started_at"
    )
    held = [m for m in doc["meetings"] if m["status"] == "held"]
    if not held:
        raise InvalidTransition("hold at least one consultation meeting (with minutes) first")
    if any(v["status"] == "open" for v in doc["votes"]):
        raise InvalidTransition("a residents' vote is still open")
    closed = [v for v in doc["votes"] if v["status"] == "closed"]
    if doc["vote_required"] and (not closed or closed[-1]["result"] != "passed"):
        raise InvalidTransition(
            "this topic is decided by a residents' vote, and no vote has passed yet",
            {"last_vote_result": closed[-1]["result"] if closed else None},
        )
    _not_before(
        when,
        "started_at",
        [
            (max(m["held_at"] for m in held), "the last consultation meeting was held"),
            (max((v["closes_at"] for v in closed), default=None), "the last vote closed"),
        ],
    )
    _require_review(doc, "decision", when, policy)
    change.set["decision"] = scrub(doc, decision, policy)
    _record(
        change,
        ev.IMPLEMENTATION_STARTED,
        doc,
        ev.ImplementationStarted(
            **_facts(doc, "implementation", actor, when), decision=change.set["decision"]
        ),
        now,
    )
    return change


def add_task(doc: Topic, *, fields: dict, actor: Actor, now: datetime, policy: Policy) -> tuple[str, Change]:
    TOPIC.require(doc, ("implementation",), "add an implementation task")
    task = {
        "id": new_id(),
        "title": scrub(doc, fields["title"], policy),
        "owner": scrub(doc, fields["owner"], policy),
        "due_date": fields["due_date"].isoformat(),
        "unit": fields["unit"],
        "target": float(fields["target"]),
        "done": 0.0,
        "progress": 0.0,
        "updated_at": now,
        "reported_at": None,
    }
    tasks = [*doc["tasks"], task]
    change = Change(set={"tasks": tasks, "progress": rolled_up(tasks), "updated_at": now})
    _record(
        change,
        ev.TASK_ADDED,
        doc,
        ev.TaskAdded(
            **_facts(doc, doc["step"], actor, now),
            task_id=task["id"],
            title=task["title"],
            owner=task["owner"],
            due_date=fields["due_date"],
            unit=task["unit"],
            target=task["target"],
        ),
        now,
    )
    return task["id"], change


def rolled_up(tasks: list[dict]) -> float:
    """The topic's progress: the mean of its tasks' progress (0..100)."""
    return round(sum(t["progress"] for t in tasks) / len(tasks), 2) if tasks else 0.0


def progress_task(
    doc: Topic,
    task_id: str,
    *,
    done: float,
    actor: Actor,
    now: datetime,
    policy: Policy = Policy(),
    reported_at: datetime | None = None,
) -> Change:
    """A progress report: `done` in the task's unit, as of `reported_at` (when the work had got
    that far: not before the implementation began nor before the task's previous report)."""
    TOPIC.require(doc, ("implementation",), "report task progress")
    task = _find(doc["tasks"], task_id, "task")
    if done > task["target"]:
        raise InvalidInput(
            "more than the task's target",
            [{"field": "done", "message": f"at most {task['target']:g} {task['unit']}"}],
        )
    when = happened(
        reported_at,
        "reported_at",
        now=now,
        policy=policy,
        since=step_began(doc),
        since_what="the implementation began",
    )
    _not_before(when, "reported_at", [(task.get("reported_at"), "the task's previous report")])
    updated = {
        **task,
        "done": float(done),
        "progress": round(100 * done / task["target"], 2),
        "updated_at": now,
        "reported_at": when,
    }
    tasks = _replace(doc["tasks"], updated)
    change = Change(set={"tasks": tasks, "progress": rolled_up(tasks), "updated_at": now})
    _record(
        change,
        ev.TASK_PROGRESSED,
        doc,
        ev.TaskProgressed(
            **_facts(doc, doc["step"], actor, when),
            task_id=task_id,
            done=updated["done"],
            target=task["target"],
            task_progress=updated["progress"],
            topic_progress=change.set["progress"],
        ),
        now,
    )
    return change
