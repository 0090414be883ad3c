"""Events the intake service publishes on `intake.requests` (key = request id).

Every payload repeats the request's routing facts (community, compound, category, channel,
status) so consumers need no other lookup. No raw personal data: names and phone numbers are
masked, ID numbers left out, and free text is scrubbed (civic146.pii.scrub_text): mobile and ID
numbers however written, and the submitter's name. A name intake was never told (a neighbour
named only in the text) cannot be recognised and reaches the topic as written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from civic146 import events as shared  # the events other services consume: the contract in the kit
from civic146.events import (
    INTAKE_TOPIC,
    EventData,
    EventType,
    MaskedPerson,
    RequestFacts,
    intake_event_type,
    published_in,
)

TOPIC = INTAKE_TOPIC
SOURCE = "/civic146/intake"


class Submitted(RequestFacts):
    description: str = Field(description="The resident's text with phone and ID numbers masked")
    location: str | None = None
    attachment_count: int
    submitter: MaskedPerson
    response_due_at: datetime
    resolution_due_at: datetime


class Accepted(RequestFacts):
    pass


class Rejected(RequestFacts):
    reason: str


class MarkedDuplicate(RequestFacts):
    duplicate_of: str


class InProgress(RequestFacts):
    handled_by: str
    reference: str | None = None
    summary: str | None = None


class Resolved(RequestFacts):
    handled_by: str
    reference: str | None = None
    outcome: str


class Reassigned(RequestFacts):
    handled_by: str
    reference: str = Field(description="Id of the downstream aggregate the request now belongs to")
    previous_reference: str
    summary: str


class Closed(RequestFacts):
    pass


class Reopened(RequestFacts):
    reason: str


class Overdue(RequestFacts):
    deadline: Literal["response", "resolution"]
    due_at: datetime


class FollowUpDue(RequestFacts):
    resolved_at: datetime


def _t(name: str, data: type[EventData], description: str, version: int = 2) -> EventType:
    return intake_event_type(name, data, description, version)


SUBMITTED = _t("submitted", Submitted, "A resident's request entered the platform.")
ACCEPTED = _t("accepted", Accepted, "Staff accepted the request (the response deadline is met).")
ROUTED = shared.ROUTED
REJECTED = _t("rejected", Rejected, "Staff rejected the request, with the reason.")
MARKED_DUPLICATE = _t("marked-duplicate", MarkedDuplicate, "The request was merged into an earlier one.")
IN_PROGRESS = _t("in-progress", InProgress, "The handling service or department has taken the request up.")
RESOLVED = _t("resolved", Resolved, "The request has an outcome; the resident is asked to rate it.")
REASSIGNED = _t(
    "reassigned",
    Reassigned,
    "The handling service moved the request to another of its aggregates (another topic): its reference "
    "changed, its status did not.",
    version=1,
)
CLOSED = _t("closed", Closed, "The request was closed.")
REOPENED = _t("reopened", Reopened, "The resident reopened the request within the reopening window.")
RATED = shared.RATED
OVERDUE = _t("overdue", Overdue, "A response or resolution deadline from the catalogue passed.")
FOLLOW_UP_DUE = _t(
    "follow-up-due", FollowUpDue, "No rating arrived after resolution: staff should follow up."
)

PUBLISHED = published_in(globals())  # every event type bound above
