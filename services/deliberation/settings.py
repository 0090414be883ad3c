"""Settings of the deliberation service (environment variables, see the shared Settings for the rest)."""

from datetime import timedelta
from typing import Literal

from pydantic import field_validator

from civic146 import pii
from civic146.config import Settings

from .domain.steps import Policy


class DeliberationSettings(Settings):
    service_name: str = "deliberation"
    worker_metrics_port: int = 9102
    # The public notice (step 2) must have been up this long before the consultation starts.
    notice_min_days: float = 3
    # A request routed to deliberation joins an open topic of the same community, compound and
    # category whose text is at least this similar (Dice coefficient of character bigrams).
    attach_similarity: float = 0.3
    # New topics from routed requests start on this platform; staff may change it in step 1.
    candidate_platform: str = "small_bench_talk"
    # Platforms whose topics are decided by a residents' vote (comma-separated).
    vote_required_platforms: str = "residents_council"
    default_quorum: float = 0.5  # share of the eligible voters who must cast a ballot
    default_threshold: Literal["simple_majority", "two_thirds"] = "simple_majority"
    # Facts recorded after they happened (posted_at, held_at, a paper vote's window, started_at...)
    # may go back this far, and be ahead of the server's clock by at most this much.
    backdate_horizon_days: float = 3650
    future_tolerance_seconds: float = 300
    # Where the Party organisation reviews before the topic goes on (comma-separated): "topic"
    # (step 1, before the notice), "decision" (before the implementation). One deployment serves one
    # sub-district, so this is the sub-district's choice; empty turns the reviews off.
    party_review_stages: str = "topic,decision"
    # The notice board (board.py): a compound whose result was published within this many days is
    # "solved recently" on the colour map; times are shown at this offset from UTC (China: +8).
    board_recent_days: float = 90
    board_utc_offset_hours: float = 8

    @field_validator("party_review_stages")
    @classmethod
    def _stages(cls, value: str) -> str:
        unknown = {s.strip() for s in value.split(",") if s.strip()} - {"topic", "decision"}
        if unknown:
            raise ValueError(f"unknown review stages {sorted(unknown)}; use topic, decision")
        return value

    @property
    def policy(self) -> Policy:
        return Policy(
            notice_min_period=timedelta(days=self.notice_min_days),
            attach_similarity=self.attach_similarity,
            candidate_platform=self.candidate_platform,
            vote_required_platforms=frozenset(
                p.strip() for p in self.vote_required_platforms.split(",") if p.strip()
            ),
            default_quorum=self.default_quorum,
            default_threshold=self.default_threshold,
            backdate_horizon=timedelta(days=self.backdate_horizon_days),
            future_tolerance=timedelta(seconds=self.future_tolerance_seconds),
            party_review=frozenset(s.strip() for s in self.party_review_stages.split(",") if s.strip()),
            name_key=pii.name_key(self.jwt_secret),
        )
