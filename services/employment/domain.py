"""What employment's four aggregates (seekers, jobs, referrals, outreach tasks) decide alike: the
worker's actor, the policy, derived ids, event and history entries, the names masked in free text,
the reservations a hire leaves on a job and a seeker, and the statistics across all four.

Pure functions, no I/O. A decision takes the current documents (dicts) and returns a Change (fields
to set, history to append, events to record) that the store writes atomically with its events.
Personal data (name, phone, ID number) and the employment-difficulty flag stay in the seeker
document; events carry ids, facts and public target groups only. Each aggregate's own decisions
are in its package (`seekers.domain`, `jobs.domain`, `referrals.domain`, `outreach.domain`).
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from civic146 import pii
from civic146.auth import Actor
from civic146.events import RequestProgressData, new_event
from civic146.outbox import Change

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


def outreach_id(seeker_id: str, job_id: str) -> str:
    return uuid.uuid5(_IDS, f"outreach|{seeker_id}|{job_id}").hex


def disengaged_outreach_id(seeker_id: str) -> str:
    return uuid.uuid5(_IDS, f"outreach|{seeker_id}|disengaged").hex


def public_group(seeker: dict) -> str | None:
    return (seeker.get("profile") or {}).get("target_group")


def group_label(seeker: dict) -> str:
    return public_group(seeker) or "none"


def event(event_type, subject: str, community: str, data, at: datetime) -> dict:
    return new_event(event_type, ev.SOURCE, subject, community, data, at)


def progress(subject: str, community: str, request_id: str, state: str, summary: str, at: datetime) -> dict:
    return event(
        ev.PROGRESS,
        subject,
        community,
        RequestProgressData(
            request_id=request_id,
            state=state,
            handled_by="employment",
            reference=subject,
            summary=pii.scrub_text(summary),
        ),
        at,
    )


def known_names(seeker: dict | None, job: dict | None) -> tuple[str, ...]:
    """The names employment holds for a seeker and a job: the seeker's and the employer's contact
    person's, to be masked in free text written about them (reasons, notes, job texts)."""
    names = (
        ((seeker or {}).get("person") or {}).get("name"),
        ((job or {}).get("employer") or {}).get("contact_name"),
    )
    return tuple(n for n in names if n)


def history_entry(frm: str | None, to: str, actor: Actor, at: datetime, reason: str | None = None) -> dict:
    entry = {"from": frm, "to": to, "at": at, "actor_id": actor.id, "actor_role": actor.role}
    if reason:
        entry["reason"] = reason
    return entry


# --- hiring: reservations on the job and the seeker before the referral's own write -------------------
#
# A hire changes three documents and MongoDB updates one document atomically, so the rules that span
# documents are kept by *reservations*: the job's `hires` (its openings taken) and the seeker's
# `placements` are authoritative and are written before the referral becomes hired, each by one
# version-guarded update of that document. Two hires racing for the last opening (or for one person)
# both reload the document and only the first write at a version lands; the other reloads and sees
# the opening gone. A reservation not yet confirmed by a hired referral is also listed in the
# document's `reservations` with the version of the referral the attempt started from and the time
# it was made. The attempt commits the referral at that version, so releasing a reservation is safe
# once the referral has moved past it (abandon_hire moves it on for an attempt that never finished):
# no attempt can then commit on the strength of what is released.


def reservation(referral: dict, now: datetime) -> dict:
    return {"referral_id": referral["_id"], "version": referral["version"], "at": now}


def pending(doc: dict, referral_id: str) -> dict | None:
    return next((r for r in doc.get("reservations", []) if r["referral_id"] == referral_id), None)


def without(doc: dict, referral_id: str) -> list[dict]:
    return [r for r in doc.get("reservations", []) if r["referral_id"] != referral_id]


def already_reserved(doc: dict, referral: dict, now: datetime) -> Change | None:
    """The referral is already in the job's hires or the seeker's placements. Nothing to do when this
    attempt (or a newer one, or the hire itself) made it; a reservation left by an attempt from an
    older version of the referral (one that can no longer commit) is taken over, so that releasing
    that attempt's reservation leaves this one's in place."""
    mine = pending(doc, referral["_id"])
    if mine is None or mine["version"] >= referral["version"]:
        return None
    return Change(
        set={
            "reservations": [*without(doc, referral["_id"]), reservation(referral, now)],
            "updated_at": now,
        }
    )


def _released(referral: dict | None, version: int) -> bool:
    """No attempt to hire from `version` of the referral can still commit: the referral moved past it."""
    return referral is None or referral["version"] > version


def releasable(doc: dict, referral_id: str, version: int, referral: dict | None) -> bool:
    """`doc` holds a reservation for the referral made by an attempt from `version` (or an older
    one), and no such attempt can still commit."""
    mine = pending(doc, referral_id)
    return mine is not None and mine["version"] <= version and _released(referral, version)


def expired_reservations(doc: dict, now: datetime, grace: timedelta) -> list[dict]:
    """Reservations older than the grace period: their attempt crashed or stalled (an attempt takes
    well under a second), so the worker settles them."""
    return [r for r in doc.get("reservations", []) if r["at"] <= now - grace]


# --- statistics --------------------------------------------------------------------------------------


def _count(items, key) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[key(item)] = out.get(key(item), 0) + 1
    return dict(sorted(out.items()))


def compute_statistics(
    seekers: list[dict], referrals: list[dict], jobs: list[dict], with_sensitive: bool
) -> dict:
    """Seekers and placements by target group and community, time to placement, retention at 90 and
    180 days (of the checks recorded), open positions against active seekers. The difficulty group
    is counted only for roles that may see it."""
    registered = [s for s in seekers if s["status"] != "draft"]
    by_group = _count(registered, group_label)
    placed = [r for r in referrals if r.get("hired_at")]
    seeker_by_id = {s["_id"]: s for s in seekers}
    placements_by_group = _count(placed, lambda r: r.get("target_group") or "none")
    if with_sensitive:
        by_group["employment_difficulty"] = sum(1 for s in registered if s.get("employment_difficulty"))
        placements_by_group["employment_difficulty"] = sum(
            1 for r in placed if (seeker_by_id.get(r["seeker_id"]) or {}).get("employment_difficulty")
        )
    days = []
    for r in placed:
        s = seeker_by_id.get(r["seeker_id"])
        if s and s.get("consent"):
            days.append((r["hired_at"] - s["consent"]["given_at"]).total_seconds() / 86400)

    def retention_rate(checkpoint: int) -> float | None:
        outcomes = [
            c["status"]
            for r in placed
            for c in r.get("retention", [])
            if c["checkpoint"] == checkpoint and c.get("recorded_at")
        ]
        return round(outcomes.count("retained") / len(outcomes), 4) if outcomes else None

    return {
        "seekers_by_group": by_group,
        "seekers_by_community": _count(registered, lambda s: s["community"]),
        "placements_by_group": placements_by_group,
        "placements_by_community": _count(placed, lambda r: r["community"]),
        "median_days_to_placement": round(statistics.median(days), 2) if days else None,
        "retention_rate_90": retention_rate(90),
        "retention_rate_180": retention_rate(180),
        "open_positions": sum(
            max(0, j["openings"] - j.get("filled", 0)) for j in jobs if j["status"] == "open"
        ),
        "active_seekers": sum(1 for s in seekers if s["status"] == "active"),
    }
