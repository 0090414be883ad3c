"""Settings of the employment service (environment variables, see the shared Settings for the rest)."""

from datetime import timedelta

from civic146.config import Settings

from .common import Policy


class EmploymentSettings(Settings):
    service_name: str = "employment"
    # Roles that may see the employment-difficulty group and raw ID numbers (staff also need to
    # serve the seeker's community). Everyone else gets masked data and no difficulty flag.
    sensitive_data_roles: str = "community_staff,subdistrict_admin"
    suggestions_per_change: int = 5  # suggestions made when a profile changes or a job is posted
    min_suggestion_score: float = 0.5
    dormant_after_days: int = 30  # a seeker without activity this long gets outreach, not only a suggestion
    max_outreach_per_job: int = (
        20  # outreach tasks a new job creates at most (the best fits), so staff are not swamped
    )
    consent_retention_days: int = 365  # default retention period of a profile after consent
    # A hire reserves the job's opening and the seeker's placement, then commits the referral, in well
    # under a second. A reservation older than this without a hired referral was left by a crash or a
    # stall and the worker releases it (an attempt still running after it fails with a conflict).
    hire_reservation_grace_seconds: float = 300.0

    @property
    def policy(self) -> Policy:
        return Policy(
            suggestions_per_change=self.suggestions_per_change,
            min_suggestion_score=self.min_suggestion_score,
            dormant_after_days=self.dormant_after_days,
            max_outreach_per_job=self.max_outreach_per_job,
            consent_retention_days=self.consent_retention_days,
            hire_reservation_grace=timedelta(seconds=self.hire_reservation_grace_seconds),
        )

    @property
    def sensitive_role_list(self) -> tuple[str, ...]:
        return tuple(r.strip() for r in self.sensitive_data_roles.split(",") if r.strip())
