"""Deliberation's view of the shared registry (civic146.registry): the venues, the NPC deputies
(with their liaison stations' areas) and the CPPCC members (with the communities each serves).

The registry is data the operator replaces (REFERENCE_DIR/venues.json and people.json, bundled in
civic146/reference/); entries with `"demo": true` carry invented names. A deputy's or member's id
is the registry's person id, the same in every service; they sign in with its `account`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from civic146 import registry
from civic146.registry import Venue

__all__ = ["CppccMember", "Deputy", "Registries", "Venue", "load"]


@dataclass(frozen=True)
class Deputy:
    id: str
    name_zh: str
    station: str
    communities: frozenset[str]  # the area of the deputy's liaison station
    demo: bool
    account: str | None = None


@dataclass(frozen=True)
class CppccMember:
    id: str
    name_zh: str
    communities: frozenset[str]
    demo: bool
    account: str | None = None


@dataclass(frozen=True)
class Registries:
    venues: dict[str, Venue]
    deputies: dict[str, Deputy]
    cppcc_members: dict[str, CppccMember]

    def deputy_of_account(self, account: str) -> Deputy | None:
        return next((d for d in self.deputies.values() if d.account == account), None)

    def cppcc_member_of_account(self, account: str) -> CppccMember | None:
        return next((m for m in self.cppcc_members.values() if m.account == account), None)

    def serves(self, account: str, community: str) -> bool:
        """Whether a deputy or CPPCC member (by the account they signed in with) serves the community."""
        person = self.deputy_of_account(account) or self.cppcc_member_of_account(account)
        return person is not None and community in person.communities


@lru_cache(maxsize=4)
def load(reference_dir: str = "") -> Registries:
    shared = registry.load(reference_dir)
    deputies = {
        p.id: Deputy(p.id, p.name_zh, p.station, frozenset(p.communities), p.demo, p.account)
        for p in shared.with_role("deputy")
    }
    members = {
        p.id: CppccMember(p.id, p.name_zh, frozenset(p.communities), p.demo, p.account)
        for p in shared.with_role("cppcc_member")
    }
    return Registries(dict(shared.venues), deputies, members)
