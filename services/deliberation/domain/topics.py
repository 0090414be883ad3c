"""Step 1, determine the topic: a topic raised, the requests linked to it (attached, detached,
a routed request joining the open topic about the same matter) and edits of the topic."""

from __future__ import annotations

from datetime import datetime

from civic146 import pii
from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidTransition, NotFound
from civic146.events import RequestReassignedData
from civic146.text import similarity

from .. import events as ev
from .steps import OPEN_STEPS, TOPIC, Policy, Topic, _facts, _progress, _record, new_id, scrub


def request_entry(
    request_id: str,
    *,
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


def raised_by(doc: Topic, ref: str) -> bool:
    """Whether the resident with pseudonym `ref` raised one of the topic's linked requests."""
    return any(r.get("submitter_ref") == ref for r in doc["requests"])


def new_topic(
    fields: dict,
    *,
    origin: str,
    actor: Actor,
    now: datetime,
    policy: Policy,
    topic_id: str | None = None,
    origin_ref: str | None = None,
    requests: list[dict] | None = None,
    name_digests: list[str] | None = None,
    raised_at: datetime | None = None,
) -> tuple[Topic, Change]:
    """A topic in step 1 (without version/outbox) and the change carrying its events.
    `fields`: title, description, community, compound, category, platform, vote_required (None: by platform).
    `name_digests`: names the topic's origin knows (a mediation case's people), besides its requests'.
    `raised_at`: when the matter was raised, if before it was recorded (checked by the caller)."""
    requests = requests or []
    raised = raised_at or now
    platform = fields.get("platform") or policy.candidate_platform
    vote_required = fields.get("vote_required")
    doc: Topic = {
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
    return doc, _creation_events(doc, actor, now, raised)


def _creation_events(doc: Topic, actor: Actor, now: datetime, raised: datetime) -> Change:
    """A new topic's events: created, each request attached, and the progress each request's
    resident is told of."""
    origin, origin_ref, requests = doc["origin"], doc["origin_ref"], doc["requests"]
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
    return change


def title_from(text: str, limit: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def matching_topic(request: dict, topics: list[Topic], threshold: float) -> tuple[Topic, float] | None:
    """The open topic a routed request is most likely about (same community, compound and category,
    text similarity at least `threshold`), or None."""
    best: tuple[Topic, float] | None = None
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
    doc: Topic, *, entry: dict, actor: Actor, now: datetime, event_id: str | None = None
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
    doc: Topic,
    request_id: str,
    *,
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


def update(doc: Topic, *, fields: dict, actor: Actor, now: datetime, policy: Policy) -> Change:
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
