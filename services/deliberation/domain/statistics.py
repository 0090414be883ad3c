"""Figures over many topics: the statistics (`GET /v1/statistics`: steps, platforms,
consultations, ballots, hours spent in each step) and the period's evaluation summary per person
and per liaison station."""

from __future__ import annotations

import statistics
from datetime import datetime

from .evaluation import HANDLING
from .steps import FINAL_STEPS, Topic
from .votes import eligible_count


def step_hours(doc: Topic, now: datetime) -> dict[str, float]:
    """Hours the topic spent in each step it went through (the current one up to `now`)."""
    hours: dict[str, float] = {}
    history = doc["steps"]
    for entry, nxt in zip(history, [*history[1:], None]):
        end = nxt["at"] if nxt else (now if entry["step"] not in FINAL_STEPS else entry["at"])
        hours[entry["step"]] = hours.get(entry["step"], 0.0) + (end - entry["at"]).total_seconds() / 3600
    return hours


def compute_statistics(docs: list[Topic], now: datetime) -> dict:
    by_step: dict[str, int] = {}
    by_platform: dict[str, int] = {}
    meetings = participants = ballots = eligible = votes_closed = solved = imported = 0
    per_step: dict[str, list[float]] = {}
    for d in docs:
        by_step[d["step"]] = by_step.get(d["step"], 0) + 1
        by_platform[d["platform"]] = by_platform.get(d["platform"], 0) + 1
        held = [m for m in d.get("meetings", []) if m["status"] == "held"]
        meetings += len(held)
        participants += sum(m["attendance"] for m in held)
        for v in d.get("votes", []):
            if v["status"] == "closed":
                votes_closed += 1
                ballots += sum(v["counts"])
                eligible += eligible_count(v)
        solved += d["step"] == "closed" and not d.get("declined")
        imported += bool(d.get("imported"))
        for step, h in step_hours(d, now).items():
            per_step.setdefault(step, []).append(h)
    return {
        "topics": len(docs),
        "by_step": by_step,
        "by_platform": by_platform,
        "consultations_held": meetings,
        "participants": participants,
        "votes_closed": votes_closed,
        "ballots_cast": ballots,
        "turnout": round(ballots / eligible, 4) if eligible else None,
        "matters_solved": solved,
        "imported": imported,
        "median_hours_in_step": {s: round(statistics.median(h), 2) for s, h in per_step.items()},
    }


def _mean(scores: list[int]) -> float | None:
    return round(statistics.mean(scores), 2) if scores else None


def evaluation_summary(docs: list[Topic], since: datetime, until: datetime, stations: dict[str, str]) -> dict:
    """The annual (or any period's) evaluation of the people of the mechanism: per deputy and CPPCC
    member, the matters they took on in the period (assigned or claimed then), the resources they
    linked, the residents' evaluations of them given in the period and their own evaluations of how
    matters were handled; per liaison station, the same over its deputies. `stations`: deputy id ->
    station, for deputies evaluated on a matter they are no longer listed on."""
    people: dict[str, dict] = {}

    def person(pid: str, role: str) -> dict:
        return people.setdefault(
            pid,
            {
                "person_id": pid,
                "role": role,
                "station": stations.get(pid) if role == "deputy" else None,
                "matters": set(),
                "claims": 0,
                "resources_linked": 0,
                "scores": [],
                "handling": [],
            },
        )

    def within(at: datetime) -> bool:
        return since <= at < until

    for d in docs:
        for dep in d.get("deputies", []):
            if within(dep["assigned_at"]):
                person(dep["deputy_id"], "deputy")["matters"].add(d["_id"])
        for c in d.get("claims", []):
            if within(c["claimed_at"]):
                p = person(c["member_id"], "cppcc_member")
                p["matters"].add(d["_id"])
                p["claims"] += 1
                p["resources_linked"] += len(c["resources"])
        for e in d.get("evaluations", []):
            if not within(e["at"]):
                continue
            if e["target"] in (HANDLING, "residents"):  # "residents": a deputy's, before the handling
                person(e["by_id"], e["by_role"])["handling"].append(e["score"])
            else:
                role = e.get("target_role") or "deputy"  # evaluations before CPPCC members were rated
                person(e["target"], role)["scores"].append(e["score"])
    rows = []
    for p in sorted(people.values(), key=lambda p: (p["role"], p["person_id"])):
        rows.append(
            {
                "person_id": p["person_id"],
                "role": p["role"],
                "station": p["station"],
                "matters": len(p["matters"]),
                "claims": p["claims"],
                "resources_linked": p["resources_linked"],
                "evaluations": len(p["scores"]),
                "mean_score": _mean(p["scores"]),
                "handling_evaluations": len(p["handling"]),
                "mean_handling_score": _mean(p["handling"]),
            }
        )
    by_station: dict[str, dict] = {}
    for p in people.values():
        if p["role"] != "deputy" or not p["station"]:
            continue
        s = by_station.setdefault(p["station"], {"deputies": 0, "matters": set(), "scores": []})
        s["deputies"] += 1
        s["matters"] |= p["matters"]
        s["scores"] += p["scores"]
    station_rows = [
        {
            "station": name,
            "deputies": s["deputies"],
            "matters": len(s["matters"]),
            "evaluations": len(s["scores"]),
            "mean_score": _mean(s["scores"]),
        }
        for name, s in sorted(by_station.items())
    ]
    return {"people": rows, "stations": station_rows}
