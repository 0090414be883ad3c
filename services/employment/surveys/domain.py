"""A needs survey: staff, volunteers or compound heads record the employment needs of households of a
community or compound in one batch; each row becomes a draft seeker profile (seekers.domain), which
staff complete with the resident. Every row is checked before anything is written, so a bad row is an
error naming it that changes nothing. The survey keeps its rows only until the drafts exist (they
hold the people's data from then on). Pure decisions on a `Survey` returning `civic146.change.Change`."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidInput

from ..common import new_id, survey_draft_id


class Survey(TypedDict, total=False):
    """A stored needs survey (collection `needs_surveys`), as `new_survey` makes it."""

    _id: str
    version: int  # the outbox's commits
    outbox: list[dict]
    community: str
    compound: str | None
    collected_by: str
    recorded_by: str
    rows: list[dict] | None  # person, household, need...: None once the drafts hold them
    row_count: int
    draft_ids: list[str]  # common.survey_draft_id() of each row
    drafts_created: bool
    created_at: datetime
    updated_at: datetime


def check_rows(rows: list[dict], existing_phones: set[str]) -> None:
    """A phone given twice in the survey, or of someone who already has an open profile in the
    community: the rows named, nothing recorded."""
    problems, seen = [], {}
    for i, row in enumerate(rows):
        phone = row["person"]["phone"]
        if phone in seen:
            problems.append(
                {"field": f"rows.{i}.person.phone", "message": f"the same phone as row {seen[phone]}"}
            )
        elif phone in existing_phones:
            problems.append(
                {
                    "field": f"rows.{i}.person.phone",
                    "message": "this person already has a profile in the community; update it instead",
                }
            )
        seen.setdefault(phone, i)
    if problems:
        raise InvalidInput(f"{len(problems)} of {len(rows)} rows cannot be recorded; nothing was", problems)


def new_survey(fields: dict, actor: Actor, now: datetime, existing_phones: set[str]) -> tuple[Survey, Change]:
    check_rows(fields["rows"], existing_phones)
    survey_id = new_id()
    doc: Survey = {
        "_id": survey_id,
        "community": fields["community"],
        "compound": fields.get("compound"),
        "collected_by": fields["collected_by"],
        "recorded_by": actor.id,
        "rows": fields["rows"],
        "row_count": len(fields["rows"]),
        "draft_ids": [survey_draft_id(survey_id, i) for i in range(len(fields["rows"]))],
        "drafts_created": False,
        "created_at": now,
        "updated_at": now,
    }
    return doc, Change()


def drafts_created(survey: Survey, now: datetime) -> Change | None:
    """Every row is a draft profile now: the survey forgets the people's data."""
    if survey["drafts_created"]:
        return None
    return Change(set={"drafts_created": True, "rows": None, "updated_at": now})
