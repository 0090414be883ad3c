"""Step 3, the consultation: it begins once the notice has been up long enough; meetings are
scheduled and held (attendance, minutes, opinions, outcome)."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidInput, InvalidTransition

from .. import events as ev
from .steps import (
    TOPIC,
    Policy,
    Topic,
    _facts,
    _find,
    _record,
    _replace,
    happened,
    new_id,
    scrub,
    step_began,
    transition,
)


class NoticePeriodNotElapsed(InvalidTransition):
    code = "notice_period_not_elapsed"


def start_consultation(
    doc: Topic, *, actor: Actor, now: datetime, policy: Policy, started_at: datetime | None = None
) -> Change:
    when, change = transition(
        doc, "start_consultation", actor=actor, now=now, policy=policy, at=started_at, field="started_at"
    )
    earliest = doc["notice"]["starts_at"] + policy.notice_min_period
    if when < earliest:
        raise NoticePeriodNotElapsed(
            f"the public notice must be up for {policy.notice_min_period.total_seconds() / 86400:g} days "
            "before the consultation",
            {
                "notice_posted_at": doc["notice"]["starts_at"].isoformat(),
                "earliest_consultation_at": earliest.isoformat(),
                "consultation_at": when.isoformat(),
            },
        )
    _record(
        change,
        ev.CONSULTATION_STARTED,
        doc,
        ev.ConsultationStarted(
            **_facts(doc, "consultation", actor, when), notice_posted_at=doc["notice"]["starts_at"]
        ),
        now,
    )
    return change


def schedule_meeting(doc: Topic, fields: dict, actor: Actor, now: datetime) -> tuple[str, Change]:
    TOPIC.require(doc, ("public_notice", "consultation"), "schedule a consultation meeting")
    meeting = {
        "id": new_id(),
        "platform": fields.get("platform") or doc["platform"],
        "venue_id": fields["venue_id"],
        "scheduled_at": fields["scheduled_at"],
        "participants": fields["participants"],
        "status": "scheduled",
        "attendance": None,
        "minutes": None,
        "opinions": [],
        "outcome": None,
        "held_at": None,
        "recorded_at": None,
        "recorded_by": None,
    }
    change = Change(set={"meetings": [*doc["meetings"], meeting], "updated_at": now})
    _record(
        change,
        ev.MEETING_SCHEDULED,
        doc,
        ev.MeetingScheduled(
            **_facts(doc, doc["step"], actor, now),
            meeting_id=meeting["id"],
            meeting_platform=meeting["platform"],
            venue_id=meeting["venue_id"],
            scheduled_at=meeting["scheduled_at"],
            participants=meeting["participants"],
        ),
        now,
    )
    return meeting["id"], change


def hold_meeting(
    doc: Topic, meeting_id: str, *, fields: dict, actor: Actor, now: datetime, policy: Policy
) -> Change:
    """Record a meeting as held: it cannot be closed without minutes and attendance. `held_at`: when
    it was held (not in the future, not before the consultation began); without it, now, which a
    meeting scheduled for later cannot be."""
    TOPIC.require(doc, ("consultation",), "record a consultation meeting")
    meeting = _find(doc["meetings"], meeting_id, "meeting")
    if meeting["status"] == "held":
        raise InvalidTransition("this meeting was already recorded as held", {"meeting_id": meeting_id})
    problems = [
        {"field": f, "message": "required to close a meeting"}
        for f in ("minutes", "attendance")
        if not fields.get(f)
    ]
    if problems:
        raise InvalidInput("a meeting cannot be closed without minutes and attendance", problems)
    if fields.get("held_at") is None and meeting["scheduled_at"] > now + policy.future_tolerance:
        message = f"the meeting is scheduled for {meeting['scheduled_at'].isoformat()}; say when it was held"
        raise InvalidInput(f"held_at: {message}", [{"field": "held_at", "message": message}])
    when = happened(
        fields.get("held_at"),
        "held_at",
        now=now,
        policy=policy,
        since=step_began(doc),
        since_what="the consultation began",
    )
    held = {
        **meeting,
        "status": "held",
        "attendance": fields["attendance"],
        "minutes": scrub(doc, fields["minutes"], policy),
        "opinions": [scrub(doc, o, policy) for o in fields.get("opinions") or []],
        "outcome": scrub(doc, fields["outcome"], policy),
        "held_at": when,
        "recorded_at": now,
        "recorded_by": actor.id,
    }
    if fields.get("participants"):
        held["participants"] = fields["participants"]
    change = Change(set={"meetings": _replace(doc["meetings"], held), "updated_at": now})
    _record(
        change,
        ev.MEETING_HELD,
        doc,
        ev.MeetingHeld(
            **_facts(doc, doc["step"], actor, when),
            meeting_id=meeting_id,
            meeting_platform=held["platform"],
            venue_id=held["venue_id"],
            participants=held["participants"],
            attendance=held["attendance"],
            minutes=held["minutes"],
            opinions=held["opinions"],
            outcome=held["outcome"],
        ),
        now,
    )
    return change
