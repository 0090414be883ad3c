"""Settings of the intake service (environment variables, see the shared Settings for the rest)."""

from datetime import timedelta

from civic146.config import Settings

from .domain import Policy


class IntakeSettings(Settings):
    service_name: str = "intake"
    reopen_window_days: int = 7  # a resident may reopen a resolved request this long
    follow_up_after_days: float = 3  # no rating this long after resolution -> follow-up event
    duplicate_window_days: int = 30  # duplicate suggestions look this far back and forth

    @property
    def policy(self) -> Policy:
        return Policy(
            reopen_window=timedelta(days=self.reopen_window_days),
            follow_up_after=timedelta(days=self.follow_up_after_days),
            duplicate_window=timedelta(days=self.duplicate_window_days),
        )
