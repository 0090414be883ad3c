"""The category catalogue: routing target and time limits per category, and keyword suggestions.

Kept as data (reference/categories.json beside this file, or REFERENCE_DIR/categories.json) so the operator
can replace it without a code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from civic146.reference import load_json, reference_path

BUNDLED = Path(__file__).with_name("reference")

ROUTE_TARGETS = ("deliberation", "employment", "mediation", "department")


@dataclass(frozen=True)
class Category:
    id: str
    label_zh: str
    label_en: str
    route_to: str
    department: str | None
    response_hours: int
    resolution_days: int
    keywords: tuple[str, ...]


@lru_cache(maxsize=4)
def load(reference_dir: str = "") -> dict[str, Category]:
    path = reference_path("categories.json", reference_dir, BUNDLED)
    raw = load_json("categories.json", reference_dir, BUNDLED)
    cats = {}
    for c in raw["categories"]:
        if c["route_to"] not in ROUTE_TARGETS:
            raise SystemExit(f"{path}: category {c['id']} routes to unknown target {c['route_to']!r}")
        cats[c["id"]] = Category(
            c["id"],
            c["label_zh"],
            c["label_en"],
            c["route_to"],
            c.get("department"),
            int(c["response_hours"]),
            int(c["resolution_days"]),
            tuple(c.get("keywords", ())),
        )
    return cats


def suggest(text: str, categories: dict[str, Category]) -> list[tuple[str, int]]:
    """Categories whose keywords occur in the text, best first, as (category id, hits)."""
    scored = [(c.id, sum(text.count(k) for k in c.keywords)) for c in categories.values()]
    return sorted([s for s in scored if s[1] > 0], key=lambda s: -s[1])
