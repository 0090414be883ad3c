"""Employment's reference data: the occupation and skill vocabulary, the places used for commute
distances, and the support pathways per target group.

All are data the operator replaces (REFERENCE_DIR/employment-vocabulary.json,
REFERENCE_DIR/employment-places.json and REFERENCE_DIR/employment-pathways.json); the bundled files
are demo data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from civic146.reference import InUse, load_json

BUNDLED = Path(__file__).with_name("reference")


@dataclass(frozen=True)
class Occupation:
    id: str
    label_zh: str
    label_en: str
    family: str
    substitutable: tuple[str, ...]
    related: tuple[str, ...]
    typical_skills: tuple[str, ...]


@dataclass(frozen=True)
class Skill:
    id: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class Vocabulary:
    occupations: dict[str, Occupation]
    skills: dict[str, Skill]
    places: dict[str, tuple[float, float]]  # community or compound id -> (x km, y km)

    def position(self, community: str, compound: str | None) -> tuple[float, float]:
        if compound and compound in self.places:
            return self.places[compound]
        return self.places.get(community, (0.0, 0.0))

    def distance_km(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        return math.hypot(a[0] - b[0], a[1] - b[1])


@lru_cache(maxsize=4)
def load(reference_dir: str = "") -> Vocabulary:
    raw = load_json("employment-vocabulary.json", reference_dir, BUNDLED)
    skills = {s["id"]: Skill(s["id"], s["label_zh"], s["label_en"]) for s in raw["skills"]}
    occupations = {}
    for o in raw["occupations"]:
        occupations[o["id"]] = Occupation(
            o["id"],
            o["label_zh"],
            o["label_en"],
            o.get("family", ""),
            tuple(o.get("substitutable", ())),
            tuple(o.get("related", ())),
            tuple(o.get("typical_skills", ())),
        )
    problems = [
        f"{o.id} names unknown occupation {r}"
        for o in occupations.values()
        for r in (*o.substitutable, *o.related)
        if r not in occupations
    ]
    problems += [
        f"{o.id} names unknown skill {s}"
        for o in occupations.values()
        for s in o.typical_skills
        if s not in skills
    ]
    if problems:
        raise SystemExit("employment vocabulary: " + "; ".join(problems))
    places_raw = load_json("employment-places.json", reference_dir, BUNDLED)
    places = {p["id"]: (float(p["x_km"]), float(p["y_km"])) for p in places_raw["places"]}
    return Vocabulary(occupations, skills, places)


VOCABULARY = InUse(
    load
)  # what payloads are validated against (employment.schemas); the app factory names REFERENCE_DIR


# --- support pathways per target group ----------------------------------------------------------------

TARGET_GROUPS = ("youth", "middle_aged", "older_worker")
OFFERS = ("position", "trial_work", "internship", "training")  # what a posting offers (schemas.Offer)


@dataclass(frozen=True)
class PathwayStep:
    kind: str
    label_zh: str
    due_days: int


@dataclass(frozen=True)
class ContactPlan:
    every_days: float  # one contact attempt this often after the profile becomes active
    attempts: int  # how many are scheduled
    grace_days: float  # an attempt not answered this long after it was due is missed
    disengaged_after_missed: int  # this many missed in a row: disengaged, an outreach task for staff


@dataclass(frozen=True)
class Pathway:
    id: str
    label_zh: str
    label_en: str
    target_groups: tuple[str, ...]
    caseworker: bool
    steps: tuple[PathwayStep, ...]
    contacts: ContactPlan | None
    push_min_score: float | None  # new jobs fitting at least this well are pushed at once
    prefer_community_service: bool
    prefer_offers: tuple[str, ...] = ()  # the best posting offering one of these is always suggested

    def fits(self, profile: dict) -> bool:
        return profile.get("target_group") in self.target_groups


def _pathway(raw: dict) -> Pathway:
    contacts = raw.get("contacts")
    push = raw.get("push")
    return Pathway(
        id=str(raw["id"]),
        label_zh=str(raw["label_zh"]),
        label_en=str(raw.get("label_en", "")),
        target_groups=tuple(raw["eligibility"]["target_groups"]),
        caseworker=bool(raw.get("caseworker")),
        steps=tuple(
            PathwayStep(str(s["kind"]), str(s["label_zh"]), int(s["due_days"])) for s in raw["steps"]
        ),
        contacts=ContactPlan(
            float(contacts["every_days"]),
            int(contacts["attempts"]),
            float(contacts["grace_days"]),
            int(contacts["disengaged_after_missed"]),
        )
        if contacts
        else None,
        push_min_score=float(push["min_score"]) if push else None,
        prefer_community_service=bool(raw.get("prefer_community_service")),
        prefer_offers=tuple(raw.get("prefer_offers", ())),
    )


def pathway_problems(p: Pathway) -> list[str]:
    problems = [f"{p.id}: unknown target group {g}" for g in p.target_groups if g not in TARGET_GROUPS]
    if not p.target_groups:
        problems.append(f"{p.id}: eligibility names no target group")
    kinds = [s.kind for s in p.steps]
    if len(set(kinds)) != len(kinds):
        problems.append(f"{p.id}: a step kind appears twice")
    problems += [
        f"{p.id}: step {s.kind} due_days must be 1-365" for s in p.steps if not 1 <= s.due_days <= 365
    ]
    c = p.contacts
    if c and not (0 < c.every_days <= 90 and 1 <= c.attempts <= 52 and 0 <= c.grace_days <= 30):
        problems.append(f"{p.id}: contacts every_days 0-90, attempts 1-52, grace_days 0-30")
    if c and not 1 <= c.disengaged_after_missed <= c.attempts:
        problems.append(f"{p.id}: contacts disengaged_after_missed must be 1-{c.attempts}")
    problems += [f"{p.id}: unknown offer {o} in prefer_offers" for o in p.prefer_offers if o not in OFFERS]
    if p.push_min_score is not None and not 0 <= p.push_min_score <= 1.05:
        problems.append(f"{p.id}: push min_score must be 0-1.05")
    return problems


@lru_cache(maxsize=4)
def load_pathways(reference_dir: str = "") -> tuple[Pathway, ...]:
    """The pathways in the file's order (the first that fits a profile applies); a malformed file
    stops the process at start with what is wrong."""
    raw = load_json("employment-pathways.json", reference_dir, BUNDLED)
    try:
        pathways = tuple(_pathway(p) for p in raw["pathways"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SystemExit(f"employment pathways: malformed entry ({exc!r})") from None
    problems = [x for p in pathways for x in pathway_problems(p)]
    ids = [p.id for p in pathways]
    if len(set(ids)) != len(ids):
        problems.append("a pathway id appears twice")
    if problems:
        raise SystemExit("employment pathways: " + "; ".join(problems))
    return pathways


def pathway_for(pathways: tuple[Pathway, ...], profile: dict | None) -> Pathway | None:
    return next((p for p in pathways if profile and p.fits(profile)), None)
