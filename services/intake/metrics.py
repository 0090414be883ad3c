"""Domain metrics of intake: the questions a 12345-style dashboard asks."""

from prometheus_client import Counter, Gauge

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
