"""The stored seeker document (collection `seekers`): `Seeker`, the fields the decisions of this
package write, from the draft (`profile.py`) to its support pathway (`pathway.py`) and the jobs it
holds (`placements.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict


class Seeker(TypedDict, total=False):
    """A seeker's profile as it is stored (closed: the personal and sensitive fields are None)."""

    _id: str
    version: int  # the outbox's commits
    outbox: list[dict]
    status: str | None  # draft, active, placed, closed
    source: str  # intake, survey, registration
    request_id: str | None  # the intake request it was drafted from
    survey_id: str  # the needs survey it was drafted from
    community: str
    compound: str | None
    description: str | None
    household: dict | None  # a survey row's household
    need: dict  # a survey row's need: target_group, desired_occupations, hours_types, ...
    submitter_masked: dict | None  # name, phone: what intake showed of the resident
    owner_ref: str | None  # the pseudonym of the resident who asked (civic146.actor.pseudonym)
    resident_id: str | None
    person: dict | None  # name, phone, id_number, ...
    profile: dict | None  # desired occupations, skills, availability, ...
    employment_difficulty: bool | None
    consent: dict | None  # given_at, given_by, via, retention_days, expires_at
    support: dict  # pathway.new_support(): the support pathway
    placements: list[str]  # referral ids of the jobs held
    reservations: list[dict]  # employment.reservations.reservation()
    closed_reason: str
    created_at: datetime
    updated_at: datetime
    last_active_at: datetime
    history: list[dict]  # common.history_entry()
