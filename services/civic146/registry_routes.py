"""The registry of places and people (civic146.registry), read-only, on every service's API: the same
answers from intake, deliberation, employment and mediation, so that an integrator asks whichever
service it already talks to."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .errors import NotFound
from .payloads import CommunityId, Input
from .registry import PERSON_ROLES, REGISTRY, Compound, Person, Place, Venue
from .web import ApiBlueprint

bp = ApiBlueprint("registry", __name__, url_prefix="/v1", tag="registry")

DEMO = "true: an invented placeholder name (demo data); false: a name from the source bulletin"


class RegistryVenue(BaseModel):
    id: str
    name_zh: str
    community: str | None = Field(description="null: a sub-district venue open to every community")
    compound: str | None
    kind: str
    demo: bool = Field(description=DEMO)


class RegistryHead(BaseModel):
    person: str = Field(description="Person id (GET /v1/people/{person_id})")
    name_zh: str
    title: str


class RegistryCompound(BaseModel):
    id: str
    name_zh: str
    heads: list[RegistryHead] = Field(description="The compound's heads (楼院三长: 院长, 楼长, 单元长)")
    committees: list[str] = Field(description="Ids of the self-management committees (自管会) covering it")
    venues: list[RegistryVenue] = Field(description="Venues in the compound")
    demo: bool = Field(description=DEMO)


class RegistryCommittee(BaseModel):
    id: str
    name_zh: str
    compounds: list[str]
    demo: bool = Field(description=DEMO)


class RegistryCommunity(BaseModel):
    id: str
    name_zh: str
    name_en: str
    compounds: list[RegistryCompound]
    committees: list[RegistryCommittee] = Field(description="Residents' self-management committees (自管会)")
    venues: list[RegistryVenue] = Field(
        description="Venues of the community outside its compounds, and the sub-district's (community null)"
    )
    demo: bool = Field(description=DEMO)


class RegistryCommunityList(BaseModel):
    items: list[RegistryCommunity]
    communities: int
    compounds: int
    committees: int


class RegistryPerson(BaseModel):
    id: str = Field(description="The person's one id, the same in every service")
    name_zh: str
    account: str | None = Field(
        description="The platform account the person signs in with (JWT sub); null: none"
    )
    roles: list[str]
    communities: list[str] = Field(description='Communities served; ["*"]: the whole sub-district')
    station: str | None = Field(None, description="A deputy's liaison station")
    demo: bool = Field(description=DEMO)


class RegistryPersonList(BaseModel):
    items: list[RegistryPerson]


class RegistryPeopleQuery(Input):
    role: Literal[PERSON_ROLES] | None = None  # type: ignore[valid-type]
    community: CommunityId | None = Field(
        None, description="Only people serving this community (those serving the whole sub-district too)"
    )
    account: str | None = Field(None, max_length=128, description="Only the person with this account")


class RegistryStation(BaseModel):
    id: str
    name_zh: str
    communities: list[str]
    deputies: list[str] = Field(description="Person ids of the station's deputies")
    demo: bool = Field(description=DEMO)


class RegistryStationList(BaseModel):
    items: list[RegistryStation]


def present_venue(v: Venue) -> RegistryVenue:
    return RegistryVenue(**vars(v))


def present_compound(k: Compound, committees: list[str]) -> RegistryCompound:
    people = REGISTRY().people
    return RegistryCompound(
        id=k.id,
        name_zh=k.name_zh,
        heads=[
            RegistryHead(person=h.person, name_zh=people[h.person].name_zh, title=h.title) for h in k.heads
        ],
        committees=committees,
        venues=[present_venue(v) for v in REGISTRY().venues_of_compound(k.id)],
        demo=k.demo,
    )


def present_community(c: Place) -> RegistryCommunity:
    return RegistryCommunity(
        id=c.id,
        name_zh=c.name_zh,
        name_en=c.name_en,
        compounds=[
            present_compound(k, [m.id for m in c.committees if k.id in m.compounds]) for k in c.compounds
        ],
        committees=[
            RegistryCommittee(id=m.id, name_zh=m.name_zh, compounds=list(m.compounds), demo=m.demo)
            for m in c.committees
        ],
        venues=[present_venue(v) for v in REGISTRY().venues_of_community(c.id)],
        demo=c.demo,
    )


def present_person(p: Person) -> RegistryPerson:
    return RegistryPerson(
        id=p.id,
        name_zh=p.name_zh,
        account=p.account,
        roles=list(p.roles),
        communities=list(p.communities),
        station=p.station,
        demo=p.demo,
    )


@bp.endpoint(
    "/communities",
    "GET",
    summary="The communities, each with its compounds (heads, committees, venues)",
    response=RegistryCommunityList,
    roles=(),
)
def list_communities():
    registry = REGISTRY()
    return RegistryCommunityList(
        items=[present_community(c) for c in registry.communities.values()],
        communities=len(registry.communities),
        compounds=len(registry.compounds),
        committees=len(registry.committees()),
    )


@bp.endpoint(
    "/communities/<community_id>",
    "GET",
    summary="One community with its compounds, heads, committees and venues",
    response=RegistryCommunity,
    roles=(),
)
def get_community(community_id: str):
    community = REGISTRY().communities.get(community_id)
    if community is None:
        raise NotFound(f"no community {community_id!r} in the register")
    return present_community(community)


@bp.endpoint(
    "/people",
    "GET",
    summary="Deputies, CPPCC members, mediators and other resource people, with account and communities",
    query=RegistryPeopleQuery,
    response=RegistryPersonList,
    roles=(),
)
def list_people(query: RegistryPeopleQuery):
    people = REGISTRY().people.values()
    return RegistryPersonList(
        items=[
            present_person(p)
            for p in people
            if (query.role is None or query.role in p.roles)
            and (query.community is None or p.serves(query.community))
            and (query.account is None or p.account == query.account)
        ]
    )


@bp.endpoint(
    "/people/<person_id>",
    "GET",
    summary="One person of the register",
    response=RegistryPerson,
    roles=(),
)
def get_person(person_id: str):
    person = REGISTRY().people.get(person_id)
    if person is None:
        raise NotFound(f"no person {person_id!r} in the register")
    return present_person(person)


@bp.endpoint(
    "/stations",
    "GET",
    summary="The NPC deputies' liaison stations, their areas and deputies",
    response=RegistryStationList,
    roles=(),
)
def list_stations():
    registry = REGISTRY()
    return RegistryStationList(
        items=[
            RegistryStation(
                id=s.id,
                name_zh=s.name_zh,
                communities=list(s.communities),
                deputies=[p.id for p in registry.people.values() if p.station == s.id],
                demo=s.demo,
            )
            for s in registry.stations.values()
        ]
    )
