"""HTTP payloads of seeker profiles: registration and completion with consent, the profile, the
profile as shown, and a seeker's matches."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from civic146.payloads import CommunityId, Distinct, IdNumber, Input, MobilePhone, PlaceIn

from ..events import HoursType, SeekerStatus, Shift
from ..matching.features import LIMITS, PAY_PER_UNIT
from ..schemas import (
    COMMUTE,
    HOURS,
    PAY_RANGES,
    Education,
    OccupationId,
    OnlineChannel,
    PayUnit,
    PhysicalDemand,
    ReasonOut,
    SkillId,
    TargetGroup,
    pay_bounds_schema,
    pay_within_unit_bounds,
)


class PersonIn(Input):
    name: str = Field(min_length=1, max_length=40)
    phone: MobilePhone
    id_number: IdNumber | None = Field(
        None, description="18-digit resident ID number (optional; for employment registration)"
    )


class ExperienceIn(Input):
    occupation: OccupationId
    years: float = Field(ge=LIMITS["experience_years"][0], le=LIMITS["experience_years"][1])


class AvailabilityIn(Input):
    hours_types: Annotated[list[HoursType], Distinct] = Field(min_length=1, max_length=2)
    shifts: Annotated[list[Shift], Distinct] = Field(min_length=1, max_length=5)
    max_hours_per_week: float = Field(ge=HOURS[0], le=HOURS[1])


class PayIn(Input):
    """Expected pay in yuan per unit; the amount's range depends on the unit."""

    model_config = ConfigDict(json_schema_extra=pay_bounds_schema("unit", ("amount",)))
    amount: float = Field(
        ge=min(lo for lo, _ in PAY_PER_UNIT.values()),
        le=max(hi for _, hi in PAY_PER_UNIT.values()),
        description=f"Yuan per unit ({PAY_RANGES})",
    )
    unit: PayUnit

    @model_validator(mode="after")
    def _within_unit_bounds(self):
        pay_within_unit_bounds(self.unit, {"amount": self.amount})
        return self


class ProfileIn(Input):
    desired_occupations: list[OccupationId] = Field(min_length=1, max_length=5)
    skills: list[SkillId] = Field(default_factory=list, max_length=30)
    experience: list[ExperienceIn] = Field(default_factory=list, max_length=10)
    education: Education = "none"
    availability: AvailabilityIn
    max_commute_km: float = Field(ge=COMMUTE[0], le=COMMUTE[1])
    expected_pay: PayIn | None = None
    target_group: TargetGroup | None = Field(None, description="Public target group")
    needs_accessible: bool = False
    online_channels: Annotated[list[OnlineChannel], Distinct] = Field(
        default_factory=list,
        max_length=2,
        description="Where pushed jobs reach the seeker; none: community staff tell them",
    )
    physical_limits: Annotated[list[PhysicalDemand], Distinct] = Field(
        default_factory=list, max_length=4, description="Physical demands the seeker cannot meet"
    )
    community_service_interest: bool = Field(
        False, description="Interested in community service roles (canteen, repair shop, health post)"
    )


class ConsentIn(Input):
    given: Literal[True] = Field(
        description="The resident agrees that the profile is kept and used for matching"
    )
    retention_days: int | None = Field(
        None, ge=30, le=1095, description="Defaults to the service's retention period"
    )


class SeekerIn(PlaceIn):
    """Registration (or completion of a draft): who, where (community and compound), what work, and
    consent."""

    person: PersonIn
    profile: ProfileIn
    employment_difficulty: bool = Field(
        False, description="Registered person with employment difficulty (sensitive)"
    )
    consent: ConsentIn


class DraftLookupIn(Input):
    """The resident's own name and phone, checked against the masked ones of the intake request."""

    name: str = Field(min_length=1, max_length=40)
    phone: MobilePhone


class ProfileUpdateIn(Input):
    profile: ProfileIn


class PersonOut(BaseModel):
    name: str | None
    phone: str | None
    id_number: str | None = None
    masked: bool


class ConsentOut(BaseModel):
    given_at: datetime
    via: str
    retention_days: int
    expires_at: datetime


class NeedOut(BaseModel):
    target_group: TargetGroup | None = None
    desired_occupations: list[str] = Field(default_factory=list)
    hours_types: list[str] = Field(default_factory=list)
    collected_by: str
    consent_at: datetime


class SeekerOut(BaseModel):
    id: str
    status: SeekerStatus
    source: str
    request_id: str | None = None
    community: str
    compound: str | None = None
    description: str | None = None
    person: PersonOut | None = None
    profile: ProfileIn | None = None
    employment_difficulty: bool | None = Field(None, description="Only for roles allowed to see it")
    consent: ConsentOut | None = None
    need: NeedOut | None = Field(None, description="What a needs survey recorded (drafts from a survey)")
    placements: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    version: int


class SeekerPage(BaseModel):
    items: list[SeekerOut]


class SeekerListQuery(Input):
    community: CommunityId | None = None
    status: SeekerStatus | None = None
    limit: int = Field(50, ge=1, le=200)


class JobMatch(BaseModel):
    job_id: str
    title: str
    employer_name: str
    community: str
    score: float
    reasons: list[ReasonOut]


class JobMatchList(BaseModel):
    seeker_id: str
    items: list[JobMatch]


class StepOut(BaseModel):
    kind: str
    label_zh: str
    due_at: datetime
    status: Literal["planned", "done", "skipped"]
    at: datetime | None = None
    note: str | None = None


class ContactOut(BaseModel):
    n: int
    due_at: datetime
    status: Literal["scheduled", "reached", "no_response", "responded", "missed"]
    at: datetime | None = None
    note: str | None = None


class PushedOut(BaseModel):
    job_id: str
    at: datetime
    score: float
    channels: list[str]


class SupportOut(BaseModel):
    """The pathway a profile follows and the support it received; the referrals' stages."""

    seeker_id: str
    target_group: TargetGroup | None = None
    pathway: str | None = None
    assigned_at: datetime | None = None
    caseworker_needed: bool = False
    caseworker_id: str | None = None
    steps: list[StepOut] = Field(default_factory=list)
    contacts: list[ContactOut] = Field(default_factory=list)
    pushed: list[PushedOut] = Field(default_factory=list)
    disengaged_at: datetime | None = None
    referrals_by_stage: dict[str, int] = Field(default_factory=dict)
    placed: bool = False


class ContactIn(Input):
    outcome: Literal["reached", "no_response"]
    note: str | None = Field(None, max_length=500)


class StepIn(Input):
    kind: str = Field(min_length=1, max_length=60, description="A step of the profile's pathway")
    status: Literal["done", "skipped"]
    note: str | None = Field(None, max_length=500)


class CaseworkerIn(Input):
    caseworker_id: str = Field(min_length=1, max_length=64, description="The staff member's id (JWT sub)")
