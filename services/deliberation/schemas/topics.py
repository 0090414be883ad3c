"""Payloads of topics: raising, editing, listing and linking requests, and a topic as read
(`TopicOut`, with its step trail, linked requests and the parts each step adds)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from civic146.payloads import CommunityId, Input, PlaceIn

from ..events import Origin, Platform, Step
from .steps import ClaimOut, DeputyOut, EvaluationOut, FeedbackOut, MeetingOut, NoticeOut, ReviewOut, TaskOut
from .times import _when
from .votes import VoteOut


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


class ListQuery(Input):
    community: CommunityId | None = None
    step: Step | None = None
    platform: Platform | None = None
    request_id: str | None = Field(
        None, min_length=1, max_length=64, description="Only the topic an intake request belongs to"
    )
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the previous page")
    limit: int = Field(50, ge=1, le=200)


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


class LinkedRequestOut(BaseModel):
    request_id: str
    compound: str | None
    category: str | None
    description: str | None = Field(None, description="Shown to staff only")
    via: str
    attached_at: datetime


class AbsorbingStoppedOut(BaseModel):
    reason: str
    at: datetime


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
