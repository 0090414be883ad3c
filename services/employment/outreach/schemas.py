"""HTTP payloads of outreach tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from civic146.payloads import CommunityId, Input

from ..schemas import TargetGroup


class OutreachOut(BaseModel):
    id: str
    kind: Literal["job_fit", "job_push", "disengaged"] = "job_fit"
    seeker_id: str
    job_id: str | None = None
    community: str
    target_group: TargetGroup
    score: float | None = None
    reason: str
    status: Literal["open", "done"]
    outcome: str | None = None
    created_at: datetime
    version: int


class OutreachPage(BaseModel):
    items: list[OutreachOut]


class OutreachQuery(Input):
    community: CommunityId | None = None
    status: Literal["open", "done"] | None = "open"
    kind: Literal["job_fit", "job_push", "disengaged"] | None = None


class OutreachDoneIn(Input):
    outcome: Literal["contacted", "not_reachable", "not_interested", "referred"]
    note: str | None = Field(None, max_length=500)
