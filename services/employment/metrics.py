"""Domain metrics of employment (names agreed for the dashboards and alert rules).

target_group labels carry the public groups only (youth, middle_aged, older_worker, none): the
employment-difficulty group is sensitive and is counted in the statistics API for the roles
allowed to see it, not in Prometheus.
"""

from prometheus_client import Counter, Gauge

from . import events as ev
from .common import group_label

SEEKERS_REGISTERED = Counter(
    "civic146_employment_seekers_registered_total",
    "Profiles completed with consent",
    ["community", "target_group"],
)
JOBS_POSTED = Counter("civic146_employment_jobs_posted_total", "Job postings opened", ["community"])
REFERRAL_TRANSITIONS = Counter(
    "civic146_employment_referral_transitions_total", "Referral stage changes", ["community", "stage"]
)
PLACEMENTS = Counter("civic146_employment_placements_total", "Hires", ["community", "target_group"])
RETENTION_CHECKS = Counter(
    "civic146_employment_retention_checks_total", "Retention check outcomes", ["checkpoint", "outcome"]
)

# Refreshed by the worker from the database.
OPEN_JOBS = Gauge(
    "civic146_employment_open_jobs",
    "Open positions (openings not yet filled)",
    ["community"],
    multiprocess_mode="max",
)
ACTIVE_SEEKERS = Gauge(
    "civic146_employment_active_seekers",
    "Seekers with a complete profile and no placement",
    ["community"],
    multiprocess_mode="max",
)
# Tracking per public group, refreshed by the worker from the database with the statistics API's own
# computation (statistics.tracking); NaN where nothing is known yet (no placement, no check recorded).
GROUP_DAYS_TO_PLACEMENT = Gauge(
    "civic146_employment_group_days_to_placement",
    "Median days from a need's first record to the first hire, per public target group",
    ["target_group"],
    multiprocess_mode="max",
)
GROUP_DROP_OUT_RATE = Gauge(
    "civic146_employment_group_drop_out_rate",
    "Share of seekers closed or disengaged without a placement, per public target group",
    ["target_group"],
    multiprocess_mode="max",
)
GROUP_RETENTION_RATE = Gauge(
    "civic146_employment_group_retention_rate",
    "Share of recorded retention checks still employed, per public target group and checkpoint (days)",
    ["target_group", "checkpoint"],
    multiprocess_mode="max",
)
JOBS_PUSHED = Counter(
    "civic146_employment_jobs_pushed_total",
    "New jobs pushed at once to seekers of a pushing pathway",
    ["community", "target_group"],
)
# Counted where matching skips a stored document (no commit): see ranking.skipped.
UNSCORABLE = Counter(
    "civic146_employment_unscorable_total",
    "Stored profiles (kind=seeker) or postings (kind=job) "
    "that matching skipped because their numbers cannot be scored",
    ["kind"],
)


def count(before: dict, change) -> None:
    """Count what a committed change did (the outbox calls this after every commit of employment's
    four aggregates; an insert has `before == {}` and the new document as `change.set`): a profile
    registered or completed, a posting opened (posted, or a draft published; not a job reopened
    after a hire that did not complete), a referral's stage (a new referral counts its first
    stage), a hire, a retention check's outcome."""
    after = {**before, **change.set}
    for item in change.outbox:
        kind, data = item["event"]["type"], item["event"]["data"]
        if kind == ev.SEEKER_REGISTERED.name:
            SEEKERS_REGISTERED.labels(after["community"], group_label(after)).inc()
        elif kind == ev.JOB_POSTED.name and before.get("status") in (None, "draft"):
            JOBS_POSTED.labels(after["community"]).inc()
        elif kind == ev.RETENTION_CHECKED.name:
            RETENTION_CHECKS.labels(str(data["checkpoint"]), data["outcome"]).inc()
        elif kind == ev.JOB_PUSHED.name:
            JOBS_PUSHED.labels(data["community"], data["target_group"]).inc()
    if "stage" in change.set:  # only referrals have a stage
        REFERRAL_TRANSITIONS.labels(after["community"], change.set["stage"]).inc()
        if change.set["stage"] == "hired":
            PLACEMENTS.labels(after["community"], after.get("target_group") or "none").inc()
