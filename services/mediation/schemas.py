"""HTTP payload models of the mediation API: they validate input and describe the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from civic146.payloads import (
    CommunityId,
    DateTime,
    IdNumber,
    Input,
    MobilePhone,
    PlaceIn,
    Registered,
    WholeNumber,
)

from .events import CaseType, FailureReason, MediatorKind, Outcome, PartyRole, Route, Status
from .reference import ROSTER

Ids = list[str]
MediatorId = Annotated[
    str,
    Registered("mediator", lambda: ROSTER().keys(), "see GET /v1/mediators"),
    Field(description="Roster id, see GET /v1/mediators"),
]


class PartyIn(Input):
    role: PartyRole
    name: str = Field(min_length=1, max_length=60, description="Person or organisation")
    phone: MobilePhone | None = None
    id_number: IdNumber | None = None
    user_id: str | None = Field(None, max_length=64, description="Platform account, if the party has one")
    related_mediators: list[MediatorId] = Field(
        default_factory=list,
        max_length=20,
        description="Roster ids of mediators the party declares being related to",
    )


class OpenCaseIn(PlaceIn):
    case_type: CaseType
    origin: Literal["party_application", "court_referral", "police_referral", "committee_initiative"] = Field(
        description="intake_request cases are opened from intake's routed events"
    )
    facts: str = Field(min_length=5, max_length=4000)
    parties: list[PartyIn] = Field(default_factory=list, max_length=20)


def _routes_required_with_refusal(schema: dict) -> None:
    schema["anyOf"] = [
        {"properties": {"decision": {"const": "given"}}},
        {
            "properties": {"decision": {"const": "refused"}, "advised_routes": {"minItems": 1}},
            "required": ["advised_routes"],
        },
    ]


class ConsentIn(Input):
    """A refusal names the other routes advised (advised_routes, at least one)."""

    model_config = ConfigDict(json_schema_extra=_routes_required_with_refusal)
    party_id: str = Field(min_length=1, max_length=16)
    decision: Literal["given", "refused"]
    advised_routes: list[Route] = Field(
        default_factory=list, max_length=3, description="Required with a refusal: the other routes advised"
    )

    @model_validator(mode="after")
    def _routes_with_refusal(self):
        if self.decision == "refused" and not self.advised_routes:
            raise ValueError("advised_routes: name the routes advised (arbitration, administrative, court)")
        return self


class AssignMediatorIn(Input):
    mediator_id: MediatorId
    chosen_by_parties: bool = False


class ParticipantIn(Input):
    name: str = Field(min_length=1, max_length=60)
    capacity: str = Field(min_length=1, max_length=120, description="e.g. property company representative")
    consent_of: Ids = Field(
        min_length=1, max_length=20, description="Party ids that consented to the invitation"
    )


class SessionIn(Input):
    held_at: AwareDatetime
    location: str | None = Field(None, max_length=200)
    attendees: Ids = Field(
        min_length=1,
        max_length=40,
        description="Party ids, mediator roster ids and invited participants' names",
    )
    notes: str = Field(min_length=1, max_length=8000, description="Confidential: never leaves the case")


class ExtensionIn(Input):
    days: WholeNumber = Field(ge=1, le=60)
    reason: str = Field(min_length=2, max_length=1000)


class TermIn(Input):
    description: str = Field(min_length=2, max_length=1000)
    obligor: str = Field(min_length=1, max_length=16, description="Party id who must perform")
    due_at: AwareDatetime


class AgreementIn(Input):
    terms: list[TermIn] = Field(min_length=1, max_length=20)
    signed_by: Ids = Field(min_length=1, max_length=20, description="Party ids; every party signs")
    effective_at: AwareDatetime


class FulfilmentIn(Input):
    term_number: WholeNumber = Field(ge=1)
    result: Literal["fulfilled", "breached"]
    note: str | None = Field(None, max_length=1000)


class FailureIn(Input):
    reason: FailureReason
    advised_routes: list[Route] = Field(min_length=1, max_length=3)
    note: str | None = Field(None, max_length=1000)


class EscalationIn(Input):
    cause: str = Field(min_length=2, max_length=200, description="Why it is community-wide")
    summary: str = Field(min_length=5, max_length=2000, description="The matter for deliberation")


class CourtConfirmationIn(Input):
    applied_at: AwareDatetime
    court: str = Field(min_length=2, max_length=120)


class ListQuery(Input):
    community: CommunityId | None = None
    status: Status | None = None
    case_type: CaseType | None = None
    request_id: str | None = Field(None, max_length=64)
    overdue: bool | None = None
    limit: int = Field(50, ge=1, le=200)


class StatisticsQuery(Input):
    community: CommunityId | None = Field(None, description="Omit for every community you oversee")
    opened_from: DateTime | None = Field(None, alias="from")
    opened_to: DateTime | None = Field(None, alias="to")


# --- responses ------------------------------------------------------------------------------------


class PartyOut(BaseModel):
    id: str
    role: PartyRole
    name: str
    phone: str | None = None
    id_number: str | None = None
    consent: Literal["given", "refused"] | None = None
    masked: bool


class MediatorOut(BaseModel):
    mediator_id: str
    kind: MediatorKind
    chosen_by_parties: bool
    assigned_at: datetime


class SessionOut(BaseModel):
    number: int
    held_at: datetime
    location: str | None = None
    attendees: list[str]
    notes: str | None = Field(
        None, description="Confidential: only the case's mediators and supervisors see it"
    )


class TermOut(BaseModel):
    number: int
    description: str
    obligor: str
    due_at: datetime
    result: Literal["fulfilled", "breached"] | None = None
    recorded_at: datetime | None = None
    overdue: bool = Field(
        False, description="Due date passed without fulfilment recorded (flagged by the worker)"
    )


class CourtConfirmationOut(BaseModel):
    applied_at: datetime
    court: str


class AgreementOut(BaseModel):
    terms: list[TermOut]
    signed_by: list[str]
    effective_at: datetime
    confirmation_window_closes_at: datetime
    reminder_sent: bool
    court_confirmation: CourtConfirmationOut | None = None


class ParticipantOut(BaseModel):
    name: str
    capacity: str
    invited_at: datetime


class ExtensionOut(BaseModel):
    days: int
    reason: str
    at: datetime


class HistoryOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    action: str
    from_: str | None = Field(alias="from", serialization_alias="from")
    to: str
    at: datetime
    actor_role: str
    reason: str | None = None


class CaseDetails(BaseModel):
    """Visible only to the parties, the assigned mediators and supervisors."""

    facts: str
    participants: list[ParticipantOut]
    sessions: list[SessionOut]
    extensions: list[ExtensionOut]
    agreement: AgreementOut | None = None
    escalation_cause: str | None = None
    escalation_summary: str | None = None
    history: list[HistoryOut]


class CaseOut(BaseModel):
    id: str
    community: str
    compound: str | None = None
    case_type: CaseType
    origin: str
    status: Status
    request_ids: list[str]
    parties: list[PartyOut]
    mediators: list[MediatorOut]
    due_at: datetime | None = None
    overdue: bool
    opened_at: datetime
    accepted_at: datetime | None = None
    outcome: Outcome | None = None
    failure_reason: FailureReason | None = None
    advised_routes: list[Route]
    closed_at: datetime | None = None
    version: int
    details: CaseDetails | None = Field(
        None, description="Null unless you are a party, an assigned mediator or a supervisor"
    )


class CaseList(BaseModel):
    items: list[CaseOut]


class RosterEntryOut(BaseModel):
    id: str = Field(description="The mediator's id: the registry's person id, named when assigning")
    account: str = Field(
        description="The account the mediator signs in with (JWT sub): a token with it acts on their cases"
    )
    name_zh: str
    kind: MediatorKind
    communities: list[str]
    supervisor: bool
    demo: bool


class RosterOut(BaseModel):
    items: list[RosterEntryOut]


class CommunityStatistics(BaseModel):
    community: str
    total: int
    by_type: dict[str, dict[str, int]] = Field(
        description="case type -> total and counts per outcome ('open' if none)"
    )
    by_outcome: dict[str, int]
    by_status: dict[str, int]
    success_rate: float | None
    fulfilment_rate: float | None
    confirmation_take_up: float | None
    overdue_open: int
    average_days_to_close: float | None
    average_days_to_outcome: float | None


class Statistics(BaseModel):
    opened_from: datetime | None
    opened_to: datetime | None
    overall: CommunityStatistics
    communities: list[CommunityStatistics]
