"""What employment's aggregates (seekers, jobs, referrals, outreach tasks, needs surveys) decide alike:
the worker's actor, the policy, the referral stages that hold or took a job, derived ids, a
seeker's public group, event and history entries, and the names masked in free text.

Pure functions, no I/O. A decision takes the current documents (dicts) and returns a Change (fields
to set, history to append, events to record) that the store writes atomically with its events.
Personal data (name, phone, ID number) and the employment-difficulty flag stay in the seeker
document; events carry ids, facts and public target groups only. Each aggregate's own decisions
are in its package (`seekers.domain`, `jobs.domain`, `referrals.domain`, `outreach.domain`,
`surveys.domain`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from civic146 import pii
from civic146.actor import Actor
from civic146.events import RequestProgressData, new_event

from . import events as ev

HOLDING = ("hired", "retained")  # referral stages in which the seeker holds the job
HIRED = (*HOLDING, "left")  # ... and those that took one of the job's openings
ENDED = ("declined", "left")  # stages a referral never leaves: no hire can follow
_IDS = uuid.UUID("5f0d1e8c-46b1-4c14-9a8e-146000000004")

SYSTEM = Actor("employment-worker", "system")


@dataclass(frozen=True)
class Policy:
    suggestions_per_change: int = 5  # suggestions made when a profile changes or a job is posted
    min_suggestion_score: float = 0.5
    dormant_after_days: int = 30  # no activity this long: outreach, not only a suggestion
    max_outreach_per_job: int = 20  # outreach tasks a new job creates at most (the best fits)
    consent_retention_days: int = 365  # a profile's retention after consent, unless the resident says
    # A reservation older than this without a hired referral was left by a crash or a stall.
    hire_reservation_grace: timedelta = timedelta(seconds=300)


def new_id() -> str:
    return uuid.uuid4().hex


def referral_id(seeker_id: str, job_id: str) -> str:
    """One referral per seeker and job: a repeated suggestion finds the existing one."""
    return uuid.uuid5(_IDS, f"{seeker_id}|{job_id}").hex


def draft_id(kind: str, request_id: str) -> str:
    """One draft per intake request: a redelivered or rerouted request finds the existing draft."""
    return uuid.uuid5(_IDS, f"{kind}|{request_id}").hex


def survey_draft_id(survey_id: str, row: int) -> str:
    """The draft profile of a needs survey's row: a second pass over the survey makes none twice."""
    return draft_id("survey", f"{survey_id}|{row}")


def outreach_id(seeker_id: str, job_id: str) -> str:
    return uuid.uuid5(_IDS, f"outreach|{seeker_id}|{job_id}").hex


def disengaged_outreach_id(seeker_id: str) -> str:
    return uuid.uuid5(_IDS, f"outreach|{seeker_id}|disengaged").hex


def public_group(seeker: dict) -> str | None:
    return (seeker.get("profile") or {}).get("target_group")


def group_label(seeker: dict) -> str:
    return public_group(seeker) or "none"


def need_group(seeker: dict) -> str:
    """The public group of a profile, or of the need a survey recorded for a draft."""
    return public_group(seeker) or (seeker.get("need") or {}).get("target_group") or "none"


def event(event_type, *, subject: str, community: str, data, at: datetime) -> dict:
    return new_event(event_type, ev.SOURCE, subject, community, data, at)


def progress(
    subject: str, *, community: str, request_id: str, state: str, summary: str, at: datetime
) -> dict:
    return event(
        ev.PROGRESS,
        subject=subject,
        community=community,
        data=RequestProgressData(
            request_id=request_id,
            state=state,
            handled_by="employment",
            reference=subject,
            summary=pii.scrub_text(summary),
        ),
        at=at,
    )


def known_names(seeker: dict | None, job: dict | None) -> tuple[str, ...]:
    """The names employment holds for a seeker and a job: the seeker's and the employer's contact
    person's, to be masked in free text written about them (reasons, notes, job texts)."""
    names = (
        ((seeker or {}).get("person") or {}).get("name"),
        ((job or {}).get("employer") or {}).get("contact_name"),
    )
    return tuple(n for n in names if n)


def history_entry(frm: str | None, to: str, *, actor: Actor, at: datetime, reason: str | None = None) -> dict:
    entry = {"from": frm, "to": to, "at": at, "actor_id": actor.id, "actor_role": actor.role}
    if reason:
        entry["reason"] = reason
    return entry
