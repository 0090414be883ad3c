"""Typed configuration from environment variables only, failing fast with a clear message."""

from __future__ import annotations

import sys
from typing import Literal

from limits import parse_many
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .auth import MAX_LIFETIME_SECONDS


class Settings(BaseSettings):
    """Settings every service shares. Environment variable = field name in upper case."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str
    mongodb_uri: str = "mongodb://127.0.0.1:27117/"
    mongodb_db: str = ""  # defaults to civic146_<service_name>
    # How long one database operation may take in all: server selection, pymongo's retry of it and
    # the reply (pymongo's timeoutMS). Past it the API answers 503 and a consumer waits: a caller
    # that waits longer than a few seconds has given up, and its thread is held. A frozen server
    # (stopped, or behind a partition) accepts the connection and never answers, which only a
    # budget for the whole operation catches (pymongo's default selection timeout alone is 30 s).
    mongodb_timeout_ms: int = Field(3000, ge=100)
    kafka_bootstrap: str = "127.0.0.1:19092"
    topic_prefix: str = ""  # e.g. "prod." -> "prod.intake.requests"
    topic_partitions: int = 3
    kafka_max_block_ms: int = 5000  # request paths must not hang for kafka-python's 60 s default

    jwt_secret: str
    jwt_issuer: str = "civic146"
    jwt_audience: str = "civic146-api"
    # A token whose lifetime (exp - iat) is longer is refused, however it was signed: a leaked
    # long-lived token would otherwise stay valid for years.
    jwt_max_lifetime_seconds: int = Field(MAX_LIFETIME_SECONDS, ge=60)

    # Throttling (civic146.throttle): `limits` strings, several separated by ";". "public": routes
    # without login, per client address; "guess": routes that say whether a guess of personal data
    # is right, per caller and per target. TRUSTED_PROXY_HOPS: reverse proxies in front of the API
    # whose X-Forwarded-For is believed (0: the peer address is the client).
    throttle_enabled: bool = True
    throttle_public: str = "300/minute"
    throttle_guess: str = "10/minute;50/day"
    throttle_guess_per_target: str = "30/day"
    trusted_proxy_hops: int = Field(0, ge=0)

    max_body_bytes: int = 64 * 1024
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Outbox relay (worker process; one publisher per service, see civic146.outbox): markers are
    # polled this often while work keeps coming, backing off to the idle interval; a full sweep
    # of the outboxes runs every relay_sweep_seconds; a holder that stops renewing its lease is
    # replaced after relay_lease_seconds.
    relay_poll_seconds: float = Field(0.002, gt=0)
    relay_idle_poll_seconds: float = Field(0.02, gt=0)
    relay_sweep_seconds: float = Field(5.0, gt=0)
    relay_lease_seconds: float = Field(10.0, ge=1)
    relay_batch_documents: int = Field(1000, ge=1)

    # Consumer: bounded retries of an error the message causes before it goes to the dead-letter
    # topic; a dependency away (civic146.consumer.transient) is waited for instead, backing off from
    # consumer_retry_backoff_seconds up to consumer_wait_max_seconds between attempts.
    consumer_max_retries: int = 3
    consumer_retry_backoff_seconds: float = 0.2
    consumer_wait_max_seconds: float = Field(10.0, gt=0)
    # How long a consumer that stopped heartbeating (killed, frozen) keeps its partitions; the
    # broker's group.min.session.timeout.ms (6 s by default) bounds it from below.
    consumer_session_timeout_ms: int = Field(10000, ge=6000)

    worker_metrics_addr: str = "127.0.0.1"  # 0.0.0.0 in containers
    worker_metrics_port: int = 9100
    scheduler_interval_seconds: float = 30.0
    # Tests and drills only: a file holding seconds to add to the wall clock, so scheduled jobs
    # (deadlines, follow-ups) can be made due without waiting. Empty in production.
    clock_offset_file: str = ""
    reference_dir: str = ""  # operator-replaceable reference data; defaults to the bundled files

    @field_validator("throttle_public", "throttle_guess", "throttle_guess_per_target")
    @classmethod
    def _limit(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"not a limit such as '10/minute;50/day': {value!r}") from None
        return value

    @property
    def database(self) -> str:
        return self.mongodb_db or f"civic146_{self.service_name}"

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"


def load_settings(cls: type[Settings] = Settings, **overrides) -> Settings:
    """Build settings from the environment (plus explicit overrides, for tests).

    Exits with one readable line per problem instead of a traceback: an operator who forgot
    JWT_SECRET should see exactly that.
    """
    try:
        return cls(**overrides)
    except ValidationError as exc:
        lines = [f"  {'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()]
        sys.stderr.write("configuration error:\n" + "\n".join(lines) + "\n")
        raise SystemExit(2) from None
