"""An outreach task's use case: staff record the outcome (the tasks themselves are made by matching,
employment.suggestions.create_outreach_tasks)."""

from __future__ import annotations

from civic146.auth import Actor

from ..common import known_names
from ..context import Employment
from ..jobs import store as job_store
from ..seekers import store as seeker_store
from . import domain, store


def done(ctx: Employment, doc: dict, outcome: str, note: str | None, actor: Actor) -> dict:
    """The note is written without the names of the task's seeker and job contact."""
    job = job_store.get(doc["job_id"]) if doc.get("job_id") else None
    names = known_names(seeker_store.get(doc["seeker_id"]), job)
    return store.apply(
        ctx.outbox,
        doc,
        domain.outreach_done(doc, outcome=outcome, note=note, actor=actor, now=ctx.now(), names=names),
    )
