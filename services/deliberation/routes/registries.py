"""Views of the registry: venues, deputies and CPPCC members."""

from __future__ import annotations

from .. import schemas
from .scope import bp, ctx


@bp.endpoint("/venues", "GET", summary="The venue registry", response=schemas.VenueList, roles=())
def venues():
    return schemas.VenueList(items=[schemas.VenueOut(**vars(v)) for v in ctx().registries.venues.values()])


@bp.endpoint(
    "/deputies",
    "GET",
    summary="NPC deputies and their liaison stations' areas",
    response=schemas.PersonList,
    roles=(),
)
def deputies():
    return schemas.PersonList(
        items=[
            schemas.PersonOut(
                id=d.id,
                name_zh=d.name_zh,
                account=d.account,
                communities=sorted(d.communities),
                station=d.station,
                demo=d.demo,
            )
            for d in ctx().registries.deputies.values()
        ]
    )


@bp.endpoint(
    "/cppcc-members",
    "GET",
    summary="CPPCC members and the communities each serves",
    response=schemas.PersonList,
    roles=(),
)
def cppcc_members():
    return schemas.PersonList(
        items=[
            schemas.PersonOut(
                id=c.id, name_zh=c.name_zh, account=c.account, communities=sorted(c.communities), demo=c.demo
            )
            for c in ctx().registries.cppcc_members.values()
        ]
    )
