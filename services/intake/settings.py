"""Settings of the intake service (environment variables, see the shared Settings for the rest)."""

import re
from datetime import timedelta

from pydantic import field_validator

from civic146.config import Settings
from civic146.events import Channel

from .domain import Policy


class IntakeSettings(Settings):
    service_name: str = "intake"
    reopen_window_days: int = 7  # a resident may reopen a resolved request this long
    follow_up_after_days: float = 3  # no rating this long after resolution -> follow-up event
    duplicate_window_days: int = 30  # duplicate suggestions look this far back and forth

    # Open311 GeoReport v2 (open311/): the jurisdiction this endpoint serves; the external systems
    # that may post requests, as {sha256 hex digest of the api_key: the system's id} (JSON; only
    # digests are configured, so the settings never hold a usable key); the channel their
    # requests are recorded with.
    open311_jurisdiction_id: str = "zhongxinlu"
    open311_api_keys: dict[str, str] = {}
    open311_channel: Channel = "e_net_mini_program"

    @field_validator("open311_api_keys")
    @classmethod
    def _digests_and_system_ids(cls, keys: dict[str, str]) -> dict[str, str]:
        for digest, system in keys.items():
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise ValueError(
                    f"{digest[:12]!r}...: keys are sha256 hex digests of the api_key (64 hex characters)"
                )
            if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", system):
                raise ValueError(f"system id {system!r}: 1-64 letters, digits, '.', '_' or '-'")
        return keys

    @property
    def policy(self) -> Policy:
        return Policy(
            reopen_window=timedelta(days=self.reopen_window_days),
            follow_up_after=timedelta(days=self.follow_up_after_days),
            duplicate_window=timedelta(days=self.duplicate_window_days),
        )
