"""Deliberation's reference data: the registries the operator replaces, venues, NPC deputies (with
their liaison stations' areas) and CPPCC members (with the communities each serves).

Kept as data (reference/*.json beside this file, or the same names in REFERENCE_DIR). The bundled
files are demo data: entries with `"demo": true` carry invented names.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from civic146.reference import load_json

BUNDLED = Path(__file__).with_name("reference")


@dataclass(frozen=True)
class Venue:
    id: str
    name_zh: str
    community: str | None  # None: a sub-district venue open to every community
    compound: str | None
    kind: str
    demo: bool

    def serves(self, community: str) -> bool:
        return self.community is None or self.community == community


@dataclass(frozen=True)
class Deputy:
    id: str
    name_zh: str
    station: str
    communities: frozenset[str]  # the area of the deputy's liaison station
    demo: bool


@dataclass(frozen=True)
class CppccMember:
    id: str
    name_zh: str
    communities: frozenset[str]
    demo: bool


@dataclass(frozen=True)
class Registries:
    venues: dict[str, Venue]
    deputies: dict[str, Deputy]
    cppcc_members: dict[str, CppccMember]

    def serves(self, user_id: str, community: str) -> bool:
        """Whether a deputy or CPPCC member (by user id) serves the community."""
        person = self.deputies.get(user_id) or self.cppcc_members.get(user_id)
        return person is not None and community in person.communities


@lru_cache(maxsize=4)
def load(reference_dir: str = "") -> Registries:
    venues = {
        v["id"]: Venue(
            v["id"], v["name_zh"], v.get("community"), v.get("compound"), v["kind"], v.get("demo", False)
        )
        for v in load_json("venues.json", reference_dir, BUNDLED)["venues"]
    }
    raw = load_json("deputies.json", reference_dir, BUNDLED)
    stations = {s["id"]: frozenset(s["communities"]) for s in raw["stations"]}
    deputies = {}
    for d in raw["deputies"]:
        if d["station"] not in stations:
            raise SystemExit(f"deputies.json: deputy {d['id']} names unknown station {d['station']!r}")
        deputies[d["id"]] = Deputy(
            d["id"], d["name_zh"], d["station"], stations[d["station"]], d.get("demo", False)
        )
    members = {
        m["id"]: CppccMember(m["id"], m["name_zh"], frozenset(m["communities"]), m.get("demo", False))
        for m in load_json("cppcc_members.json", reference_dir, BUNDLED)["members"]
    }
    return Registries(venues, deputies, members)
