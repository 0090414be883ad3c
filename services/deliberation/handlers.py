"""What deliberation does with the events it consumes: the map of the worker's consumer.

- intake routed a request to deliberation: it joins the open topic about the same matter or
  becomes a new topic candidate (step 1);
- intake recorded a resident's rating of a linked request: it counts in the topic's feedback;
- mediation escalated a case with a community-wide cause: it becomes a topic.

Handlers are idempotent on their own (the event id is kept in the topic, and topics created from
an event or a case have ids derived from it), so a replay with lost processed-events changes nothing.
"""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from civic146.consumer import Subscription
from civic146.events import CASE_ESCALATED, INTAKE_TOPIC, RATED, ROUTED, CaseEscalatedData, Rated, Routed
from civic146.outbox import retry_on_conflict

from . import actions, domain, store
from .context import Deliberation


def on_routed(ctx: Deliberation, event: dict, data: Routed) -> None:
    outbox, policy, now = ctx.outbox, ctx.policy, ctx.now()
    if data.target != "deliberation":
        return
    actions.take_up_request(
        outbox,
        policy,
        {
            "request_id": data.request_id,
            "community": data.community,
            "compound": data.compound,
            "category": data.category,
            "description": data.description,
            "submitter_ref": data.submitter_ref,
            "name_digests": data.name_digests,
        },
        event["id"],
        now,
    )


def on_rated(ctx: Deliberation, event: dict, data: Rated) -> None:
    outbox, now = ctx.outbox, ctx.now()

    def once() -> None:
        topics = [t for t in store.holding(data.request_id) if event["id"] not in t.get("applied_events", [])]
        if not topics:
            return  # not ours, or already recorded
        actions.commit(
            outbox,
            topics[0],
            domain.record_request_rating(topics[0], data.request_id, data.satisfaction, event["id"], now),
        )

    retry_on_conflict(once, f"the topic of request {data.request_id}")


def on_case_escalated(ctx: Deliberation, event: dict, data: CaseEscalatedData) -> None:
    outbox, policy, now = ctx.outbox, ctx.policy, ctx.now()
    requests = [
        domain.request_entry(rid, data.compound, None, None, "mediation_case", now)
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
        "mediation_case",
        domain.SYSTEM,
        now,
        policy,
        topic_id=domain.derived_id(f"mediation_case:{data.case_id}"),
        origin_ref=data.case_id,
        requests=requests,
        name_digests=data.name_digests,
    )
    doc["applied_events"] = [event["id"]]
    try:
        actions.create(outbox, doc, change)
    except DuplicateKeyError:
        pass  # this case already became a topic


SUBSCRIPTIONS = [
    Subscription(INTAKE_TOPIC, ROUTED, on_routed),
    Subscription(INTAKE_TOPIC, RATED, on_rated),
    Subscription(CASE_ESCALATED.topic, CASE_ESCALATED, on_case_escalated),
]
