"""HTTP payload models of the intake API: they validate input and describe the OpenAPI document."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from civic146.events import Channel, RouteTarget, Status
from civic146.payloads import CommunityId, DateTime, IdNumber, Input, MobilePhone, PlaceIn, WholeNumber


class SubmitterIn(Input):
    name: str = Field(min_length=1, max_length=40)
    phone: MobilePhone
    id_number: IdNumber | None = None


class SubmitRequestIn(PlaceIn):
    category: str = Field(min_length=1, max_length=64, description="Category id from GET /v1/categories")
    description: str = Field(min_length=5, max_length=2000)
    location: str | None = Field(None, max_length=200, description="Address or landmark")
    channel: Channel
    submitter: SubmitterIn
    attachments: list[HttpUrl] = Field(default_factory=list, max_length=10)


class ReasonIn(Input):
    reason: str = Field(min_length=2, max_length=1000)


class DuplicateIn(Input):
    duplicate_of: str = Field(min_length=1, max_length=64)


class RouteIn(Input):
    target: RouteTarget | None = Field(None, description="Defaults to the category's routing target")
    department: str | None = Field(None, max_length=120)
    note: str | None = Field(None, max_length=1000)


class StartIn(Input):
    handled_by: str = Field(min_length=1, max_length=120)
    reference: str | None = Field(None, max_length=120)
    summary: str | None = Field(None, max_length=1000)


class ResolveIn(Input):
    outcome: str = Field(min_length=2, max_length=2000)
    reference: str | None = Field(None, max_length=120)


class RatingIn(Input):
    satisfaction: WholeNumber = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=1000)


class ListQuery(Input):
    community: CommunityId | None = None
    status: Status | None = None
    category: str | None = None
    channel: Channel | None = None
    overdue: bool | None = None
    submitted_from: DateTime | None = Field(None, alias="from")
    submitted_to: DateTime | None = Field(None, alias="to")
    cursor: str | None = None
    limit: int = Field(20, ge=1, le=100)


class StatisticsQuery(Input):
    community: CommunityId | None = Field(
        None,
        description="Omit for the whole sub-district (admins) or, with by_community, for every community "
        "the caller serves",
    )
    submitted_from: DateTime | None = Field(None, alias="from")
    submitted_to: DateTime | None = Field(None, alias="to")
    by_community: bool = Field(
        False,
        description="Also the indicators of each community in scope (every one of the register, with none "
        "too), in `communities`",
    )


class SuggestQuery(Input):
    text: str = Field(min_length=1, max_length=2000)


class SubmitterOut(BaseModel):
    name: str
    phone: str
    id_number: str | None = None
    masked: bool


class HistoryOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: str | None = Field(alias="from", serialization_alias="from")
    to: str
    at: datetime
    actor_role: str
    reason: str | None = None
    reference: str | None = Field(
        None,
        description="On a move between aggregates of the handling service (from = to): where it went",
    )


class RatingOut(BaseModel):
    satisfaction: int
    comment: str | None = None
    at: datetime


class RequestOut(BaseModel):
    id: str
    status: Status
    category: str
    description: str
    community: str
    compound: str | None = None
    location: str | None = None
    channel: Channel
    attachments: list[str]
    submitter: SubmitterOut
    submitted_at: datetime
    response_due_at: datetime
    resolution_due_at: datetime
    response_overdue: bool
    resolution_overdue: bool
    route_target: str | None = None
    department: str | None = None
    duplicate_of: str | None = None
    rejection_reason: str | None = None
    handled_by: str | None = None
    reference: str | None = None
    outcome: str | None = None
    resolved_at: datetime | None = None
    rating: RatingOut | None = None
    history: list[HistoryOut]
    suggested_category: str | None = None
    version: int


class RequestPage(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None


class DuplicateOut(BaseModel):
    id: str
    similarity: float
    status: Status
    submitted_at: datetime
    description: str


class DuplicatesQuery(Input):
    limit: int = Field(5, ge=1, le=50, description="How many to return (most similar first)")
    offset: int = Field(0, ge=0, le=1000, description="How many of the ranking to skip (next_offset)")


class DuplicateList(BaseModel):
    items: list[DuplicateOut]
    total: int = Field(
        description="Candidates ranked: requests of the same community, compound and category "
        "in the duplicate window, at most `compared_at_most` (the newest)"
    )
    compared_at_most: int
    next_offset: int | None = Field(description="The offset of the next page; null: this is the last")


class CategoryOut(BaseModel):
    id: str
    label_zh: str
    label_en: str
    route_to: RouteTarget
    department: str | None
    response_hours: int
    resolution_days: int


class CategoryList(BaseModel):
    items: list[CategoryOut]


class Suggestion(BaseModel):
    category: str
    hits: int


class SuggestionList(BaseModel):
    items: list[Suggestion]


class Indicators(BaseModel):
    total: int
    by_status: dict[str, int]
    by_channel: dict[str, int]
    by_category: dict[str, int]
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    ratings: int
    overdue: int
    median_hours_to_route: float | None
    median_hours_to_resolve: float | None


class CommunityIndicators(Indicators):
    community: str


class Statistics(Indicators):
    community: str | None
    submitted_from: datetime | None
    submitted_to: datetime | None
    communities: list[CommunityIndicators] | None = Field(
        None, description="With by_community: each community in scope, in the register's order"
    )
