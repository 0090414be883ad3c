"""Domain metrics of mediation (names agreed with the dashboards and alert rules)."""

from prometheus_client import Counter, Gauge

from .events import OVERDUE as OVERDUE_EVENT

CASES_OPENED = Counter(
    "civic146_mediation_cases_opened_total", "Mediation cases opened", ["community", "case_type"]
)
OUTCOMES = Counter(
    "civic146_mediation_outcomes_total",
    "Mediation outcomes (agreement, failed, refused, escalated)",
    ["community", "case_type", "outcome"],
)
FULFILMENT = Counter(
    "civic146_mediation_fulfilment_total", "Agreements fulfilled or breached", ["community", "result"]
)
OVERDUE = Counter("civic146_mediation_overdue_total", "Cases past their time limit", ["community"])
TERMS_OVERDUE = Counter(
    "civic146_mediation_terms_overdue_total",
    "Agreement terms past their due date without fulfilment recorded",
    ["community"],
)

# Refreshed by the worker from the database, so it survives restarts.
OPEN_CASES = Gauge(
    "civic146_mediation_open_cases",
    "Cases registered, accepted or being mediated",
    ["community"],
    multiprocess_mode="max",
)


def count(before: dict, change) -> None:
    """Count what a committed change did (the outbox calls this after every commit of mediation's:
    API, handler and jobs alike): a case opened, an outcome, a fulfilment or breach, a passed time
    limit, agreement terms newly past their due date."""
    if not before:
        doc = change.set
        CASES_OPENED.labels(doc["community"], doc["case_type"]).inc()
        return
    community = before["community"]
    if change.set.get("outcome"):
        OUTCOMES.labels(community, before["case_type"], change.set["outcome"]).inc()
    if change.set.get("status") in ("fulfilled", "breached"):
        FULFILMENT.labels(community, change.set["status"]).inc()
    if any(item["event"]["type"] == OVERDUE_EVENT.name for item in change.outbox):
        OVERDUE.labels(community).inc()
    if flagged := newly_overdue_terms(before, change):
        TERMS_OVERDUE.labels(community).inc(flagged)


def newly_overdue_terms(before: dict, change) -> int:
    """How many of the agreement's terms the change flags overdue (flags stay once set)."""
    agreement = change.set.get("agreement")
    if not agreement:
        return 0
    flagged = {t["number"] for t in (before.get("agreement") or {}).get("terms", []) if t.get("overdue")}
    return sum(1 for t in agreement["terms"] if t.get("overdue") and t["number"] not in flagged)
