"""The colour map of the area (彩色动态图): each compound a cell in its community, coloured by the
state of its public matters, drawn from the registry and a layout the operator replaces with a real
plan of the area (`reference/map-layout.json`, or the same name in REFERENCE_DIR).

Pure: the layout is checked against the registry when the service starts (a compound without a
shape, or a shape naming no compound, stops it), and the states are computed from topic documents
and a time; the board (board.py) draws the result with its templates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path

from civic146 import registry
from civic146.reference import load_json
from civic146.registry import RegistryError

from .domain.evaluation import EVALUATION_STEPS
from .domain.steps import OPEN_STEPS

BUNDLED = Path(__file__).parent / "reference"

# The states a compound can be in, the most pressing first: a compound shows the first that holds.
OVERDUE = "overdue"  # a public matter in progress has a task past its due date, not done
OPEN = "open"  # a public matter is in progress (notice, consultation or implementation)
SOLVED_RECENTLY = "solved_recently"  # a result was published within the recent period
SOLVED = "solved"  # matters were solved here before, none is in progress
QUIET = "quiet"  # no public matter yet
STATES = (OVERDUE, OPEN, SOLVED_RECENTLY, SOLVED, QUIET)


@dataclass(frozen=True)
class Shape:
    id: str
    x: float
    y: float
    width: float
    height: float
    points: tuple[tuple[float, float], ...] = ()  # a polygon instead of the rectangle, when given

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    @property
    def svg_points(self) -> str:
        return " ".join(f"{px:g},{py:g}" for px, py in self.points)


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    communities: dict[str, Shape]
    compounds: dict[str, Shape]
    demo: bool


def _shape(raw: dict) -> Shape:
    points = tuple((float(p[0]), float(p[1])) for p in raw.get("points", ()))
    if points:  # the bounding box places the label and frames a community's own map
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return Shape(raw["id"], min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys), points)
    return Shape(raw["id"], float(raw["x"]), float(raw["y"]), float(raw["width"]), float(raw["height"]))


def build(raw: dict, register: registry.Registry) -> Layout:
    """The layout of the file's data, or RegistryError naming every shape missing or dangling."""
    communities = {c["id"]: _shape(c) for c in raw["communities"]}
    compounds = {k["id"]: _shape(k) for k in raw["compounds"]}
    problems = []
    for what, shapes, known in (
        ("communities", communities, register.communities),
        ("compounds", compounds, register.compounds),
    ):
        if missing := sorted(set(known) - set(shapes)):
            problems.append(f"map-layout.json draws no shape for the {what} {missing}")
        if dangling := sorted(set(shapes) - set(known)):
            problems.append(f"map-layout.json draws {what} the registry does not know: {dangling}")
    if problems:
        raise RegistryError(problems)
    return Layout(float(raw["width"]), float(raw["height"]), communities, compounds, bool(raw.get("demo")))


@lru_cache(maxsize=4)
def load(reference_dir: str = "") -> Layout:
    return build(load_json("map-layout.json", reference_dir, BUNDLED), registry.load(reference_dir))


def _overdue(doc: dict, today: date) -> bool:
    # due dates are stored as ISO dates (YYYY-MM-DD), which compare as strings
    return any(t["done"] < t["target"] and t["due_date"] < today.isoformat() for t in doc["tasks"])


def state_of(docs: Iterable[dict], today: date, recent: timedelta, zone: tzinfo) -> str:
    """The state of a compound from its public topics (those with a notice or a result), on the day
    `today` in the sub-district's time zone: every state changes only at its midnight, as the
    board's validators do."""
    docs = list(docs)
    in_progress = [d for d in docs if d["step"] in OPEN_STEPS]
    if any(_overdue(d, today) for d in in_progress):
        return OVERDUE
    if in_progress:
        return OPEN
    # a declined matter publishes its result too, but nothing was solved
    solved = [
        d["result"]["starts_at"].astimezone(zone).date()
        for d in docs
        if d["step"] in EVALUATION_STEPS and d["result"].get("outcome", "implemented") == "implemented"
    ]
    if any(day >= today - recent for day in solved):
        return SOLVED_RECENTLY
    return SOLVED if solved else QUIET


def states(docs: Iterable[dict], today: date, recent: timedelta, zone: tzinfo) -> dict[str, str]:
    """compound id -> state, for the compounds the topics name (the others are quiet)."""
    by_compound: dict[str, list[dict]] = {}
    for d in docs:
        if d.get("compound"):
            by_compound.setdefault(d["compound"], []).append(d)
    return {k: state_of(ds, today, recent, zone) for k, ds in by_compound.items()}
