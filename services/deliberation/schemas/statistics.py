"""Payloads of the figures: the statistics and the period's evaluation summary per person and
per liaison station."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from civic146.payloads import CommunityId, Input


class StatisticsQuery(Input):
    community: CommunityId | None = Field(None, description="Omit for the whole sub-district (admins)")


class EvaluationSummaryQuery(Input):
    community: CommunityId | None = Field(None, description="Omit for the whole sub-district (admins)")
    since: AwareDatetime = Field(description="Start of the period (included)")
    until: AwareDatetime = Field(description="End of the period (excluded)")

    @model_validator(mode="after")
    def _period(self):
        if self.until <= self.since:
            raise ValueError("until must be after since")
        return self


class Statistics(BaseModel):
    community: str | None
    topics: int
    by_step: dict[str, int]
    by_platform: dict[str, int]
    consultations_held: int
    participants: int
    votes_closed: int
    ballots_cast: int
    turnout: float | None
    matters_solved: int
    imported: int = Field(description="Of the topics, matters imported as settled before the platform")
    median_hours_in_step: dict[str, float]


class PersonSummary(BaseModel):
    person_id: str
    role: Literal["deputy", "cppcc_member"]
    station: str | None
    matters: int = Field(description="Matters they took on in the period (assigned, or claimed)")
    claims: int = Field(description="CPPCC members: matters claimed in the period")
    resources_linked: int
    evaluations: int = Field(description="Residents' evaluations of them in the period")
    mean_score: float | None
    handling_evaluations: int = Field(description="Their own evaluations of how matters were handled")
    mean_handling_score: float | None


class StationSummary(BaseModel):
    station: str
    deputies: int
    matters: int
    evaluations: int
    mean_score: float | None


class EvaluationSummary(BaseModel):
    community: str | None
    since: datetime
    until: datetime
    people: list[PersonSummary]
    stations: list[StationSummary]
