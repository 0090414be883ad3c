"""HTTP payload models of the deliberation API: they validate input and describe the OpenAPI document."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from civic146.payloads import CommunityId, CompoundId, Input, PlaceIn, WholeNumber

from .events import Origin, ParticipantRole, Platform, Step, Threshold, VoteResult


class CreateTopicIn(PlaceIn):
    title: str = Field(min_length=2, max_length=120)
    description: str = Field(min_length=5, max_length=4000)
    category: str | None = Field(None, max_length=64)
    platform: Platform
    vote_required: bool | None = Field(None, description="Defaults to whether the platform decides by vote")


def _may_be_left_out(schema: dict) -> None:
    schema.pop("default", None)  # the None default means "not sent", it is not an accepted value


class UpdateTopicIn(Input):
    """Only the fields sent change. Null is refused where a topic cannot be without a value (the
    field is left out to keep it); a category can be cleared with null."""

    title: str = Field(None, min_length=2, max_length=120, json_schema_extra=_may_be_left_out)
    description: str = Field(None, min_length=5, max_length=4000, json_schema_extra=_may_be_left_out)
    category: str | None = Field(None, max_length=64)
    platform: Platform = Field(None, json_schema_extra=_may_be_left_out)
    vote_required: bool = Field(None, json_schema_extra=_may_be_left_out)

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        return self


class AttachIn(Input):
    request_id: str = Field(min_length=1, max_length=64)


class NoticeIn(Input):
    text: str = Field(min_length=5, max_length=4000)
    period_days: int = Field(ge=1, le=90)
    venue_id: str | None = Field(
        None, max_length=64, description="Venue (from /v1/venues) where it is posted"
    )
    online: bool = Field(False, description="Also posted online (e-net mini-program)")

    @model_validator(mode="after")
    def _somewhere(self):
        if not self.venue_id and not self.online:
            raise ValueError("post it at a venue (venue_id) or online (online=true)")
        return self


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


class VoteIn(Input):
    question: str = Field(min_length=5, max_length=1000)
    scope: Literal["compound", "community"] = Field(
        description="Who is eligible: the registered residents of the "
        "topic's compound or of its whole community"
    )
    options: list[str] | None = Field(
        None,
        min_length=2,
        max_length=10,
        description="A choice between options; default approve/oppose/abstain",
    )
    opens_at: AwareDatetime | None = Field(None, description="Default: now")
    closes_at: AwareDatetime
    quorum: float | None = Field(None, gt=0, le=1, description="Turnout needed (share of eligible voters)")
    threshold: Threshold | None = None

    @field_validator("options")
    @classmethod
    def _options(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and (len(set(v)) != len(v) or any(not o or len(o) > 100 for o in v)):
            raise ValueError("options must be distinct, non-empty and at most 100 characters")
        return v


class BallotIn(Input):
    choice: str = Field(min_length=1, max_length=100)


class ClaimIn(Input):
    resources: list[str] = Field(
        min_length=1, max_length=20, description="Resources the member links to the matter"
    )


class DeputyIn(Input):
    deputy_id: str = Field(min_length=1, max_length=64)


class DecisionIn(Input):
    decision: str = Field(min_length=5, max_length=4000)


class TaskIn(Input):
    title: str = Field(min_length=2, max_length=200)
    owner: str = Field(min_length=2, max_length=120, description="Responsible organisation or team")
    due_date: date
    unit: str = Field(min_length=1, max_length=20, description="e.g. m, 处, 个")
    target: float = Field(gt=0, le=1e7)


class ProgressIn(Input):
    done: float = Field(ge=0, description="Quantity done so far, in the task's unit")


class FeedbackIn(Input):
    satisfaction: WholeNumber = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=1000)


class ReasonIn(Input):
    reason: str = Field(min_length=2, max_length=1000)


class CloseIn(Input):
    summary: str = Field(min_length=2, max_length=4000, description="How the feedback was reported back")


class EvaluationIn(Input):
    score: WholeNumber = Field(ge=1, le=5)
    deputy_id: str | None = Field(None, max_length=64, description="Residents: the deputy they evaluate")
    comment: str | None = Field(None, max_length=1000)


class VotersIn(Input):
    resident_ids: list[str] = Field(min_length=1, max_length=2000, description="User ids of the residents")
    compound: CompoundId | None = Field(
        None, description="A compound of the community; the whole community if omitted"
    )


class ListQuery(Input):
    community: CommunityId | None = None
    step: Step | None = None
    platform: Platform | None = None
    request_id: str | None = Field(
        None, min_length=1, max_length=64, description="Only the topic an intake request belongs to"
    )
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the previous page")
    limit: int = Field(50, ge=1, le=200)


class StatisticsQuery(Input):
    community: CommunityId | None = Field(None, description="Omit for the whole sub-district (admins)")


class VotersQuery(Input):
    compound: CompoundId | None = Field(
        None, description="A compound of the community; the whole community if omitted"
    )


# --- responses -----------------------------------------------------------------------------------


class StepOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    step: str
    from_: str | None = Field(alias="from", serialization_alias="from")
    at: datetime
    actor_role: str
    reason: str | None = None


class NoticeOut(BaseModel):
    text: str
    period_days: int
    venue_id: str | None
    online: bool
    starts_at: datetime
    ends_at: datetime
    outcome: str | None = None


class LinkedRequestOut(BaseModel):
    request_id: str
    compound: str | None
    category: str | None
    description: str | None = Field(None, description="Shown to staff only")
    via: str
    attached_at: datetime


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


class OptionCountOut(BaseModel):
    option: str
    count: int


class VoteOut(BaseModel):
    """Totals only, and only once the window closed; never who voted what."""

    id: str
    question: str
    options: list[str]
    scope: str
    opens_at: datetime
    closes_at: datetime
    quorum: float
    threshold: Threshold
    status: Literal["open", "closed"]
    eligible_count: int
    ballots_cast: int
    counts: list[OptionCountOut] | None
    turnout: float | None
    result: VoteResult | None
    winning_option: str | None


class TaskOut(BaseModel):
    id: str
    title: str
    owner: str
    due_date: date
    unit: str = Field(description="Unit of target and done (m, 个, 处, ...)")
    target: float
    done: float
    progress: float = Field(description="Percent of the target done (0..100)")


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
    score: int
    comment: str | None
    at: datetime


class AbsorbingStoppedOut(BaseModel):
    reason: str
    at: datetime


class TopicOut(BaseModel):
    id: str
    title: str
    description: str
    community: str
    compound: str | None
    category: str | None
    platform: Platform
    origin: Origin
    origin_ref: str | None
    vote_required: bool
    step: Step
    steps: list[StepOut]
    requests: list[LinkedRequestOut]
    notice: NoticeOut | None
    meetings: list[MeetingOut]
    votes: list[VoteOut]
    claims: list[ClaimOut]
    deputies: list[DeputyOut]
    decision: str | None
    tasks: list[TaskOut]
    progress: float = Field(
        description="Percent done: the mean of the tasks' progress, each in percent (0..100)"
    )
    result: NoticeOut | None
    declined_reason: str | None
    feedback: list[FeedbackOut]
    request_ratings: int
    mean_satisfaction: float | None
    evaluations: list[EvaluationOut]
    closing_summary: str | None
    absorbs_requests: bool = Field(
        True, description="Whether similar requests intake routes to deliberation join this topic"
    )
    absorbing_stopped: AbsorbingStoppedOut | None = Field(
        None, description="Why the topic takes no new request (null while it does)"
    )
    created_at: datetime
    updated_at: datetime
    version: int


class TopicPage(BaseModel):
    items: list[TopicOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null: the last")


class BallotOut(BaseModel):
    vote_id: str
    recorded: bool
    ballots_cast: int


class PublicNoticeOut(BaseModel):
    topic_id: str
    title: str
    community: str
    compound: str | None
    platform: Platform
    kind: Literal["topic", "result"]
    notice: NoticeOut


class PublicNoticeList(BaseModel):
    items: list[PublicNoticeOut]


class PublicTaskOut(BaseModel):
    title: str
    unit: str
    target: float
    done: float


class PublicResultOut(BaseModel):
    topic_id: str
    title: str
    community: str
    compound: str | None
    platform: Platform
    step: Step
    outcome: str
    result: NoticeOut
    tasks: list[PublicTaskOut]
    consultations_held: int
    votes: list[VoteOut]


class PublicResultList(BaseModel):
    items: list[PublicResultOut]


class VenueOut(BaseModel):
    id: str
    name_zh: str
    community: str | None
    compound: str | None
    kind: str
    demo: bool


class VenueList(BaseModel):
    items: list[VenueOut]


class PersonOut(BaseModel):
    id: str = Field(
        description="The registry's person id (GET /v1/people/{person_id}), the same in every service"
    )
    name_zh: str
    account: str | None = Field(None, description="The account the person signs in with (JWT sub)")
    communities: list[str]
    station: str | None = None
    demo: bool


class PersonList(BaseModel):
    items: list[PersonOut]


class VoterRollOut(BaseModel):
    community: str
    compound: str | None
    count: int
    added: int | None = None
    resident_ids: list[str]


class Statistics(BaseModel):
    community: str | None
    topics: int
    by_step: dict[str, int]
    by_platform: dict[str, int]
    consultations_held: int
    participants: int
    votes_closed: int
    ballots_cast: int
    turnout: float | None
    matters_solved: int
    median_hours_in_step: dict[str, float]
