"""The committee's indicators over a set of cases, and the database's averages of days to close and
to outcome."""

from __future__ import annotations

from datetime import datetime

from .case import CLOSED_STATUSES, OPEN_STATUSES, Case


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _days_from_opening(field: str) -> dict:
    """Days from the case's opening to the date in `field`, as an aggregation expression: dates
    subtract to milliseconds, and an unset date gives null, which $avg skips."""
    return {"$divide": [{"$subtract": [f"${field}", "$opened_at"]}, 86_400_000]}


AVERAGE_DAYS = {
    "average_days_to_close": {
        "$avg": {
            "$cond": [{"$in": ["$status", list(CLOSED_STATUSES)]}, _days_from_opening("closed_at"), None]
        }
    },
    "average_days_to_outcome": {"$avg": _days_from_opening("outcome_at")},
}


def average_days_pipeline(flt: dict) -> list[dict]:
    """The database's averages of days to close and to outcome over the cases matching `flt`: one
    document with `overall` (one row, none without cases) and `communities` (a row per community,
    `_id` the community), each row holding the AVERAGE_DAYS fields (null when nothing to average)."""
    return [
        {"$match": flt},
        {
            "$facet": {
                "overall": [{"$group": {"_id": None, **AVERAGE_DAYS}}],
                "communities": [{"$group": {"_id": "$community", **AVERAGE_DAYS}}],
            }
        },
    ]


def _rounded_days(averages: dict | None, key: str) -> float | None:
    value = (averages or {}).get(key)
    return round(value, 2) if value is not None else None


def compute_statistics(docs: list[Case], now: datetime, averages: dict | None) -> dict:
    """Indicators over the given cases (one community, or the whole sub-district). `averages`: their
    row of average_days_pipeline (the database computes the averages; None when there are none).

    success rate: agreements over mediations that concluded (agreement or failure; refusals and
    escalations never reached a mediated outcome); fulfilment rate: fulfilled over fulfilled plus
    breached agreements; confirmation take-up: agreements the parties took to court for
    confirmation, over agreements whose window has closed or that were taken; days to close:
    opening to the terminal status; days to outcome: opening to agreement, failure, refusal or
    escalation.
    """
    by_type: dict[str, dict[str, int]] = {}
    by_outcome: dict[str, int] = {}
    by_status: dict[str, int] = {}
    agreements = failed = fulfilled = breached = confirmed = confirmation_decided = overdue_open = 0
    for d in docs:
        outcome = d.get("outcome") or "open"
        row = by_type.setdefault(d["case_type"], {"total": 0})
        row["total"] += 1
        row[outcome] = row.get(outcome, 0) + 1
        by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
        by_status[d["status"]] = by_status.get(d["status"], 0) + 1
        agreements += outcome == "agreement"
        failed += outcome == "failed"
        fulfilled += d["status"] == "fulfilled"
        breached += d["status"] == "breached"
        if a := d.get("agreement"):
            if a.get("court_confirmation"):
                confirmed += 1
                confirmation_decided += 1
            elif a["confirmation_window_closes_at"] <= now:
                confirmation_decided += 1
        overdue_open += bool(d.get("overdue")) and d["status"] in OPEN_STATUSES
    return {
        "total": len(docs),
        "by_type": by_type,
        "by_outcome": by_outcome,
        "by_status": by_status,
        "success_rate": _rate(agreements, agreements + failed),
        "fulfilment_rate": _rate(fulfilled, fulfilled + breached),
        "confirmation_take_up": _rate(confirmed, confirmation_decided),
        "overdue_open": overdue_open,
        "average_days_to_close": _rounded_days(averages, "average_days_to_close"),
        "average_days_to_outcome": _rounded_days(averages, "average_days_to_outcome"),
    }
