"""HTTP payloads of referrals: referring, declining, retention checks, the referral as shown, job-fair
rounds and the statistics of placements."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from civic146.payloads import CommunityId, Input

from ..events import Checkpoint, Stage
from ..schemas import CandidateOut, ReasonOut


class ReferralIn(Input):
    seeker_id: str = Field(min_length=1, max_length=64)
    job_id: str = Field(min_length=1, max_length=64)


class DeclineIn(Input):
    reason: str = Field(min_length=2, max_length=500)
    declined_by: Literal["seeker", "employer", "staff"]


def _reason_required_when_left(schema: dict) -> None:
    schema["anyOf"] = [
        {"properties": {"outcome": {"const": "retained"}}},
        {
            "properties": {"outcome": {"const": "left"}, "reason": {"type": "string", "pattern": r"\S"}},
            "required": ["reason"],
        },
    ]


class RetentionIn(Input):
    """A reason is required when the person left."""

    model_config = ConfigDict(json_schema_extra=_reason_required_when_left)
    checkpoint: Checkpoint
    outcome: Literal["retained", "left"]
    reason: str | None = Field(
        None, max_length=500, description="Why the person left (required with outcome left)"
    )

    @model_validator(mode="after")
    def _reason_when_left(self):
        if self.outcome == "left" and not self.reason:
            raise ValueError("say why the person left (reason)")
        return self


class HistoryOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: str | None = Field(alias="from", serialization_alias="from")
    to: str
    at: datetime
    actor_role: str
    reason: str | None = None


class RetentionOut(BaseModel):
    checkpoint: int
    due_at: datetime
    status: Literal["scheduled", "due", "retained", "left"]
    reason: str | None = None
    recorded_at: datetime | None = None


class ReferralOut(BaseModel):
    id: str
    seeker_id: str
    job_id: str
    job_title: str
    community: str
    job_community: str
    stage: Stage
    score: float
    reasons: list[ReasonOut]
    trigger: str
    candidate: CandidateOut | None = None
    decline_reason: str | None = None
    declined_by: str | None = None
    hired_at: datetime | None = None
    retention: list[RetentionOut] = Field(default_factory=list)
    history: list[HistoryOut]
    version: int


class ReferralPage(BaseModel):
    items: list[ReferralOut]


class ReferralListQuery(Input):
    seeker_id: str | None = None
    job_id: str | None = None
    stage: Stage | None = None
    community: CommunityId | None = None
    limit: int = Field(50, ge=1, le=200)


class RoundIn(Input):
    community: CommunityId | None = Field(
        None, description="Only this community's seekers and jobs; all if omitted (admins)"
    )
    min_score: float = Field(0.5, ge=0, le=1.05)


class RoundPair(BaseModel):
    seeker_id: str
    job_id: str
    score: float
    referral_id: str


class RoundOut(BaseModel):
    seekers: int
    jobs: int
    matched: int
    proposals: int
    pairs: list[RoundPair]


class StatisticsQuery(Input):
    community: CommunityId | None = Field(None, description="Omit for the whole sub-district (admins)")


class Tracking(BaseModel):
    seekers: int = Field(description="Needs recorded: profiles and drafts")
    placed: int
    median_days_to_placement: float | None = Field(
        description="From the need's first record to the first hire"
    )
    dropped_out: int = Field(description="Closed, or disengaged from the pathway, without a placement")
    drop_out_rate: float | None
    retention_rate_30: float | None
    retention_rate_90: float | None
    retention_rate_180: float | None
    jobs_pushed: int
    jobs_pushed_acted_on: int = Field(
        description="Pushed jobs the seeker was referred to, applied to or declined"
    )
    steps_done: int
    staff_contacts: int
    referrals: int = Field(description="Referrals past the suggestion")


class Statistics(BaseModel):
    community: str | None
    tracking_by_group: dict[str, Tracking]
    tracking_by_community: dict[str, Tracking]
    seekers_by_group: dict[str, int]
    seekers_by_community: dict[str, int]
    placements_by_group: dict[str, int]
    placements_by_community: dict[str, int]
    median_days_to_placement: float | None
    retention_rate_90: float | None
    retention_rate_180: float | None
    open_positions: int
    active_seekers: int
