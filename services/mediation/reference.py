"""Mediation's reference data, the mediator roster: community mediators, deputies, CPPCC members,
lawyers and volunteers.

Kept as data (reference/mediators.json beside this file, or REFERENCE_DIR/mediators.json) so the operator
replaces it without a code change. The bundled file is demo data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from civic146.reference import InUse, load_json, reference_path

BUNDLED = Path(__file__).with_name("reference")

KINDS = ("community_mediator", "deputy", "cppcc_member", "lawyer", "volunteer")
ALL_COMMUNITIES = "*"


@dataclass(frozen=True)
class Relation:
    relation: str
    phone: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class Mediator:
    id: str
    user_id: str
    name_zh: str
    kind: str
    communities: tuple[str, ...]
    supervisor: bool
    phone: str | None
    relations: tuple[Relation, ...]
    demo: bool

    def serves(self, community: str) -> bool:
        return ALL_COMMUNITIES in self.communities or community in self.communities


@lru_cache(maxsize=4)
def load(reference_dir: str = "") -> dict[str, Mediator]:
    path = reference_path("mediators.json", reference_dir, BUNDLED)
    raw = load_json("mediators.json", reference_dir, BUNDLED)
    roster = {}
    for m in raw["mediators"]:
        if m["kind"] not in KINDS:
            raise SystemExit(f"{path}: mediator {m['id']} has unknown kind {m['kind']!r}")
        roster[m["id"]] = Mediator(
            id=m["id"],
            user_id=m["user_id"],
            name_zh=m["name_zh"],
            kind=m["kind"],
            communities=tuple(m["communities"]),
            supervisor=bool(m.get("supervisor")),
            phone=m.get("phone"),
            relations=tuple(
                Relation(r["relation"], r.get("phone"), r.get("user_id")) for r in m.get("relations", [])
            ),
            demo=bool(m.get("demo")),
        )
    return roster


def by_user(roster: dict[str, Mediator], user_id: str) -> Mediator | None:
    return next((m for m in roster.values() if m.user_id == user_id), None)


ROSTER = InUse(
    load
)  # what payloads are validated against (mediation.schemas); the app factory names REFERENCE_DIR
