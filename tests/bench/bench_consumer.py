"""Consumer throughput per partition, beside a raw consumer reading the same records, and the
sizes of what the platform stores and sends per request (the capacity plan's inputs).

N routed requests (intake's `routed` event) are produced to a topic of one partition; each
consuming service's Consumer (civic146.consumer, the worker's loop, in this process) applies them:
deliberation attaches each to a topic document (five requests per matter), mediation opens a
case, employment drafts a seeker profile. Beside them, a plain kafka-python consumer reads the
same records and decodes them (the ceiling of one partition read by one Python process). Then the
stored documents and the events are measured (BSON bytes per document, JSON bytes per event).

Needs Kafka and the document server: KAFKA_BOOTSTRAP, MONGODB_URI (`make bench` starts them).
BENCH_CONSUMER_EVENTS (default 3000). It measures, it asserts nothing; not part of `make test`.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import bson  # noqa: E402
import pymongo  # noqa: E402
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402

from civic146.consumer import Consumer  # noqa: E402
from civic146.contracts import declaration  # noqa: E402
from civic146.events import ROUTED, MaskedPerson, Routed, encode, new_event  # noqa: E402
from civic146.mongo import connect  # noqa: E402
from tests.bench import harness as h  # noqa: E402

EVENTS = int(os.environ.get("BENCH_CONSUMER_EVENTS", "3000"))
TARGETS = {
    "deliberation": ("water_and_pipes", "deliberation"),
    "mediation": ("neighbour_dispute", "mediation"),
    "employment": ("job_seeking", "employment"),
}


def routed_events(n: int, target: str, category: str) -> list[bytes]:
    out = []
    for i in range(n):
        matter = i // 5
        rnd = random.Random(matter)
        text = "".join(chr(rnd.randrange(0x4E00, 0x9FA5)) for _ in range(24)) + f"，第{i}位居民反映。"
        rid = uuid.uuid4().hex
        data = Routed(
            request_id=rid,
            community="huifeng",
            compound=h.COMPOUNDS[matter % 4],
            category=category,
            channel="e_net_mini_program",
            status="routed",
            actor_role="community_staff",
            target=target,
            description=text,
            submitter=MaskedPerson(name="张*", phone="138****1234"),
            submitter_ref=None,
            name_digests=[],
        )
        out.append(encode(new_event(ROUTED, "/civic146/intake", rid, "huifeng", data, datetime.now(UTC))))
    return out


def produce(topic: str, values: list[bytes]) -> None:
    admin = KafkaAdminClient(bootstrap_servers=h.KAFKA)
    admin.create_topics([NewTopic(topic, 1, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=h.KAFKA, acks="all", linger_ms=5)
    for v in values:
        producer.send(topic, key=json.loads(v)["subject"].encode(), value=v)
    producer.flush()
    producer.close()


def raw_read(topic: str, n: int) -> float:
    consumer = KafkaConsumer(bootstrap_servers=h.KAFKA, group_id=None, enable_auto_commit=False)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    started, seen = time.perf_counter(), 0
    while seen < n:
        for records in consumer.poll(timeout_ms=500).values():
            for r in records:
                json.loads(r.value)
                seen += 1
    took = time.perf_counter() - started
    consumer.close()
    return n / took


def service_read(name: str, topic_prefix: str, db_name: str, n: int) -> tuple[float, object]:
    service = declaration(name)
    settings = service.load_settings(
        jwt_secret=h.SECRET,
        kafka_bootstrap=h.KAFKA,
        mongodb_uri=h.MONGO,
        mongodb_db=db_name,
        topic_prefix=topic_prefix,
        log_level="WARNING",
    )
    db = connect(settings)
    service.ensure_indexes()
    ctx = service.build_context(settings)
    consumer = Consumer(settings, db, service.subscriptions, ctx)
    joined = handled = consumer.poll_once(timeout_ms=2000)  # joins the group
    started = time.perf_counter()
    deadline = time.monotonic() + 300
    while handled < n and time.monotonic() < deadline:
        handled += consumer.poll_once()
    took = time.perf_counter() - started
    consumer.close()
    return (handled - joined) / took, db


def aggregate_collections(name: str) -> list[str]:
    return [a._meta["collection"] for a in declaration(name).aggregates]


def sizes(db, collection: str) -> tuple[int, float]:
    docs = list(db[collection].find())
    return len(docs), sum(len(bson.encode(d)) for d in docs) / max(1, len(docs))


def main() -> None:
    print(
        f"consumer per partition: {EVENTS} routed events on one partition,"
        " each service's Consumer beside a raw read"
    )
    table = h.Table([("events/s", 10), ("x raw", 8)], first=44)
    print(table.header())
    client = pymongo.MongoClient(h.MONGO)
    stored = []
    for name, (category, target) in TARGETS.items():
        prefix = f"benchc-{h.tag()}."
        topic = prefix + "intake.requests"
        values = routed_events(EVENTS, target, category)
        produce(topic, values)
        raw = raw_read(topic, EVENTS)
        db_name = f"benchc_{name}_{h.tag()}"
        rate, db = service_read(name, prefix, db_name, EVENTS)
        print(table.row(f"raw consumer (read + json.loads), {name}", raw, 1.0))
        print(table.row(f"{name} Consumer (handler, commit)", rate, rate / raw))
        event_bytes = sum(len(v) for v in values) / len(values)
        for coll in aggregate_collections(name):
            count, mean = sizes(db, coll)
            if count:
                stored.append((name, coll, count, mean))
        stored.append((name, "routed event (JSON)", len(values), event_bytes))
        stored.append((name, "processed_events", *sizes(db, "processed_events")))
        client.drop_database(db_name)
    print("\nsizes")
    for name, what, count, mean in stored:
        print(f"  {name:<13} {what:<22} {count:>6} of {mean:>8.0f} bytes on average")


if __name__ == "__main__":
    main()
