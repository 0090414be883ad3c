"""The topic's six steps and what every decision on a topic shares.

`TOPIC` (a `civic146.lifecycle.Lifecycle`) says which step each action may start from and where it
leads; `transition` is the common part of every step change. Besides: the `Policy` the decisions
follow, the system actor, ids, the time a fact recorded afterwards happened (`happened`, within
bounds), the events every decision records (`_record`, `_facts`, `_progress`) and the masking of
names in the texts it publishes (`scrub`).

Every decision in this package is a pure function, no I/O: it takes the topic document (a `Topic`)
and returns a Change (the fields to set, the history entry to append and the events to record);
the store applies it in one atomic write together with the events (outbox). Lists that change in
place (meetings, votes, tasks, linked requests) are replaced whole: the write is guarded by the
document's version."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from civic146 import pii
from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidInput, NotFound
from civic146.events import RequestProgressData, new_event
from civic146.lifecycle import Lifecycle

from .. import events as ev

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


class Topic(TypedDict, total=False):
    """A stored topic (collection `topics`) as `topics.new_topic` makes it and the decisions change it."""

    _id: str
    version: int  # the outbox's commits
    outbox: list[dict]
    title: str
    description: str
    community: str
    compound: str | None
    category: str | None
    platform: str
    vote_required: bool
    origin: str
    origin_ref: str | None
    created_by: str
    created_at: datetime  # when the matter was raised
    recorded_at: datetime
    updated_at: datetime
    step: str  # TOPIC's steps
    steps: list[dict]  # step, from, at, recorded_at, actor_id, actor_role, reason?
    reviews: list[dict]  # the Party organisation's reviews
    requests: list[dict]  # topics.request_entry
    request_ids: list[str]
    absorbs_requests: bool  # whether routed requests about the same matter may still join
    absorbing_stopped: dict | None  # reason, at
    notice: dict | None
    result: dict | None
    decision: str | None
    declined: dict | None  # reason, at, recorded_at
    closing: dict | None
    meetings: list[dict]
    votes: list[dict]
    tasks: list[dict]
    progress: float
    claims: list[dict]
    deputies: list[dict]
    feedback: list[dict]
    request_ratings: list[dict]
    evaluations: list[dict]
    applied_events: list[str]  # ids of the events of other services already applied
    name_digests: list[str]  # names the topic's origin knows


def new_id() -> str:
    return uuid.uuid4().hex


_NAMESPACE = uuid.UUID("5f1f6d2e-7c1a-4a53-9f39-146146146146")


def derived_id(key: str) -> str:
    """A topic id derived from what caused it (an event, a case), so a replay cannot create a second topic."""
    return uuid.uuid5(_NAMESPACE, key).hex


def _facts(doc: Topic, step: str, actor: Actor, occurred_at: datetime) -> dict:
    return {
        "occurred_at": occurred_at,
        "topic_id": doc["_id"],
        "community": doc["community"],
        "compound": doc.get("compound"),
        "platform": doc["platform"],
        "step": step,
        "actor_role": actor.role,
    }


def _record(change: Change, event_type, doc: Topic, data, at: datetime) -> None:
    change.record(event_type, new_event(event_type, ev.SOURCE, doc["_id"], doc["community"], data, at))


def _progress(change: Change, doc: Topic, request_id: str, state: str, summary: str, at: datetime) -> None:
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


def known_names(doc: Topic, policy: Policy) -> pii.NameDigests:
    """The names deliberation knows for the topic, by digest only (it never receives a name): the
    submitters of its linked requests (intake's routed event) and the people of the mediation case
    it came from (the escalation event)."""
    digests = {
        *doc.get("name_digests", []),
        *(d for r in doc.get("requests", []) for d in r.get("name_digests", [])),
    }
    return pii.known_by_digest(policy.name_key, digests)


def scrub(doc: Topic, text: str | None, policy: Policy) -> str | None:
    """Free text as it may leave deliberation (events, public pages): numbers and known names masked."""
    return pii.scrub_text(text, digests=known_names(doc, policy))


def happened(
    given: datetime | None,
    field: str,
    *,
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


def step_began(doc: Topic) -> datetime:
    """When the topic entered its current step (the time it happened)."""
    return next(s["at"] for s in reversed(doc["steps"]) if not s.get("review"))


def _history(
    doc: Topic, to: str, actor: Actor, at: datetime, now: datetime, reason: str | None = None
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
    doc: Topic,
    action: str,
    *,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    policy: Policy = Policy(),
    at: datetime | None = None,
    field: str = "at",
) -> tuple[datetime, Change]:
    """The common part of every step change: the lifecycle allows it, the time it happened is within
    bounds (not before the current step began), the step is set, the trail keeps both times."""
    to = TOPIC.target(doc, action)
    when = happened(
        at, field, now=now, policy=policy, since=step_began(doc), since_what=f"step {doc['step']} began"
    )
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


def _not_before(when: datetime, field: str, moments: list[tuple[datetime | None, str]]) -> None:
    for moment, what in moments:
        if moment is not None and when < moment:
            message = f"{when.isoformat()} is before {what} ({moment.isoformat()})"
            raise InvalidInput(f"{field}: {message}", [{"field": field, "message": message}])
