"""The one registry of places and people every service shares, read from reference data the operator
replaces (`communities.json`, `venues.json`, `people.json`, bundled in `civic146/reference/` or the
same names in REFERENCE_DIR).

Places: the communities, their compounds with their heads (楼院三长), the residents'
self-management committees (自管会) and the venues where consultations are held. People: deputies
with their liaison stations, CPPCC members, mediators, lawyers, volunteers and compound heads,
each with one id that every service uses for them, the platform account (JWT sub) they sign in
with, the communities they serve and their station.

The register is checked when a process starts (`check`): an id given twice, or an id that names
nothing (a person's community or station, a compound's head, a committee's compound, a venue's
community or compound), stops the process with every problem found, so that a service never runs
on a register whose references dangle. The bundled files are demo data: entries with
`"demo": true` carry invented names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .reference import InUse, load_json

EVERY_COMMUNITY = "*"  # a person serving the whole sub-district
PERSON_ROLES = (
    "deputy",
    "cppcc_member",
    "community_mediator",
    "lawyer",
    "volunteer",
    "compound_head",
)
VENUE_KINDS = ("compound_bench", "community_pavilion", "council_hall", "liaison_station", "cppcc_room")


class RegistryError(SystemExit):
    """The register is inconsistent: the message lists every problem (a start-up failure)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("reference data inconsistent: " + "; ".join(problems))


@dataclass(frozen=True)
class Head:
    person: str
    title: str


@dataclass(frozen=True)
class Compound:
    id: str
    name_zh: str
    community: str
    heads: tuple[Head, ...]
    demo: bool


@dataclass(frozen=True)
class Committee:
    id: str
    name_zh: str
    community: str
    compounds: tuple[str, ...]
    demo: bool


@dataclass(frozen=True)
class Place:
    """A community of the register, with what belongs to it."""

    id: str
    name_zh: str
    name_en: str
    compounds: tuple[Compound, ...]
    committees: tuple[Committee, ...]
    demo: bool


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
class Station:
    id: str
    name_zh: str
    communities: tuple[str, ...]
    demo: bool


@dataclass(frozen=True)
class Person:
    id: str
    name_zh: str
    account: str | None  # the platform account (JWT sub); None: does not sign in
    roles: tuple[str, ...]
    communities: tuple[str, ...]  # served; ("*",) the whole sub-district; a deputy's: their station's
    station: str | None
    demo: bool

    def serves(self, community: str) -> bool:
        return EVERY_COMMUNITY in self.communities or community in self.communities


@dataclass(frozen=True)
class Registry:
    communities: dict[str, Place]
    compounds: dict[str, Compound]
    venues: dict[str, Venue]
    stations: dict[str, Station]
    people: dict[str, Person]

    def person_of_account(self, account: str) -> Person | None:
        return self._by_account().get(account)

    def _by_account(self) -> dict[str, Person]:
        return {p.account: p for p in self.people.values() if p.account}

    def with_role(self, role: str) -> list[Person]:
        return [p for p in self.people.values() if role in p.roles]

    def venues_of_compound(self, compound: str) -> list[Venue]:
        return [v for v in self.venues.values() if v.compound == compound]

    def venues_of_community(self, community: str) -> list[Venue]:
        """Venues of the community that belong to no compound, and the sub-district's."""
        return [v for v in self.venues.values() if v.compound is None and v.serves(community)]

    def committees(self) -> list[Committee]:
        return [k for c in self.communities.values() for k in c.committees]

    def resolve(self, person_ids: Iterable[str], used_by: str) -> None:
        """A service's own reference data names people by registry id: any id that names no one
        stops the start (RegistryError, naming the service's file and the ids)."""
        missing = sorted({pid for pid in person_ids if pid not in self.people})
        if missing:
            raise RegistryError([f"{used_by} names people the registry does not know: {missing}"])


def duplicates(ids: Iterable[str]) -> list[str]:
    return sorted(i for i, n in Counter(ids).items() if n > 1)


def build(communities_raw: dict, venues_raw: dict, people_raw: dict) -> Registry:
    """The register from the three files' data, or RegistryError listing every inconsistency."""
    problems: list[str] = []

    def dup(what: str, ids: list[str]) -> None:
        if found := duplicates(ids):
            problems.append(f"{what} given more than once: {found}")

    raw_communities = communities_raw["communities"]
    raw_compounds = [(c["id"], k) for c in raw_communities for k in c["compounds"]]
    raw_committees = [(c["id"], m) for c in raw_communities for m in c.get("committees", [])]
    raw_people = people_raw["people"]
    raw_stations = people_raw.get("stations", [])
    raw_venues = venues_raw["venues"]
    dup("community ids", [c["id"] for c in raw_communities])
    dup("compound ids", [k["id"] for _, k in raw_compounds])
    dup("committee ids", [m["id"] for _, m in raw_committees])
    dup("venue ids", [v["id"] for v in raw_venues])
    dup("station ids", [s["id"] for s in raw_stations])
    dup("person ids", [p["id"] for p in raw_people])
    dup("accounts", [p["account"] for p in raw_people if p.get("account")])

    community_ids = {c["id"] for c in raw_communities}
    compound_community = {k["id"]: cid for cid, k in raw_compounds}
    person_ids = {p["id"] for p in raw_people}

    def unknown_communities(ids: list[str], whose: str) -> None:
        if bad := sorted(set(ids) - community_ids - {EVERY_COMMUNITY}):
            problems.append(f"{whose} names unknown communities {bad}")

    stations = {}
    for s in raw_stations:
        unknown_communities(s["communities"], f"station {s['id']}")
        stations[s["id"]] = Station(s["id"], s["name_zh"], tuple(s["communities"]), bool(s.get("demo")))

    people = {}
    for p in raw_people:
        roles = tuple(p.get("roles", []))
        if bad := sorted(set(roles) - set(PERSON_ROLES)):
            problems.append(f"person {p['id']} has unknown roles {bad}")
        station = p.get("station")
        if station is not None and station not in stations:
            problems.append(f"person {p['id']} names unknown station {station!r}")
        if "deputy" in roles and station is None:
            problems.append(f"deputy {p['id']} has no station")
        # A deputy serves the area of their liaison station.
        served = p.get("communities")
        if served is None:
            served = stations[station].communities if station in stations else ()
        unknown_communities(list(served), f"person {p['id']}")
        people[p["id"]] = Person(
            p["id"],
            p["name_zh"],
            p.get("account") or None,
            roles,
            tuple(served),
            station,
            bool(p.get("demo")),
        )

    communities: dict[str, Place] = {}
    compounds: dict[str, Compound] = {}
    for c in raw_communities:
        own = []
        for k in c["compounds"]:
            heads = tuple(Head(h["person"], h["title"]) for h in k.get("heads", []))
            for h in heads:
                if h.person not in person_ids:
                    problems.append(f"compound {k['id']} names unknown head {h.person!r}")
            compound = Compound(k["id"], k["name_zh"], c["id"], heads, bool(k.get("demo")))
            own.append(compound)
            compounds[k["id"]] = compound
        committees = []
        for m in c.get("committees", []):
            for k in m["compounds"]:
                if compound_community.get(k) != c["id"]:
                    problems.append(f"committee {m['id']} names compound {k!r}, which is not of {c['id']}")
            committees.append(
                Committee(m["id"], m["name_zh"], c["id"], tuple(m["compounds"]), bool(m.get("demo")))
            )
        communities[c["id"]] = Place(
            c["id"], c["name_zh"], c["name_en"], tuple(own), tuple(committees), bool(c.get("demo"))
        )

    venues = {}
    for v in raw_venues:
        community, compound = v.get("community"), v.get("compound")
        if v["kind"] not in VENUE_KINDS:
            problems.append(f"venue {v['id']} has unknown kind {v['kind']!r}")
        if community is not None and community not in community_ids:
            problems.append(f"venue {v['id']} names unknown community {community!r}")
        if compound is not None and compound_community.get(compound) != community:
            problems.append(f"venue {v['id']} names compound {compound!r}, which is not of {community}")
        venues[v["id"]] = Venue(v["id"], v["name_zh"], community, compound, v["kind"], bool(v.get("demo")))

    if problems:
        raise RegistryError(problems)
    return Registry(communities, compounds, venues, stations, people)


@lru_cache(maxsize=8)
def load(reference_dir: str = "") -> Registry:
    """The register of REFERENCE_DIR (or the bundled one), checked."""
    return build(
        load_json("communities.json", reference_dir),
        load_json("venues.json", reference_dir),
        load_json("people.json", reference_dir),
    )


# What a process uses (the app factory and the worker call `REGISTRY.use(settings.reference_dir)`).
REGISTRY = InUse(load)
