"""The blueprint every view of the API registers on (`bp`), the roles of its routes, and who may
act on what: the communities a caller serves, the residents a topic concerns, a topic loaded with
its checks."""

from __future__ import annotations

from civic146.auth import (
    CPPCC_MEMBER,
    DEPUTY,
    PARTY_ORGANISATION,
    RESIDENT,
    STAFF_ROLES,
    Principal,
    principal,
    principal_pseudonym,
)
from civic146.errors import Forbidden, InvalidInput
from civic146.web import ApiBlueprint, service_context

from .. import domain, store
from ..context import Deliberation

CREATORS = (*STAFF_ROLES, DEPUTY, CPPCC_MEMBER)


READERS = (*STAFF_ROLES, DEPUTY, CPPCC_MEMBER, RESIDENT, PARTY_ORGANISATION)


PARTICIPANTS = (RESIDENT, DEPUTY, CPPCC_MEMBER, *STAFF_ROLES)


bp = ApiBlueprint("deliberation", __name__, url_prefix="/v1", tag="deliberation")


def ctx() -> Deliberation:
    return service_context()


def serves(p: Principal, community: str) -> bool:
    """Staff serve the communities in their token; deputies and CPPCC members also those of their
    registry entry (their liaison station's area, the communities they are assigned to)."""
    return p.serves(community) or (p.has(DEPUTY, CPPCC_MEMBER) and ctx().registries.serves(p.sub, community))


def check_serves(p: Principal, community: str) -> None:
    if not serves(p, community):
        raise Forbidden(f"you do not serve community {community}")


def concerns(doc: dict, p: Principal) -> bool:
    """Whether the topic concerns this resident: they raised one of its linked requests (intake's
    routed v2 event names them by pseudonym), or their token names its community and deliberation
    knows them as residents of its scope: on the voter roll of its compound (of its community when
    it has none), or called to one of its votes."""
    if not p.has(RESIDENT):
        return False
    if domain.raised_by(doc, principal_pseudonym()):
        return True
    return doc["community"] in p.communities and (
        any(p.sub in v["eligible"] for v in doc["votes"])
        or store.on_roll(doc["community"], doc.get("compound"), p.sub)
    )


def check_can_read(doc: dict, p: Principal) -> None:
    if (
        p.has(*STAFF_ROLES, DEPUTY, CPPCC_MEMBER, PARTY_ORGANISATION) and serves(p, doc["community"])
    ) or concerns(doc, p):
        return
    if p.has(RESIDENT):
        raise Forbidden(
            f"the topic is open to the residents of {doc['community']} on its voter roll; its notices "
            f"and results are public: /v1/public/communities/{doc['community']}/notices"
        )
    raise Forbidden(f"you do not serve community {doc['community']}")


def load(topic_id: str, *, manage: bool = False, check: bool = True) -> tuple[dict, Principal]:
    """The topic as stored and the caller, checked for scope: managing needs to serve the
    community, reading to serve it or to be a resident it concerns; `check=False` leaves the
    decision to the caller (ballots: the vote's own list of eligible voters)."""
    p = principal()
    doc = store.get(topic_id)
    if manage:
        check_serves(p, doc["community"])
    elif check:
        check_can_read(doc, p)
    return doc, p


def check_place(community: str, compound: str | None) -> None:
    known = ctx().communities.get(community)
    if known is None:
        raise InvalidInput(
            "unknown community", [{"field": "community", "message": f"unknown community {community!r}"}]
        )
    if compound is not None and compound not in known.compounds:
        raise InvalidInput(
            "unknown compound", [{"field": "compound", "message": f"{compound!r} is not in {community}"}]
        )
