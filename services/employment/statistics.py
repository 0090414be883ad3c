"""Employment's reports across its aggregates: statistics and tracking per target group and
community, needs not yet met, and the resources local employers offer. Pure functions over the
documents the routes and jobs read."""

from __future__ import annotations

import statistics
from datetime import datetime

from .common import group_label, need_group


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
