"""Domain metrics of intake: the questions a 12345-style dashboard asks."""

from prometheus_client import Counter, Gauge

from .events import OVERDUE as OVERDUE_EVENT

SUBMITTED = Counter(
    "civic146_intake_requests_submitted_total", "Requests submitted", ["community", "channel", "category"]
)
TRANSITIONS = Counter("civic146_intake_transitions_total", "Request status changes", ["community", "status"])
OVERDUE = Counter("civic146_intake_overdue_total", "Deadlines passed", ["community", "deadline"])
RATINGS = Counter("civic146_intake_ratings_total", "Satisfaction ratings", ["community", "satisfaction"])
FOLLOW_UPS = Counter("civic146_intake_follow_ups_total", "Follow-ups due for want of a rating", ["community"])

# Refreshed by the worker from the database (last 30 days), so they survive restarts.
RESPONSE_RATE = Gauge(
    "civic146_intake_response_rate",
    "Share responded to within the time limit, 30 days",
    ["community"],
    multiprocess_mode="max",
)
RESOLUTION_RATE = Gauge(
    "civic146_intake_resolution_rate",
    "Share resolved (of valid requests), 30 days",
    ["community"],
    multiprocess_mode="max",
)
SATISFACTION_RATE = Gauge(
    "civic146_intake_satisfaction_rate",
    "Share of ratings 4-5, 30 days",
    ["community"],
    multiprocess_mode="max",
)
OPEN_OVERDUE = Gauge(
    "civic146_intake_open_overdue", "Open requests past a deadline", ["community"], multiprocess_mode="max"
)


def count(before: dict, change) -> None:
    """Count what a committed change did (the outbox calls this after every commit of intake's):
    a new request, a status change, a rating, a passed deadline, a follow-up."""
    if not before:
        doc = change.set
        SUBMITTED.labels(doc["community"], doc["channel"], doc["category"]).inc()
        return
    community = before["community"]
    if "status" in change.set:
        TRANSITIONS.labels(community, change.set["status"]).inc()
    if change.set.get("rating"):
        RATINGS.labels(community, str(change.set["rating"]["satisfaction"])).inc()
    if change.set.get("follow_up_sent"):
        FOLLOW_UPS.labels(community).inc()
    for item in change.outbox:
        if item["event"]["type"] == OVERDUE_EVENT.name:
            OVERDUE.labels(community, item["event"]["data"]["deadline"]).inc()
