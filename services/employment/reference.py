"""Employment's reference data: the occupation and skill vocabulary, and the places used for
commute distances.

Both are data the operator replaces (REFERENCE_DIR/employment-vocabulary.json and
REFERENCE_DIR/employment-places.json); the bundled files are demo data.
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
