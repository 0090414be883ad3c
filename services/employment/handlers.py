"""What the employment worker does with the events it consumes: the map of its consumer.

- intake routed a request to employment: a draft job posting (category staff_hiring) or a draft
  seeker profile, which the resident completes with consent through the API;
- a profile was registered or changed: suggest the best open jobs;
- a job was posted: suggest the best seekers, and create outreach tasks for dormant middle-aged or
  older seekers it fits.
Re-matching runs here, off the request path. Every write is idempotent (derived ids), so a replay
changes nothing.
"""

from __future__ import annotations

import logging

from civic146.consumer import Handler
from civic146.events import ROUTED, Routed

from . import domain, store, workflows
from . import events as ev
from .workflows import Employment

log = logging.getLogger(__name__)
JOB_REQUEST_CATEGORIES = ("staff_hiring",)


def draft_from_intake(ctx: Employment, data: Routed) -> None:
    if data.target != "employment":
        return
    if data.category in JOB_REQUEST_CATEGORIES:
        doc, change = domain.job_draft_from_intake(data, ctx.now())
        store.insert_once(ctx.outbox, "jobs", doc, change)
    else:
        doc, change = domain.seeker_draft_from_intake(data, ctx.now())
        store.insert_once(ctx.outbox, "seekers", doc, change)


def rematch_seeker(ctx: Employment, seeker_id: str) -> None:
    seeker = store.get("seekers", seeker_id)
    if seeker["status"] == "active":
        made = workflows.suggest_for_seeker(ctx, seeker, ctx.now())
        log.info("seeker matched", extra={"seeker_id": seeker_id, "suggestions": made})


def rematch_job(ctx: Employment, job_id: str) -> None:
    job = store.get("jobs", job_id)
    if job["status"] == "open":
        made = workflows.suggest_for_job(ctx, job, ctx.now())
        log.info("job matched", extra={"job_id": job_id, "suggestions": made})


def handler_table(ctx: Employment) -> list[Handler]:
    return [
        Handler(ROUTED, lambda event, data: draft_from_intake(ctx, data)),
        Handler(ev.SEEKER_REGISTERED, lambda event, data: rematch_seeker(ctx, data.seeker_id)),
        Handler(ev.SEEKER_UPDATED, lambda event, data: rematch_seeker(ctx, data.seeker_id)),
        Handler(ev.JOB_POSTED, lambda event, data: rematch_job(ctx, data.job_id)),
    ]
