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

from civic146.consumer import Subscription
from civic146.events import INTAKE_TOPIC, ROUTED, Routed

from . import events as ev
from . import suggestions
from .context import Employment
from .jobs import actions as job_actions
from .seekers import actions as seeker_actions

log = logging.getLogger(__name__)
JOB_REQUEST_CATEGORIES = ("staff_hiring",)


def draft_from_intake(ctx: Employment, event: dict, data: Routed) -> None:
    if data.target != "employment":
        return
    if data.category in JOB_REQUEST_CATEGORIES:
        job_actions.draft_from_intake(ctx, data)
    else:
        seeker_actions.draft_from_intake(ctx, data)


def on_seeker_changed(ctx: Employment, event: dict, data: ev.SeekerFacts) -> None:
    rematch_seeker(ctx, data.seeker_id)


def on_job_posted(ctx: Employment, event: dict, data: ev.JobPosted) -> None:
    rematch_job(ctx, data.job_id)


def rematch_seeker(ctx: Employment, seeker_id: str) -> None:
    made = suggestions.rematch_seeker(ctx, seeker_id)
    log.info("seeker matched", extra={"seeker_id": seeker_id, "suggestions": made})


def rematch_job(ctx: Employment, job_id: str) -> None:
    made = suggestions.rematch_job(ctx, job_id)
    log.info("job matched", extra={"job_id": job_id, "suggestions": made})


SUBSCRIPTIONS = [
    Subscription(INTAKE_TOPIC, ROUTED, draft_from_intake),
    Subscription(ev.SEEKERS, ev.SEEKER_REGISTERED, on_seeker_changed),
    Subscription(ev.SEEKERS, ev.SEEKER_UPDATED, on_seeker_changed),
    Subscription(ev.JOBS, ev.JOB_POSTED, on_job_posted),
]
