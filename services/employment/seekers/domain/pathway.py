"""A seeker's support pathway (given when the profile becomes active): its steps, a caseworker, the
contact attempts scheduled and their outcomes, disengagement, and the jobs pushed to the seeker."""

from __future__ import annotations

from datetime import datetime, timedelta

from civic146 import pii
from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidInput, InvalidTransition

from ... import events as ev
from ...common import event, known_names
from ...reference import Pathway, pathway_for
from .documents import Seeker

# `support` on the profile: the pathway's id, its steps with due dates, the contact attempts scheduled
# (each answered, unanswered or missed), the caseworker, the jobs pushed, and when the seeker counted
# as disengaged. A snapshot of the pathway when it was given: an operator's later change of the data
# applies to profiles that become active after it.

ANSWERED = ("reached", "responded")
UNANSWERED = ("no_response", "missed")


def new_support(pathway: Pathway, now: datetime) -> dict:
    contacts = []
    plan = pathway.contacts
    if plan:
        contacts = [
            {"n": n, "due_at": now + timedelta(days=plan.every_days * n), "status": "scheduled"}
            for n in range(1, plan.attempts + 1)
        ]
    support = {
        "pathway": pathway.id,
        "assigned_at": now,
        "caseworker_needed": pathway.caseworker,
        "caseworker_id": None,
        "steps": [
            {
                "kind": st.kind,
                "label_zh": st.label_zh,
                "due_at": now + timedelta(days=st.due_days),
                "status": "planned",
            }
            for st in pathway.steps
        ],
        "contacts": contacts,
        "contact_plan": {
            "every_days": plan.every_days,
            "grace_days": plan.grace_days,
            "disengaged_after_missed": plan.disengaged_after_missed,
        }
        if plan
        else None,
        "push_min_score": pathway.push_min_score,
        "prefer_community_service": pathway.prefer_community_service,
        "prefer_offers": list(pathway.prefer_offers),
        "pushed": [],
        "disengaged_at": None,
    }
    support["next_due_at"] = next_due(support)
    return support


def support_for(doc: Seeker, profile: dict, pathways: tuple[Pathway, ...], now: datetime) -> dict | None:
    """The support a profile becoming active (or changed) starts, or None to keep what it has."""
    pathway = pathway_for(pathways, profile)
    current = (doc.get("support") or {}).get("pathway")
    if pathway is None or pathway.id == current:
        return None
    return new_support(pathway, now)


def next_due(support: dict) -> datetime | None:
    """When the worker next has to look at the contacts: the first scheduled attempt's end of grace."""
    plan = support.get("contact_plan")
    if not plan or support.get("disengaged_at"):
        return None
    due = [c["due_at"] for c in support["contacts"] if c["status"] == "scheduled"]
    return min(due) + timedelta(days=plan["grace_days"]) if due else None


def _with_support(seeker: Seeker, support: dict, now: datetime, **extra) -> Change:
    support = {**support, "next_due_at": next_due(support)}
    return Change(set={"support": support, "updated_at": now, **extra})


def _support(seeker: Seeker) -> dict:
    support = seeker.get("support")
    if not support:
        raise InvalidTransition("this profile has no support pathway", {"status": seeker["status"]})
    if seeker["status"] not in ("active", "placed"):
        raise InvalidTransition(f"a {seeker['status']} profile has no support", {"status": seeker["status"]})
    return support


def missed_in_a_row(contacts: list[dict]) -> int:
    n = 0
    for c in contacts:
        if c["status"] == "scheduled":
            break
        n = n + 1 if c["status"] in UNANSWERED else 0
    return n


def contacts_due(seeker: Seeker, now: datetime) -> tuple[Change | None, int]:
    """Contact attempts past their grace: answered if the seeker did something themselves since the
    attempt before (applied, changed the profile, accepted or declined), missed otherwise. Returns
    the change and, when the seeker has just become disengaged, how many they missed in a row (0
    otherwise)."""
    support = seeker.get("support") or {}
    plan = support.get("contact_plan")
    if seeker["status"] != "active" or not plan or support.get("disengaged_at"):
        return None, 0
    grace = timedelta(days=plan["grace_days"])
    every = timedelta(days=plan["every_days"])
    active_at = seeker.get("last_active_at")
    contacts, changed = [], False
    for c in support["contacts"]:
        if c["status"] == "scheduled" and c["due_at"] + grace <= now:
            window_start = c["due_at"] - every
            c = {
                **c,
                "status": "responded" if active_at and active_at > window_start else "missed",
                "at": now,
            }
            changed = True
        contacts.append(c)
    if not changed:
        return None, 0
    missed = missed_in_a_row(contacts)
    disengaged = missed >= plan["disengaged_after_missed"]
    support = {**support, "contacts": contacts, "disengaged_at": now if disengaged else None}
    return _with_support(seeker, support, now), missed if disengaged else 0


def record_contact(
    seeker: Seeker, *, outcome: str, note: str | None, actor: Actor, now: datetime, names: tuple[str, ...]
) -> Change:
    """Staff tried to reach the seeker: the first scheduled attempt gets the outcome (an attempt
    beyond the schedule is added). Reaching them counts as their activity and ends a disengagement."""
    support = _support(seeker)
    entry = {"status": outcome, "at": now, "by": actor.id, "note": pii.scrub_text(note, names)}
    contacts = list(support.get("contacts", []))
    first = next((i for i, c in enumerate(contacts) if c["status"] == "scheduled"), None)
    if first is None:
        contacts.append({"n": len(contacts) + 1, "due_at": now, **entry})
    else:
        contacts[first] = {**contacts[first], **entry}
    support = {**support, "contacts": contacts}
    extra = {}
    if outcome == "reached":
        support["disengaged_at"] = None
        extra["last_active_at"] = now
    return _with_support(seeker, support, now, **extra)


def record_step(
    seeker: Seeker,
    *,
    kind: str,
    status: str,
    note: str | None,
    actor: Actor,
    now: datetime,
    names: tuple[str, ...],
) -> Change:
    support = _support(seeker)
    steps = list(support["steps"])
    at = next((i for i, st in enumerate(steps) if st["kind"] == kind), None)
    if at is None:
        raise InvalidInput(
            f"the pathway {support['pathway']} has no step {kind}",
            [{"field": "kind", "message": f"one of {', '.join(st['kind'] for st in steps) or 'none'}"}],
        )
    steps[at] = {
        **steps[at],
        "status": status,
        "at": now,
        "by": actor.id,
        "note": pii.scrub_text(note, names),
    }
    return _with_support(seeker, {**support, "steps": steps}, now)


def assign_caseworker(seeker: Seeker, caseworker_id: str, now: datetime) -> Change:
    support = _support(seeker)
    return _with_support(seeker, {**support, "caseworker_id": caseworker_id}, now)


def push_channels(seeker: Seeker) -> list[str]:
    return list((seeker.get("profile") or {}).get("online_channels") or [])


def job_pushed(seeker: Seeker, job: dict, score: float, now: datetime) -> Change | None:
    """A new job fits a seeker whose pathway pushes jobs: recorded once per job, with the event a
    mini-program or SMS gateway reads (no personal data: the seeker's id and channels, the job)."""
    support = seeker.get("support") or {}
    if seeker["status"] != "active" or any(p["job_id"] == job["_id"] for p in support.get("pushed", [])):
        return None
    channels = push_channels(seeker)
    pushed = [
        *support.get("pushed", []),
        {"job_id": job["_id"], "at": now, "score": round(score, 4), "channels": channels},
    ]
    change = _with_support(seeker, {**support, "pushed": pushed}, now)
    change.record(
        ev.JOB_PUSHED,
        event(
            ev.JOB_PUSHED,
            subject=seeker["_id"],
            community=seeker["community"],
            data=ev.JobPushed(
                seeker_id=seeker["_id"],
                job_id=job["_id"],
                community=seeker["community"],
                job_community=job["community"],
                target_group=seeker["profile"]["target_group"],
                pathway=support["pathway"],
                score=round(score, 4),
                channels=channels,
                title=pii.scrub_text(job["title"], known_names(seeker, job)),
                occupation=job["occupation"],
                hours_type=job["hours"]["type"],
                hours_per_week=job["hours"]["hours_per_week"],
                pay_min=job["pay"]["min"],
                pay_max=job["pay"]["max"],
                pay_unit=job["pay"]["unit"],
            ),
            at=now,
        ),
    )
    return change
