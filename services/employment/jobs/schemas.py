"""HTTP payloads of job postings: the posting, the posting as shown, a job's candidates, and the
vocabulary postings and profiles are written in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from civic146.payloads import CommunityId, Distinct, Input, MobilePhone, PlaceIn

from ..events import HoursType, JobStatus, Shift
from ..matching.features import EXPERIENCE_STEP_YEARS, LIMITS, PAY_PER_UNIT
from ..schemas import (
    HOURS,
    PAY_RANGES,
    CandidateOut,
    CommunityServiceRole,
    Education,
    EmployerKind,
    OccupationId,
    Offer,
    PayUnit,
    PhysicalDemand,
    ReasonOut,
    SkillId,
    pay_bounds_schema,
    pay_within_unit_bounds,
)


def _in_quarters(years: float) -> float:
    """Exactly a multiple (pydantic's multiple_of lets through what is within float precision of one, 5e-324
    too).
    """
    steps = years / EXPERIENCE_STEP_YEARS
    if steps != round(steps):
        raise ValueError(f"years are asked for in steps of {EXPERIENCE_STEP_YEARS:g}")
    return years


PAY_FLOOR = min(lo for lo, _ in PAY_PER_UNIT.values())
PAY_CEILING = max(hi for _, hi in PAY_PER_UNIT.values())
_pay_branches_of_job = pay_bounds_schema("pay_unit", ("pay_min", "pay_max"))


def _place_and_pay_branches(schema: dict) -> None:
    """The place's branches (which compounds go with which community) and the pay unit's, under allOf."""
    PlaceIn.model_config["json_schema_extra"](schema)
    place = schema.pop("anyOf")
    _pay_branches_of_job(schema)
    schema["allOf"] = [{"anyOf": place}, {"anyOf": schema.pop("anyOf")}]


class JobIn(PlaceIn):
    """A posting. Rules across fields: pay_min <= pay_max, both within the range of pay_unit;
    valid_until after valid_from; the compound lies in the community."""

    model_config = ConfigDict(json_schema_extra=_place_and_pay_branches)
    employer_name: str = Field(min_length=2, max_length=120)
    employer_kind: EmployerKind = "enterprise"
    contact_name: str = Field(min_length=1, max_length=40)
    contact_phone: MobilePhone
    offer: Offer = Field("position", description="A position, a trial place, an internship or training")
    community_service: CommunityServiceRole | None = Field(
        None, description="A community service position of a neighbourhood project"
    )
    physical_demands: Annotated[list[PhysicalDemand], Distinct] = Field(default_factory=list, max_length=4)

    title: str = Field(min_length=2, max_length=80)
    description: str | None = Field(None, max_length=2000)
    occupation: OccupationId
    required_skills: list[SkillId] = Field(default_factory=list, max_length=15)
    optional_skills: list[SkillId] = Field(default_factory=list, max_length=15)
    hours_type: HoursType
    shifts: Annotated[list[Shift], Distinct] = Field(min_length=1, max_length=5)
    hours_per_week: float = Field(ge=HOURS[0], le=HOURS[1])
    pay_min: float = Field(
        ge=PAY_FLOOR, le=PAY_CEILING, description=f"Yuan per pay_unit ({PAY_RANGES}); at most pay_max"
    )
    pay_max: float = Field(
        ge=PAY_FLOOR, le=PAY_CEILING, description=f"Yuan per pay_unit ({PAY_RANGES}); at least pay_min"
    )
    pay_unit: PayUnit
    openings: int = Field(ge=1, le=500)
    no_experience_needed: bool = False
    min_experience_years: Annotated[float, AfterValidator(_in_quarters)] = Field(
        0,
        ge=LIMITS["min_experience_years"][0],
        le=LIMITS["min_experience_years"][1],
        multiple_of=EXPERIENCE_STEP_YEARS,
        description="Years asked for, in quarters of a year; 0: none",
    )
    min_education: Education = "none"
    age_friendly: bool = False
    accessible: bool = False
    valid_from: datetime | None = None
    valid_until: datetime | None = Field(None, description="After valid_from")

    @model_validator(mode="after")
    def _ranges(self):
        pay_within_unit_bounds(self.pay_unit, {"pay_min": self.pay_min, "pay_max": self.pay_max})
        if self.pay_max < self.pay_min:
            raise ValueError("pay_max must not be below pay_min")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class JobOut(BaseModel):
    id: str
    status: JobStatus
    source: str
    request_id: str | None = None
    employer_name: str | None = None
    employer_kind: str = "enterprise"
    offer: str = "position"
    community_service: str | None = None
    physical_demands: list[str] = Field(default_factory=list)
    contact_name: str | None = None
    contact_phone: str | None = None
    title: str | None = None
    description: str | None = None
    occupation: str | None = None
    required_skills: list[str] = Field(default_factory=list)
    optional_skills: list[str] = Field(default_factory=list)
    hours: dict | None = None
    pay: dict | None = None
    community: str
    compound: str | None = None
    openings: int | None = None
    filled: int = 0
    no_experience_needed: bool = False
    min_experience_years: float = 0
    min_education: str = "none"
    age_friendly: bool = False
    accessible: bool = False
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    created_at: datetime
    version: int


class JobPage(BaseModel):
    items: list[JobOut]


class JobListQuery(Input):
    community: CommunityId | None = None
    occupation: str | None = None
    status: JobStatus = "open"
    limit: int = Field(50, ge=1, le=200)


class CloseJobIn(Input):
    reason: Literal["withdrawn", "filled"] = "withdrawn"


class CandidateMatch(BaseModel):
    candidate: CandidateOut
    score: float
    reasons: list[ReasonOut]


class CandidateList(BaseModel):
    job_id: str
    items: list[CandidateMatch]


class VocabularyItem(BaseModel):
    id: str
    label_zh: str
    label_en: str
    substitutable: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)


class VocabularyOut(BaseModel):
    occupations: list[VocabularyItem]
    skills: list[VocabularyItem]


class ResourcesQuery(Input):
    community: CommunityId | None = Field(None, description="Omit for the whole sub-district (admins)")


class EmployerResources(BaseModel):
    employers: int
    postings: int
    positions: int
    trial_places: int
    internships: int
    training_places: int
    community_service_positions: int


class ResourcesOut(BaseModel):
    """What local employers of each kind offer, open now, per community."""

    community: str | None
    by_community: dict[str, dict[EmployerKind, EmployerResources]]
