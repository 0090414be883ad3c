"""Payloads of the steps and what happens in them: notice, consultation and meetings, the Party
organisation's reviews, claims and deputies, the decision and tasks, result, feedback, closing,
declining and evaluations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from civic146.payloads import Input, WholeNumber

from ..events import ParticipantRole, Platform
from .times import _when


class NoticeIn(Input):
    text: str = Field(min_length=5, max_length=4000)
    period_days: int = Field(ge=1, le=90)
    venue_id: str | None = Field(
        None, max_length=64, description="Venue (from /v1/venues) where it is posted"
    )
    online: bool = Field(False, description="Also posted online (e-net mini-program)")
    posted_at: AwareDatetime | None = _when("it was really posted (the notice period counts from then)")

    @model_validator(mode="after")
    def _somewhere(self):
        if not self.venue_id and not self.online:
            raise ValueError("post it at a venue (venue_id) or online (online=true)")
        return self


class StartConsultationIn(Input):
    started_at: AwareDatetime | None = _when("the consultation began")


class MeetingIn(Input):
    venue_id: str = Field(min_length=1, max_length=64)
    scheduled_at: AwareDatetime
    platform: Platform | None = Field(None, description="Defaults to the topic's platform")
    participants: dict[ParticipantRole, int] = Field(min_length=1, description="Invited participants by role")

    @field_validator("participants")
    @classmethod
    def _counts(cls, v: dict) -> dict:
        if any(n < 0 for n in v.values()):
            raise ValueError("counts cannot be negative")
        return v


class MeetingHeldIn(Input):
    attendance: WholeNumber = Field(ge=1, le=10000, description="How many attended")
    minutes: str = Field(min_length=10, max_length=20000)
    opinions: list[str] = Field(default_factory=list, max_length=100)
    outcome: str = Field(min_length=2, max_length=4000)
    participants: dict[ParticipantRole, int] | None = Field(None, description="Who actually came, by role")
    held_at: AwareDatetime | None = _when("it was held (required if it was scheduled for later)")


class ClaimIn(Input):
    resources: list[str] = Field(
        min_length=1, max_length=20, description="Resources the member links to the matter"
    )
    claimed_at: AwareDatetime | None = _when("the member took the matter on")


class DeputyIn(Input):
    deputy_id: str = Field(min_length=1, max_length=64)
    assigned_at: AwareDatetime | None = _when("the deputy took the matter on")


class ReviewIn(Input):
    stage: Literal["topic", "decision"] = Field(
        description="topic: in step 1, before the notice; decision: in the consultation, before the "
        "implementation"
    )
    approved: bool
    organisation: Literal["community_party_committee", "subdistrict_party_working_committee"]
    comment: str | None = Field(None, max_length=2000)
    reviewed_at: AwareDatetime | None = _when("the review was made")


class DecisionIn(Input):
    decision: str = Field(min_length=5, max_length=4000)
    started_at: AwareDatetime | None = _when("the implementation began")


class TaskIn(Input):
    title: str = Field(min_length=2, max_length=200)
    owner: str = Field(min_length=2, max_length=120, description="Responsible organisation or team")
    due_date: date
    unit: str = Field(min_length=1, max_length=20, description="e.g. m, 处, 个")
    target: float = Field(gt=0, le=1e7)


class ProgressIn(Input):
    done: float = Field(ge=0, description="Quantity done so far, in the task's unit (the task's `unit`)")
    reported_at: AwareDatetime | None = _when("the work had got this far")


class OpenFeedbackIn(Input):
    opened_at: AwareDatetime | None = _when("the feedback began to be collected")


class FeedbackIn(Input):
    satisfaction: WholeNumber = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=1000)


class ReasonIn(Input):
    reason: str = Field(min_length=2, max_length=1000)
    declined_at: AwareDatetime | None = _when("it was declined")


class CloseIn(Input):
    summary: str = Field(min_length=2, max_length=4000, description="How the feedback was reported back")
    closed_at: AwareDatetime | None = _when("the feedback was reported back")


class EvaluationIn(Input):
    score: WholeNumber = Field(ge=1, le=5)
    person_id: str | None = Field(
        None, max_length=64, description="Residents: the deputy or CPPCC member they evaluate"
    )
    deputy_id: str | None = Field(
        None, max_length=64, description="Residents: the same as person_id (older name)"
    )
    comment: str | None = Field(None, max_length=1000)

    @property
    def target(self) -> str | None:
        return self.person_id or self.deputy_id


class NoticeOut(BaseModel):
    text: str
    period_days: int
    venue_id: str | None
    online: bool
    starts_at: datetime = Field(description="When it was really posted")
    ends_at: datetime
    recorded_at: datetime | None = None
    outcome: str | None = None


class MeetingOut(BaseModel):
    id: str
    platform: Platform
    venue_id: str
    scheduled_at: datetime
    participants: dict[str, int]
    status: Literal["scheduled", "held"]
    attendance: int | None
    minutes: str | None
    opinions: list[str]
    outcome: str | None
    held_at: datetime | None
    recorded_at: datetime | None = Field(None, description="When it was recorded as held")


class TaskOut(BaseModel):
    id: str
    title: str
    owner: str
    due_date: date
    unit: str = Field(description="Unit of target and done (m, 个, 处, ...)")
    target: float
    done: float
    progress: float = Field(description="Percent of the target done (0..100)")
    reported_at: datetime | None = Field(None, description="As of when `done` was reported")


class ClaimOut(BaseModel):
    member_id: str
    claimed_at: datetime
    resources: list[str]


class DeputyOut(BaseModel):
    deputy_id: str
    station: str
    assigned_at: datetime


class FeedbackOut(BaseModel):
    by_role: str
    satisfaction: int
    comment: str | None
    at: datetime


class EvaluationOut(BaseModel):
    by_role: str
    target: str
    target_role: str | None = None
    score: int
    comment: str | None
    at: datetime


class ReviewOut(BaseModel):
    stage: str
    approved: bool
    organisation: str
    comment: str | None
    at: datetime
    recorded_at: datetime
