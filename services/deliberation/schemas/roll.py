"""Payloads of the voter roll: registering residents, taking one off, the roll as it was, an
entry with its history."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from civic146.payloads import CompoundId, Input

from .times import _when


class VoterRemovalIn(Input):
    reason: str = Field(min_length=2, max_length=500, description="e.g. moved away, deceased")
    removed_at: AwareDatetime | None = _when("they ceased to be eligible")


class VotersIn(Input):
    resident_ids: list[str] = Field(min_length=1, max_length=2000, description="User ids of the residents")
    compound: CompoundId | None = Field(
        None, description="A compound of the community; the whole community if omitted"
    )
    registered_at: AwareDatetime | None = _when("they were on the roll (the compound's register)")


class VotersQuery(Input):
    compound: CompoundId | None = Field(
        None, description="A compound of the community; the whole community if omitted"
    )
    as_of: AwareDatetime | None = Field(None, description="The roll as it was then (default: now)")


class VoterEventOut(BaseModel):
    action: Literal["registered", "removed"]
    at: datetime
    recorded_at: datetime
    reason: str | None = None


class VoterEntryOut(BaseModel):
    community: str
    compound: str | None
    resident_id: str
    on_roll: bool
    history: list[VoterEventOut]


class VoterRollOut(BaseModel):
    community: str
    compound: str | None
    count: int
    added: int | None = None
    resident_ids: list[str]
