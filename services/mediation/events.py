"""Events the mediation service publishes on `mediation.cases` (key = case id).

Mediation is confidential: events carry ids, the dispute type, community, status, counts,
dates and taxonomy codes only. No names, phone or ID numbers, no facts, no session notes, no
agreement terms. The two cross-service contracts (request progress for intake, escalation for
deliberation) live in the shared kit and are produced here on the same topic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from civic146 import events as shared
from civic146.events import EventData, EventType, published_in, request_progress_on

TOPIC = "mediation.cases"
SOURCE = "/civic146/mediation"

CaseType = Literal["neighbours", "property_management", "family", "labour", "damage", "consumer", "other"]
Origin = Literal[
    "party_application", "intake_request", "court_referral", "police_referral", "committee_initiative"
]
Status = Literal[
    "registered",
    "accepted",
    "mediating",
    "agreement_reached",
    "fulfilled",
    "breached",
    "failed",
    "refused",
    "escalated",
]
PartyRole = Literal["applicant", "respondent"]
Route = Literal["arbitration", "administrative", "court"]
FailureReason = Literal["party_withdrew", "no_agreement", "party_unreachable", "outside_scope"]
Outcome = Literal["agreement", "failed", "refused", "escalated"]
MediatorKind = Literal["community_mediator", "deputy", "cppcc_member", "lawyer", "volunteer"]


class CaseFacts(EventData):
    case_id: str
    community: str
    compound: str | None
    case_type: CaseType
    status: Status
    actor_role: str = Field(
        description="Role of whoever caused the change (community_staff, mediator, system, ...)"
    )


class Opened(CaseFacts):
    origin: Origin
    request_ids: list[str] = Field(description="Intake requests linked to the case")
    parties_count: int


class PartyAdded(CaseFacts):
    party_id: str
    party_role: PartyRole
    parties_count: int


class ConsentRecorded(CaseFacts):
    party_id: str
    party_role: PartyRole
    decision: Literal["given", "refused"]


class Accepted(CaseFacts):
    due_at: datetime = Field(description="End of the mediation time limit")


class MediatorAssigned(CaseFacts):
    mediator_id: str = Field(description="Roster id of the mediator")
    mediator_kind: MediatorKind
    chosen_by_parties: bool


class ParticipantInvited(CaseFacts):
    participants_count: int


class SessionHeld(CaseFacts):
    session_number: int
    held_at: datetime
    attendees_count: int


class Extended(CaseFacts):
    days: int
    due_at: datetime


class Overdue(CaseFacts):
    due_at: datetime


class AgreementReached(CaseFacts):
    terms_count: int
    effective_at: datetime
    confirmation_window_closes_at: datetime = Field(
        description="Last day to apply jointly for court confirmation"
    )


class FulfilmentRecorded(CaseFacts):
    term_number: int
    result: Literal["fulfilled", "breached"]


class Closed(CaseFacts):
    outcome: Outcome
    result: Literal["fulfilled", "breached"] | None = Field(
        None, description="For an agreement: its fulfilment"
    )
    failure_reason: FailureReason | None = None
    advised_routes: list[Route] = Field(default_factory=list)


class ConfirmationWindowClosing(CaseFacts):
    effective_at: datetime
    closes_at: datetime


class CourtConfirmationApplied(CaseFacts):
    applied_at: datetime


def _t(name: str, data: type[EventData], description: str) -> EventType:
    return EventType(f"civic146.mediation.case.{name}.v2", data, TOPIC, description)


OPENED = _t("opened", Opened, "A dispute was registered as a mediation case (parties still to consent).")
PARTY_ADDED = _t("party-added", PartyAdded, "A party (applicant or respondent) was added to a case.")
CONSENT_RECORDED = _t("consent-recorded", ConsentRecorded, "A party agreed to mediation or refused it.")
ACCEPTED = _t(
    "accepted", Accepted, "Every party agreed: the committee accepted the case; the time limit runs."
)
MEDIATOR_ASSIGNED = _t(
    "mediator-assigned", MediatorAssigned, "A mediator without a conflict of interest was assigned."
)
PARTICIPANT_INVITED = _t(
    "participant-invited", ParticipantInvited, "Another participant was invited with the parties' consent."
)
SESSION_HELD = _t(
    "session-held", SessionHeld, "A mediation session took place (its notes stay confidential)."
)
EXTENDED = _t("extended", Extended, "The time limit was extended (the reason is kept in the case).")
OVERDUE = _t("overdue", Overdue, "The time limit passed without an outcome.")
AGREEMENT_REACHED = _t("agreement-reached", AgreementReached, "The parties signed a mediation agreement.")
FULFILMENT_RECORDED = _t(
    "fulfilment-recorded", FulfilmentRecorded, "A term of the agreement was fulfilled or breached."
)
CLOSED = _t(
    "closed", Closed, "The case ended: agreement fulfilled or breached, failed, refused or escalated."
)
CONFIRMATION_WINDOW_CLOSING = _t(
    "confirmation-window-closing",
    ConfirmationWindowClosing,
    "Reminder: the 30-day window for joint court confirmation closes soon.",
)
COURT_CONFIRMATION_APPLIED = _t(
    "court-confirmation-applied",
    CourtConfirmationApplied,
    "The parties applied jointly to a court to confirm the agreement.",
)

PROGRESS = request_progress_on(TOPIC)  # shared contract: intake resolves the linked request
ESCALATED = shared.CASE_ESCALATED  # shared contract: deliberation takes the matter up


# What mediation reads of an event it consumes (not a type it publishes: no EventType here).
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


PUBLISHED = published_in(globals())  # every event type bound above
