"""Steps 5 and 6: the result published, the feedback (participants' satisfaction and the
ratings of linked requests), the closing report; and declining a topic."""

from __future__ import annotations

import statistics
from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidTransition

from .. import events as ev
from .notices import _notice
from .steps import TOPIC, Policy, Topic, _facts, _not_before, _progress, _record, scrub, transition


def publish_result(doc: Topic, *, fields: dict, actor: Actor, now: datetime, policy: Policy) -> Change:
    """Publish the result; only once implementation is complete, or for a declined matter. The linked
    intake requests are resolved with the result (intake then asks their residents to rate it).
    `posted_at`: when the result was really posted (not before the last progress report)."""
    when, change = transition(
        doc,
        "publish_result",
        actor=actor,
        now=now,
        policy=policy,
        at=fields.get("posted_at"),
        field="posted_at",
    )
    if doc["step"] == "implementation":
        if not doc["tasks"]:
            raise InvalidTransition("implementation has no tasks; add them and complete them first")
        unfinished = [t["title"] for t in doc["tasks"] if t["progress"] < 100]
        if unfinished:
            raise InvalidTransition(
                "implementation is not complete",
                {"unfinished_tasks": unfinished, "progress": doc["progress"]},
            )
        _not_before(
            when,
            "posted_at",
            # tasks reported before reports carried their time: when they were written
            [
                (
                    max(t.get("reported_at") or t["updated_at"] for t in doc["tasks"]),
                    "the last progress report",
                )
            ],
        )
    result = _notice(doc, fields, when, now, actor, policy)
    outcome = "declined" if doc["step"] == "declined" else "implemented"
    change.set.update(result={**result, "outcome": outcome})
    _record(
        change,
        ev.RESULT_PUBLISHED,
        doc,
        ev.ResultPublished(
            **_facts(doc, "publish_result", actor, when),
            outcome=outcome,
            result=ev.Notice(**{k: result[k] for k in ev.Notice.model_fields}),
            tasks=[ev.ResultTask(title=t["title"], unit=t["unit"], done=t["done"]) for t in doc["tasks"]],
        ),
        now,
    )
    for request_id in doc["request_ids"]:
        _progress(change, doc, request_id, "resolved", result["text"], now)
    return change


def open_feedback(
    doc: Topic, *, actor: Actor, now: datetime, policy: Policy = Policy(), opened_at: datetime | None = None
) -> Change:
    when, change = transition(
        doc, "open_feedback", actor=actor, now=now, policy=policy, at=opened_at, field="opened_at"
    )
    _record(change, ev.FEEDBACK_OPENED, doc, ev.FeedbackOpened(**_facts(doc, "feedback", actor, when)), now)
    return change


def give_feedback(
    doc: Topic, *, actor: Actor, satisfaction: int, comment: str | None, now: datetime, policy: Policy
) -> Change:
    """A participant's satisfaction (once per person); residents whose requests are linked rate in intake."""
    TOPIC.require(doc, ("publish_result", "feedback"), "give feedback")
    if any(f["by_id"] == actor.id for f in doc["feedback"]):
        raise InvalidTransition("you have already given feedback on this topic")
    entry = {
        "by_id": actor.id,
        "by_role": actor.role,
        "satisfaction": satisfaction,
        "comment": scrub(doc, comment, policy),
        "at": now,
    }
    change = Change(set={"updated_at": now}, push={"feedback": entry})
    _record(
        change,
        ev.FEEDBACK_RECEIVED,
        doc,
        ev.FeedbackReceived(
            **_facts(doc, doc["step"], actor, now),
            by_role=actor.role,
            satisfaction=satisfaction,
            comment=entry["comment"],
        ),
        now,
    )
    return change


def record_request_rating(
    doc: Topic, request_id: str, *, satisfaction: int, event_id: str, now: datetime
) -> Change:
    """A linked request's resident rated the outcome in intake: part of the topic's feedback."""
    ratings = [r for r in doc["request_ratings"] if r["request_id"] != request_id]
    ratings.append({"request_id": request_id, "satisfaction": satisfaction, "at": now})
    # updated_at too: the public pages' Last-Modified shows the new score (board.py)
    return Change(set={"request_ratings": ratings, "updated_at": now}, push={"applied_events": event_id})


def satisfaction_summary(doc: Topic) -> float | None:
    scores = [f["satisfaction"] for f in doc["feedback"]] + [
        r["satisfaction"] for r in doc["request_ratings"]
    ]
    return round(statistics.mean(scores), 2) if scores else None


def close(
    doc: Topic,
    *,
    summary: str,
    actor: Actor,
    now: datetime,
    policy: Policy,
    closed_at: datetime | None = None,
) -> Change:
    when, change = transition(
        doc, "close", actor=actor, now=now, policy=policy, at=closed_at, field="closed_at"
    )
    mean = satisfaction_summary(doc)
    change.set["closing"] = {
        "summary": scrub(doc, summary, policy),
        "at": when,
        "recorded_at": now,
        "mean_satisfaction": mean,
    }
    _record(
        change,
        ev.CLOSED,
        doc,
        ev.Closed(
            **_facts(doc, "closed", actor, when),
            summary=change.set["closing"]["summary"],
            feedback_count=len(doc["feedback"]),
            request_ratings_count=len(doc["request_ratings"]),
            mean_satisfaction=mean,
        ),
        now,
    )
    return change


def decline(
    doc: Topic,
    *,
    reason: str,
    actor: Actor,
    now: datetime,
    policy: Policy,
    declined_at: datetime | None = None,
) -> Change:
    reason = scrub(doc, reason, policy)  # also in the step history, which the topic's readers see
    when, change = transition(
        doc,
        "decline",
        actor=actor,
        now=now,
        reason=reason,
        policy=policy,
        at=declined_at,
        field="declined_at",
    )
    if any(v["status"] == "open" for v in doc["votes"]):
        raise InvalidTransition("a residents' vote is still open")
    change.set["declined"] = {"reason": reason, "at": when, "recorded_at": now}
    _record(
        change,
        ev.DECLINED,
        doc,
        ev.Declined(**_facts(doc, "declined", actor, when), reason=change.set["declined"]["reason"]),
        now,
    )
    return change
