"""Kafka clients. Always created inside the process that uses them (after gunicorn forks)."""

from __future__ import annotations

import logging
import time

from kafka import ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, KafkaProducer

from .config import Settings

log = logging.getLogger(__name__)


# kafka-python doubles its wait between attempts to reach a broker that is away up to 30 s, so a
# client could find a broker back up to 30 s late (measured: 44 s from a broker's restart until
# every event had gone through); one attempt a second costs nothing.
RECONNECT_BACKOFF_MAX_MS = 1000


def make_producer(settings: Settings, client_id: str) -> KafkaProducer:
    # acks=all + idempotence: an acknowledged send is on every in-sync replica, and the
    # producer's own retries cannot write it twice. max_block_ms bounds how long a request path
    # may wait for metadata when the broker is down.
    return KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        max_block_ms=settings.kafka_max_block_ms,
        reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
    )


def make_consumer(
    settings: Settings, group: str, topics: list[str], listener: ConsumerRebalanceListener | None = None
) -> KafkaConsumer:
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        client_id=f"{group}-consumer",
        enable_auto_commit=False,  # offsets are committed only after the handler succeeded
        auto_offset_reset="earliest",
        max_poll_records=100,
        metadata_max_age_ms=30000,  # notice new partitions within 30 s, not kafka-python's 5 min
        # A worker that dies without leaving the group holds its partitions until its session
        # expires (kafka-python's default is 45 s); heartbeats come from a background thread, so a
        # slow handler does not end a session (max_poll_interval_ms bounds that).
        session_timeout_ms=settings.consumer_session_timeout_ms,
        reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
        heartbeat_interval_ms=max(1000, settings.consumer_session_timeout_ms // 4),
    )
    # Learn the topics' partitions before joining the group: a group joined on metadata that
    # lacks a topic is assigned none of its partitions until the next metadata refresh.
    deadline = time.monotonic() + settings.kafka_max_block_ms / 1000
    while any(not consumer.partitions_for_topic(t) for t in topics) and time.monotonic() < deadline:
        time.sleep(0.1)
    consumer.subscribe(topics, listener=listener)
    return consumer


def ensure_topics(settings: Settings, names: list[str]) -> None:
    """Create missing topics with the configured partition count (single-node: replication 1
    is the broker's default; production brokers set their own default replication)."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, client_id=f"{settings.service_name}-admin"
    )
    try:
        missing = sorted(set(names) - set(admin.list_topics()))
        if missing:
            admin.create_topics(
                {n: {"num_partitions": settings.topic_partitions} for n in missing},
                raise_errors=False,
                wait_for_metadata=True,
            )
            log.info("created topics", extra={"topics": missing})
    finally:
        admin.close()
