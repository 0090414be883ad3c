"""HTTP payload models of the employment API: they validate input and describe the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from civic146.payloads import CommunityId, Distinct, IdNumber, Input, MobilePhone, PlaceIn, Registered

from .events import Checkpoint, HoursType, JobStatus, SeekerStatus, Shift, Stage
from .matching import EDUCATION, EXPERIENCE_STEP_YEARS, LIMITS, PAY_PER_UNIT
from .vocabulary import VOCABULARY

Education = Literal[
    "none", "primary", "junior_secondary", "senior_secondary", "vocational", "college", "bachelor", "master"
]
assert set(Education.__args__) == set(EDUCATION)
TargetGroup = Literal["youth", "middle_aged", "older_worker"]
PayUnit = Literal["hour", "day", "month"]
assert set(PayUnit.__args__) == set(PAY_PER_UNIT)

# Bounds of the numbers matching divides by or compares (employment.matching.LIMITS): realistic
# values only, so that no score is computed from a number no posting or profile can mean.
HOURS = LIMITS["hours_per_week"]
COMMUTE = LIMITS["commute_km"]
PAY_RANGES = "; ".join(f"per {u}: {lo:g}-{hi:g}" for u, (lo, hi) in PAY_PER_UNIT.items())
OccupationId = Annotated[
    str,
    Registered("occupation", lambda: VOCABULARY().occupations.keys(), "see /v1/vocabulary"),
    Field(description="Occupation id (GET /v1/vocabulary)"),
]
SkillId = Annotated[
    str,
    Registered("skill", lambda: VOCABULARY().skills.keys(), "see /v1/vocabulary"),
    Field(description="Skill id (GET /v1/vocabulary)"),
]


def pay_within_unit_bounds(unit: str, amounts: dict[str, float]) -> None:
    low, high = PAY_PER_UNIT[unit]
    for name, amount in amounts.items():
        if not low <= amount <= high:
            raise ValueError(f"{name}: pay per {unit} is between {low:g} and {high:g} yuan")


def pay_bounds_schema(unit_field: str, amount_fields: tuple[str, ...]):
    """The per-unit pay bounds in the document: one branch per unit."""

    def add(schema: dict) -> None:
        schema["description"] = (
            f"{schema.get('description', '')} Pay in yuan per {unit_field} ({PAY_RANGES}).".strip()
        )
        schema["anyOf"] = [
            {
                "properties": {
                    unit_field: {"const": unit},
                    **{a: {"minimum": lo, "maximum": hi} for a in amount_fields},
                }
            }
            for unit, (lo, hi) in PAY_PER_UNIT.items()
        ]

    return add


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


class DraftLookupIn(Input):
    """The resident's own name and phone, checked against the masked ones of the intake request."""

    name: str = Field(min_length=1, max_length=40)
    phone: MobilePhone


class ProfileUpdateIn(Input):
    profile: ProfileIn


class ExperienceOut(BaseModel):
    occupation: str
    years: float


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
    placements: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    version: int


class SeekerPage(BaseModel):
    items: list[SeekerOut]


class JobIn(PlaceIn):
    """A posting. Rules across fields: pay_min <= pay_max, both within the range of pay_unit;
    valid_until after valid_from; the compound lies in the community."""

    model_config = ConfigDict(json_schema_extra=_place_and_pay_branches)
    employer_name: str = Field(min_length=2, max_length=120)
    contact_name: str = Field(min_length=1, max_length=40)
    contact_phone: MobilePhone

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


class SeekerListQuery(Input):
    community: CommunityId | None = None
    status: SeekerStatus | None = None
    limit: int = Field(50, ge=1, le=200)


class CloseJobIn(Input):
    reason: Literal["withdrawn", "filled"] = "withdrawn"


class TopQuery(Input):
    k: int = Field(10, ge=1, le=50)


class ReasonOut(BaseModel):
    component: str
    weight: float
    value: float
    contribution: float
    detail: str


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


class CandidateOut(BaseModel):
    """A seeker as a job's candidate: what the fit rests on, without contact or sensitive data."""

    seeker_id: str
    name: str | None = Field(description="Masked")
    community: str
    desired_occupations: list[str]
    skills: list[str]
    experience: list[ExperienceOut]
    target_group: TargetGroup | None = None


class CandidateMatch(BaseModel):
    candidate: CandidateOut
    score: float
    reasons: list[ReasonOut]


class CandidateList(BaseModel):
    job_id: str
    items: list[CandidateMatch]


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


class OutreachOut(BaseModel):
    id: str
    seeker_id: str
    job_id: str
    community: str
    target_group: TargetGroup
    score: float
    reason: str
    status: Literal["open", "done"]
    outcome: str | None = None
    created_at: datetime
    version: int


class OutreachPage(BaseModel):
    items: list[OutreachOut]


class OutreachQuery(Input):
    community: CommunityId | None = None
    status: Literal["open", "done"] | None = "open"


class OutreachDoneIn(Input):
    outcome: Literal["contacted", "not_reachable", "not_interested", "referred"]
    note: str | None = Field(None, max_length=500)


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


class Statistics(BaseModel):
    community: str | None
    seekers_by_group: dict[str, int]
    seekers_by_community: dict[str, int]
    placements_by_group: dict[str, int]
    placements_by_community: dict[str, int]
    median_days_to_placement: float | None
    retention_rate_90: float | None
    retention_rate_180: float | None
    open_positions: int
    active_seekers: int


class VocabularyItem(BaseModel):
    id: str
    label_zh: str
    label_en: str
    substitutable: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)


class VocabularyOut(BaseModel):
    occupations: list[VocabularyItem]
    skills: list[VocabularyItem]
