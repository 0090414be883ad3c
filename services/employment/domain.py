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


def unmet_needs(seekers: list[dict], now: datetime) -> dict:
    """Needs not yet met: drafts (from intake or a survey) and complete profiles without a placement,
    per community, public group and compound, with the age of the oldest."""
    unmet = [s for s in seekers if s["status"] in ("draft", "active") and not s.get("placements")]
    by_community = {}
    for community in sorted({s["community"] for s in unmet}):
        mine = [s for s in unmet if s["community"] == community]
        oldest = min(s["created_at"] for s in mine)
        by_community[community] = {
            "total": len(mine),
            "drafts": sum(1 for s in mine if s["status"] == "draft"),
            "active": sum(1 for s in mine if s["status"] == "active"),
            "by_group": _count(mine, need_group),
            "by_compound": _count(mine, lambda s: s.get("compound") or "none"),
            "oldest_days": round((now - oldest).total_seconds() / 86400, 2),
        }
    return {"total": len(unmet), "by_group": _count(unmet, need_group), "by_community": by_community}


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

CHECKPOINT_DAYS = (30, 90, 180)
ACTED_ON = ("referred", "interview", "offered", "hired", "retained", "left", "declined")


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _track(seekers: list[dict], referrals_of: dict[str, list[dict]]) -> dict:
    """What a set of seekers received and what came of it: time from the need (the profile's first
    record: an intake request, a survey row or a registration) to the first hire; drop-outs (a
    profile closed, or disengaged from its pathway, without a placement); retention at 30/90/180
    days of the checks recorded; jobs pushed and those the seeker acted on; the pathway's steps done,
    staff contacts and referrals."""
    days, dropped, pushed, acted, steps_done, contacts, referred = [], 0, 0, 0, 0, 0, 0
    outcomes: dict[int, list[str]] = {c: [] for c in CHECKPOINT_DAYS}
    placed = 0
    for s in seekers:
        mine = referrals_of.get(s["_id"], [])
        hires = sorted(r["hired_at"] for r in mine if r.get("hired_at"))
        support = s.get("support") or {}
        if hires:
            placed += 1
            days.append((hires[0] - s["created_at"]).total_seconds() / 86400)
        elif s["status"] == "closed" or support.get("disengaged_at"):
            dropped += 1
        for r in mine:
            for c in r.get("retention", []):
                if c.get("recorded_at") and c["checkpoint"] in outcomes:
                    outcomes[c["checkpoint"]].append(c["status"])
        stage_of = {r["job_id"]: r["stage"] for r in mine}
        pushed += len(support.get("pushed", []))
        acted += sum(1 for p in support.get("pushed", []) if stage_of.get(p["job_id"]) in ACTED_ON)
        steps_done += sum(1 for st in support.get("steps", []) if st["status"] == "done")
        contacts += sum(1 for c in support.get("contacts", []) if c["status"] in ("reached", "no_response"))
        referred += sum(1 for r in mine if r["stage"] != "suggested")
    return {
        "seekers": len(seekers),
        "placed": placed,
        "median_days_to_placement": _median(days),
        "dropped_out": dropped,
        "drop_out_rate": round(dropped / len(seekers), 4) if seekers else None,
        **{
            f"retention_rate_{c}": round(o.count("retained") / len(o), 4) if o else None
            for c, o in outcomes.items()
        },
        "jobs_pushed": pushed,
        "jobs_pushed_acted_on": acted,
        "steps_done": steps_done,
        "staff_contacts": contacts,
        "referrals": referred,
    }


def tracking(seekers: list[dict], referrals: list[dict]) -> dict:
    """_track per public group (of the profile, or of a survey's need) and per community."""
    referrals_of: dict[str, list[dict]] = {}
    for r in referrals:
        referrals_of.setdefault(r["seeker_id"], []).append(r)

    def per(key) -> dict[str, dict]:
        groups: dict[str, list[dict]] = {}
        for s in seekers:
            groups.setdefault(key(s), []).append(s)
        return {k: _track(v, referrals_of) for k, v in sorted(groups.items())}

    return {"by_group": per(need_group), "by_community": per(lambda s: s["community"])}


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

    tracked = tracking(seekers, referrals)
    return {
        "tracking_by_group": tracked["by_group"],
        "tracking_by_community": tracked["by_community"],
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


# --- resources: what local employers offer ---------------------------------------------------------------

EMPLOYER_KINDS = ("enterprise", "merchant", "social_organisation")
_OFFER_COUNTS = {
    "position": "positions",
    "trial_work": "trial_places",
    "internship": "internships",
    "training": "training_places",
}


def resources(jobs: list[dict]) -> dict:
    """Per community and kind of employer (enterprise, merchant, social organisation): the employers
    (by name), their postings and the places they offer still open (openings not filled) by kind of
    offer, community service positions among them."""
    out: dict[str, dict] = {}
    for community in sorted({j["community"] for j in jobs}):
        out[community] = {}
        for kind in EMPLOYER_KINDS:
            mine = [
                j
                for j in jobs
                if j["community"] == community
                and ((j.get("employer") or {}).get("kind") or "enterprise") == kind
            ]
            row = {
                "employers": len({(j.get("employer") or {}).get("name") for j in mine}),
                "postings": len(mine),
                **dict.fromkeys(_OFFER_COUNTS.values(), 0),
                "community_service_positions": 0,
            }
            for j in mine:
                left = max(0, j["openings"] - j.get("filled", 0))
                row[_OFFER_COUNTS[j.get("offer") or "position"]] += left
                if j.get("community_service"):
                    row["community_service_positions"] += left
            out[community][kind] = row
    return out
