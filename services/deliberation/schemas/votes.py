"""Payloads of residents' votes: opening one, recording one counted on paper, a ballot, and a vote
as read (its counts only once it is closed)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from civic146.payloads import Input, WholeNumber

from ..events import Threshold, VoteResult


class VoteIn(Input):
    question: str = Field(min_length=5, max_length=1000)
    scope: Literal["compound", "community"] = Field(
        description="Who is eligible: the registered residents of the "
        "topic's compound or of its whole community"
    )
    options: list[str] | None = Field(
        None,
        min_length=2,
        max_length=10,
        description="A choice between options; default approve/oppose/abstain",
    )
    opens_at: AwareDatetime | None = Field(None, description="Default: now")
    closes_at: AwareDatetime
    quorum: float | None = Field(None, gt=0, le=1, description="Turnout needed (share of eligible voters)")
    threshold: Threshold | None = None

    @field_validator("options")
    @classmethod
    def _options(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and (len(set(v)) != len(v) or any(not o or len(o) > 100 for o in v)):
            raise ValueError("options must be distinct, non-empty and at most 100 characters")
        return v


class PaperVoteIn(Input):
    """A vote held on paper and counted off the platform, recorded after it closed."""

    question: str = Field(min_length=5, max_length=1000)
    scope: Literal["compound", "community"] = Field(
        description="Who was eligible: the residents on the roll of the topic's compound or of its "
        "whole community when the vote opened"
    )
    options: list[str] | None = Field(
        None, min_length=2, max_length=10, description="Default approve/oppose/abstain"
    )
    opens_at: AwareDatetime = Field(description="When voting began (not before the consultation)")
    closes_at: AwareDatetime = Field(description="When it ended (in the past, after opens_at)")
    quorum: float | None = Field(None, gt=0, le=1, description="Turnout needed (share of eligible voters)")
    threshold: Threshold | None = None
    counts: dict[str, WholeNumber] = Field(
        min_length=1, description="Ballots counted per option (options left out: 0)"
    )

    @field_validator("options")
    @classmethod
    def _options(cls, v: list[str] | None) -> list[str] | None:
        return VoteIn._options(v)


class BallotIn(Input):
    choice: str = Field(min_length=1, max_length=100)


class OptionCountOut(BaseModel):
    option: str
    count: int


class VoteOut(BaseModel):
    """Totals only, and only once the window closed; never who voted what."""

    id: str
    question: str
    options: list[str]
    scope: str
    opens_at: datetime
    closes_at: datetime
    quorum: float
    threshold: Threshold
    status: Literal["open", "closed"]
    paper: bool = Field(False, description="Held on paper and recorded after it closed")
    eligible_count: int
    ballots_cast: int
    counts: list[OptionCountOut] | None
    turnout: float | None
    result: VoteResult | None
    winning_option: str | None


class BallotOut(BaseModel):
    vote_id: str
    recorded: bool
    ballots_cast: int
