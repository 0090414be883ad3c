"""HTTP payload types employment's aggregates share: the reference-data ids and bounds payloads are
validated against, the score's reasons and a seeker shown as a job's candidate (each aggregate's own
payloads are in its `schemas`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from civic146 import pii
from civic146.payloads import Input, Registered

from .matching.explanation import Match
from .matching.features import EDUCATION, LIMITS, PAY_PER_UNIT, PHYSICAL_DEMANDS
from .reference import OFFERS, VOCABULARY

Education = Literal[
    "none", "primary", "junior_secondary", "senior_secondary", "vocational", "college", "bachelor", "master"
]
assert set(Education.__args__) == set(EDUCATION)
TargetGroup = Literal["youth", "middle_aged", "older_worker"]
PayUnit = Literal["hour", "day", "month"]
PhysicalDemand = Literal["heavy_lifting", "long_standing", "heights", "outdoor_heat"]
assert PhysicalDemand.__args__ == PHYSICAL_DEMANDS
OnlineChannel = Literal["mini_program", "sms"]
EmployerKind = Literal["enterprise", "merchant", "social_organisation"]
# What a posting offers: a position, a trial place (见习/试岗), an internship or a training place.
Offer = Literal["position", "trial_work", "internship", "training"]
assert Offer.__args__ == OFFERS
# Community service positions of neighbourhood projects the bulletin lists (first-class jobs).
CommunityServiceRole = Literal["canteen", "repair_shop", "health_post", "neighbourhood_project"]
assert set(PayUnit.__args__) == set(PAY_PER_UNIT)

# Bounds of the numbers matching divides by or compares (employment.matching.features.LIMITS): realistic
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


class ExperienceOut(BaseModel):
    occupation: str
    years: float


class TopQuery(Input):
    k: int = Field(10, ge=1, le=50)


class ReasonOut(BaseModel):
    component: str
    weight: float
    value: float
    contribution: float
    detail: str


class CandidateOut(BaseModel):
    """A seeker as a job's candidate: what the fit rests on, without contact or sensitive data."""

    seeker_id: str
    name: str | None = Field(description="Masked")
    community: str
    desired_occupations: list[str]
    skills: list[str]
    experience: list[ExperienceOut]
    target_group: TargetGroup | None = None


def reasons_out(match: Match) -> list[ReasonOut]:
    """A match's reasons as shown: what made the score, then what blocks the pair."""
    return [
        ReasonOut(
            component=r.component,
            weight=r.weight,
            value=round(r.value, 4),
            contribution=round(r.contribution, 4),
            detail=r.detail,
        )
        for r in [*match.reasons, *match.blocked_by]
    ]


def candidate_out(seeker: dict) -> CandidateOut:
    profile = seeker.get("profile") or {}
    return CandidateOut(
        seeker_id=seeker["_id"],
        name=pii.mask_name((seeker.get("person") or {}).get("name")),
        community=seeker["community"],
        desired_occupations=profile.get("desired_occupations", []),
        skills=profile.get("skills", []),
        experience=profile.get("experience", []),
        target_group=profile.get("target_group"),
    )
