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


class VenueOut(BaseModel):
    id: str
    name_zh: str
    community: str | None = Field(description="null: a sub-district venue open to every community")
    compound: str | None
    kind: str
    demo: bool = Field(description=DEMO)


class HeadOut(BaseModel):
    person: str = Field(description="Person id (GET /v1/people/{person_id})")
    name_zh: str
    title: str


class CompoundOut(BaseModel):
    id: str
    name_zh: str
    heads: list[HeadOut] = Field(description="The compound's heads (楼院三长)")
    committees: list[str] = Field(description="Ids of the self-management committees (自管会) covering it")
    venues: list[VenueOut] = Field(description="Venues in the compound")
    demo: bool = Field(description=DEMO)


class CommitteeOut(BaseModel):
    id: str
    name_zh: str
    compounds: list[str]
    demo: bool = Field(description=DEMO)


class CommunityOut(BaseModel):
    id: str
    name_zh: str
    name_en: str
    compounds: list[CompoundOut]
    committees: list[CommitteeOut] = Field(description="Residents' self-management committees (自管会)")
    venues: list[VenueOut] = Field(
        description="Venues of the community outside its compounds, and the sub-district's (community null)"
    )
    demo: bool = Field(description=DEMO)


class CommunityList(BaseModel):
    items: list[CommunityOut]
    communities: int
    compounds: int
    committees: int


class PersonOut(BaseModel):
    id: str = Field(description="The person's one id, the same in every service")
    name_zh: str
    account: str | None = Field(
        description="The platform account the person signs in with (JWT sub); null: none"
    )
    roles: list[str]
    communities: list[str] = Field(description='Communities served; ["*"]: the whole sub-district')
    station: str | None = Field(None, description="A deputy's liaison station")
    demo: bool = Field(description=DEMO)


class PersonList(BaseModel):
    items: list[PersonOut]


class PeopleQuery(Input):
    role: Literal[PERSON_ROLES] | None = None  # type: ignore[valid-type]
    community: CommunityId | None = Field(
        None, description="Only people serving this community (those serving the whole sub-district too)"
    )
    account: str | None = Field(None, max_length=128, description="Only the person with this account")


class StationOut(BaseModel):
    id: str
    name_zh: str
    communities: list[str]
    deputies: list[str] = Field(description="Person ids of the station's deputies")
    demo: bool = Field(description=DEMO)


class StationList(BaseModel):
    items: list[StationOut]


def present_venue(v: Venue) -> VenueOut:
    return VenueOut(**vars(v))


def present_compound(k: Compound, committees: list[str]) -> CompoundOut:
    people = REGISTRY().people
    return CompoundOut(
        id=k.id,
        name_zh=k.name_zh,
        heads=[HeadOut(person=h.person, name_zh=people[h.person].name_zh, title=h.title) for h in k.heads],
        committees=committees,
        venues=[present_venue(v) for v in REGISTRY().venues_of_compound(k.id)],
        demo=k.demo,
    )


def present_community(c: Place) -> CommunityOut:
    return CommunityOut(
        id=c.id,
        name_zh=c.name_zh,
        name_en=c.name_en,
        compounds=[
            present_compound(k, [m.id for m in c.committees if k.id in m.compounds]) for k in c.compounds
        ],
        committees=[
            CommitteeOut(id=m.id, name_zh=m.name_zh, compounds=list(m.compounds), demo=m.demo)
            for m in c.committees
        ],
        venues=[present_venue(v) for v in REGISTRY().venues_of_community(c.id)],
        demo=c.demo,
    )


def present_person(p: Person) -> PersonOut:
    return PersonOut(
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
    response=CommunityList,
    roles=(),
)
def list_communities():
    registry = REGISTRY()
    return CommunityList(
        items=[present_community(c) for c in registry.communities.values()],
        communities=len(registry.communities),
        compounds=len(registry.compounds),
        committees=len(registry.committees()),
    )


@bp.endpoint(
    "/communities/<community_id>",
    "GET",
    summary="One community with its compounds, heads, committees and venues",
    response=CommunityOut,
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
    query=PeopleQuery,
    response=PersonList,
    roles=(),
)
def list_people(query: PeopleQuery):
    people = REGISTRY().people.values()
    return PersonList(
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
    response=PersonOut,
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
    response=StationList,
    roles=(),
)
def list_stations():
    registry = REGISTRY()
    return StationList(
        items=[
            StationOut(
                id=s.id,
                name_zh=s.name_zh,
                communities=list(s.communities),
                deputies=[p.id for p in registry.people.values() if p.station == s.id],
                demo=s.demo,
            )
            for s in registry.stations.values()
        ]
    )
