"""What intake does with the events it consumes: the map of the worker's consumer.

Downstream services report progress on a request with `civic146.request.progress.v2`; intake
moves the request to in progress or resolved (the resident is then asked to rate it). Handlers
are idempotent on their own: the event id is stored in the request in the same atomic write.
"""

from __future__ import annotations

import logging

from civic146.consumer import PermanentError, Subscription
from civic146.errors import NotFound
from civic146.events import REQUEST_PROGRESS, RequestProgressData
from civic146.outbox import Change, retry_on_conflict

from . import domain, store
from . import metrics as intake_metrics
from .context import Intake

log = logging.getLogger(__name__)


def apply_progress(ctx: Intake, event: dict, data: RequestProgressData) -> None:
    outbox, policy, now = ctx.outbox, ctx.policy, ctx.now()
    actor = domain.Actor(data.handled_by, "system")

    def once() -> None:
        try:
            doc = store.get(data.request_id)
        except NotFound:
            raise PermanentError(f"unknown request {data.request_id}") from None
        if event["id"] in doc.get("applied_events", []):
            return
        if data.state == "in_progress" and doc["status"] in ("routed", "reopened"):
            change = domain.start(doc, actor, now, data.handled_by, data.reference, data.summary)
        elif data.state == "resolved" and doc["status"] in ("routed", "in_progress", "reopened"):
            change = domain.resolve(doc, actor, now, data.summary, policy, data.handled_by, data.reference)
        else:
            log.info(
                "progress does not change the request",
                extra={
                    "event_id": event["id"],
                    "request_id": doc["_id"],
                    "status": doc["status"],
                    "state": data.state,
                },
            )
            change = Change()
        change.push["applied_events"] = event["id"]
        doc = store.apply(outbox, doc, change)
        if "status" in change.set:
            intake_metrics.TRANSITIONS.labels(doc["community"], doc["status"]).inc()

    retry_on_conflict(once, f"request {data.request_id}")


# The downstream services' topics, where they report on the requests intake routed to them.
PROGRESS_TOPICS = ("deliberation.topics", "employment.referrals", "mediation.cases")

SUBSCRIPTIONS = [Subscription(topic, REQUEST_PROGRESS, apply_progress) for topic in PROGRESS_TOPICS]
