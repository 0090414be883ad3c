"""What matching reads from the documents: the realistic ranges of its numbers (the payload models
take their bounds from here), the score's weights, and the features of a seeker and of a job, taken
from the documents once. A stored document whose numbers matching cannot use raises `Unscorable`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..reference import Vocabulary

# Realistic ranges of the numbers matching uses (the payload models take their bounds from here).
# Pay is in yuan per unit; a day is 8 hours; a month's pay is spread over the hours of the week
# times WEEKS_PER_MONTH.
PAY_PER_UNIT = {"hour": (5.0, 1000.0), "day": (40.0, 8000.0), "month": (300.0, 200000.0)}
LIMITS = {
    "hours_per_week": (1.0, 70.0),
    "commute_km": (0.5, 50.0),
    "experience_years": (0.0, 60.0),
    "min_experience_years": (0.0, 40.0),
}
EXPERIENCE_STEP_YEARS = 0.25  # experience asked for is 0 (none) or quarters of a year; also the least divisor
HOURS_PER_DAY = 8

WEIGHTS = {
    "occupation": 0.30,
    "skills": 0.20,
    "commute": 0.15,
    "hours": 0.15,
    "pay": 0.10,
    "experience": 0.10,
    "age_friendly": 0.05,
}
OCCUPATION_FIT = {"desired": 1.0, "substitutable": 0.8, "related": 0.5, "other": 0.0}
EDUCATION = (
    "none",
    "primary",
    "junior_secondary",
    "senior_secondary",
    "vocational",
    "college",
    "bachelor",
    "master",
)
SHIFTS = ("morning", "afternoon", "evening", "night", "weekend")
SHIFT_ZH = {"morning": "上午", "afternoon": "下午", "evening": "晚间", "night": "夜班", "weekend": "周末"}
HOURS_TYPES = ("full_time", "part_time")
PHYSICAL_DEMANDS = ("heavy_lifting", "long_standing", "heights", "outdoor_heat")
WEEKS_PER_MONTH = 52 / 12
NEAR_KM = 0.5


def _bits(names, universe) -> int:
    return sum(1 << universe.index(n) for n in set(names))  # a name stored twice is still one bit


class Unscorable(ValueError):
    """A stored profile or posting whose numbers matching cannot use (missing, not numbers, not
    finite, or out of range); the caller skips it, logs and counts it."""


def hourly(amount: float, unit: str, hours_per_week: float) -> float:
    if unit == "hour":
        return float(amount)
    if unit == "day":
        return float(amount) / HOURS_PER_DAY
    if unit == "month":
        return float(amount) / (max(hours_per_week, LIMITS["hours_per_week"][0]) * WEEKS_PER_MONTH)
    raise Unscorable(f"unknown pay unit {unit!r}")


def _number(value, what: str, low: float = 0.0, high: float = float("inf"), low_open: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Unscorable(f"{what} is not a number: {value!r}") from None
    if not np.isfinite(number) or number < low or (low_open and number == low) or number > high:
        raise Unscorable(f"{what} out of range: {value!r}")
    return number


def _per_hour(amount: float, per: float) -> float:
    """amount / per (a pay, per hour) with a divisor that cannot be zero (or subnormal)."""
    return amount / max(per, PAY_PER_UNIT["hour"][0] / 1000)


def _experience_share(years: float, asked: float) -> float:
    return min(1.0, years / max(asked, EXPERIENCE_STEP_YEARS))


# --- features: the numbers matching needs, taken from the documents once ----------------------------


@dataclass
class SeekerFeatures:
    desired: tuple[str, ...]
    skills: frozenset[str]
    experience: dict[str, float]  # occupation -> years
    education: int
    types: int  # bits of HOURS_TYPES
    shifts: int  # bits of SHIFTS
    max_hours: float
    position: tuple[float, float]
    max_commute_km: float
    expected_hourly: float | None
    older_worker: bool
    needs_accessible: bool
    physical_limits: int = 0  # bits of PHYSICAL_DEMANDS the seeker cannot meet
    # per-occupation vectors over the vocabulary (filled by prepare)
    occupation_fit: dict[str, float] = field(default_factory=dict)
    experience_years: dict[str, float] = field(default_factory=dict)


@dataclass
class JobFeatures:
    occupation: str
    required: frozenset[str]
    optional: frozenset[str]
    type: int
    shifts: int
    hours_per_week: float
    position: tuple[float, float]
    pay_min_hourly: float
    pay_max_hourly: float
    pay_unit_label: str
    min_experience_years: float
    no_experience_needed: bool
    min_education: int
    age_friendly: bool
    accessible: bool
    open: bool
    openings_left: int
    physical_demands: int = 0  # bits of PHYSICAL_DEMANDS


def seeker_features(profile: dict, vocab: Vocabulary) -> SeekerFeatures:
    """From a seeker document's profile fields (see schemas.ProfileIn) and home location. Raises
    Unscorable for a profile whose numbers matching cannot use."""
    try:
        av = profile["availability"]
        pay = profile.get("expected_pay")
        max_hours = _number(av["max_hours_per_week"], "max_hours_per_week", low_open=True)
        f = SeekerFeatures(
            desired=tuple(profile["desired_occupations"]),
            skills=frozenset(profile.get("skills", [])),
            experience={
                e["occupation"]: _number(e["years"], "experience years")
                for e in profile.get("experience", [])
            },
            education=EDUCATION.index(profile.get("education") or "none"),
            types=_bits(av["hours_types"], HOURS_TYPES),
            shifts=_bits(av["shifts"], SHIFTS),
            max_hours=max_hours,
            position=vocab.position(profile["community"], profile.get("compound")),
            max_commute_km=_number(profile["max_commute_km"], "max_commute_km", low_open=True),
            expected_hourly=_number(
                hourly(_number(pay["amount"], "expected_pay.amount"), pay["unit"], max_hours),
                "expected pay per hour",
            )
            if pay
            else None,
            older_worker=profile.get("target_group") == "older_worker",
            needs_accessible=bool(profile.get("needs_accessible")),
            physical_limits=_bits(limits, PHYSICAL_DEMANDS)
            if (limits := profile.get("physical_limits"))
            else 0,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, Unscorable):
            raise
        raise Unscorable(f"profile field missing or malformed: {exc!r}") from None
    return prepare(f, vocab)


def prepare(f: SeekerFeatures, vocab: Vocabulary) -> SeekerFeatures:
    """Occupation fit and effective experience for every occupation of the vocabulary."""
    desired = set(f.desired)
    subs = {s for d in desired if d in vocab.occupations for s in vocab.occupations[d].substitutable}
    rel = {r for d in desired if d in vocab.occupations for r in vocab.occupations[d].related}
    for oid, occ in vocab.occupations.items():
        kind = (
            "desired"
            if oid in desired
            else "substitutable"
            if oid in subs
            else "related"
            if oid in rel
            else "other"
        )
        f.occupation_fit[oid] = OCCUPATION_FIT[kind]
        near = [f.experience.get(o, 0.0) for o in (*occ.substitutable, *occ.related)]
        f.experience_years[oid] = max([f.experience.get(oid, 0.0)] + [0.5 * y for y in near])
    return f


def job_features(job: dict, vocab: Vocabulary, now=None) -> JobFeatures:
    """From a job document. Raises Unscorable for a posting whose numbers matching cannot use."""
    try:
        hours = job["hours"]
        pay = job["pay"]
        hpw = _number(hours["hours_per_week"], "hours_per_week", low_open=True)
        openings_left = int(job["openings"]) - int(job.get("filled", 0))
        in_window = now is None or (
            (job.get("valid_from") is None or job["valid_from"] <= now)
            and (job.get("valid_until") is None or now < job["valid_until"])
        )
        return JobFeatures(
            occupation=job["occupation"],
            required=frozenset(job.get("required_skills", [])),
            optional=frozenset(job.get("optional_skills", [])),
            type=_bits([hours["type"]], HOURS_TYPES),
            shifts=_bits(hours["shifts"], SHIFTS),
            hours_per_week=hpw,
            position=vocab.position(job["community"], job.get("compound")),
            pay_min_hourly=hourly(_number(pay["min"], "pay.min"), pay["unit"], hpw),
            pay_max_hourly=hourly(_number(pay["max"], "pay.max"), pay["unit"], hpw),
            pay_unit_label=pay["unit"],
            min_experience_years=_number(job.get("min_experience_years") or 0, "min_experience_years"),
            no_experience_needed=bool(job.get("no_experience_needed")),
            min_education=EDUCATION.index(job.get("min_education") or "none"),
            age_friendly=bool(job.get("age_friendly")),
            accessible=bool(job.get("accessible")),
            open=job.get("status", "open") == "open" and openings_left > 0 and in_window,
            openings_left=max(0, openings_left),
            physical_demands=_bits(demands, PHYSICAL_DEMANDS)
            if (demands := job.get("physical_demands"))
            else 0,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, Unscorable):
            raise
        raise Unscorable(f"job field missing or malformed: {exc!r}") from None
