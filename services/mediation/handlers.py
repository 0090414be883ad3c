"""What mediation does with the events it consumes: the map of the worker's consumer.

Intake routes a resident's request to mediation with `civic146.intake.request.routed.v4`
(data.target == "mediation"); the case opens in its first state, origin `intake_request`.
Intake events carry masked personal data only, so staff and mediators complete the parties
through the API; the digests of the names intake knows stay with the case, so that what mediation
writes about it (an escalation) masks them too. The case id is derived from the request id, so a replayed or
re-delivered
event cannot open a second case.
"""

from __future__ import annotations

import logging

from pydantic import ConfigDict
from pymongo.errors import DuplicateKeyError

from civic146.consumer import Subscription
from civic146.events import INTAKE_TOPIC, ROUTED, EventData, EventType
from civic146.reference import communities

from . import domain, store
from . import metrics as mediation_metrics
from .context import Mediation

log = logging.getLogger(__name__)


class RoutedRequest(EventData):
    """The fields of intake's routed event that mediation reads (a tolerant reader of the
    released contract services/contracts/events/civic146.intake.request.routed.v4.json; the
    submitter's pseudonym is not among them: parties are completed through the API)."""

    model_config = ConfigDict(extra="ignore")
    request_id: str
    community: str
    compound: str | None = None
    category: str
    target: str
    description: str
    name_digests: list[str] = []


INTAKE_ROUTED = EventType(
    ROUTED.name,
    RoutedRequest,
    INTAKE_TOPIC,
    "An intake request was routed; mediation takes those with target mediation.",
)


def open_from_request(
    ctx: Mediation,
    event: dict,
    data: RoutedRequest,
) -> None:
    if data.target != "mediation":
        return
    outbox, policy, now = ctx.outbox, ctx.policy, ctx.now()
    known = communities(ctx.settings.reference_dir)
    compound = (
        data.compound
        if data.community in known and data.compound in known[data.community].compounds
        else None
    )
    fields = {
        "community": data.community,
        "compound": compound,
        "case_type": domain.CATEGORY_CASE_TYPES.get(data.category, "other"),
        "origin": "intake_request",
        "facts": data.description,
        "request_ids": [data.request_id],
        "parties": [],
        "name_digests": data.name_digests,
    }
    doc, change = domain.open_case(
        fields,
        domain.Actor("intake", "system"),
        now,
        policy,
        case_id=domain.case_id_for_request(data.request_id),
    )
    try:
        store.insert(outbox, doc, change)
    except DuplicateKeyError:
        log.info(
            "case already open for this request",
            extra={"event_id": event["id"], "request_id": data.request_id},
        )
        return
    mediation_metrics.CASES_OPENED.labels(doc["community"], doc["case_type"]).inc()


SUBSCRIPTIONS = [Subscription(INTAKE_TOPIC, INTAKE_ROUTED, open_from_request)]
