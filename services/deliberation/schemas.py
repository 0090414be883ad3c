"""HTTP payload models of the deliberation API: they validate input and describe the OpenAPI document."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from civic146.payloads import CommunityId, CompoundId, Input, PlaceIn, WholeNumber

from .events import Origin, ParticipantRole, Platform, Step, Threshold, VoteResult


def _when(what: str) -> object:
    """A time a fact happened, when it is recorded afterwards (default: now). Not in the future, not
    older than BACKDATE_HORIZON_DAYS, not before the step it belongs to (else 422 naming it)."""
    return Field(None, description=f"When {what}, if before it is recorded; default now")


class CreateTopicIn(PlaceIn):
    title: str = Field(min_length=2, max_length=120)
    description: str = Field(min_length=5, max_length=4000)
    category: str | None = Field(None, max_length=64)
    platform: Platform
    vote_required: bool | None = Field(None, description="Defaults to whether the platform decides by vote")
    raised_at: AwareDatetime | None = _when("the matter was raised")


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


class PaperVoteIn(Input):
    """A vote held on paper and counted off the platform, recorded after it closed."""

    question: str = Field(min_length=5, max_length=1000)
    scope: Literal["compound", "community"] = Field(
        description="Who was eligible: the residents on the roll of the topic's compound or of its "
        "whole community when the vote opened"
    )
    options: list[str] | None = Field(
        None, min_length=2, max_length=10, description="Default approve/oppose/abstain"
    )
    opens_at: AwareDatetime = Field(description="When voting began (not before the consultation)")
    closes_at: AwareDatetime = Field(description="When it ended (in the past, after opens_at)")
    quorum: float | None = Field(None, gt=0, le=1, description="Turnout needed (share of eligible voters)")
    threshold: Threshold | None = None
    counts: dict[str, WholeNumber] = Field(
        min_length=1, description="Ballots counted per option (options left out: 0)"
    )

    @field_validator("options")
    @classmethod
    def _options(cls, v: list[str] | None) -> list[str] | None:
        return VoteIn._options(v)


class BallotIn(Input):
    choice: str = Field(min_length=1, max_length=100)


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


class VoterRemovalIn(Input):
    reason: str = Field(min_length=2, max_length=500, description="e.g. moved away, deceased")
    removed_at: AwareDatetime | None = _when("they ceased to be eligible")


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


class VotersIn(Input):
    resident_ids: list[str] = Field(min_length=1, max_length=2000, description="User ids of the residents")
    compound: CompoundId | None = Field(
        None, description="A compound of the community; the whole community if omitted"
    )
    registered_at: AwareDatetime | None = _when("they were on the roll (the compound's register)")


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
    as_of: AwareDatetime | None = Field(None, description="The roll as it was then (default: now)")


class EvaluationSummaryQuery(Input):
    community: CommunityId | None = Field(None, description="Omit for the whole sub-district (admins)")
    since: AwareDatetime = Field(description="Start of the period (included)")
    until: AwareDatetime = Field(description="End of the period (excluded)")

    @model_validator(mode="after")
    def _period(self):
        if self.until <= self.since:
            raise ValueError("until must be after since")
        return self


# --- responses -----------------------------------------------------------------------------------


class ReviewMark(BaseModel):
    stage: str
    approved: bool
    organisation: str


class StepOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    step: str
    from_: str | None = Field(alias="from", serialization_alias="from")
    at: datetime = Field(description="When it happened")
    recorded_at: datetime | None = Field(None, description="When the platform was told (by actor_role)")
    actor_role: str
    reason: str | None = None
    review: ReviewMark | None = Field(
        None, description="A review by the Party organisation (the step unchanged)"
    )


class NoticeOut(BaseModel):
    text: str
    period_days: int
    venue_id: str | None
    online: bool
    starts_at: datetime = Field(description="When it was really posted")
    ends_at: datetime
    recorded_at: datetime | None = None
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
    recorded_at: datetime | None = Field(None, description="When it was recorded as held")


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
    paper: bool = Field(False, description="Held on paper and recorded after it closed")
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


class AbsorbingStoppedOut(BaseModel):
    reason: str
    at: datetime


class ReviewOut(BaseModel):
    stage: str
    approved: bool
    organisation: str
    comment: str | None
    at: datetime
    recorded_at: datetime


class ImportedOut(BaseModel):
    external_id: str
    source: str | None
    imported_at: datetime


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
    reviews: list[ReviewOut]
    closing_summary: str | None
    absorbs_requests: bool = Field(
        True, description="Whether similar requests intake routes to deliberation join this topic"
    )
    absorbing_stopped: AbsorbingStoppedOut | None = Field(
        None, description="Why the topic takes no new request (null while it does)"
    )

    imported: ImportedOut | None = None
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
    mean_satisfaction: float | None = Field(
        None,
        description="Mean satisfaction (1-5) of the participants' feedback and the residents' ratings; "
        "null below 3 ratings (a mean of one or two would show those residents' own scores)",
    )
    ratings: int = Field(0, description="How many feedbacks and ratings there are")


class PublicResultList(BaseModel):
    items: list[PublicResultOut]


class PublicStepOut(BaseModel):
    """A step of the trail as the public sees it: which step, when it happened; a review by the
    Party organisation names its stage and whether it approved. Who recorded it is not shown."""

    step: str
    at: datetime = Field(description="When it happened")
    review: Literal["topic", "decision"] | None = Field(
        None, description="The Party organisation approved the topic or the decision (refusals are not shown)"
    )
    approved: bool | None = None


class PublicMeetingOut(BaseModel):
    """A consultation planned or held: when, where, on which platform, how many took part (counts
    by role, never people); its minutes stay with staff."""

    platform: Platform
    venue_id: str
    scheduled_at: datetime
    status: Literal["scheduled", "held"]
    held_at: datetime | None
    attendance: int | None
    participants: dict[str, int]


class PublicTopicOut(BaseModel):
    """One public matter (its notice is up, or its result published) with its step trail."""

    topic_id: str
    title: str
    community: str
    compound: str | None
    platform: Platform
    step: Step
    steps: list[PublicStepOut]
    notice: NoticeOut | None
    meetings: list[PublicMeetingOut]
    votes: list[VoteOut] = Field(description="Closed votes only, with their totals")
    tasks: list[PublicTaskOut]
    progress: float = Field(description="Percent done: the mean of the tasks' progress (0..100)")
    result: NoticeOut | None
    outcome: str | None = Field(None, description="implemented or declined, once the result is published")
    mean_satisfaction: float | None = Field(description="As in PublicResultOut: null below 3 ratings")
    ratings: int
    updated_at: datetime


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


class VoterEventOut(BaseModel):
    action: Literal["registered", "removed"]
    at: datetime
    recorded_at: datetime
    reason: str | None = None


class VoterEntryOut(BaseModel):
    community: str
    compound: str | None
    resident_id: str
    on_roll: bool
    history: list[VoterEventOut]


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
    imported: int = Field(description="Of the topics, matters imported as settled before the platform")
    median_hours_in_step: dict[str, float]


class PersonSummary(BaseModel):
    person_id: str
    role: Literal["deputy", "cppcc_member"]
    station: str | None
    matters: int = Field(description="Matters they took on in the period (assigned, or claimed)")
    claims: int = Field(description="CPPCC members: matters claimed in the period")
    resources_linked: int
    evaluations: int = Field(description="Residents' evaluations of them in the period")
    mean_score: float | None
    handling_evaluations: int = Field(description="Their own evaluations of how matters were handled")
    mean_handling_score: float | None


class StationSummary(BaseModel):
    station: str
    deputies: int
    matters: int
    evaluations: int
    mean_score: float | None


class EvaluationSummary(BaseModel):
    community: str | None
    since: datetime
    until: datetime
    people: list[PersonSummary]
    stations: list[StationSummary]


# --- past matters: matters settled before the platform, imported whole ------------------------------


class PastReviewIn(Input):
    reviewed_at: AwareDatetime
    organisation: Literal["community_party_committee", "subdistrict_party_working_committee"]
    comment: str | None = Field(None, max_length=2000)


class PastNoticeIn(Input):
    text: str = Field(min_length=5, max_length=4000)
    posted_at: AwareDatetime
    period_days: int = Field(ge=1, le=90)
    venue_id: str | None = Field(None, max_length=64)
    online: bool = False


class PastDeputyIn(Input):
    deputy_id: str = Field(min_length=1, max_length=64)
    assigned_at: AwareDatetime


class PastClaimIn(Input):
    member_id: str = Field(min_length=1, max_length=64)
    claimed_at: AwareDatetime
    resources: list[str] = Field(min_length=1, max_length=20)


class PastMeetingIn(Input):
    venue_id: str = Field(min_length=1, max_length=64)
    held_at: AwareDatetime
    platform: Platform | None = None
    participants: dict[ParticipantRole, int] = Field(min_length=1)
    attendance: WholeNumber = Field(ge=1, le=10000)
    minutes: str = Field(min_length=10, max_length=20000)
    opinions: list[str] = Field(default_factory=list, max_length=100)
    outcome: str = Field(min_length=2, max_length=4000)


class PastVoteIn(Input):
    question: str = Field(min_length=5, max_length=1000)
    scope: Literal["compound", "community"]
    options: list[str] | None = Field(None, min_length=2, max_length=10)
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    eligible_count: WholeNumber = Field(ge=1, le=100000, description="How many were on the roll then")
    quorum: float | None = Field(None, gt=0, le=1)
    threshold: Threshold | None = None
    counts: dict[str, WholeNumber] = Field(min_length=1)


class PastTaskIn(Input):
    title: str = Field(min_length=2, max_length=200)
    owner: str = Field(min_length=2, max_length=120)
    unit: str = Field(min_length=1, max_length=20)
    target: float = Field(gt=0, le=1e7)
    done: float = Field(ge=0, description="Done by the time of the result (the target, for a settled matter)")
    due_date: date
    reported_at: AwareDatetime


class PastResultIn(Input):
    text: str = Field(min_length=5, max_length=4000)
    posted_at: AwareDatetime
    period_days: int = Field(ge=1, le=90)
    venue_id: str | None = Field(None, max_length=64)
    online: bool = False


class PastClosingIn(Input):
    feedback_opened_at: AwareDatetime
    closed_at: AwareDatetime
    summary: str = Field(min_length=2, max_length=4000)


class PastMatterIn(PlaceIn):
    """One matter settled before the platform, with the real dates of each step. Every rule of the
    six steps holds (the notice period, the order of the steps, a vote's quorum and threshold, the
    Party organisation's reviews where PARTY_REVIEW_STAGES asks for them)."""

    external_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The matter's id in the source register",
    )
    title: str = Field(min_length=2, max_length=120)
    description: str = Field(min_length=5, max_length=4000)
    category: str | None = Field(None, max_length=64)
    platform: Platform
    origin: Origin = "community_staff"
    vote_required: bool | None = None
    raised_at: AwareDatetime
    topic_review: PastReviewIn | None = None
    deputies: list[PastDeputyIn] = Field(default_factory=list, max_length=20)
    claims: list[PastClaimIn] = Field(default_factory=list, max_length=20)
    notice: PastNoticeIn
    consultation_started_at: AwareDatetime
    meetings: list[PastMeetingIn] = Field(min_length=1, max_length=50)
    votes: list[PastVoteIn] = Field(default_factory=list, max_length=10)
    decision_review: PastReviewIn | None = None
    decision: str = Field(min_length=5, max_length=4000)
    implementation_started_at: AwareDatetime
    tasks: list[PastTaskIn] = Field(min_length=1, max_length=50)
    result: PastResultIn
    closing: PastClosingIn | None = None


class PastMattersIn(Input):
    source: str = Field(
        min_length=1, max_length=200, description="Where the matters come from (a register, a year)"
    )
    matters: list[PastMatterIn] = Field(min_length=1, max_length=1000)


class PastMattersOut(BaseModel):
    received: int
    imported: int = Field(description="New topics written")
    already_imported: int = Field(
        description="Matters whose external_id was imported before: left as they are"
    )
    topic_ids: list[str]
