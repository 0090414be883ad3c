"""HTTP payloads of needs surveys: the survey with its rows (one household member each), the survey as
recorded, and the unmet-needs view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from civic146.payloads import CommunityId, Distinct, Input, MobilePhone, PlaceIn

from ..events import HoursType
from ..schemas import OccupationId, TargetGroup


class SurveyPersonIn(Input):
    name: str = Field(min_length=1, max_length=40)
    phone: MobilePhone


class SurveyRowIn(Input):
    """One household member's employment need, recorded with the household's consent."""

    household: str | None = Field(
        None, max_length=40, description="The household's label in the compound register (never published)"
    )
    person: SurveyPersonIn
    target_group: TargetGroup | None = Field(None, description="Public target group")
    desired_occupations: list[OccupationId] = Field(default_factory=list, max_length=5)
    hours_types: Annotated[list[HoursType], Distinct] = Field(default_factory=list, max_length=2)
    need: str | None = Field(None, max_length=300, description="The need in the household's words")
    consent: Literal[True] = Field(
        description="The household agreed that the need is recorded and that staff contact them"
    )


class SurveyIn(PlaceIn):
    """A batch of needs collected in a community or one of its compounds, by staff, volunteers or the
    compound heads, on behalf of households. Every row is checked before anything is recorded."""

    collected_by: Literal["compound_head", "community_staff", "volunteer"]
    rows: list[SurveyRowIn] = Field(min_length=1, max_length=500)


class SurveyOut(BaseModel):
    id: str
    community: str
    compound: str | None = None
    collected_by: str
    row_count: int
    draft_ids: list[str]
    drafts_created: bool
    created_at: datetime
    version: int


class UnmetNeedsQuery(Input):
    community: CommunityId | None = Field(None, description="Omit for the whole sub-district (admins)")


class UnmetInCommunity(BaseModel):
    total: int
    drafts: int = Field(description="Needs not yet made a complete profile")
    active: int = Field(description="Complete profiles without a placement")
    by_group: dict[str, int]
    by_compound: dict[str, int]
    oldest_days: float | None = Field(description="Age of the oldest unmet need, in days")


class UnmetNeeds(BaseModel):
    community: str | None
    total: int
    by_group: dict[str, int]
    by_community: dict[str, UnmetInCommunity]
