"""What mediation does with the events it consumes: the map of the worker's consumer.

Intake routes a resident's request to mediation with `civic146.intake.request.routed.v4`
(data.target == "mediation"); the case opens in its first state, origin `intake_request`.
Intake events carry masked personal data only, so staff and mediators complete the parties
through the API; the digests of the names intake knows stay with the case, so that what mediation
writes about it (an escalation) masks them too. The case id is derived from the request id, so a
replayed or re-delivered event cannot open a second case (mediation.actions.open_from_request).
"""

from __future__ import annotations

from civic146.consumer import Subscription
from civic146.events import INTAKE_TOPIC, ROUTED, EventType

from . import actions
from .context import Mediation
from .events import RoutedRequest

INTAKE_ROUTED = EventType(
    ROUTED.name,
    RoutedRequest,
    INTAKE_TOPIC,
    "An intake request was routed; mediation takes those with target mediation.",
)


def open_from_request(ctx: Mediation, event: dict, data: RoutedRequest) -> None:
    if data.target == "mediation":
        actions.open_from_request(ctx, event["id"], data)


SUBSCRIPTIONS = [Subscription(INTAKE_TOPIC, INTAKE_ROUTED, open_from_request)]
