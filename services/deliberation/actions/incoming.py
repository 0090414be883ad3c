"""What the consumer's handlers do with what the other services send: a request intake routed
here joins a topic or becomes one, its rating counts in the feedback, a case mediation escalated
becomes a topic."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from civic146.events import CaseEscalatedData
from civic146.outbox import retry_on_conflict

from .. import domain, store
from ..context import Deliberation
from .decide import _decide


def take_up_request(ctx: Deliberation, request: dict, via_event: str) -> dict:
    """A request routed to deliberation joins the open topic about the same matter, or becomes a
    new topic candidate (step 1). Idempotent: a request already on a topic changes nothing (a
    request never leaves every topic: a detach moves it), and a topic made from this event has an
    id derived from it. The consumer drops repeated events before they get here, so no separate
    "event applied?" lookup (a collection scan on the test server, a third of the handler's time)."""
    now = ctx.now()

    def entry(via: str) -> dict:
        return domain.request_entry(
            request["request_id"],
            compound=request.get("compound"),
            category=request.get("category"),
            description=request["description"],
            via=via,
            now=now,
            submitter_ref=request.get("submitter_ref"),
            name_digests=request.get("name_digests"),
        )

    def once() -> dict:
        if store.holding(request["request_id"]):
            return {}
        found = domain.matching_topic(
            request,
            store.open_candidates(
                request["community"], request.get("compound"), request.get("category"), domain.OPEN_STEPS
            ),
            ctx.policy.attach_similarity,
        )
        if found is not None:
            joined = entry("similarity")
            return _decide(
                ctx,
                found[0],
                lambda d, at: domain.attach_request(
                    d, entry=joined, actor=domain.SYSTEM, now=at, event_id=via_event
                ),
                now,
            )
        doc, change = domain.new_topic(
            {
                "title": domain.title_from(request["description"]),
                "description": request["description"],
                "community": request["community"],
                "compound": request.get("compound"),
                "category": request.get("category"),
            },
            origin="intake_request",
            actor=domain.SYSTEM,
            now=now,
            policy=ctx.policy,
            topic_id=domain.derived_id(via_event),
            origin_ref=request["request_id"],
            requests=[entry("new_topic")],
        )
        doc["applied_events"] = [via_event]
        try:
            return store.insert(ctx.outbox, doc, change)
        except DuplicateKeyError:
            return {}  # the same event created it before

    return retry_on_conflict(once, f"the topic for request {request['request_id']}")


def record_rating(ctx: Deliberation, request_id: str, satisfaction: int, event_id: str) -> None:
    """A linked request's resident rated its outcome in intake: it counts in the topic's feedback,
    once (the event id is kept in the same write)."""

    def once() -> None:
        topics = [t for t in store.holding(request_id) if event_id not in t.get("applied_events", [])]
        if not topics:
            return  # not ours, or already recorded
        _decide(
            ctx,
            topics[0],
            lambda d, now: domain.record_request_rating(
                d, request_id, satisfaction=satisfaction, event_id=event_id, now=now
            ),
        )

    retry_on_conflict(once, f"the topic of request {request_id}")


def take_up_escalation(ctx: Deliberation, data: CaseEscalatedData, event_id: str) -> None:
    """Mediation escalated a case with a community-wide cause: it becomes a topic, with the case's
    requests deliberation does not hold yet. Its id is derived from the case: once only."""
    now = ctx.now()
    requests = [
        domain.request_entry(
            rid, compound=data.compound, category=None, description=None, via="mediation_case", now=now
        )
        for rid in data.request_ids
        if not store.holding(rid)
    ]
    doc, change = domain.new_topic(
        {
            "title": domain.title_from(data.summary),
            "description": f"{data.summary}\n（调解转议题：{data.cause}）",
            "community": data.community,
            "compound": data.compound,
            "category": data.case_type,
        },
        origin="mediation_case",
        actor=domain.SYSTEM,
        now=now,
        policy=ctx.policy,
        topic_id=domain.derived_id(f"mediation_case:{data.case_id}"),
        origin_ref=data.case_id,
        requests=requests,
        name_digests=data.name_digests,
    )
    doc["applied_events"] = [event_id]
    try:
        store.insert(ctx.outbox, doc, change)
    except DuplicateKeyError:
        pass  # this case already became a topic
