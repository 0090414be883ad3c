"""Prometheus metrics shared by every service.

Under gunicorn the API runs in multiprocess mode: PROMETHEUS_MULTIPROC_DIR is set (and wiped by
the gunicorn config before start), gunicorn's master serves them on the API's own metrics port
(API_METRICS_PORT, never the public port) from a registry that sums all workers' files, and
`child_exit` marks dead workers. The worker process is a single process and serves its own port
(WORKER_METRICS_PORT) with the default registry.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

# RED per route template.
HTTP_REQUESTS = Counter("civic146_http_requests_total", "HTTP requests served", ["method", "route", "status"])
HTTP_DURATION = Histogram(
    "civic146_http_request_duration_seconds",
    "HTTP request duration",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)

THROTTLED = Counter(
    "civic146_throttled_requests_total", "Requests answered 429 by a throttle limit", ["route", "limit"]
)

# Event pipeline.
EVENTS_PUBLISHED = Counter(
    "civic146_events_published_total", "Events acknowledged by Kafka", ["topic", "type"]
)
PUBLISH_ERRORS = Counter("civic146_publish_errors_total", "Outbox publish attempts that failed", ["topic"])
PUBLISH_LATENCY = Histogram(
    "civic146_publish_latency_seconds",
    "From the state change (event time) to the broker's acknowledgement",
    buckets=LATENCY_BUCKETS + (30, 60, 300),
)
OUTBOX_BACKLOG = Gauge(
    "civic146_outbox_backlog_events", "Events waiting in outboxes", ["collection"], multiprocess_mode="max"
)
OUTBOX_OLDEST_AGE = Gauge(
    "civic146_outbox_oldest_age_seconds",
    "Age of the oldest unpublished event",
    ["collection"],
    multiprocess_mode="max",
)
EVENTS_CONSUMED = Counter(
    "civic146_events_consumed_total", "Consumed messages by outcome", ["topic", "type", "outcome"]
)  # applied, duplicate, stale, ignored, dead_lettered
HANDLER_DURATION = Histogram(
    "civic146_handler_duration_seconds", "Event handler duration", ["type"], buckets=LATENCY_BUCKETS
)
DEAD_LETTERS = Counter("civic146_dead_letters_total", "Messages sent to the dead-letter topic", ["topic"])
CONSUMER_WAITS = Counter(
    "civic146_consumer_waits_total",
    "Times a partition was rewound and paused to wait for a dependency (kind transient) or after an error",
    ["topic", "kind"],
)
CONSUMER_COMMITS_DEFERRED = Counter(
    "civic146_consumer_commits_deferred_total",
    "Offset commits refused during a rebalance and made once it was over",
)
CONSUMER_LAG = Gauge(
    "civic146_consumer_lag_messages",
    "Log end offset minus the group's position",
    ["topic", "partition"],
    multiprocess_mode="max",
)
RELAY_LEADER = Gauge(
    "civic146_relay_leader",
    "1 while this worker holds the relay lease and publishes its service's outboxes",
    multiprocess_mode="max",
)
STALE_EVENTS = Counter(
    "civic146_stale_events_total",
    "Consumed events dropped because a later event of the same subject was already applied",
    ["topic", "type"],
)
JOB_RUNS = Counter("civic146_scheduled_job_runs_total", "Scheduled job runs", ["job", "outcome"])
JOB_SKIPPED_DOCUMENTS = Counter(
    "civic146_scheduled_job_skipped_documents_total",
    "Documents a scheduled job's run skipped after an error (the run went on with the others)",
    ["job"],
)


def serve_worker_metrics(addr: str, port: int) -> None:
    start_http_server(port, addr=addr)
