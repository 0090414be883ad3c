"""What intake consumes: its subscriptions, read by the worker's consumer, the topics the
infrastructure creates and the AsyncAPI document.

Downstream services report progress on a request with `civic146.request.progress.v2`; intake
moves the request to in progress or resolved (the resident is then asked to rate it). Deliberation
reports a request moved to another topic with `civic146.request.reassigned.v1`; intake's reference
and history follow it.
"""

from __future__ import annotations

from civic146.consumer import Subscription
from civic146.events import REQUEST_PROGRESS, REQUEST_REASSIGNED, RequestProgressData, RequestReassignedData

from . import actions
from .context import Intake


def apply_progress(ctx: Intake, event: dict, data: RequestProgressData) -> None:
    actions.apply_progress(ctx, event["id"], data)


def apply_reassignment(ctx: Intake, event: dict, data: RequestReassignedData) -> None:
    actions.apply_reassignment(ctx, event["id"], data)


# The downstream services' topics, where they report on the requests intake routed to them.
PROGRESS_TOPICS = ("deliberation.topics", "employment.referrals", "mediation.cases")

# Deliberation moves requests between its topics (a merge, a detach): the reference follows.
REASSIGNING_TOPICS = ("deliberation.topics",)

SUBSCRIPTIONS = [
    *(Subscription(topic, REQUEST_PROGRESS, apply_progress) for topic in PROGRESS_TOPICS),
    *(Subscription(topic, REQUEST_REASSIGNED, apply_reassignment) for topic in REASSIGNING_TOPICS),
]
