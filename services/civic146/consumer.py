"""Consumer loop: manual offset commits, idempotency per event id, bounded retries, dead letters.

For each message: decode the CloudEvent; skip types this service does not handle; skip event
ids already in `processed_events` (a repeat); skip an event whose `sequence` is not past the last
one applied for its subject (stale: a later state is already applied, see `event_positions`);
run the handler; record the event id and the subject's position. Offsets are committed once per
batch; a commit the group refuses while it rebalances is made after the rebalance, for the
partitions this consumer keeps, which resume where it got to instead of being read again.

Failures are classified once, here (`transient`). A dependency that is away (the database, the
broker, a write that lost a race) says nothing about the message: it never counts toward the
dead-letter budget; the message's partition is rewound to it and paused with a doubling back-off,
while the other partitions are fetched and handled on, until the dependency is back. Only what
the message itself causes (an unreadable envelope, data that does not match its type, a
handler's PermanentError, an error that repeats past `consumer_max_retries`) sends it to the
service's dead-letter topic with the error in its headers (its value truncated if it would not fit
in the broker's limit), and the loop goes on with the next message.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import ConsumerRebalanceListener
from kafka.errors import (
    BrokerNotAvailableError,
    CommitFailedError,
    IllegalGenerationError,
    KafkaConnectionError,
    KafkaTimeoutError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)
from kafka.structs import OffsetAndMetadata
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from . import metrics
from .config import Settings
from .errors import ConcurrencyConflict, Unavailable
from .events import EventData, EventType, MalformedEvent, decode, parse_data, utcnow
from .kafka import make_consumer, make_producer
from .mongo import database_away

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscription:
    """One event type a service consumes: the topic it arrives on and the named function that
    applies it, `handle(context, envelope, data)`. A service declares its subscriptions once, in
    its handlers module; the consumer's topics, the topics its worker creates and the AsyncAPI
    document are all read from that declaration. The context is what the service's worker hands
    every handler: the service's context (civic146.context)."""

    topic: str
    event_type: EventType
    handle: Callable[[Any, dict, EventData], None]


def consumed_topics(subscriptions: Sequence[Subscription]) -> list[str]:
    return sorted({s.topic for s in subscriptions})


def worker_topics(
    service: str, published: Sequence[EventType], subscriptions: Sequence[Subscription]
) -> list[str]:
    """Every topic a service's worker needs to exist: those it publishes on, those it consumes,
    and its dead letters; read from its declarations, never listed by hand."""
    return sorted(
        {t.topic for t in published}
        | set(consumed_topics(subscriptions))
        | {dead_letter_topic(service), retry_topic(service)}
    )


def dead_letter_topic(service: str) -> str:
    """Where a service's consumer sends what it cannot apply: one rule for every service."""
    return f"{service}.deadletter"


def retry_topic(service: str) -> str:
    """Where a service's dead letters are replayed (deploy/kafka/replay_dead_letters.py): read by
    that service's consumer alone, so a replay never reaches the other groups of the original topic
    (which had applied the event, or dead-lettered it themselves)."""
    return f"{service}.retry"


class PermanentError(Exception):
    """The handler says this event can never be applied (e.g. it refers to nothing we know)."""


class Retryable(Exception):
    """A handler's way to say "not now": the event is retried later and never dead-lettered."""


# A dependency away, or another writer first: retrying later will succeed, whatever the message.
# (The database away is mongo.database_away: unreachable, timed out, or failing over.)
TRANSIENT = (
    KafkaConnectionError,
    KafkaTimeoutError,
    BrokerNotAvailableError,
    Unavailable,
    ConcurrencyConflict,
    Retryable,
)


def transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT) or database_away(exc)


# Kafka's default message.max.bytes is about 1 MB: a dead letter of the whole value would be refused
# and the message could be neither handled nor set aside.
DEAD_LETTER_MAX_VALUE_BYTES = 512 * 1024


def dead_letter_value(value: bytes | None) -> tuple[bytes | None, list[tuple[str, bytes]]]:
    """The value a dead letter carries, and headers saying so when it had to be cut: a prefix, the
    original size and sha256 (the whole value stays at its topic, partition and offset until the
    topic's retention removes it)."""
    if value is None or len(value) <= DEAD_LETTER_MAX_VALUE_BYTES:
        return value, []
    return value[:DEAD_LETTER_MAX_VALUE_BYTES], [
        ("dlq.truncated", b"true"),
        ("dlq.original.size", str(len(value)).encode()),
        ("dlq.original.sha256", hashlib.sha256(value).hexdigest().encode()),
    ]


class _Rebalance(ConsumerRebalanceListener):
    """Tells the consumer which partitions it has after a rebalance. Nothing here talks to the
    broker: a listener runs inside kafka-python's event loop, where a blocking call would stall it."""

    def __init__(self, consumer: Consumer):
        self.consumer = consumer

    def on_partitions_revoked(self, revoked) -> None:
        pass  # offsets still pending are kept: the assignment that follows says which stay ours

    def on_partitions_assigned(self, assigned) -> None:
        self.consumer._on_assigned(assigned)


class Consumer:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        subscriptions: Sequence[Subscription],
        context: Any,
    ):
        self.settings = settings
        self.db = db
        # One group per service, named after it; a deployment prefix separates groups too.
        self.group = settings.topic(settings.service_name)
        self.topics = [
            settings.topic(t) for t in [*consumed_topics(subscriptions), retry_topic(settings.service_name)]
        ]
        # A type may arrive on several topics (request progress does): one handler per type.
        self.handlers = {s.event_type.name: s for s in subscriptions}
        self.context = context
        self.dead_letter_topic = settings.topic(dead_letter_topic(settings.service_name))
        self.processed = db["processed_events"]  # _id = event id: unique by construction
        self.positions = db["event_positions"]  # _id = "<source> <subject>": last sequence applied
        self._consumer = None
        self._dlq_producer = None
        self._failures: dict = {}  # (topic, partition, offset) -> rounds it failed outside its handler
        self._pending: dict = {}  # partition -> offset after its last handled record, not yet committed
        self._rounds: dict = {}  # partition -> consecutive rounds its next record has waited
        self._resume_at: dict = {}  # paused partition -> when it is fetched again (time.monotonic)

    def _dead_letter(self, record, error: Exception) -> None:
        if self._dlq_producer is None:
            self._dlq_producer = make_producer(self.settings, f"{self.group}-dlq")
        value, cut = dead_letter_value(record.value)
        headers = (
            list(record.headers or [])
            + cut
            + [
                ("dlq.error", str(error)[:2000].encode()),
                ("dlq.error.class", type(error).__name__.encode()),
                ("dlq.original.topic", record.topic.encode()),
                ("dlq.original.partition", str(record.partition).encode()),
                ("dlq.original.offset", str(record.offset).encode()),
                ("dlq.consumer.group", self.group.encode()),
            ]
        )
        self._dlq_producer.send(self.dead_letter_topic, key=record.key, value=value, headers=headers).get(
            timeout=self.settings.kafka_max_block_ms / 1000
        )
        metrics.DEAD_LETTERS.labels(record.topic).inc()
        log.error(
            "dead-lettered message",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error": str(error),
            },
        )

    def process(self, record) -> tuple[str, str]:
        """Handle one record; return (outcome, event type): outcome is applied, duplicate, stale,
        ignored or dead_lettered."""
        try:
            event = decode(record.value)
        except MalformedEvent as exc:
            self._dead_letter(record, exc)
            return "dead_lettered", "unreadable"
        return self._handle(record, event), event["type"]

    def _handle(self, record, event: dict) -> str:
        handler = self.handlers.get(event["type"])
        if handler is None:
            return "ignored"
        # find_one, not count_documents: a count is an aggregation, which the test server answers
        # with a scan of the whole (ever-growing) collection instead of the `_id` index.
        if self.processed.find_one({"_id": event["id"]}, {"_id": 1}) is not None:
            return "duplicate"
        position = f"{event['source']} {event['subject']}"
        sequence = event.get("sequence")
        if isinstance(sequence, str):
            last = self.positions.find_one({"_id": position})
            if last is not None and last["sequence"] >= sequence:
                metrics.STALE_EVENTS.labels(record.topic, event["type"]).inc()
                log.info(
                    "stale event dropped",
                    extra={"event_id": event["id"], "sequence": sequence, "applied": last["sequence"]},
                )
                return "stale"
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                handler.handle(self.context, event, parse_data(handler.event_type, event))
                break
            except (MalformedEvent, PermanentError) as exc:
                self._dead_letter(record, exc)
                return "dead_lettered"
            except Exception as exc:
                if transient(exc):
                    raise  # the partition waits for the dependency (poll_once), keeping its offset
                if attempt > self.settings.consumer_max_retries:
                    self._dead_letter(record, exc)
                    return "dead_lettered"
                log.warning(
                    "handler failed, retrying",
                    extra={"event_id": event["id"], "attempt": attempt, "error": str(exc)},
                )
                time.sleep(self.settings.consumer_retry_backoff_seconds * attempt)
            finally:
                metrics.HANDLER_DURATION.labels(event["type"]).observe(time.perf_counter() - started)
        try:
            self.processed.insert_one({"_id": event["id"], "type": event["type"], "at": utcnow()})
        except DuplicateKeyError:
            pass  # a concurrent consumer of a replay got there first; the handler was idempotent too
        if isinstance(sequence, str):  # $max: a position never moves back
            self.positions.update_one({"_id": position}, {"$max": {"sequence": sequence}}, upsert=True)
        log.info("event applied", extra={"event_id": event["id"], "type": event["type"]})
        return "applied"

    def poll_once(self, timeout_ms: int = 500) -> int:
        if self._consumer is None:
            self._consumer = make_consumer(self.settings, self.group, self.topics, _Rebalance(self))
        self._resume_due()
        batches = self._consumer.poll(timeout_ms=self._poll_timeout_ms(timeout_ms))
        count = 0
        try:
            for tp, records in batches.items():
                for record in records:
                    try:
                        outcome, event_type = self.process(record)
                    except Exception as exc:
                        if not self._set_aside(record, exc):
                            self._hold(tp, record.offset, exc)
                            break
                        outcome, event_type = "dead_lettered", "unhandled"
                    if self._failures:  # it failed before and got through: forget its rounds
                        self._failures.pop((record.topic, record.partition, record.offset), None)
                    self._rounds.pop(tp, None)
                    metrics.EVENTS_CONSUMED.labels(record.topic, event_type, outcome).inc()
                    self._pending[tp] = record.offset + 1
                    count += 1
        finally:
            # One commit per batch, of what was handled: a synchronous commit per record cost as
            # much as handling it. A crash replays at most the uncommitted rest of one batch, and
            # replays are harmless (processed_events, event_positions).
            self._commit_pending()
        return count

    def _hold(self, tp, offset: int, exc: Exception) -> None:
        """The partition waits for what its record needs: poll() has moved it past the whole batch,
        so it goes back to the record that failed and is paused for a doubling back-off (at most
        consumer_wait_max_seconds), while the other partitions are fetched and handled on."""
        self._consumer.seek(tp, offset)
        self._consumer.pause(tp)
        rounds = self._rounds[tp] = self._rounds.get(tp, 0) + 1
        pause = min(
            self.settings.consumer_retry_backoff_seconds * 2 ** (rounds - 1),
            self.settings.consumer_wait_max_seconds,
        )
        self._resume_at[tp] = time.monotonic() + pause
        metrics.CONSUMER_WAITS.labels(tp.topic, "transient" if transient(exc) else "error").inc()
        log.warning(
            "partition waits for a dependency; its message will be read again",
            extra={
                "topic": tp.topic,
                "partition": tp.partition,
                "offset": offset,
                "error_class": type(exc).__name__,
                "error": str(exc)[:500],
                "round": rounds,
                "pause_seconds": pause,
            },
        )

    def _resume_due(self) -> None:
        now = time.monotonic()
        due = [tp for tp, at in self._resume_at.items() if at <= now]
        for tp in due:
            del self._resume_at[tp]
        if due:
            self._consumer.resume(*due)

    def _poll_timeout_ms(self, timeout_ms: int) -> int:
        """No longer than until the first paused partition is due again."""
        if not self._resume_at:
            return timeout_ms
        until_due = min(self._resume_at.values()) - time.monotonic()
        return max(1, min(timeout_ms, int(until_due * 1000) + 1))

    def _set_aside(self, record, exc: Exception) -> bool:
        """An error outside the handler that is not a dependency away (a bug met by this one
        message): after consumer_max_retries rounds the message is dead-lettered, so it cannot stop
        its partition for good. True if it was."""
        if transient(exc):
            return False
        where = (record.topic, record.partition, record.offset)
        self._failures[where] = self._failures.get(where, 0) + 1
        if self._failures[where] <= self.settings.consumer_max_retries:
            return False
        try:
            self._dead_letter(record, exc)
        except Exception:
            log.exception("dead letter not written; the message will be read again")
            return False
        del self._failures[where]
        return True

    def _commit_pending(self) -> None:
        """Commit what was handled. A commit refused because the group is rebalancing keeps the
        offsets: the next poll() finishes the rebalance, the partitions this consumer keeps resume
        from what it handled (on_partitions_assigned) and are committed then, instead of the batch
        being read again; partitions given to another consumer are read again there from the last
        commit, and processed_events makes that repeat harmless."""
        if not self._pending:
            return
        try:
            self._consumer.commit({tp: OffsetAndMetadata(o, "", -1) for tp, o in self._pending.items()})
        except (
            CommitFailedError,
            RebalanceInProgressError,
            IllegalGenerationError,
            UnknownMemberIdError,
        ) as exc:
            metrics.CONSUMER_COMMITS_DEFERRED.inc()
            log.warning(
                "offsets not committed during a rebalance; committed once it is over",
                extra={"error": str(exc), "partitions": len(self._pending)},
            )
            return
        self._pending.clear()

    def _on_assigned(self, assigned) -> None:
        """After a rebalance: keep what this consumer handled of the partitions it still has (so
        they are not read again), forget the others, and pause again the partitions that were
        waiting (a new assignment starts unpaused)."""
        assigned = set(assigned)
        for tp in list(self._pending):
            if tp in assigned:
                self._consumer.seek(tp, self._pending[tp])
            else:
                del self._pending[tp]
        for held in (self._rounds, self._resume_at):
            for tp in [tp for tp in held if tp not in assigned]:
                del held[tp]
        if self._resume_at:
            self._consumer.pause(*self._resume_at)

    def update_lag(self) -> None:
        if self._consumer is None:
            return
        assigned = list(self._consumer.assignment())
        if not assigned:
            return
        ends = self._consumer.end_offsets(assigned)
        metrics.CONSUMER_LAG.clear()  # partitions a rebalance gave to another worker drop out
        for tp in assigned:
            lag = max(0, ends.get(tp, 0) - self._consumer.position(tp))
            metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)

    def run(self, stop: threading.Event) -> None:
        last_lag = 0.0
        while not stop.is_set():
            try:
                self.poll_once()
                if time.monotonic() - last_lag > 5:
                    self.update_lag()
                    last_lag = time.monotonic()
            except Exception:
                log.exception("consumer loop error; continuing")
                stop.wait(1)
        self.close()

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
        if self._dlq_producer is not None:
            self._dlq_producer.close(timeout=5)
            self._dlq_producer = None
