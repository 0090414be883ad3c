"""The registry as the API shows it: venues, deputies and CPPCC members."""

from __future__ import annotations

from pydantic import BaseModel, Field


class VenueOut(BaseModel):
    id: str
    name_zh: str
    community: str | None
    compound: str | None
    kind: str
    demo: bool


class VenueList(BaseModel):
    items: list[VenueOut]


class PersonOut(BaseModel):
    id: str = Field(
        description="The registry's person id (GET /v1/people/{person_id}), the same in every service"
    )
    name_zh: str
    account: str | None = Field(None, description="The account the person signs in with (JWT sub)")
    communities: list[str]
    station: str | None = None
    demo: bool


class PersonList(BaseModel):
    items: list[PersonOut]
