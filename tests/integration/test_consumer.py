"""The intake consumer against real Kafka and mongo-java-server: dead letters, idempotency, progress."""

from datetime import UTC, datetime

import pytest
from kafka import KafkaProducer

from civic146.consumer import Consumer
from civic146.events import REQUEST_PROGRESS, RequestProgressData, encode, new_event
from intake import store
from intake.handlers import SUBSCRIPTIONS
from tests.helpers import KAFKA

pytestmark = pytest.mark.kafka  # the consumer reads the topics its tests produce to

GOOD = {
    "category": "roads_and_facilities",
    "description": "乐福国际小区北侧道路因强降雨损毁",
    "community": "huifeng",
    "compound": "lefu-international",
    "channel": "hotline",
    "submitter": {"name": "李四", "phone": "13900001111"},
}


@pytest.fixture
def routed_request(client, mint):
    staff = mint("staff-1", "community_staff", communities=["huifeng"])
    rid = client.post("/v1/requests", json=GOOD, headers=staff).json["id"]
    client.post(f"/v1/requests/{rid}/accept", headers=staff)
    assert client.post(f"/v1/requests/{rid}/route", json={}, headers=staff).json["status"] == "routed"
    return rid


@pytest.fixture
def consumer(intake_app, intake_settings, mongo_db):
    ctx = intake_app.extensions["intake"]
    c = Consumer(intake_settings, mongo_db, SUBSCRIPTIONS, ctx)
    yield c
    c.close()


@pytest.fixture
def produce(intake_settings):
    producer = KafkaProducer(bootstrap_servers=KAFKA)

    def send(topic: str, value: bytes, key: bytes = b"k"):
        producer.send(intake_settings.topic(topic), key=key, value=value).get(timeout=10)

    yield send
    producer.close()


def progress(rid: str, state: str, summary: str) -> dict:
    data = RequestProgressData(
        request_id=rid, state=state, handled_by="deliberation", reference="topic-1", summary=summary
    )
    return new_event(
        REQUEST_PROGRESS, "/civic146/deliberation", "topic-1", "huifeng", data, datetime.now(UTC)
    )


def drain(consumer: Consumer, expected: int, rounds: int = 40) -> int:
    seen = 0
    for _ in range(rounds):
        seen += consumer.poll_once(timeout_ms=250)
        if seen >= expected:
            break
    return seen


def test_malformed_messages_go_to_the_dead_letter_topic_and_the_consumer_goes_on(
    routed_request, consumer, produce, intake_settings, topic_reader
):
    bad_schema = progress(routed_request, "resolved", "x")
    bad_schema["data"]["state"] = "exploded"
    produce("deliberation.topics", b"{this is not json")
    produce("deliberation.topics", encode(bad_schema))
    produce("deliberation.topics", encode(progress("no-such-request", "resolved", "done")))
    produce("deliberation.topics", encode(progress(routed_request, "resolved", "路面已修复230米")))
    assert drain(consumer, 4) == 4

    dead = topic_reader(intake_settings.topic("intake.deadletter")).read(3)
    assert len(dead) == 3
    headers = [dict(r.headers) for r in dead]
    assert headers[0]["dlq.error"].startswith(b"not JSON") and headers[0]["dlq.original.topic"].endswith(
        b"deliberation.topics"
    )
    assert b"does not match" in headers[1]["dlq.error"] and b"unknown request" in headers[2]["dlq.error"]
    assert dead[0].value == b"{this is not json"
    assert store.get(routed_request)["status"] == "resolved"  # the good message after them was applied


def test_an_event_received_twice_is_applied_once(routed_request, consumer, produce, mongo_db):
    event = progress(routed_request, "resolved", "路面已修复")
    produce("deliberation.topics", encode(event))
    produce("deliberation.topics", encode(event))
    assert drain(consumer, 2) == 2
    doc = mongo_db.requests.find_one({"_id": routed_request})
    assert [h["to"] for h in doc["history"]].count("resolved") == 1
    assert doc["applied_events"] == [event["id"]]

    # Even if the processed-events record was lost (crash after the handler, before the
    # record), the request itself remembers the event and the replay changes nothing.
    mongo_db.processed_events.delete_many({})
    version = doc["version"]
    produce("deliberation.topics", encode(event))
    assert drain(consumer, 1) == 1
    assert mongo_db.requests.find_one({"_id": routed_request})["version"] == version


def test_in_progress_then_resolved_and_unknown_types_are_ignored(routed_request, consumer, produce, mongo_db):
    other = {**progress(routed_request, "resolved", "x"), "type": "civic146.deliberation.topic.created.v2"}
    produce("deliberation.topics", encode(other))
    produce(
        "deliberation.topics", encode(progress(routed_request, "in_progress", "已立项，召开小板凳恳谈会"))
    )
    assert drain(consumer, 2) == 2
    # Another producer's topic: no order across topics, hence after the first two were applied.
    produce("mediation.cases", encode(progress(routed_request, "resolved", "调解成功")))
    assert drain(consumer, 1) == 1
    doc = mongo_db.requests.find_one({"_id": routed_request})
    assert [h["to"] for h in doc["history"]][-2:] == ["in_progress", "resolved"]
    assert doc["outcome"] == "调解成功" and doc["handled_by"] == "deliberation"
    assert mongo_db.processed_events.count_documents({}) == 2  # the unknown type was skipped, not recorded


def test_a_failure_midway_through_a_batch_loses_no_message(
    client, mint, consumer, produce, mongo_db, monkeypatch
):
    """The database fails once while the consumer is in the middle of a polled batch: the
    partition is rewound to the record that failed, which is read again with the rest of the batch
    on the next poll; nothing is skipped and nothing dead-lettered."""
    staff = mint("staff-1", "community_staff", communities=["huifeng"])
    rids = []
    for _ in range(4):
        rid = client.post("/v1/requests", json=GOOD, headers=staff).json["id"]
        client.post(f"/v1/requests/{rid}/accept", headers=staff)
        client.post(f"/v1/requests/{rid}/route", json={}, headers=staff)
        rids.append(rid)
    for rid in rids:  # one key: one partition, so they arrive in one batch, in order
        produce("deliberation.topics", encode(progress(rid, "resolved", "已处理")), key=b"same-topic")

    real_find = consumer.processed.find_one
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("database away for a moment")
        return real_find(*args, **kwargs)

    monkeypatch.setattr(consumer.processed, "find_one", flaky)

    assert drain(consumer, 4) == 4
    assert calls["n"] > 4  # the failed record was read again
    assert [mongo_db.requests.find_one({"_id": r})["status"] for r in rids] == ["resolved"] * 4
