"""Domain metrics of employment (names agreed for the dashboards and alert rules).

target_group labels carry the public groups only (youth, middle_aged, older_worker, none): the
employment-difficulty group is sensitive and is counted in the statistics API for the roles
allowed to see it, not in Prometheus.
"""

from prometheus_client import Counter, Gauge

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
UNSCORABLE = Counter(
    "civic146_employment_unscorable_total",
    "Stored profiles (kind=seeker) or postings (kind=job) "
    "that matching skipped because their numbers cannot be scored",
    ["kind"],
)
