"""Domain metrics of mediation (names agreed with the dashboards and alert rules)."""

from prometheus_client import Counter, Gauge

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


def count_commit(doc: dict, change) -> None:
    """Count what a committed change did (called where the change was committed)."""
    status = change.set.get("status")
    if change.set.get("outcome"):
        OUTCOMES.labels(doc["community"], doc["case_type"], change.set["outcome"]).inc()
    if status in ("fulfilled", "breached"):
        FULFILMENT.labels(doc["community"], status).inc()
