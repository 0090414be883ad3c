"""Outbox writes and the relay, against the real document server and Kafka."""

import json
import multiprocessing
import threading
from datetime import UTC, datetime

import pymongo
import pytest
from pydantic import Field

from civic146.config import Settings
from civic146.errors import ConcurrencyConflict
from civic146.events import EventData, EventType, new_event
from civic146.kafka import ensure_topics
from civic146.outbox import LEASE, MARKERS, PENDING, Change, Outbox, Relay, entry
from tests.helpers import JWT_SECRET, KAFKA, MONGO, RunningRelay, wait_until


class Ping(EventData):
    n: int = Field(ge=0)


PING = EventType("civic146.test.ping.v1", Ping, "test.pings", "test event")


@pytest.fixture
def settings(isolation):
    s = Settings(
        service_name="outboxtest",
        mongodb_uri=MONGO,
        kafka_bootstrap=KAFKA,
        jwt_secret=JWT_SECRET,
        **isolation,
    )
    ensure_topics(s, [s.topic("test.pings")])
    return s


def ping(doc_id: str, n: int, at=None) -> dict:
    return entry(PING, new_event(PING, "/test", doc_id, "huifeng", Ping(n=n), at or datetime.now(UTC)))


def published(records) -> list[tuple[str, str, int]]:
    return [(r.key.decode(), (e := json.loads(r.value))["sequence"], e["data"]["n"]) for r in records]


def test_commit_stamps_sequences_and_the_relay_publishes_once_in_order(settings, mongo_db, topic_reader):
    coll = mongo_db["things"]
    outbox = Outbox()
    outbox.insert(coll, {"_id": "a"}, [ping("a", 0)])
    outbox.commit(coll, "a", 1, Change(set={"x": 1}, outbox=[ping("a", 1), ping("a", 2)]))
    stored = coll.find_one({"_id": "a"})
    assert [i["event"]["sequence"] for i in stored["outbox"]] == [
        "000000000001.001",
        "000000000002.001",
        "000000000002.002",
    ]
    assert MARKERS.flush()  # written in the background, one insert for all that wait
    assert mongo_db[PENDING].count_documents({}) == 2  # one marker per commit that recorded events
    relay = Relay(settings, [coll], "test-relay")
    try:
        assert relay.hold_lease()
        assert relay.publish_pending() == 3
        assert coll.find_one({"_id": "a"})["outbox"] == [] and mongo_db[PENDING].count_documents({}) == 0
        assert relay.publish_pending() == 0 and relay.sweep() == 0  # nothing published twice
        records = topic_reader(settings.topic("test.pings")).read(3)
        assert (
            published(topic_reader(settings.topic("test.pings")).read_to_end())
            == published(records)
            == [("a", "000000000001.001", 0), ("a", "000000000002.001", 1), ("a", "000000000002.002", 2)]
        )
        assert records[0].headers == [("content-type", b"application/cloudevents+json")]
    finally:
        relay.close()


def test_events_without_a_marker_are_found_by_the_sweep_and_a_crash_republishes_the_same_event(
    settings, mongo_db, topic_reader
):
    coll = mongo_db["things"]
    outbox = Outbox()
    outbox.insert(coll, {"_id": "a"}, [ping("a", 0)])
    assert MARKERS.flush()
    mongo_db[PENDING].delete_many({})  # as if the writer died between its commit and its marker
    relay = Relay(settings, [coll], "test-relay")
    try:
        assert relay.hold_lease() and relay.publish_pending() == 0
        assert relay.sweep() == 1
        # A crash between the broker's ack and the removal: the event is still in the outbox.
        first = topic_reader(settings.topic("test.pings")).read(1)[0]
        coll.update_one(
            {"_id": "a"},
            {
                "$push": {
                    "outbox": json.loads(
                        json.dumps({"topic": "test.pings", "key": "a", "event": json.loads(first.value)})
                    )
                }
            },
        )
        assert relay.sweep() == 1
        again = topic_reader(settings.topic("test.pings")).read(2)
        a, b = (json.loads(r.value) for r in again)
        assert (a["id"], a["sequence"]) == (b["id"], b["sequence"])  # a consumer can tell it is a repeat
    finally:
        relay.close()


def test_a_backlog_is_swept_in_pages_and_new_commits_are_published_between_them(
    settings, mongo_db, topic_reader
):
    """After an outage: 7 documents' events without markers (pages of 3). While the first page is
    published a request commits a new document, and another change to a document of a later page:
    their markers are served between two pages instead of after the whole backlog, and the later
    page publishes that document as it is then (the cursor's older copy would repeat its event)."""
    coll = mongo_db["things"]
    outbox = Outbox()
    for i in range(7):
        outbox.insert(coll, {"_id": f"old-{i}"}, [ping(f"old-{i}", i)])
    assert MARKERS.flush()
    mongo_db[PENDING].delete_many({})
    relay = Relay(settings.model_copy(update={"relay_batch_documents": 3}), [coll], "test-relay")
    real_publish = relay.publish_documents
    pages: list[list[str]] = []

    def publish_documents(collection, docs):
        pages.append([d["_id"] for d in docs])
        if len(pages) == 1:  # requests commit while the first page is being published
            outbox.insert(coll, {"_id": "fresh"}, [ping("fresh", 99)])
            outbox.commit(coll, "old-6", 1, Change(set={"x": 1}, outbox=[ping("old-6", 100)]))
            assert MARKERS.flush()
        return real_publish(collection, docs)

    relay.publish_documents = publish_documents
    try:
        assert relay.hold_lease() and relay.sweep() == 9
        assert len(pages[0]) == 3 and sorted(pages[1]) == ["fresh", "old-6"]  # served after page one
        assert "old-6" not in [d for p in pages[2:] for d in p]  # nothing left of it to send again
        assert coll.count_documents({"outbox.0": {"$exists": True}}) == 0
        reader = topic_reader(settings.topic("test.pings"))
        reader.read(9)
        records = reader.read_to_end()
        ids = [json.loads(r.value)["id"] for r in records]
        assert len(ids) == len(set(ids)) == 9  # every event once
    finally:
        relay.close()


def test_commit_with_a_stale_version_is_rejected(mongo_db):
    coll = mongo_db["things"]
    outbox = Outbox()
    outbox.insert(coll, {"_id": "b"}, [])
    outbox.commit(coll, "b", 1, Change(set={"x": 1}))
    with pytest.raises(ConcurrencyConflict):
        outbox.commit(coll, "b", 1, Change(set={"x": 2}))
    assert coll.find_one({"_id": "b"})["x"] == 1


@pytest.mark.kafka  # its relays publish
def test_one_publisher_per_service_the_lease_passes_on_when_the_holder_stops(settings, mongo_db):
    coll = mongo_db["things"]
    first, second = Relay(settings, [coll], "relay-1"), Relay(settings, [coll], "relay-2")
    try:
        assert first.hold_lease() and not second.hold_lease()
        first.close()  # a clean stop gives the lease back
        assert second.hold_lease() and not first.hold_lease()
        # A holder that stops renewing (crashed, paused) loses it once it has expired.
        mongo_db[LEASE].update_one({"_id": "relay"}, {"$set": {"until": datetime(2000, 1, 1, tzinfo=UTC)}})
        third = Relay(settings, [coll], "relay-3")
        assert third.hold_lease()
        third.close()
    finally:
        first.close()
        second.close()


def _commit_in_a_process(uri: str, database: str, writer: str, count: int, queue) -> None:
    """A separate process with its own client (made after the fork), committing `count` changes."""
    client = pymongo.MongoClient(uri, tz_aware=True)
    coll = client[database]["things"]
    queue.put(_commit_many(Outbox(), coll, writer, count))
    MARKERS.flush()
    client.close()


def _commit_many(outbox: Outbox, coll, writer: str, count: int) -> list[str]:
    """Read, decide, commit with the version guard, retry on conflict: what every service does."""
    committed = []
    for i in range(count):
        while True:
            doc = coll.find_one({"_id": "c"}, {"outbox": 0})
            try:
                outbox.commit(
                    coll,
                    "c",
                    doc["version"],
                    Change(push={"history": f"{writer}-{i}"}, outbox=[ping("c", len(committed))]),
                )
                committed.append(f"{writer}-{i}")
                break
            except ConcurrencyConflict:
                continue
    return committed


def test_concurrent_commits_from_threads_and_processes_and_the_relay_lose_nothing(
    settings, mongo_db, topic_reader
):
    """Two threads and two processes commit to one document while the relay publishes and
    removes its events: every commit and every event is there once, in version order."""
    coll = mongo_db["things"]
    Outbox().insert(coll, {"_id": "c", "history": []}, [])
    relay = RunningRelay(settings, [coll])
    per_writer = 40
    results: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda n=n: results.append(_commit_many(Outbox(), coll, n, per_writer)))
        for n in ("thread1", "thread2")
    ]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    processes = [
        ctx.Process(target=_commit_in_a_process, args=(MONGO, mongo_db.name, n, per_writer, queue))
        for n in ("process1", "process2")
    ]
    for worker in [*threads, *processes]:
        worker.start()
    for t in threads:
        t.join(120)
    results += [queue.get(timeout=120) for _ in processes]
    for p in processes:
        p.join(30)
    committed = [c for r in results for c in r]
    assert len(committed) == 4 * per_writer
    wait_until(lambda: coll.find_one({"_id": "c"})["outbox"] == [], timeout=30, message="outbox emptied")
    relay.close()
    doc = coll.find_one({"_id": "c"})
    assert doc["version"] == 1 + len(committed) and sorted(doc["history"]) == sorted(committed)
    records = topic_reader(settings.topic("test.pings")).read(len(committed), timeout=30)
    events = [json.loads(r.value) for r in topic_reader(settings.topic("test.pings")).read_to_end()]
    assert len(records) == len(events) == len(committed)
    assert len({e["id"] for e in events}) == len(committed)  # none twice
    sequences = [e["sequence"] for e in events]
    assert sequences == sorted(sequences) == [f"{v:012d}.001" for v in range(2, 2 + len(committed))]
