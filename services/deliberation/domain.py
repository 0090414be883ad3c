"""The deliberation domain: a topic's six steps, consultations, residents' votes, tasks, feedback.

Pure functions, no I/O. A decision takes the topic document (a dict) and returns a Change: the
fields to set, the history entry to append and the events to record; the store applies it in one
atomic write together with the events (outbox). Lists that change in place (meetings, votes,
tasks, linked requests) are replaced whole: the write is guarded by the document's version.

Ballots are secret by construction: a vote keeps the ids of those who voted (one ballot each)
and, separately, a count per option. Which voter chose which option is never stored anywhere.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from civic146 import pii
from civic146.auth import Actor
from civic146.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from civic146.events import RequestProgressData, RequestReassignedData, new_event
from civic146.lifecycle import Lifecycle
from civic146.outbox import Change
from civic146.text import similarity

from . import events as ev

STEPS = ("determine_topic", "public_notice", "consultation", "implementation", "publish_result", "feedback")
FINAL_STEPS = ("closed", "declined")
# Steps in which more requests about the same matter may still join the topic.
OPEN_STEPS = ("determine_topic", "public_notice", "consultation", "implementation")

# The topic's steps: action -> (steps it may start from, step it leads to).
TOPIC = Lifecycle(
    "step",
    {
        "publish_notice": (frozenset({"determine_topic"}), "public_notice"),
        "start_consultation": (frozenset({"public_notice"}), "consultation"),
        "start_implementation": (frozenset({"consultation"}), "implementation"),
        "publish_result": (frozenset({"implementation", "declined"}), "publish_result"),
        "open_feedback": (frozenset({"publish_result"}), "feedback"),
        "close": (frozenset({"feedback"}), "closed"),
        "decline": (frozenset({"determine_topic", "public_notice", "consultation"}), "declined"),
    },
    lambda doing, doc: f"cannot {doing} while the topic is in step {doc['step']}",
)
APPROVAL_OPTIONS = ["approve", "oppose", "abstain"]


class NoticePeriodNotElapsed(InvalidTransition):
    code = "notice_period_not_elapsed"


class VoteNotOpen(InvalidTransition):
    code = "vote_not_open"


class AlreadyVoted(InvalidTransition):
    code = "already_voted"


class NotEligible(Forbidden):
    code = "not_eligible"


SYSTEM = Actor("deliberation-worker", "system")


@dataclass(frozen=True)
class Policy:
    notice_min_period: timedelta = timedelta(days=3)
    # Facts recorded after they happened (a notice posted on a board, a talk held last week, a
    # paper vote, a matter settled before the platform): how far back they may go, and how far
    # ahead of the server's clock a time may be (clients' clocks differ a little).
    backdate_horizon: timedelta = timedelta(days=3650)
    future_tolerance: timedelta = timedelta(minutes=5)
    # Where the Party organisation reviews (the "1 core"): "topic" before the notice, "decision"
    # before the implementation. Empty: no review is required.
    party_review: frozenset[str] = frozenset()
    attach_similarity: float = 0.3
    candidate_platform: str = "small_bench_talk"
    vote_required_platforms: frozenset[str] = frozenset({"residents_council"})
    default_quorum: float = 0.5
    default_threshold: str = "simple_majority"
    name_key: bytes = b""  # recognises names known by digest (pii.name_key of the JWT secret)


def new_id() -> str:
    return uuid.uuid4().hex


_NAMESPACE = uuid.UUID("5f1f6d2e-7c1a-4a53-9f39-146146146146")


def derived_id(key: str) -> str:
    """A topic id derived from what caused it (an event, a case), so a replay cannot create a second topic."""
    return uuid.uuid5(_NAMESPACE, key).hex


def _facts(doc: dict, step: str, actor: Actor, occurred_at: datetime) -> dict:
    return {
        "occurred_at": occurred_at,
        "topic_id": doc["_id"],
        "community": doc["community"],
        "compound": doc.get("compound"),
        "platform": doc["platform"],
        "step": step,
        "actor_role": actor.role,
    }


def _record(change: Change, event_type, doc: dict, data, at: datetime) -> None:
    change.record(event_type, new_event(event_type, ev.SOURCE, doc["_id"], doc["community"], data, at))


def _progress(change: Change, doc: dict, request_id: str, state: str, summary: str, at: datetime) -> None:
    _record(
        change,
        ev.REQUEST_PROGRESS,
        doc,
        RequestProgressData(
            request_id=request_id,
            state=state,
            handled_by="deliberation",
            reference=doc["_id"],
            summary=(pii.scrub_text(summary) or "")[:2000],
        ),
        at,
    )


def known_names(doc: dict, policy: Policy) -> pii.NameDigests:
    """The names deliberation knows for the topic, by digest only (it never receives a name): the
    submitters of its linked requests (intake's routed event) and the people of the mediation case
    it came from (the escalation event)."""
    digests = {
        *doc.get("name_digests", []),
        *(d for r in doc.get("requests", []) for d in r.get("name_digests", [])),
    }
    return pii.known_by_digest(policy.name_key, digests)


def scrub(doc: dict, text: str | None, policy: Policy) -> str | None:
    """Free text as it may leave deliberation (events, public pages): numbers and known names masked."""
    return pii.scrub_text(text, digests=known_names(doc, policy))


def happened(
    given: datetime | None,
    field: str,
    now: datetime,
    policy: Policy,
    since: datetime | None = None,
    since_what: str = "",
) -> datetime:
    """When a fact recorded now really happened: `given` (a notice posted on a board, a meeting held
    last week), or now. Within bounds: not in the future (beyond the tolerance for clients' clocks),
    not older than the horizon, not before `since` (the start of the step it belongs to). Refused
    with the field named, before anything is written."""
    if given is None:
        return max(now, since) if since else now
    problem = None
    if given > now + policy.future_tolerance:
        problem = f"{given.isoformat()} is in the future (now {now.isoformat()})"
    elif given < now - policy.backdate_horizon:
        problem = f"{given.isoformat()} is older than {policy.backdate_horizon.days} days"
    elif since is not None and given < since:
        problem = f"{given.isoformat()} is before {since_what} ({since.isoformat()})"
    if problem:
        raise InvalidInput(f"{field}: {problem}", [{"field": field, "message": problem}])
    return given


def step_began(doc: dict) -> datetime:
    """When the topic entered its current step (the time it happened)."""
    return next(s["at"] for s in reversed(doc["steps"]) if not s.get("review"))


def _history(
    doc: dict, to: str, actor: Actor, at: datetime, now: datetime, reason: str | None = None
) -> dict:
    """A step-trail entry: `at` when it happened, `recorded_at` when the platform was told, by whom."""
    entry = {
        "step": to,
        "from": doc["step"],
        "at": at,
        "recorded_at": now,
        "actor_id": actor.id,
        "actor_role": actor.role,
    }
    if reason:
        entry["reason"] = reason
    return entry


def transition(
    doc: dict,
    action: str,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    *,
    policy: Policy = Policy(),
    at: datetime | None = None,
    field: str = "at",
) -> tuple[datetime, Change]:
    """The common part of every step change: the lifecycle allows it, the time it happened is within
    bounds (not before the current step began), the step is set, the trail keeps both times."""
    to = TOPIC.target(doc, action)
    when = happened(at, field, now, policy, step_began(doc), f"step {doc['step']} began")
    return when, Change(
        set={"step": to, "updated_at": now}, push={"steps": _history(doc, to, actor, when, now, reason)}
    )


def _find(items: list[dict], item_id: str, what: str) -> dict:
    for item in items:
        if item["id"] == item_id:
            return item
    raise NotFound(f"{what} {item_id} not found on this topic")


def _replace(items: list[dict], new: dict) -> list[dict]:
    return [new if i["id"] == new["id"] else i for i in items]


# --- step 1: determine the topic ----------------------------------------------------------------


def request_entry(
    request_id: str,
    compound: str | None,
    category: str | None,
    description: str | None,
    via: str,
    now: datetime,
    submitter_ref: str | None = None,
    name_digests: list[str] | None = None,
) -> dict:
    """A linked request. `submitter_ref`: the pseudonym of the resident who raised it (intake's
    routed event), so that they count among the residents the topic concerns; `name_digests`: the
    digests of the names intake knows for it (see known_names()); both kept internal, never shown
    or published."""
    return {
        "request_id": request_id,
        "compound": compound,
        "category": category,
        "description": pii.scrub_text(description),
        "via": via,
        "attached_at": now,
        "submitter_ref": submitter_ref,
        "name_digests": list(name_digests or []),
    }


def raised_by(doc: dict, ref: str) -> bool:
    """Whether the resident with pseudonym `ref` raised one of the topic's linked requests."""
    return any(r.get("submitter_ref") == ref for r in doc["requests"])


def new_topic(
    fields: dict,
    origin: str,
    actor: Actor,
    now: datetime,
    policy: Policy,
    *,
    topic_id: str | None = None,
    origin_ref: str | None = None,
    requests: list[dict] | None = None,
    name_digests: list[str] | None = None,
    raised_at: datetime | None = None,
) -> tuple[dict, Change]:
    """A topic in step 1 (without version/outbox) and the change carrying its events.
    `fields`: title, description, community, compound, category, platform, vote_required (None: by platform).
    `name_digests`: names the topic's origin knows (a mediation case's people), besides its requests'.
    `raised_at`: when the matter was raised, if before it was recorded (checked by the caller)."""
    requests = requests or []
    raised = raised_at or now
    platform = fields.get("platform") or policy.candidate_platform
    vote_required = fields.get("vote_required")
    doc = {
        "_id": topic_id or new_id(),
        "title": fields["title"],
        "description": fields["description"],
        "community": fields["community"],
        "compound": fields.get("compound"),
        "category": fields.get("category"),
        "platform": platform,
        "vote_required": platform in policy.vote_required_platforms
        if vote_required is None
        else vote_required,
        "origin": origin,
        "origin_ref": origin_ref,
        "created_by": actor.id,
        "created_at": raised,
        "recorded_at": now,
        "updated_at": now,
        "step": "determine_topic",
        "steps": [
            {
                "step": "determine_topic",
                "from": None,
                "at": raised,
                "recorded_at": now,
                "actor_id": actor.id,
                "actor_role": actor.role,
            }
        ],
        "reviews": [],
        "requests": requests,
        "request_ids": [r["request_id"] for r in requests],
        "notice": None,
        "result": None,
        "decision": None,
        "declined": None,
        "closing": None,
        "meetings": [],
        "votes": [],
        "tasks": [],
        "progress": 0.0,
        "claims": [],
        "deputies": [],
        "feedback": [],
        "request_ratings": [],
        "evaluations": [],
        "applied_events": [],
        "name_digests": sorted(set(name_digests or [])),
    }
    doc.update(title=scrub(doc, doc["title"], policy), description=scrub(doc, doc["description"], policy))
    change = Change()
    _record(
        change,
        ev.CREATED,
        doc,
        ev.Created(
            **_facts(doc, "determine_topic", actor, raised),
            title=doc["title"],
            description=doc["description"],
            category=doc["category"],
            origin=origin,
            origin_ref=origin_ref,
            vote_required=doc["vote_required"],
            request_ids=doc["request_ids"],
        ),
        now,
    )
    for r in requests:
        _record(
            change,
            ev.REQUEST_ATTACHED,
            doc,
            ev.RequestAttached(
                **_facts(doc, "determine_topic", actor, raised),
                request_id=r["request_id"],
                via=r["via"],
            ),
            now,
        )
        _progress(
            change,
            doc,
            r["request_id"],
            "in_progress",
            f"已列为社区协商议题「{doc['title']}」，进入六步议事流程",
            now,
        )
    return doc, change


def title_from(text: str, limit: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def matching_topic(request: dict, topics: list[dict], threshold: float) -> tuple[dict, float] | None:
    """The open topic a routed request is most likely about (same community, compound and category,
    text similarity at least `threshold`), or None."""
    best: tuple[dict, float] | None = None
    for t in topics:
        if (
            t["step"] not in OPEN_STEPS
            or t["community"] != request["community"]
            or t.get("compound") != request.get("compound")
            or t.get("category") != request.get("category")
        ):
            continue
        texts = [f"{t['title']} {t['description']}"] + [
            r["description"] for r in t.get("requests", []) if r.get("description")
        ]
        score = max(similarity(request["description"] or "", x) for x in texts)
        if score >= threshold and (best is None or score > best[1]):
            best = (t, score)
    return best


def attach_request(
    doc: dict, entry: dict, actor: Actor, now: datetime, event_id: str | None = None
) -> Change:
    TOPIC.require(doc, OPEN_STEPS, "attach a request")
    if entry["request_id"] in doc["request_ids"]:
        raise InvalidTransition(
            "the request already belongs to this topic", {"request_id": entry["request_id"]}
        )
    change = Change(
        set={
            "requests": [*doc["requests"], entry],
            "request_ids": [*doc["request_ids"], entry["request_id"]],
            "updated_at": now,
        }
    )
    if event_id:
        change.push["applied_events"] = event_id
    if doc.get("absorbs_requests") is False:
        change.set.update(absorbs_requests=True, absorbing_stopped=None)
    _record(
        change,
        ev.REQUEST_ATTACHED,
        doc,
        ev.RequestAttached(
            **_facts(doc, doc["step"], actor, now), request_id=entry["request_id"], via=entry["via"]
        ),
        now,
    )
    _progress(
        change,
        doc,
        entry["request_id"],
        "in_progress",
        f"已并入社区协商议题「{doc['title']}」，进入六步议事流程",
        now,
    )
    return change


def detach_request(
    doc: dict,
    request_id: str,
    actor: Actor,
    now: datetime,
    moved_to: str | None,
    moved_to_title: str | None = None,
) -> Change:
    """The request leaves the topic for `moved_to` (None: only validating). Intake is told where it
    went (its reference and history follow it). A topic in step 1 left without requests stops
    absorbing new similar requests, saying why: what it was about now lives elsewhere, and a new
    request joining it would be on a topic nobody raised (staff attaching one revive it)."""
    TOPIC.require(doc, OPEN_STEPS, "detach a request")
    if request_id not in doc["request_ids"]:
        raise NotFound(f"request {request_id} does not belong to this topic")
    remaining = [r for r in doc["request_ids"] if r != request_id]
    change = Change(
        set={
            "requests": [r for r in doc["requests"] if r["request_id"] != request_id],
            "request_ids": remaining,
            "updated_at": now,
        }
    )
    _record(
        change,
        ev.REQUEST_DETACHED,
        doc,
        ev.RequestDetached(**_facts(doc, doc["step"], actor, now), request_id=request_id, moved_to=moved_to),
        now,
    )
    if moved_to is not None:
        summary = f"已从议题「{doc['title']}」转入议题「{moved_to_title or moved_to}」"
        _record(
            change,
            ev.REQUEST_REASSIGNED,
            doc,
            RequestReassignedData(
                request_id=request_id,
                handled_by="deliberation",
                reference=moved_to,
                previous_reference=doc["_id"],
                summary=(pii.scrub_text(summary) or "")[:2000],
                reassigned_at=now,
            ),
            now,
        )
    if not remaining and doc["step"] == "determine_topic":
        change.set["absorbs_requests"] = False
        change.set["absorbing_stopped"] = {
            "reason": f"left without requests: its last request {request_id} moved to topic {moved_to}",
            "at": now,
        }
    return change


def update(doc: dict, fields: dict, actor: Actor, now: datetime, policy: Policy) -> Change:
    """Edit the topic: text and platform in step 1 only; the vote requirement until the vote matters."""
    if "platform" in fields or "title" in fields or "description" in fields or "category" in fields:
        TOPIC.require(doc, ("determine_topic",), "change the title, description, category or platform")
    TOPIC.require(doc, ("determine_topic", "public_notice", "consultation"), "change the topic")
    new = {k: (scrub(doc, v, policy) if k in ("title", "description") else v) for k, v in fields.items()}
    if "platform" in new and "vote_required" not in new:
        new["vote_required"] = new["platform"] in policy.vote_required_platforms
    merged = {**doc, **new}
    change = Change(set={**new, "updated_at": now})
    _record(
        change,
        ev.UPDATED,
        merged,
        ev.Updated(
            **_facts(merged, doc["step"], actor, now),
            title=merged["title"],
            description=merged["description"],
            category=merged.get("category"),
            vote_required=merged["vote_required"],
        ),
        now,
    )
    return change


# --- the "1 core": the Party organisation's reviews ------------------------------------------------

# stage -> the step it is done in, and what it opens
REVIEW_STAGES = {"topic": "determine_topic", "decision": "consultation"}


def review(doc: dict, stage: str, fields: dict, actor: Actor, now: datetime, policy: Policy) -> Change:
    """The community Party committee (or the sub-district's Party working committee) reviews the
    topic in step 1, before its notice, and the decision during the consultation, before its
    implementation. Kept in `reviews` and in the step trail (an entry with `review`, the step
    unchanged); a refusal is kept too, and the step waits for an approval."""
    TOPIC.require(doc, (REVIEW_STAGES[stage],), f"review the {stage}")
    when = happened(
        fields.get("reviewed_at"), "reviewed_at", now, policy, step_began(doc), f"step {doc['step']} began"
    )
    entry = {
        "stage": stage,
        "approved": fields["approved"],
        "organisation": fields["organisation"],
        "comment": scrub(doc, fields.get("comment"), policy),
        "at": when,
        "recorded_at": now,
        "actor_id": actor.id,
        "actor_role": actor.role,
    }
    trail = {
        **_history(doc, doc["step"], actor, when, now),
        "review": {k: entry[k] for k in ("stage", "approved", "organisation")},
    }
    change = Change(
        set={"reviews": [*doc.get("reviews", []), entry], "updated_at": now}, push={"steps": trail}
    )
    _record(
        change,
        ev.REVIEWED,
        doc,
        ev.Reviewed(
            **_facts(doc, doc["step"], actor, when),
            stage=stage,
            approved=entry["approved"],
            organisation=entry["organisation"],
            comment=entry["comment"],
        ),
        now,
    )
    return change


class ReviewRequired(InvalidTransition):
    code = "party_review_required"


def _require_review(doc: dict, stage: str, before: datetime, policy: Policy) -> None:
    """Where the policy asks for it, the last review of `stage` approved, no later than `before`."""
    if stage not in policy.party_review:
        return
    done = [r for r in doc.get("reviews", []) if r["stage"] == stage and r["at"] <= before]
    if not done or not done[-1]["approved"]:
        raise ReviewRequired(
            f"the Party organisation reviews the {stage} first: POST /v1/topics/{doc['_id']}/reviews",
            {"stage": stage, "last_review_approved": done[-1]["approved"] if done else None},
        )


def _not_before(when: datetime, field: str, moments: list[tuple[datetime | None, str]]) -> None:
    for moment, what in moments:
        if moment is not None and when < moment:
            message = f"{when.isoformat()} is before {what} ({moment.isoformat()})"
            raise InvalidInput(f"{field}: {message}", [{"field": field, "message": message}])


# --- step 2: public notice ------------------------------------------------------------------------


def _notice(doc: dict, fields: dict, at: datetime, now: datetime, actor: Actor, policy: Policy) -> dict:
    return {
        "text": scrub(doc, fields["text"], policy),
        "period_days": fields["period_days"],
        "venue_id": fields.get("venue_id"),
        "online": fields["online"],
        "starts_at": at,
        "ends_at": at + timedelta(days=fields["period_days"]),
        "recorded_at": now,
        "recorded_by": actor.id,
    }


def publish_notice(doc: dict, fields: dict, actor: Actor, now: datetime, policy: Policy) -> Change:
    """Step 2. `posted_at`: when the notice really went up (on the compound's board, online); the
    notice period counts from then."""
    when, change = transition(
        doc, "publish_notice", actor, now, policy=policy, at=fields.get("posted_at"), field="posted_at"
    )
    _require_review(doc, "topic", when, policy)
    notice = _notice(doc, fields, when, now, actor, policy)
    change.set["notice"] = notice
    _record(
        change,
        ev.NOTICE_PUBLISHED,
        doc,
        ev.NoticePublished(
            **_facts(doc, "public_notice", actor, when),
            notice=ev.Notice(**{k: notice[k] for k in ev.Notice.model_fields}),
        ),
        now,
    )
    return change


# --- step 3: consultation -------------------------------------------------------------------------


def start_consultation(
    doc: dict, actor: Actor, now: datetime, policy: Policy, started_at: datetime | None = None
) -> Change:
    when, change = transition(
        doc, "start_consultation", actor, now, policy=policy, at=started_at, field="started_at"
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


def schedule_meeting(doc: dict, fields: dict, actor: Actor, now: datetime) -> tuple[str, Change]:
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
    doc: dict, meeting_id: str, fields: dict, actor: Actor, now: datetime, policy: Policy
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
    when = happened(fields.get("held_at"), "held_at", now, policy, step_began(doc), "the consultation began")
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


# --- residents' vote (民主决) ------------------------------------------------------------------------


def awaiting_roll(doc: dict, now: datetime) -> list[dict]:
    """Open votes that have opened since they were set up: their list of eligible voters is still the
    roll as it was then, and becomes the roll as it was when they opened."""
    return [
        v
        for v in doc["votes"]
        if v["status"] == "open" and v.get("roll_taken_at", v["opens_at"]) < v["opens_at"] <= now
    ]


def with_rolls(doc: dict, rolls: dict[str, list[str]]) -> dict:
    """The topic with these votes' lists of eligible voters taken as of their opening (`rolls`:
    vote id -> the roll when it opened)."""
    if not rolls:
        return doc
    votes = [
        {
            **v,
            "eligible": sorted(set(rolls[v["id"]])),
            "eligible_count": len(set(rolls[v["id"]])),
            "roll_taken_at": v["opens_at"],
        }
        if v["id"] in rolls
        else v
        for v in doc["votes"]
    ]
    return {**doc, "votes": votes}


def take_rolls(doc: dict, rolls: dict[str, list[str]], now: datetime) -> Change | None:
    """Commit the lists of eligible voters of votes that opened (see with_rolls); no event: the
    vote's closing carries how many were eligible."""
    if not rolls:
        return None
    return Change(set={"votes": with_rolls(doc, rolls)["votes"], "updated_at": now})


def eligible_count(vote: dict) -> int:
    """How many were on the roll when the vote opened (a past matter's vote knows only the number)."""
    return vote.get("eligible_count", len(vote["eligible"]))


def _new_vote(
    doc: dict, fields: dict, eligible: list[str], opens_at: datetime, now: datetime, policy: Policy
) -> dict:
    options = fields.get("options") or APPROVAL_OPTIONS
    return {
        "id": new_id(),
        "question": scrub(doc, fields["question"], policy),
        "options": options,
        "kind": "approval" if options == APPROVAL_OPTIONS else "choice",
        "scope": fields["scope"],
        "eligible": sorted(set(eligible)),
        "eligible_count": len(set(eligible)),
        "voters": [],
        "counts": [0] * len(options),
        "opens_at": opens_at,
        "closes_at": fields["closes_at"],
        "quorum": fields.get("quorum") or policy.default_quorum,
        "threshold": fields.get("threshold") or policy.default_threshold,
        "status": "open",
        "result": None,
        "winning_option": None,
        "turnout": None,
        "closed_at": None,
        "paper": False,
        # the time as of which `eligible` is the roll: a vote that opens later reads it again then
        "roll_taken_at": min(opens_at, now),
    }


def _check_vote_opening(doc: dict, eligible: list[str] | int) -> None:
    TOPIC.require(doc, ("consultation",), "open a residents' vote")
    if any(v["status"] == "open" for v in doc["votes"]):
        raise InvalidTransition("another vote of this topic is still open")
    if not eligible:
        raise InvalidInput(
            "no eligible voters are registered for this scope",
            [{"field": "scope", "message": "register voters first: POST /v1/communities/<id>/voters"}],
        )


def _vote_opened(change: Change, doc: dict, vote: dict, actor: Actor, now: datetime) -> None:
    _record(
        change,
        ev.VOTE_OPENED,
        doc,
        ev.VoteOpened(
            **_facts(doc, doc["step"], actor, vote["opens_at"]),
            vote_id=vote["id"],
            question=vote["question"],
            options=vote["options"],
            scope=vote["scope"],
            eligible_count=eligible_count(vote),
            opens_at=vote["opens_at"],
            closes_at=vote["closes_at"],
            quorum=vote["quorum"],
            threshold=vote["threshold"],
        ),
        now,
    )


def open_vote(
    doc: dict, fields: dict, eligible: list[str], actor: Actor, now: datetime, policy: Policy
) -> tuple[str, Change]:
    """A vote on the platform: residents cast their ballots within the window. `eligible`: the roll
    as it is when the vote opens (the caller reads it as of `opens_at` when that has passed)."""
    TOPIC.require(doc, ("consultation",), "open a residents' vote")
    if fields["closes_at"] <= now:
        raise InvalidInput(
            "the window must close in the future", [{"field": "closes_at", "message": "already passed"}]
        )
    _check_vote_opening(doc, eligible)
    given = fields.get("opens_at")
    if given is not None and given <= now:  # it opened already: within the bounds of a past fact
        opens_at = happened(given, "opens_at", now, policy, step_began(doc), "the consultation began")
    else:
        opens_at = given or now
    if fields["closes_at"] <= opens_at:
        raise InvalidInput(
            "the window must close after it opens", [{"field": "closes_at", "message": "not after opens_at"}]
        )
    vote = _new_vote(doc, fields, eligible, opens_at, now, policy)
    change = Change(set={"votes": [*doc["votes"], vote], "updated_at": now})
    _vote_opened(change, doc, vote, actor, now)
    return vote["id"], change


def record_paper_vote(
    doc: dict,
    fields: dict,
    eligible: list[str],
    actor: Actor,
    now: datetime,
    policy: Policy,
    past_roll_size: int | None = None,
) -> tuple[str, Change]:
    """A vote held on paper and counted off the platform, recorded after its window closed:
    `opens_at` and `closes_at` in the past (not before the consultation began), the count per
    option. `eligible`: the roll as it was when the vote opened, on which the quorum is computed.
    The vote is closed with its result in the same change (both events recorded). A matter settled
    before the platform has no roll: `past_roll_size` is how many were on it (the ids stay unknown)."""
    _check_vote_opening(doc, eligible if past_roll_size is None else past_roll_size)
    opens_at = happened(
        fields["opens_at"], "opens_at", now, policy, step_began(doc), "the consultation began"
    )
    closes_at = happened(fields["closes_at"], "closes_at", now, policy, opens_at, "opens_at")
    if closes_at == opens_at:
        raise InvalidInput(
            "the window must close after it opens", [{"field": "closes_at", "message": "not after opens_at"}]
        )
    vote = _new_vote(doc, {**fields, "closes_at": closes_at}, eligible, opens_at, now, policy)
    if past_roll_size is not None:
        vote["eligible_count"] = past_roll_size
    counts = fields["counts"]
    if unknown := sorted(set(counts) - set(vote["options"])):
        raise InvalidInput(
            "counts name an option the vote does not have",
            [
                {
                    "field": "counts",
                    "message": f"unknown {', '.join(unknown)}; options: {', '.join(vote['options'])}",
                }
            ],
        )
    vote["counts"] = [int(counts.get(o, 0)) for o in vote["options"]]
    if sum(vote["counts"]) > eligible_count(vote):
        message = (
            f"{sum(vote['counts'])} ballots counted, but {eligible_count(vote)} residents were on the roll "
            f"when the vote opened ({opens_at.isoformat()})"
        )
        raise InvalidInput(f"counts: {message}", [{"field": "counts", "message": message}])
    vote["paper"] = True
    closed = _closed(vote)
    change = Change(set={"votes": [*doc["votes"], closed], "updated_at": now})
    _vote_opened(change, doc, vote, actor, now)
    _vote_closed(change, doc, closed, actor, now)
    return vote["id"], change


def cast_ballot(doc: dict, vote_id: str, voter_id: str, choice: str, now: datetime) -> Change:
    """One secret ballot: the voter joins `voters`, the option's count goes up; nothing links the two.
    No event is recorded (an event per ballot would tie its time to a voter)."""
    vote = _find(doc["votes"], vote_id, "vote")
    if vote["status"] != "open" or now >= vote["closes_at"]:
        raise VoteNotOpen("the voting window has closed", {"closes_at": vote["closes_at"].isoformat()})
    if now < vote["opens_at"]:
        raise VoteNotOpen("the voting window has not opened yet", {"opens_at": vote["opens_at"].isoformat()})
    if voter_id not in vote["eligible"]:
        raise NotEligible("you are not a registered voter for this vote")
    if voter_id in vote["voters"]:
        raise AlreadyVoted("you have already voted; a ballot cannot be changed")
    if choice not in vote["options"]:
        raise InvalidInput(
            "unknown option", [{"field": "choice", "message": f"one of {', '.join(vote['options'])}"}]
        )
    counts = list(vote["counts"])
    counts[vote["options"].index(choice)] += 1
    cast = {**vote, "voters": [*vote["voters"], voter_id], "counts": counts}
    return Change(set={"votes": _replace(doc["votes"], cast)})


def tally(vote: dict) -> tuple[str, str | None, float]:
    """(result, winning option, turnout) of a vote: the turnout quorum first, then the threshold
    over the ballots cast (abstentions count as cast but not in favour). The eligible voters are
    the roll as it was when the vote opened."""
    cast = sum(vote["counts"])
    eligible = eligible_count(vote)
    turnout = round(cast / eligible, 4) if eligible else 0.0
    if turnout < vote["quorum"]:
        return "quorum_not_met", None, turnout
    if vote["kind"] == "approval":
        leading, top = "approve", vote["counts"][0]
    else:
        ranked = sorted(zip(vote["counts"], vote["options"]), reverse=True)
        if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
            return "rejected", None, turnout  # a tie decides nothing
        top, leading = ranked[0]
    share = top / cast if cast else 0.0
    passed = share > 0.5 if vote["threshold"] == "simple_majority" else share >= 2 / 3
    return ("passed", leading, turnout) if passed else ("rejected", None, turnout)


def _due(doc: dict, now: datetime) -> list[dict]:
    return [v for v in doc["votes"] if v["status"] == "open" and v["closes_at"] <= now]


def _closed(vote: dict) -> dict:
    """The vote with its result, computed at the window's end (whenever that is done)."""
    result, winning, turnout = tally(vote)
    return {
        **vote,
        "status": "closed",
        "result": result,
        "winning_option": winning,
        "turnout": turnout,
        "closed_at": vote["closes_at"],
    }


def with_due_votes_closed(doc: dict, now: datetime) -> dict:
    """The topic as it stands at `now`: every vote whose window has passed shows its result. Reads
    present this without writing anything (the result is the same whenever it is computed); the
    closing is committed by the worker's job or by the next write to the topic (close_due_votes)."""
    due = _due(doc, now)
    if not due:
        return doc
    votes = doc["votes"]
    for vote in due:
        votes = _replace(votes, _closed(vote))
    return {**doc, "votes": votes}


def _vote_closed(change: Change, doc: dict, closed: dict, actor: Actor, now: datetime) -> None:
    _record(
        change,
        ev.VOTE_CLOSED,
        doc,
        ev.VoteClosed(
            **_facts(doc, doc["step"], actor, closed["closes_at"]),
            vote_id=closed["id"],
            eligible_count=eligible_count(closed),
            ballots_cast=sum(closed["counts"]),
            turnout=closed["turnout"],
            counts=[ev.OptionCount(option=o, count=c) for o, c in zip(closed["options"], closed["counts"])],
            result=closed["result"],
            winning_option=closed["winning_option"],
        ),
        now,
    )


def close_due_votes(doc: dict, now: datetime) -> Change | None:
    """Close every open vote whose window has passed, recording each result (the worker's job, and
    every write to the topic, in the same commit: see Change.followed_by)."""
    due = _due(doc, now)
    if not due:
        return None
    change = Change()
    for vote in due:
        _vote_closed(change, doc, _closed(vote), SYSTEM, now)
    change.set = {"votes": with_due_votes_closed(doc, now)["votes"], "updated_at": now}
    return change


# --- CPPCC claims and deputies ----------------------------------------------------------------------


def claim(
    doc: dict,
    member_id: str,
    resources: list[str],
    actor: Actor,
    now: datetime,
    policy: Policy,
    claimed_at: datetime | None = None,
) -> Change:
    """A CPPCC member claims the topic (委员认领); claiming again adds the newly linked resources.
    `claimed_at`: a claim made off the platform (a past matter), not before the topic was raised."""
    TOPIC.require(doc, OPEN_STEPS, "claim a topic")
    when = happened(claimed_at, "claimed_at", now, policy, doc["created_at"], "the topic was raised")
    resources = [scrub(doc, r, policy) for r in resources]
    existing = next((c for c in doc["claims"] if c["member_id"] == member_id), None)
    if existing:
        updated = {**existing, "resources": [*existing["resources"], *resources]}
        claims = [updated if c["member_id"] == member_id else c for c in doc["claims"]]
    else:
        claims = [*doc["claims"], {"member_id": member_id, "claimed_at": when, "resources": resources}]
    change = Change(set={"claims": claims, "updated_at": now})
    _record(
        change,
        ev.CLAIMED,
        doc,
        ev.Claimed(**_facts(doc, doc["step"], actor, when), member_id=member_id, resources=resources),
        now,
    )
    return change


def assign_deputy(
    doc: dict,
    deputy_id: str,
    station: str,
    actor: Actor,
    now: datetime,
    policy: Policy = Policy(),
    assigned_at: datetime | None = None,
) -> Change:
    TOPIC.require(doc, OPEN_STEPS, "assign a deputy")
    if any(d["deputy_id"] == deputy_id for d in doc["deputies"]):
        raise InvalidTransition("this deputy is already assigned", {"deputy_id": deputy_id})
    when = happened(assigned_at, "assigned_at", now, policy, doc["created_at"], "the topic was raised")
    change = Change(
        set={
            "deputies": [
                *doc["deputies"],
                {
                    "deputy_id": deputy_id,
                    "station": station,
                    "assigned_at": when,
                    "assigned_by": actor.id,
                    "recorded_at": now,
                },
            ],
            "updated_at": now,
        }
    )
    _record(
        change,
        ev.DEPUTY_ASSIGNED,
        doc,
        ev.DeputyAssigned(**_facts(doc, doc["step"], actor, when), deputy_id=deputy_id, station=station),
        now,
    )
    return change


# --- step 4: implementation -------------------------------------------------------------------------


def start_implementation(
    doc: dict,
    decision: str,
    actor: Actor,
    now: datetime,
    policy: Policy,
    started_at: datetime | None = None,
) -> Change:
    when, change = transition(
        doc, "start_implementation", actor, now, policy=policy, at=started_at, field="started_at"
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


def add_task(doc: dict, fields: dict, actor: Actor, now: datetime, policy: Policy) -> tuple[str, Change]:
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
    doc: dict,
    task_id: str,
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
    when = happened(reported_at, "reported_at", now, policy, step_began(doc), "the implementation began")
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


# --- step 5: publish the result; step 6: feedback ----------------------------------------------------


def publish_result(doc: dict, fields: dict, actor: Actor, now: datetime, policy: Policy) -> Change:
    """Publish the result; only once implementation is complete, or for a declined matter. The linked
    intake requests are resolved with the result (intake then asks their residents to rate it).
    `posted_at`: when the result was really posted (not before the last progress report)."""
    when, change = transition(
        doc, "publish_result", actor, now, policy=policy, at=fields.get("posted_at"), field="posted_at"
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
    doc: dict, actor: Actor, now: datetime, policy: Policy = Policy(), opened_at: datetime | None = None
) -> Change:
    when, change = transition(
        doc, "open_feedback", actor, now, policy=policy, at=opened_at, field="opened_at"
    )
    _record(change, ev.FEEDBACK_OPENED, doc, ev.FeedbackOpened(**_facts(doc, "feedback", actor, when)), now)
    return change


def give_feedback(
    doc: dict, actor: Actor, satisfaction: int, comment: str | None, now: datetime, policy: Policy
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
    doc: dict, request_id: str, satisfaction: int, event_id: str, now: datetime
) -> Change:
    """A linked request's resident rated the outcome in intake: part of the topic's feedback."""
    ratings = [r for r in doc["request_ratings"] if r["request_id"] != request_id]
    ratings.append({"request_id": request_id, "satisfaction": satisfaction, "at": now})
    # updated_at too: the public pages' Last-Modified shows the new score (board.py)
    return Change(set={"request_ratings": ratings, "updated_at": now}, push={"applied_events": event_id})


def satisfaction_summary(doc: dict) -> float | None:
    scores = [f["satisfaction"] for f in doc["feedback"]] + [
        r["satisfaction"] for r in doc["request_ratings"]
    ]
    return round(statistics.mean(scores), 2) if scores else None


def close(
    doc: dict,
    summary: str,
    actor: Actor,
    now: datetime,
    policy: Policy,
    closed_at: datetime | None = None,
) -> Change:
    when, change = transition(doc, "close", actor, now, policy=policy, at=closed_at, field="closed_at")
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
    doc: dict,
    reason: str,
    actor: Actor,
    now: datetime,
    policy: Policy,
    declined_at: datetime | None = None,
) -> Change:
    reason = scrub(doc, reason, policy)  # also in the step history, which the topic's readers see
    when, change = transition(
        doc, "decline", actor, now, reason, policy=policy, at=declined_at, field="declined_at"
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


# --- two-way evaluation (双评议) -----------------------------------------------------------------------

EVALUATION_STEPS = ("publish_result", "feedback", "closed")
HANDLING = "handling"


def involved(doc: dict) -> dict[str, str]:
    """The people the matter involved, by registry id: its assigned deputies and the CPPCC members
    who claimed it -> their role."""
    people = {c["member_id"]: "cppcc_member" for c in doc["claims"]}
    people.update({d["deputy_id"]: "deputy" for d in doc["deputies"]})
    return people


def evaluate(
    doc: dict,
    actor: Actor,
    target: str | None,
    score: int,
    comment: str | None,
    now: datetime,
    policy: Policy,
) -> Change:
    """Two-way evaluation, from the time the result is published: a resident rates one of the
    deputies or CPPCC members the matter involved; a deputy or CPPCC member it involved rates how
    the matter was handled (target "handling"). Once per person and target."""
    TOPIC.require(doc, EVALUATION_STEPS, "evaluate")
    people = involved(doc)
    if actor.role in ("deputy", "cppcc_member"):
        if people.get(actor.id) != actor.role:
            raise Forbidden(f"only a {actor.role} involved in this matter evaluates how it was handled")
        target, target_role = HANDLING, HANDLING
    else:
        if target not in people:
            raise InvalidInput(
                "evaluate a deputy or CPPCC member involved in this matter",
                [{"field": "person_id", "message": f"one of {sorted(people) or 'none involved'}"}],
            )
        target_role = people[target]
    if any(e["by_id"] == actor.id and e["target"] == target for e in doc["evaluations"]):
        raise InvalidTransition("you have already given this evaluation")
    entry = {
        "by_id": actor.id,
        "by_role": actor.role,
        "target": target,
        "target_role": target_role,
        "score": score,
        "comment": scrub(doc, comment, policy),
        "at": now,
    }
    change = Change(set={"updated_at": now}, push={"evaluations": entry})
    _record(
        change,
        ev.EVALUATED,
        doc,
        ev.Evaluated(
            **_facts(doc, doc["step"], actor, now),
            by_role=actor.role,
            target=target,
            target_role=target_role,
            score=score,
            comment=entry["comment"],
        ),
        now,
    )
    return change


# --- statistics --------------------------------------------------------------------------------------


def step_hours(doc: dict, now: datetime) -> dict[str, float]:
    """Hours the topic spent in each step it went through (the current one up to `now`)."""
    hours: dict[str, float] = {}
    history = doc["steps"]
    for entry, nxt in zip(history, [*history[1:], None]):
        end = nxt["at"] if nxt else (now if entry["step"] not in FINAL_STEPS else entry["at"])
        hours[entry["step"]] = hours.get(entry["step"], 0.0) + (end - entry["at"]).total_seconds() / 3600
    return hours


def compute_statistics(docs: list[dict], now: datetime) -> dict:
    by_step: dict[str, int] = {}
    by_platform: dict[str, int] = {}
    meetings = participants = ballots = eligible = votes_closed = solved = imported = 0
    per_step: dict[str, list[float]] = {}
    for d in docs:
        by_step[d["step"]] = by_step.get(d["step"], 0) + 1
        by_platform[d["platform"]] = by_platform.get(d["platform"], 0) + 1
        held = [m for m in d.get("meetings", []) if m["status"] == "held"]
        meetings += len(held)
        participants += sum(m["attendance"] for m in held)
        for v in d.get("votes", []):
            if v["status"] == "closed":
                votes_closed += 1
                ballots += sum(v["counts"])
                eligible += eligible_count(v)
        solved += d["step"] == "closed" and not d.get("declined")
        imported += bool(d.get("imported"))
        for step, h in step_hours(d, now).items():
            per_step.setdefault(step, []).append(h)
    return {
        "topics": len(docs),
        "by_step": by_step,
        "by_platform": by_platform,
        "consultations_held": meetings,
        "participants": participants,
        "votes_closed": votes_closed,
        "ballots_cast": ballots,
        "turnout": round(ballots / eligible, 4) if eligible else None,
        "matters_solved": solved,
        "imported": imported,
        "median_hours_in_step": {s: round(statistics.median(h), 2) for s, h in per_step.items()},
    }


def _mean(scores: list[int]) -> float | None:
    return round(statistics.mean(scores), 2) if scores else None


def evaluation_summary(docs: list[dict], since: datetime, until: datetime, stations: dict[str, str]) -> dict:
    """The annual (or any period's) evaluation of the people of the mechanism: per deputy and CPPCC
    member, the matters they took on in the period (assigned or claimed then), the resources they
    linked, the residents' evaluations of them given in the period and their own evaluations of how
    matters were handled; per liaison station, the same over its deputies. `stations`: deputy id ->
    station, for deputies evaluated on a matter they are no longer listed on."""
    people: dict[str, dict] = {}

    def person(pid: str, role: str) -> dict:
        return people.setdefault(
            pid,
            {
                "person_id": pid,
                "role": role,
                "station": stations.get(pid) if role == "deputy" else None,
                "matters": set(),
                "claims": 0,
                "resources_linked": 0,
                "scores": [],
                "handling": [],
            },
        )

    def within(at: datetime) -> bool:
        return since <= at < until

    for d in docs:
        for dep in d.get("deputies", []):
            if within(dep["assigned_at"]):
                person(dep["deputy_id"], "deputy")["matters"].add(d["_id"])
        for c in d.get("claims", []):
            if within(c["claimed_at"]):
                p = person(c["member_id"], "cppcc_member")
                p["matters"].add(d["_id"])
                p["claims"] += 1
                p["resources_linked"] += len(c["resources"])
        for e in d.get("evaluations", []):
            if not within(e["at"]):
                continue
            if e["target"] in (HANDLING, "residents"):  # "residents": a deputy's, before the handling
                person(e["by_id"], e["by_role"])["handling"].append(e["score"])
            else:
                role = e.get("target_role") or "deputy"  # evaluations before CPPCC members were rated
                person(e["target"], role)["scores"].append(e["score"])
    rows = []
    for p in sorted(people.values(), key=lambda p: (p["role"], p["person_id"])):
        rows.append(
            {
                "person_id": p["person_id"],
                "role": p["role"],
                "station": p["station"],
                "matters": len(p["matters"]),
                "claims": p["claims"],
                "resources_linked": p["resources_linked"],
                "evaluations": len(p["scores"]),
                "mean_score": _mean(p["scores"]),
                "handling_evaluations": len(p["handling"]),
                "mean_handling_score": _mean(p["handling"]),
            }
        )
    by_station: dict[str, dict] = {}
    for p in people.values():
        if p["role"] != "deputy" or not p["station"]:
            continue
        s = by_station.setdefault(p["station"], {"deputies": 0, "matters": set(), "scores": []})
        s["deputies"] += 1
        s["matters"] |= p["matters"]
        s["scores"] += p["scores"]
    station_rows = [
        {
            "station": name,
            "deputies": s["deputies"],
            "matters": len(s["matters"]),
            "evaluations": len(s["scores"]),
            "mean_score": _mean(s["scores"]),
        }
        for name, s in sorted(by_station.items())
    ]
    return {"people": rows, "stations": station_rows}
