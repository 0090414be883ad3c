"""Helpers shared by integration and system tests (servers are started by `make test`)."""

from __future__ import annotations

import os
import threading
import time

from tests.processes import ROOT, free_port  # noqa: F401  (re-exported: tests import them from here)

KAFKA = os.environ.get("TEST_KAFKA_BOOTSTRAP", "127.0.0.1:29092")
MONGO = os.environ.get("TEST_MONGODB_URI", "mongodb://127.0.0.1:27217/")
JWT_SECRET = "test-secret-not-for-production"


def create_topics(*names: str, partitions: int = 3) -> None:
    """Create topics a test reads before the service that would create them has started."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    admin = KafkaAdminClient(bootstrap_servers=KAFKA)
    try:
        missing = [n for n in names if n not in admin.list_topics()]
        if missing:
            admin.create_topics([NewTopic(n, partitions, 1) for n in missing])
    finally:
        admin.close()


class TopicReader:
    """A plain Kafka consumer (no group) that reads a topic from the beginning."""

    def __init__(self, topic: str):
        from kafka import KafkaConsumer, TopicPartition

        self.topic = topic
        self.consumer = KafkaConsumer(
            bootstrap_servers=KAFKA, group_id=None, enable_auto_commit=False, consumer_timeout_ms=200
        )
        deadline = time.time() + 30
        while not (parts := self.consumer.partitions_for_topic(topic)):
            if time.time() > deadline:
                raise AssertionError(f"topic {topic} never appeared")
            time.sleep(0.2)
            self.consumer.topics()  # refresh metadata
        self.consumer.assign([TopicPartition(topic, p) for p in parts])
        self.consumer.seek_to_beginning()
        self.records: list = []

    def read(self, at_least: int, timeout: float = 30.0) -> list:
        deadline = time.time() + timeout
        while len(self.records) < at_least and time.time() < deadline:
            for batch in self.consumer.poll(timeout_ms=300).values():
                self.records.extend(batch)
        return self.records

    def read_to_end(self, timeout: float = 30.0) -> list:
        """Read every record the topic holds now: up to the end offsets of its partitions, taken at
        the call. The end is positive, never a quiet period: a caller proving that nothing more came
        first waits until everything that could come was published (`outboxes_drained`)."""
        ends = self.consumer.end_offsets(list(self.consumer.assignment()))
        deadline = time.time() + timeout
        while any(self.consumer.position(tp) < end for tp, end in ends.items()):
            if time.time() > deadline:
                raise AssertionError(f"{self.topic}: did not reach the end offsets {ends} in {timeout} s")
            for batch in self.consumer.poll(timeout_ms=300).values():
                self.records.extend(batch)
        return self.records

    def read_published(self, *databases, timeout: float = 30.0) -> list:
        """Every record the services writing to these databases have committed for this topic:
        read once their outboxes are drained, to the topic's end. Nothing that was committed before
        the call is missing, and nothing published twice goes unseen."""
        wait_until(lambda: outboxes_drained(*databases), timeout=timeout, message="outboxes drained")
        return self.read_to_end(timeout)

    def close(self):
        self.consumer.close()


_CLIENTS: dict[str, object] = {}


def service_database(env: dict[str, str]):
    """The database of a service started with `env` (its MONGODB_URI and MONGODB_DB), on one client
    per server for the whole run."""
    import pymongo

    uri = env["MONGODB_URI"]
    if uri not in _CLIENTS:
        _CLIENTS[uri] = pymongo.MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000)
    return _CLIENTS[uri][env["MONGODB_DB"]]


def outboxes_drained(*databases) -> bool:
    """Every event committed in these databases is on its topic: no document holds an outbox entry
    (the relay removes one only after the broker's ack)."""
    return not any(
        db[name].find_one({"outbox.0": {"$exists": True}}, {"_id": 1})
        for db in databases
        for name in db.list_collection_names()
    )


class RunningRelay:
    """The worker's outbox relay on a thread of the test process, for tests that drive an API
    in-process (in production the worker process runs it; the API never publishes)."""

    def __init__(self, settings, collections, outbox=None):
        from civic146.outbox import Relay

        self.relay = Relay(settings, collections, client_id="test-relay")
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self.relay.run, args=(self._stop,), name="test-relay", daemon=True
        )
        self._thread.start()
        if outbox is not None:  # as in the worker: a commit wakes the relay at once
            outbox.on_commit = self.relay.wake

    def close(self) -> None:
        self._stop.set()
        self.relay.wake()
        self._thread.join(timeout=15)


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.2, message: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")
