"""Outbox writes and the relay, against the real mongo-java-server and Kafka."""
import json
import threading
from datetime import datetime, timezone

import pytest
from pydantic import Field

from civic146.config import Settings
from civic146.errors import ConcurrencyConflict
from civic146.events import EventData, EventType, new_event
from civic146.kafka import ensure_topics
from civic146.outbox import Change, Outbox, Relay, entry
from tests.helpers import JWT_SECRET, KAFKA, MONGO


class Ping(EventData):
    n: int = Field(ge=0)


PING = EventType("civic146.test.ping.v1", Ping, "test.pings", "test event")


@pytest.fixture
def settings(isolation):
    s = Settings(service_name="outboxtest", mongodb_uri=MONGO, kafka_bootstrap=KAFKA, jwt_secret=JWT_SECRET,
                 **isolation)
    ensure_topics(s, [s.topic("test.pings")])
    return s


def ping(doc_id: str, n: int, at=None) -> dict:
    return entry(PING, new_event(PING, "/test", doc_id, "huifeng", Ping(n=n), at or datetime.now(timezone.utc)))


def test_relay_publishes_then_removes_and_a_crash_before_removal_republishes(settings, mongo_db, topic_reader):
    coll = mongo_db["things"]
    outbox = Outbox()
    outbox.insert(coll, {"_id": "a"}, [ping("a", 0)])
    outbox.commit(coll, "a", 1, Change(set={"x": 1}, outbox=[ping("a", 1)]))
    relay = Relay(settings, [coll], "test-relay")
    try:
        # The grace period keeps the sweep off fresh events (the API's own relay handles those).
        assert relay.sweep(min_age_seconds=60) == 0
        assert relay.sweep(min_age_seconds=0) == 2
        assert coll.find_one({"_id": "a"})["outbox"] == []
        reader = topic_reader(settings.topic("test.pings"))
        records = reader.read(2)
        assert [json.loads(r.value)["data"]["n"] for r in records] == [0, 1]  # one key: one partition, in order
        assert {r.key for r in records} == {b"a"}

        # A crash between the broker's ack and the removal: the event is still in the outbox and
        # is published again (at least once; consumers de-duplicate on the event id).
        late = ping("a", 2)
        outbox.commit(coll, "a", 2, Change(outbox=[late]))
        relay.publish_documents(coll, [{"_id": "a", "outbox": [late]}])
        coll.update_one({"_id": "a"}, {"$push": {"outbox": late}})  # as if the removal never ran
        assert relay.sweep(min_age_seconds=0) == 1
        ids = [json.loads(r.value)["id"] for r in reader.read(4)]
        assert ids.count(late["event"]["id"]) == 2
    finally:
        relay.close()


def test_version_guard_refuses_a_stale_write(mongo_db):
    coll = mongo_db["things"]
    outbox = Outbox()
    outbox.insert(coll, {"_id": "b"}, [])
    outbox.commit(coll, "b", 1, Change(set={"x": 1}))
    with pytest.raises(ConcurrencyConflict):
        outbox.commit(coll, "b", 1, Change(set={"x": 2}))
    assert coll.find_one({"_id": "b"})["x"] == 1


def test_concurrent_commits_and_relay_removals_lose_nothing(settings, mongo_db):
    """Two committers and the relay write to one document at the same time: every acknowledged
    commit is in the document, and the relay's removals leave the outbox empty, not a commit short."""
    coll = mongo_db["things"]
    outbox = Outbox()
    outbox.insert(coll, {"_id": "c", "history": []}, [])
    relay = Relay(settings, [coll], "test-relay")
    stop = threading.Event()
    committed = []

    def relay_loop():
        while not stop.is_set():
            relay.sweep(min_age_seconds=0)

    def writer(name: str):
        for i in range(40):
            doc = coll.find_one({"_id": "c"})
            try:
                outbox.commit(coll, "c", doc["version"], Change(push={"history": f"{name}{i}"}, outbox=[ping("c", i)]))
                committed.append(f"{name}{i}")
            except ConcurrencyConflict:
                pass
    threads = [threading.Thread(target=writer, args=(n,)) for n in "xy"] + [threading.Thread(target=relay_loop)]
    for t in threads:
        t.start()
    for t in threads[:2]:
        t.join()
    stop.set()
    threads[2].join()
    relay.sweep(min_age_seconds=0)
    relay.close()
    doc = coll.find_one({"_id": "c"})
    assert sorted(doc["history"]) == sorted(committed)
    assert doc["version"] == 1 + len(committed) and doc["outbox"] == []
