"""Mediation's reference data, the mediator roster: community mediators, deputies, CPPCC members,
lawyers and volunteers, each a person of the shared registry (civic146.registry) by its id.

Kept as data (reference/mediators.json beside this file, or REFERENCE_DIR/mediators.json) so the operator
replaces it without a code change. The bundled file is demo data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from civic146 import registry
from civic146.reference import InUse, load_json, reference_path

BUNDLED = Path(__file__).with_name("reference")

KINDS = ("community_mediator", "deputy", "cppcc_member", "lawyer", "volunteer")
ALL_COMMUNITIES = registry.EVERY_COMMUNITY


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
    """The roster: each entry names a person of the shared registry (civic146.registry), whose name,
    account and communities served are the registry's; an entry naming no one, or someone without
    an account, stops the start."""
    path = reference_path("mediators.json", reference_dir, BUNDLED)
    raw = load_json("mediators.json", reference_dir, BUNDLED)
    people = registry.load(reference_dir)
    people.resolve((m["person"] for m in raw["mediators"]), str(path))
    roster = {}
    for m in raw["mediators"]:
        person = people.people[m["person"]]
        if m["kind"] not in KINDS:
            raise SystemExit(f"{path}: mediator {person.id} has unknown kind {m['kind']!r}")
        if m["kind"] not in person.roles:
            raise SystemExit(
                f"{path}: mediator {person.id} mediates as {m['kind']}, which the registry does not say "
                f"they are (roles {list(person.roles)})"
            )
        if person.account is None:
            raise SystemExit(f"{path}: mediator {person.id} has no account in the registry")
        if person.id in roster:
            raise SystemExit(f"{path}: mediator {person.id} is on the roster more than once")
        roster[person.id] = Mediator(
            id=person.id,
            user_id=person.account,
            name_zh=person.name_zh,
            kind=m["kind"],
            communities=person.communities,
            supervisor=bool(m.get("supervisor")),
            phone=m.get("phone"),
            relations=tuple(
                Relation(r["relation"], r.get("phone"), r.get("user_id")) for r in m.get("relations", [])
            ),
            demo=bool(m.get("demo")) or person.demo,
        )
    return roster


def by_user(roster: dict[str, Mediator], user_id: str) -> Mediator | None:
    return next((m for m in roster.values() if m.user_id == user_id), None)


ROSTER = InUse(
    load
)  # what payloads are validated against (mediation.schemas); the app factory names REFERENCE_DIR
