"""The consumer's classification of failures, with no servers: a fake broker log (poll, seek,
commit), a fake dead-letter producer and the in-memory store for processed events and positions.
A dependency away never dead-letters and holds back only its own partition; what the message
causes is dead-lettered (a too-large value cut to fit); a poison envelope never stops the others."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from kafka.errors import RebalanceInProgressError
from kafka.structs import TopicPartition
from pymongo.errors import ServerSelectionTimeoutError

from civic146.config import Settings, load_settings
from civic146.consumer import (
    DEAD_LETTER_MAX_VALUE_BYTES,
    Consumer,
    PermanentError,
    Subscription,
    _Rebalance,
    transient,
)
from civic146.errors import ConcurrencyConflict, InvalidInput
from civic146.events import REQUEST_PROGRESS, RequestProgressData, encode, new_event

TOPIC = "deliberation.topics"
P0, P1 = TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes | None
    key: bytes | None = b"k"
    headers: list = field(default_factory=list)


class FakeBroker:
    """What the consumer asks of kafka-python's consumer: poll from each partition's position
    (paused partitions are not fetched), seek, pause, resume, commit; and a rebalance, which
    resets every position to its last commit and tells the consumer's listener."""

    def __init__(self, values: dict[TopicPartition, list[bytes | None]]):
        self.log = {
            tp: [Record(tp.topic, tp.partition, i, v) for i, v in enumerate(vs)] for tp, vs in values.items()
        }
        self.position = dict.fromkeys(values, 0)
        self.committed: dict = {}
        self.refuse_commits = 0
        self.paused: set = set()
        self.listener = None
        self.polls = 0

    def append(self, tp, value: bytes) -> None:
        self.log[tp].append(Record(tp.topic, tp.partition, len(self.log[tp]), value))

    def poll(self, timeout_ms: int):
        self.polls += 1
        batch = {
            tp: recs[self.position[tp] :]
            for tp, recs in self.log.items()
            if recs[self.position[tp] :] and tp not in self.paused
        }
        for tp, recs in batch.items():
            self.position[tp] = recs[-1].offset + 1
        if not batch:
            time.sleep(min(timeout_ms, 5) / 1000)  # a real poll waits for records up to its timeout
        return batch

    def seek(self, tp, offset: int) -> None:
        self.position[tp] = offset

    def pause(self, *tps) -> None:
        self.paused.update(tps)

    def resume(self, *tps) -> None:
        self.paused.difference_update(tps)

    def rebalance(self, assigned: set) -> None:
        for tp in assigned:
            self.position[tp] = self.committed.get(tp, 0)
        self.log = {tp: recs for tp, recs in self.log.items() if tp in assigned}
        self.paused = set()
        self.listener.on_partitions_assigned(assigned)

    def commit(self, offsets: dict) -> None:
        if self.refuse_commits:
            self.refuse_commits -= 1
            raise RebalanceInProgressError("rebalancing")
        self.committed.update({tp: o.offset for tp, o in offsets.items()})

    def close(self):
        pass


class Sent:
    def get(self, timeout):
        return None


class FakeProducer:
    def __init__(self):
        self.sent: list[tuple[str, bytes, dict]] = []

    def send(self, topic, key, value, headers):
        self.sent.append((topic, value, dict(headers)))
        return Sent()

    def close(self, timeout=None):
        pass


def progress(request_id: str) -> bytes:
    data = RequestProgressData(
        request_id=request_id, state="in_progress", handled_by="deliberation", reference="t", summary="s"
    )
    return encode(
        new_event(REQUEST_PROGRESS, "/civic146/test", request_id, "huifeng", data, datetime.now(UTC))
    )


class Handler:
    """Applies progress events; `failures[request_id]` is a list of errors to raise first."""

    def __init__(self):
        self.applied: list[str] = []
        self.failures: dict[str, list[Exception]] = {}

    def __call__(self, ctx, event, data) -> None:
        pending = self.failures.get(data.request_id)
        if pending:
            raise pending.pop(0)
        self.applied.append(data.request_id)


@pytest.fixture
def settings() -> Settings:
    return load_settings(
        Settings,
        service_name="test",
        jwt_secret="x",
        consumer_retry_backoff_seconds=0.001,
        consumer_wait_max_seconds=0.001,
    )


def consumer_of(settings, memory_db, broker, handler) -> tuple[Consumer, FakeProducer]:
    consumer = Consumer(settings, memory_db, [Subscription(TOPIC, REQUEST_PROGRESS, handler)], None)
    consumer._consumer, consumer._dlq_producer = broker, FakeProducer()
    broker.listener = _Rebalance(consumer)
    return consumer, consumer._dlq_producer


def drain(consumer, rounds: int = 10) -> None:
    for _ in range(rounds):
        consumer.poll_once()


def drain_until(consumer, done, polls: int = 1000) -> None:
    """Poll until `done()`; paused partitions come back after their (millisecond) back-off."""
    for _ in range(polls):
        if done():
            return
        consumer.poll_once()
    raise AssertionError(f"not done after {polls} polls")


def test_the_failures_that_are_a_dependency_away_are_transient_and_the_others_are_not():
    assert transient(ServerSelectionTimeoutError("no primary")) and transient(ConcurrencyConflict("x"))
    assert not transient(PermanentError("unknown request")) and not transient(InvalidInput("x"))
    assert not transient(KeyError("community"))


def test_a_database_away_holds_back_only_its_partition_and_never_dead_letters(settings, memory_db):
    broker = FakeBroker({P0: [progress("a"), progress("b")], P1: [progress("c"), progress("d")]})
    handler = Handler()
    away = 5 * (settings.consumer_max_retries + 1)  # longer than any dead-letter budget
    handler.failures["a"] = [ServerSelectionTimeoutError("database away")] * away
    consumer, dead_letters = consumer_of(settings, memory_db, broker, handler)

    drain_until(consumer, lambda: len(handler.failures["a"]) == 1)
    assert handler.applied == ["c", "d"]  # the other partition went on
    assert broker.committed == {P1: 2} and broker.position[P0] == 0  # P0 waits at its first record
    assert dead_letters.sent == []

    drain_until(consumer, lambda: broker.committed.get(P0) == 2)  # the database is back
    assert handler.applied == ["c", "d", "a", "b"] and broker.committed == {P0: 2, P1: 2}
    assert dead_letters.sent == []


def test_what_the_message_causes_is_dead_lettered_after_its_retries_and_the_rest_goes_on(settings, memory_db):
    broker = FakeBroker({P0: [progress("a"), progress("b"), progress("c")]})
    handler = Handler()
    handler.failures["a"] = [PermanentError("unknown request a")]
    handler.failures["b"] = [KeyError("community")] * (settings.consumer_max_retries + 1)
    consumer, dead_letters = consumer_of(settings, memory_db, broker, handler)

    drain(consumer, rounds=2)
    assert handler.applied == ["c"] and broker.committed == {P0: 3}
    assert [h["dlq.error.class"] for _, _, h in dead_letters.sent] == [b"PermanentError", b"KeyError"]


@pytest.mark.parametrize(
    "poison",
    [
        {"type": ["a", "list"]},  # unhashable: it once stopped the loop before any try
        {"id": {"$ne": None}},  # an operator where the processed-events query takes a value
        {"id": "x" * 10_000},  # unbounded
        {"subject": None},
    ],
)
def test_a_poison_envelope_is_dead_lettered_with_its_error_and_its_partition_goes_on(
    settings, memory_db, poison
):
    bad = {**json.loads(progress("p")), **poison}
    broker = FakeBroker({P0: [json.dumps(bad).encode(), progress("a")], P1: [progress("b")]})
    handler = Handler()
    consumer, dead_letters = consumer_of(settings, memory_db, broker, handler)

    drain(consumer, rounds=2)
    assert sorted(handler.applied) == ["a", "b"] and broker.committed == {P0: 2, P1: 1}
    ((topic, _, headers),) = dead_letters.sent
    assert topic == "test.deadletter" and headers["dlq.error.class"] == b"MalformedEvent"


def test_a_dead_letter_too_large_for_the_broker_is_cut_with_its_size_and_hash(settings, memory_db):
    huge = b"{" + b" " * (2 * DEAD_LETTER_MAX_VALUE_BYTES)
    broker = FakeBroker({P0: [huge, progress("a")]})
    consumer, dead_letters = consumer_of(settings, memory_db, broker, Handler())

    drain(consumer, rounds=2)
    ((_, value, headers),) = dead_letters.sent
    assert len(value) == DEAD_LETTER_MAX_VALUE_BYTES and headers["dlq.truncated"] == b"true"
    assert (
        headers["dlq.original.size"] == str(len(huge)).encode() and len(headers["dlq.original.sha256"]) == 64
    )
    assert headers["dlq.original.offset"] == b"0"


def test_an_error_outside_the_handler_is_set_aside_after_its_retries(settings, memory_db, monkeypatch):
    broker = FakeBroker({P0: [progress("a"), progress("b")]})
    handler = Handler()
    consumer, dead_letters = consumer_of(settings, memory_db, broker, handler)
    real = consumer.process

    def process(record):
        if record.offset == 0:
            raise TypeError("a bug this one message meets")
        return real(record)

    monkeypatch.setattr(consumer, "process", process)
    drain_until(consumer, lambda: broker.committed.get(P0) == 2)
    assert handler.applied == ["b"] and broker.committed == {P0: 2}
    assert [h["dlq.error.class"] for _, _, h in dead_letters.sent] == [b"TypeError"]


def test_a_commit_refused_during_a_rebalance_is_made_after_it_and_nothing_is_read_again(settings, memory_db):
    broker = FakeBroker({P0: [progress("a"), progress("b")], P1: [progress("c")]})
    broker.refuse_commits = 1
    handler = Handler()
    consumer, _ = consumer_of(settings, memory_db, broker, handler)
    consumer.poll_once()
    assert broker.committed == {} and handler.applied == ["a", "b", "c"]

    broker.rebalance({P0})  # the group settles: P0 stays here, P1 goes to another consumer
    assert broker.position[P0] == 2  # where this consumer got to, not the last commit
    processed = memory_db["processed_events"].count_documents({})
    consumer.poll_once()
    assert broker.committed == {P0: 2}  # P1 is committed by its new owner, not by this one
    assert (
        handler.applied == ["a", "b", "c"] and memory_db["processed_events"].count_documents({}) == processed
    )


def test_a_waiting_partition_is_paused_while_the_others_are_fetched_and_handled(settings, memory_db):
    slow = settings.model_copy(update={"consumer_retry_backoff_seconds": 60, "consumer_wait_max_seconds": 60})
    broker = FakeBroker({P0: [progress("a")], P1: [progress("b")]})
    handler = Handler()
    handler.failures["a"] = [ServerSelectionTimeoutError("database away")]
    consumer, _ = consumer_of(slow, memory_db, broker, handler)

    consumer.poll_once()
    assert broker.paused == {P0} and broker.position[P0] == 0 and handler.applied == ["b"]
    broker.append(P1, progress("c"))
    consumer.poll_once()  # P0 is not due for a minute: the loop goes on without it, no sleep
    assert handler.applied == ["b", "c"] and broker.paused == {P0}

    broker.rebalance({P0, P1})  # a new assignment starts unpaused: the wait is kept
    assert broker.paused == {P0}
    consumer._resume_at[P0] = 0  # its time has come
    consumer.poll_once()
    assert handler.applied == ["b", "c", "a"] and broker.paused == set()
    assert broker.committed == {P0: 1, P1: 2}


def test_a_consumer_reads_its_own_retry_topic_beside_what_it_subscribes_to(settings, memory_db):
    consumer, _ = consumer_of(settings, memory_db, FakeBroker({}), Handler())
    assert consumer.topics == [TOPIC, "test.retry"]
    broker = FakeBroker({TopicPartition("test.retry", 0): [progress("replayed")]})
    handler = Handler()
    consumer, _ = consumer_of(settings, memory_db, broker, handler)
    drain(consumer, rounds=1)
    assert handler.applied == ["replayed"]  # by its type, whichever topic it came on
