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

from civic146.events import EventData, EventType

TOPIC = "intake.requests"
SOURCE = "/civic146/intake"

Status = Literal[
    "submitted",
    "accepted",
    "routed",
    "in_progress",
    "resolved",
    "closed",
    "rejected",
    "duplicate",
    "reopened",
]
Channel = Literal[
    "e_net_mini_program",
    "opinion_express",
    "cloud_audio_visual",
    "hotline",
    "walk_in",
    "staff_assisted",
    "small_bench_talk",
    "deputy_liaison_station",
    "cppcc_consultation",
    "residents_council",
]
RouteTarget = Literal["deliberation", "employment", "mediation", "department"]


class MaskedPerson(EventData):
    name: str = Field(description="Masked name, e.g. 张*")
    phone: str | None = Field(None, description="Masked mobile number, e.g. 138****1234")


class RequestFacts(EventData):
    request_id: str
    community: str
    compound: str | None
    category: str
    channel: Channel
    status: Status
    actor_role: str = Field(
        description="Role of whoever caused the change (resident, community_staff, system, ...)"
    )


class Submitted(RequestFacts):
    description: str = Field(description="The resident's text with phone and ID numbers masked")
    location: str | None = None
    attachment_count: int
    submitter: MaskedPerson
    response_due_at: datetime
    resolution_due_at: datetime


class Accepted(RequestFacts):
    pass


class Routed(RequestFacts):
    target: RouteTarget
    department: str | None = None
    description: str = Field(description="The resident's text with phone and ID numbers masked")
    location: str | None = None
    submitter: MaskedPerson
    note: str | None = None
    submitter_ref: str | None = Field(
        description="Pseudonym of the resident who submitted the request (civic146.auth.pseudonym: keyed "
        "HMAC of the account id, computable only by services holding the JWT secret); null when "
        "staff submitted it on someone's behalf"
    )
    name_digests: list[str] = Field(
        description="Keyed digests of the names intake knows for this request (the submitter's; "
        "civic146.pii.name_digests: keyed with a key derived from the JWT secret, so only services "
        "holding it can recognise these names in text they write about the request, and nobody can "
        "reverse them). Names of 2 to 4 characters only; sorted, no repeats"
    )


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


class Closed(RequestFacts):
    pass


class Reopened(RequestFacts):
    reason: str


class Rated(RequestFacts):
    satisfaction: int = Field(ge=1, le=5)
    comment: str | None = Field(None, description="Scrubbed of phone and ID numbers")


class Overdue(RequestFacts):
    deadline: Literal["response", "resolution"]
    due_at: datetime


class FollowUpDue(RequestFacts):
    resolved_at: datetime


def _t(name: str, data: type[EventData], description: str, version: int = 2) -> EventType:
    return EventType(f"civic146.intake.request.{name}.v{version}", data, TOPIC, description)


SUBMITTED = _t("submitted", Submitted, "A resident's request entered the platform.")
ACCEPTED = _t("accepted", Accepted, "Staff accepted the request (the response deadline is met).")
# v3: routed.v2 (which added the submitter's pseudonym to v1) with the envelope's `sequence`;
# v4: v3 with the digests of the names intake knows, so that the services taking the request up
# mask those names in what they write about it without ever receiving them.
ROUTED = _t(
    "routed",
    Routed,
    "The request was routed (or rerouted) to a service or a department; "
    "carries the submitting resident's pseudonym and the digests of the names intake knows for it.",
    version=4,
)
REJECTED = _t("rejected", Rejected, "Staff rejected the request, with the reason.")
MARKED_DUPLICATE = _t("marked-duplicate", MarkedDuplicate, "The request was merged into an earlier one.")
IN_PROGRESS = _t("in-progress", InProgress, "The handling service or department has taken the request up.")
RESOLVED = _t("resolved", Resolved, "The request has an outcome; the resident is asked to rate it.")
CLOSED = _t("closed", Closed, "The request was closed.")
REOPENED = _t("reopened", Reopened, "The resident reopened the request within the reopening window.")
RATED = _t("rated", Rated, "The resident rated the handling (step 6: feedback).")
OVERDUE = _t("overdue", Overdue, "A response or resolution deadline from the catalogue passed.")
FOLLOW_UP_DUE = _t(
    "follow-up-due", FollowUpDue, "No rating arrived after resolution: staff should follow up."
)

PUBLISHED = [
    SUBMITTED,
    ACCEPTED,
    ROUTED,
    REJECTED,
    MARKED_DUPLICATE,
    IN_PROGRESS,
    RESOLVED,
    CLOSED,
    REOPENED,
    RATED,
    OVERDUE,
    FOLLOW_UP_DUE,
]
