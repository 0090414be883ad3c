"""What the public may see (no token): notices, results and one matter. These models are all the
public JSON and the notice board's pages show: no linked request, minutes, actor or comment."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..events import Platform, Step
from .steps import NoticeOut
from .votes import VoteOut


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
