"""CloudEvents 1.0 envelope (structured content mode) and the registry of event types.

Every event is one JSON object holding the envelope attributes and `data`, so any consumer sees
`id`, `source`, `type`, `time`, `subject` in the Kafka value itself. The Kafka key is the
aggregate id (= `subject`), which keeps per-aggregate order. `community` is an extension
attribute so consumers can filter without parsing `data`; `sequence` (extension attribute, set
by the outbox at commit) orders the events of one subject, so a consumer can drop a repeated or
stale event.

`type` carries the version (`civic146.intake.request.submitted.v2`). The JSON Schema of each
type is generated from the same pydantic model the code uses and committed under
services/contracts/events/; a released file never changes, a breaking change is a new type.
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json"
D = TypeVar("D", bound=BaseModel)


class EventData(BaseModel):
    """Base of every event payload: unknown fields are rejected so contracts stay exact."""

    model_config = ConfigDict(extra="forbid")


class RecordedEvent(BaseModel, Generic[D]):
    """An event as the domain records it; the outbox adds `sequence` when it commits (only the
    commit knows the aggregate's new version)."""

    model_config = ConfigDict(extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(description="Unique event id; consumers de-duplicate on it")
    source: str = Field(description="URI reference of the producing service, e.g. /civic146/intake")
    type: str = Field(description="Event type with its version suffix")
    time: datetime = Field(description="When the state change happened (RFC 3339)")
    subject: str = Field(description="Aggregate id; also the Kafka key")
    datacontenttype: Literal["application/json"] = "application/json"
    community: str = Field(description="Extension attribute: community id the event belongs to")
    data: D


SEQUENCE_PATTERN = r"^[0-9]{12}\.[0-9]{3}$"


class CloudEvent(RecordedEvent[D], Generic[D]):
    """An event as it is published: what the domain recorded plus its place in the aggregate's history."""

    sequence: str = Field(
        pattern=SEQUENCE_PATTERN,
        description="Extension attribute (CloudEvents `sequence`): the aggregate's version after the change, "
        "a dot, and the event's place in that change, fixed width (e.g. 000000000007.001). Per subject, a "
        "greater string is a later event: drop an event whose sequence is not greater than the last "
        "one you applied for its subject.",
    )


@dataclass(frozen=True)
class EventType:
    name: str  # e.g. civic146.intake.request.submitted.v2
    data: type[EventData]  # payload model
    topic: str  # topic (without deployment prefix) the producer writes to
    description: str

    def schema(self) -> dict:
        """JSON Schema of the whole structured-mode event, `type` pinned to this type."""
        schema = CloudEvent[self.data].model_json_schema()
        schema["properties"]["type"] = {
            "const": self.name,
            "description": "Event type with its version suffix",
        }
        schema.pop("title", None)
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://civic146.example/contracts/events/{self.name}.json",
            "title": self.name,
            "description": self.description,
            **schema,
        }


@functools.cache
def _recorded(data: type[EventData]) -> type[RecordedEvent]:
    """RecordedEvent[data], made once per payload model (pydantic's own cache of parametrised
    generics is weak, and rebuilding the class showed in the request path's profile)."""
    return RecordedEvent[data]


def new_event(
    event_type: EventType, source: str, subject: str, community: str, data: EventData, at: datetime
) -> dict:
    """A JSON-ready CloudEvent (dict) with a fresh id; the domain records it, the relay sends it."""
    if not isinstance(data, event_type.data):
        raise TypeError(f"{event_type.name} carries {event_type.data.__name__}, not {type(data).__name__}")
    envelope = _recorded(event_type.data)(
        id=str(uuid.uuid4()),
        source=source,
        type=event_type.name,
        time=at.astimezone(UTC),
        subject=subject,
        community=community,
        data=data,
    )
    return envelope.model_dump(mode="json")


def encode(event: dict) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class MalformedEvent(ValueError):
    """A message that is not a CloudEvent this consumer can read: retrying will not help."""


def decode(value: bytes | None) -> dict:
    if value is None:
        raise MalformedEvent("empty message value")
    try:
        event = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEvent(f"not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise MalformedEvent("not a JSON object")
    missing = [k for k in ("specversion", "id", "source", "type", "time", "subject") if not event.get(k)]
    if missing:
        raise MalformedEvent(f"not a CloudEvent: missing {', '.join(missing)}")
    # CloudEvents attributes are strings. Anything else is refused here, before it can be a
    # dictionary key (a list is unhashable) or a query value (an object such as {"$ne": null}
    # would be an operator in `processed_events.find_one({"_id": ...})`).
    wrong = [k for k in ENVELOPE_STRINGS if k in event and not isinstance(event[k], str)]
    if wrong:
        raise MalformedEvent(f"not a CloudEvent: {', '.join(wrong)} must be strings")
    # Bounded, since they become keys and query values (an id of a megabyte would be stored in
    # processed_events and compared on every repeat).
    long = [k for k in ENVELOPE_STRINGS if len(event.get(k) or "") > ENVELOPE_MAX_CHARS]
    if long:
        raise MalformedEvent(
            f"not a CloudEvent: {', '.join(long)} longer than {ENVELOPE_MAX_CHARS} characters"
        )
    if event["specversion"] != "1.0":
        raise MalformedEvent(f"unsupported specversion {event['specversion']!r}")
    return event


ENVELOPE_MAX_CHARS = 512

ENVELOPE_STRINGS = (
    "specversion",
    "id",
    "source",
    "type",
    "time",
    "subject",
    "community",
    "sequence",
    "datacontenttype",
    "dataschema",
)


def parse_data(event_type: EventType, event: dict) -> EventData:
    try:
        return event_type.data.model_validate(event.get("data"))
    except Exception as exc:
        raise MalformedEvent(f"data does not match {event_type.name}: {exc}") from None


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- Cross-service contract -------------------------------------------------------------------
# Downstream services (deliberation, employment, mediation) report what happened to an intake
# request with this one event type, on their own topic. Intake consumes it and closes the loop.
# One contract for many producers keeps intake ignorant of every downstream domain.


class RequestProgressData(EventData):
    request_id: str = Field(description="Id of the intake request this progress is about")
    state: Literal["in_progress", "resolved"] = Field(
        description="in_progress: taken up; resolved: outcome reached"
    )
    handled_by: Literal["deliberation", "employment", "mediation", "department"]
    reference: str = Field(description="Id of the downstream aggregate (topic, referral, case)")
    summary: str = Field(
        max_length=2000, description="Outcome or progress, in words for the resident (no personal data)"
    )


REQUEST_PROGRESS = EventType(
    name="civic146.request.progress.v2",
    data=RequestProgressData,
    topic="",
    description="A downstream service reports progress or the outcome of an intake request, on its own "
    "topic.",
)


class RequestReassignedData(EventData):
    request_id: str = Field(description="Id of the intake request that moved")
    handled_by: Literal["deliberation", "employment", "mediation", "department"]
    reference: str = Field(description="Id of the downstream aggregate the request now belongs to")
    previous_reference: str = Field(description="Id of the aggregate it left")
    summary: str = Field(
        max_length=2000, description="The move, in words for the resident (no personal data)"
    )
    reassigned_at: datetime = Field(
        description="When it moved: of two moves of one request, the later one is where it is (events of "
        "different aggregates have no order between them)"
    )


REQUEST_REASSIGNED = EventType(
    name="civic146.request.reassigned.v1",
    data=RequestReassignedData,
    topic="",
    description="A downstream service moved an intake request from one of its aggregates to another (a topic "
    "merged into another, a request detached into a topic of its own), on its own topic.",
)


def published_in(namespace: dict[str, object]) -> list[EventType]:
    """What a service publishes: every event type its events module binds (defined there, or a
    shared contract imported or bound by name), in the order it binds them, each once. Defining the
    type is declaring it, so no list is kept by hand; the contract tests check that the code records
    exactly these, so a type bound here and never recorded, or recorded and not bound, fails them."""
    types: list[EventType] = []
    for value in namespace.values():
        if isinstance(value, EventType) and value not in types:
            types.append(value)
    return types


def request_progress_on(topic: str) -> EventType:
    """The progress event type as a producer writing to `topic` records it in its outbox."""
    return replace(REQUEST_PROGRESS, topic=topic)


def request_reassigned_on(topic: str) -> EventType:
    """The reassignment event type as a producer writing to `topic` records it in its outbox."""
    return replace(REQUEST_REASSIGNED, topic=topic)


# Mediation escalates a case whose cause is community-wide (property fees, liability for storm
# damage, ...) to deliberation, where it becomes a topic. Produced by mediation on its own topic.


class CaseEscalatedData(EventData):
    case_id: str
    community: str
    compound: str | None = None
    case_type: str = Field(description="Dispute type, e.g. property_management, damage")
    cause: str = Field(max_length=200, description="Why it is community-wide, in words (no personal data)")
    summary: str = Field(max_length=2000, description="The matter, scrubbed of personal data")
    parties_count: int = Field(ge=1)
    request_ids: list[str] = Field(default_factory=list, description="Intake requests linked to the case")
    name_digests: list[str] = Field(
        description="Keyed digests of the names mediation knows for the case (its parties and invited "
        "participants, the submitters of its linked requests; civic146.pii.name_digests), so that "
        "deliberation masks them in what it writes about the topic without ever receiving them. Not "
        "reversible without the key (derived from the JWT secret); sorted, no repeats"
    )


# v3: v2 with the digests of the names mediation knows for the case.
CASE_ESCALATED = EventType(
    name="civic146.mediation.case.escalated.v3",
    data=CaseEscalatedData,
    topic="mediation.cases",
    description="A mediation case has a community-wide cause: deliberation should take it up as a topic.",
)


# Intake's request events that other services consume (deliberation and employment take up routed
# requests, deliberation counts ratings). Intake publishes them with the rest of its events
# (intake/events.py), which share the routing facts below.

INTAKE_TOPIC = "intake.requests"

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


class Rated(RequestFacts):
    satisfaction: int = Field(ge=1, le=5)
    comment: str | None = Field(None, description="Scrubbed of phone and ID numbers")


def intake_event_type(name: str, data: type[EventData], description: str, version: int = 2) -> EventType:
    return EventType(f"civic146.intake.request.{name}.v{version}", data, INTAKE_TOPIC, description)


# v3: routed.v2 (which added the submitter's pseudonym to v1) with the envelope's `sequence`;
# v4: v3 with the digests of the names intake knows, so that the services taking the request up
# mask those names in what they write about it without ever receiving them.
ROUTED = intake_event_type(
    "routed",
    Routed,
    "The request was routed (or rerouted) to a service or a department; "
    "carries the submitting resident's pseudonym and the digests of the names intake knows for it.",
    version=4,
)
RATED = intake_event_type("rated", Rated, "The resident rated the handling (step 6: feedback).")
