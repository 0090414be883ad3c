"""Settings of the mediation service (environment variables, see the shared Settings for the rest)."""

from datetime import timedelta

from civic146 import pii
from civic146.config import Settings

from .domain.case import Policy


class MediationSettings(Settings):
    service_name: str = "mediation"
    time_limit_days: int = 30  # from acceptance to an outcome (People's Mediation practice: one month)
    confirmation_window_days: int = (
        30  # joint application for court confirmation after the agreement takes effect
    )
    confirmation_reminder_days: int = 7  # remind the parties this many days before that window closes

    @property
    def policy(self) -> Policy:
        return Policy(
            time_limit=timedelta(days=self.time_limit_days),
            confirmation_window=timedelta(days=self.confirmation_window_days),
            reminder_before=timedelta(days=self.confirmation_reminder_days),
            name_key=pii.name_key(self.jwt_secret),
        )
