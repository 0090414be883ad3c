"""A needs survey's use cases: record it (every row checked first), and make its draft profiles,
from the API at once and from the worker for a survey whose drafts a crash interrupted."""

from __future__ import annotations

from datetime import datetime

from civic146.auth import Actor

from ..context import Employment
from ..seekers import domain as seeker_domain
from ..seekers import store as seeker_store
from . import domain, store


def record(ctx: Employment, fields: dict, actor: Actor) -> dict:
    now = ctx.now()
    existing = seeker_store.open_phones(fields["community"])
    doc, change = domain.new_survey(fields, actor, now, existing)
    survey = store.insert(ctx.outbox, doc, change)
    return make_drafts(ctx, survey, now)


def make_drafts(ctx: Employment, survey: dict, now: datetime) -> dict:
    """One draft profile per row (ids derived from the survey and the row: a second pass makes none
    twice), then the survey drops its rows."""
    if survey["drafts_created"]:
        return survey
    for i, row in enumerate(survey["rows"]):
        draft, change = seeker_domain.seeker_draft_from_survey(survey, i, row, now)
        seeker_store.insert_once(ctx.outbox, draft, change)
    if (change := domain.drafts_created(survey, now)) is None:
        return survey
    return store.apply(ctx.outbox, survey, change)


def finish(ctx: Employment, survey: dict, now: datetime) -> bool:
    make_drafts(ctx, survey, now)
    return True
