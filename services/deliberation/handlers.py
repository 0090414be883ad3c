"""What deliberation does with the events it consumes: the map of the worker's consumer.

- intake routed a request to deliberation: it joins the open topic about the same matter or
  becomes a new topic candidate (step 1);
- intake recorded a resident's rating of a linked request: it counts in the topic's feedback;
- mediation escalated a case with a community-wide cause: it becomes a topic.

Handlers are idempotent on their own (the event id is kept in the topic, and topics created from
an event or a case have ids derived from it), so a replay with lost processed-events changes nothing.
"""

from __future__ import annotations

from civic146.consumer import Subscription
from civic146.events import CASE_ESCALATED, INTAKE_TOPIC, RATED, ROUTED, CaseEscalatedData, Rated, Routed

from . import actions
from .context import Deliberation


def on_routed(ctx: Deliberation, event: dict, data: Routed) -> None:
    if data.target != "deliberation":
        return
    actions.take_up_request(
        ctx,
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
    )


def on_rated(ctx: Deliberation, event: dict, data: Rated) -> None:
    actions.record_rating(ctx, data.request_id, data.satisfaction, event["id"])


def on_case_escalated(ctx: Deliberation, event: dict, data: CaseEscalatedData) -> None:
    actions.take_up_escalation(ctx, data, event["id"])


SUBSCRIPTIONS = [
    Subscription(INTAKE_TOPIC, ROUTED, on_routed),
    Subscription(INTAKE_TOPIC, RATED, on_rated),
    Subscription(CASE_ESCALATED.topic, CASE_ESCALATED, on_case_escalated),
]
