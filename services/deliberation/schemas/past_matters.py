"""Past matters: matters settled before the platform, imported whole with their real dates
(`POST /v1/imports/past-matters`; `PastMattersIn` is the file's reference)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from civic146.payloads import Input, PlaceIn, WholeNumber

from ..events import Origin, ParticipantRole, Platform, Threshold


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
