"""Benchmarks of intake's data path, every figure printed beside a baseline measured in the same
run (the machine is shared and noisy: only same-run comparisons mean something).

1. HTTP: `POST /v1/requests` (validation, category suggestion, one insert with its outbox entry
   and marker) beside a bare Flask endpoint, both under the same gunicorn settings and driven by
   the same load generator: the maximum (closed loop), then p50/p99 at half of it (open loop,
   latency from the time each request was due). Intake's worker is not running here: this is the
   API's own cost; (5) runs both.
2. Relay: outbox events published and removed through `Relay.publish_pending()` (markers, the
   worker's normal path) and `Relay.sweep()` (no markers), beside a raw kafka-python producer
   with the same settings (civic146.kafka.make_producer) sending the same events.
3. Hop: a request routed to deliberation in intake until deliberation's worker has attached it to
   a topic document, at a fixed rate, with intake (gunicorn API + worker) and deliberation (worker)
   running as processes; beside a bare Kafka produce->consume round trip.
4. Growth: (1) and (2) with 1,000, 10,000 and 100,000 documents already in the collection.
5. Sustained: 80% of the API maximum of (1) for SUSTAIN_SECONDS (default 300) with intake's worker
   running; the outbox backlog every 10 s and whether it stayed bounded.

Needs Kafka and the document server: KAFKA_BOOTSTRAP, MONGODB_URI (`make bench` starts them).
Knobs (environment): BENCH_ONLY=http,relay,hop,growth,sustain (a subset, for trying things),
BENCH_CONCURRENCY, BENCH_HTTP_SECONDS, BENCH_OPEN_SECONDS, BENCH_RELAY_EVENTS, BENCH_GROWTH_SIZES,
HOP_RATE, HOP_LOW_RATE, HOP_SECONDS,
SUSTAIN_SECONDS. It measures, it asserts nothing; not part of `make test`.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pymongo  # noqa: E402
import pymongo.errors  # noqa: E402
from kafka import KafkaConsumer, TopicPartition  # noqa: E402

from civic146.auth import mint  # noqa: E402
from civic146.config import Settings  # noqa: E402
from civic146.events import CONTENT_TYPE, encode  # noqa: E402
from civic146.kafka import ensure_topics, make_consumer, make_producer  # noqa: E402
from civic146.outbox import PENDING, Outbox, Relay, stamped  # noqa: E402
from deliberation import events as delib_events  # noqa: E402
from intake import domain  # noqa: E402
from intake import events as intake_events  # noqa: E402
from intake.store import IntakeRequest  # noqa: E402
from tests.bench import harness as h  # noqa: E402  (puts services/ on sys.path)

CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))  # = gunicorn's 2 workers x 4 threads
HTTP_SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "8"))
OPEN_SECONDS = float(os.environ.get("BENCH_OPEN_SECONDS", "10"))
RELAY_EVENTS = int(os.environ.get("BENCH_RELAY_EVENTS", "5000"))
GROWTH_SIZES = [int(x) for x in os.environ.get("BENCH_GROWTH_SIZES", "1000,10000,100000").split(",")]
HOP_RATE = float(os.environ.get("HOP_RATE", "50"))
HOP_SECONDS = float(os.environ.get("HOP_SECONDS", "20"))
HOP_LOW_RATE = float(os.environ.get("HOP_LOW_RATE", "10"))
SUSTAIN_SECONDS = float(os.environ.get("SUSTAIN_SECONDS", "300"))
SECTIONS = os.environ.get("BENCH_ONLY", "http,relay,hop,growth,sustain").split(",")

RESIDENT_AUTH = {"Authorization": "Bearer " + mint(h.SECRET, h.RESIDENT, ["resident"])}
STAFF_AUTH = {"Authorization": "Bearer " + mint(h.SECRET, "bench-staff", ["community_staff"], ["huifeng"])}


def settings_for(db: str, prefix: str) -> Settings:
    return Settings(
        service_name="intake",
        jwt_secret=h.SECRET,
        kafka_bootstrap=h.KAFKA,
        mongodb_uri=h.MONGO,
        mongodb_db=db,
        topic_prefix=prefix,
    )


def fresh_database(name: str, indexes: bool = True):
    """An empty intake database, with the indexes the worker creates at start unless a worker
    will run on it (the test server keeps an index made twice with different options twice)."""
    db = pymongo.MongoClient(h.MONGO, tz_aware=True)[name]
    if indexes:
        h.ensure_indexes(db["requests"], IntakeRequest)
    return db


def drop(client, name: str) -> None:
    """Drop a benchmark's database; a failure to clean up is reported, not raised (it would hide
    whatever went wrong before)."""
    for attempt in (1, 2):  # the test server sometimes needs a second go (see fresh_database)
        try:
            client.drop_database(name)
            return
        except pymongo.errors.PyMongoError as exc:
            if attempt == 2:
                print(f"  (database {name} not dropped: {exc})", file=sys.stderr)


# --- 1. HTTP ---------------------------------------------------------------------------------------


def start_http_pair(env: dict, tmp: Path) -> tuple[h.Proc, h.Proc]:
    bare = h.start_api("bare", "tests.bench.bare_app:create_app()", env, tmp)
    try:
        return bare, h.start_api("intake", "intake.api:create_app()", env, tmp)
    except BaseException:
        bare.stop()
        raise


def max_throughput(port: int) -> dict:
    return h.closed_loop(port, RESIDENT_AUTH, HTTP_SECONDS, CONCURRENCY)


def bench_http(tmp: Path) -> dict:
    t = h.tag()
    db = fresh_database(f"bench_http_{t}")
    bare, intake = start_http_pair(h.service_env(db.name, f"bench{t}."), tmp)
    try:
        closed = {"bare": max_throughput(bare.port), "intake": max_throughput(intake.port)}
        half = {name: 0.5 * r["rps"] for name, r in closed.items()}
        opened = {
            "bare": h.open_loop(bare.port, RESIDENT_AUTH, half["bare"], OPEN_SECONDS),
            "intake": h.open_loop(intake.port, RESIDENT_AUTH, half["intake"], OPEN_SECONDS),
            # the same offered load on both: what intake adds to a request at intake's rate
            "bare@intake": h.open_loop(bare.port, RESIDENT_AUTH, half["intake"], OPEN_SECONDS),
        }
    finally:
        intake.stop()
        bare.stop()
        drop(db.client, db.name)

    print(
        f"\n1. HTTP POST /v1/requests: gunicorn {os.environ.get('GUNICORN_WORKERS', '2')} gthread workers x "
        f"{os.environ.get('GUNICORN_THREADS', '4')} threads for both, one load generator\n"
        f"   max: closed loop, {CONCURRENCY} keep-alive clients, {HTTP_SECONDS:.0f} s after 1 s of warm-up\n"
        f"   half: open loop at 0.5 x that max for {OPEN_SECONDS:.0f} s, latency from each request's due "
        "time\n"
        f"   (intake's worker is not running: the API's cost alone; section 5 runs both)"
    )
    table = h.Table(
        [
            ("max req/s", 10),
            ("p50 ms", 9),
            ("p99 ms", 9),
            ("err", 5),
            ("| rate/s", 9),
            ("p50 ms", 9),
            ("p99 ms", 9),
            ("err", 5),
        ]
    )
    print(table.header())
    for label, c, o in (
        ("bare Flask endpoint", closed["bare"], opened["bare"]),
        ("intake POST /v1/requests", closed["intake"], opened["intake"]),
    ):
        print(
            table.row(
                label, c["rps"], c["p50"], c["p99"], c["errors"], o["rps"], o["p50"], o["p99"], o["errors"]
            )
        )
    o = opened["bare@intake"]
    print(table.row("bare at intake's half rate", "", "", "", "", o["rps"], o["p50"], o["p99"], o["errors"]))
    print(f"  intake / bare throughput: {closed['intake']['rps'] / closed['bare']['rps']:.2f}")
    return {"intake_max": closed["intake"]["rps"]}


# --- 2. relay ----------------------------------------------------------------------------------------

RELAY_SUBMITTER = "bench-relay"  # `submitted_by` of the relay's documents, removed after each round


def events_documents(n: int) -> list[dict]:
    """`n` fresh submissions with their `submitted` event in the outbox, as Outbox.insert stores them."""
    cats, now, docs = h.categories(), datetime.now(UTC), []
    for i in range(n):
        fields = h.submission(i)
        doc, change = domain.submit(
            fields, cats[fields["category"]], domain.Actor(RELAY_SUBMITTER, "resident"), now
        )
        docs.append({**doc, "version": 1, "outbox": stamped(change.outbox, 1)})
    return docs


def raw_send(producer, topic: str, items: list[dict]) -> float:
    """What the relay does with Kafka, and nothing else: send all, flush, wait for every ack."""
    start = time.perf_counter()
    futures = [
        producer.send(
            topic,
            key=item["key"].encode(),
            value=encode(item["event"]),
            headers=[("content-type", CONTENT_TYPE.encode())],
        )
        for item in items
    ]
    producer.flush()
    for f in futures:
        f.get(timeout=30)
    return time.perf_counter() - start


def relay_round(db, settings: Settings, n: int) -> dict:
    """One measurement of each path on `n` events, in the collection as it is (pre-filled or not)."""
    coll = db["requests"]
    producer = make_producer(settings, "bench-raw")
    producer.partitions_for(settings.topic("bench.raw"))  # connected before timing, like a running relay
    relay = Relay(settings, [coll], client_id="bench-relay")
    relay.producer.partitions_for(settings.topic(intake_events.TOPIC))
    try:
        docs = events_documents(n)
        raw_s = raw_send(producer, settings.topic("bench.raw"), [d["outbox"][0] for d in docs])

        # markers, as a commit leaves them (Outbox.insert: the document, then its marker)
        coll.insert_many(docs, ordered=False)
        db[PENDING].insert_many([{"collection": "requests", "doc": d["_id"]} for d in docs], ordered=False)
        start, pending_published = time.perf_counter(), 0
        while published := relay.publish_pending():
            pending_published += published
        pending_s = time.perf_counter() - start
        left = h.backlog(db)

        # no markers (a writer died before writing one): the sweep finds the documents by scanning
        coll.insert_many(events_documents(n), ordered=False)
        start = time.perf_counter()
        sweep_published = relay.sweep()
        sweep_s = time.perf_counter() - start
        start = time.perf_counter()
        relay.sweep()  # nothing waiting: the periodic scan's own cost
        idle_s = time.perf_counter() - start
    finally:
        relay.close()
        producer.close()
        coll.delete_many({"submitted_by": RELAY_SUBMITTER})
    return {
        "raw": n / raw_s,
        "pending": pending_published / pending_s,
        "sweep": sweep_published / sweep_s,
        "idle_ms": idle_s * 1000,
        "published": pending_published + sweep_published,
        "left": sum(left),
        "size": len(encode(docs[0]["outbox"][0]["event"])),
    }


def relay_topics(settings: Settings) -> None:
    ensure_topics(settings, [settings.topic(intake_events.TOPIC), settings.topic("bench.raw")])


def bench_relay() -> dict:
    t = h.tag()
    db = fresh_database(f"bench_relay_{t}")
    settings = settings_for(db.name, f"bench{t}.")
    relay_topics(settings)
    try:
        r = relay_round(db, settings, RELAY_EVENTS)
    finally:
        drop(db.client, db.name)
    print(
        f"\n2. Relay: {RELAY_EVENTS} events of {r['size']} bytes (one per document), acks=all, idempotent, "
        f"linger 2 ms, 3 partitions\n   send + ack + remove ($pull by event id); the raw producer only sends "
        f"and waits for the acks"
    )
    table = h.Table([("events/s", 10), ("ratio", 8)])
    print(table.header())
    print(table.row("raw kafka-python producer", r["raw"], 1.0))
    print(table.row("relay, publish_pending (markers)", r["pending"], r["pending"] / r["raw"]))
    print(table.row("relay, sweep (no markers)", r["sweep"], r["sweep"] / r["raw"]))
    print(
        f"  idle sweep (nothing waiting): {r['idle_ms']:.1f} ms; {r['published']} published, "
        f"{r['left']} events or markers left"
    )
    print(f"  relay / raw throughput: {r['pending'] / r['raw']:.2f}")
    return r


# --- 3. hop ------------------------------------------------------------------------------------------


def read_topic(topic: str, handle, done, timeout: float = 60) -> None:
    """handle(record) for every record of `topic` from the beginning, until done() or the time-out."""
    consumer = KafkaConsumer(bootstrap_servers=h.KAFKA, group_id=None, enable_auto_commit=False)
    try:
        deadline = time.monotonic() + timeout
        while not (parts := consumer.partitions_for_topic(topic)):
            if time.monotonic() > deadline:
                return
            time.sleep(0.2)
            consumer.topics()
        consumer.assign([TopicPartition(topic, p) for p in parts])
        consumer.seek_to_beginning()
        while not done() and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=300).values():
                for record in batch:
                    handle(record)
    finally:
        consumer.close()


def kafka_round_trip(settings: Settings, size: int, rate: float, seconds: float) -> dict:
    """The baseline of the hop's Kafka leg: one producer (make_producer) and one consumer with the
    services' consumer settings (make_consumer), `size`-byte messages at `rate`, produce->consume."""
    topic = settings.topic(f"bench.roundtrip.{h.tag()}")  # its own: a new group reads from the beginning
    ensure_topics(settings, [topic])
    consumer = make_consumer(settings, f"bench-roundtrip-{h.tag()}", [topic])
    producer = make_producer(settings, "bench-roundtrip")
    producer.partitions_for(topic)
    deadline = time.monotonic() + 30
    while not consumer.assignment() and time.monotonic() < deadline:  # joined the group before timing
        consumer.poll(timeout_ms=100)
    total, sent, received = int(rate * seconds), {}, {}

    def consume():
        while len(received) < total and time.monotonic() < stop_at[0]:
            for batch in consumer.poll(timeout_ms=100).values():
                now = time.perf_counter()
                for r in batch:
                    received[int(r.key)] = now

    stop_at = [time.monotonic() + seconds + 30]
    thread = threading.Thread(target=consume)
    thread.start()
    start, value = time.perf_counter() + 0.05, b"x" * size
    for i in range(total):
        if (wait := start + i / rate - time.perf_counter()) > 0:
            time.sleep(wait)
        sent[i] = time.perf_counter()
        producer.send(topic, key=str(i).encode(), value=value)
    thread.join()
    producer.close()
    consumer.close()
    lat = [received[i] - sent[i] for i in sent if i in received]
    return {"p50": h.pct(lat, 50), "p99": h.pct(lat, 99), "n": len(lat), "lost": total - len(lat)}


DELIBERATION_CATEGORIES = [
    "roads_and_facilities",
    "lift_installation",
    "water_and_pipes",
    "compound_governance",
]


def matter_text(k: int) -> str:
    """A description per matter: requests about one matter are alike (deliberation attaches them to
    one topic), different matters share few character pairs (each becomes its own topic)."""
    rnd = random.Random(k)
    return "".join(chr(rnd.randrange(0x4E00, 0x9FA5)) for _ in range(24))


def prepare_accepted(db, n: int, first: int = 0) -> list[str]:
    """`n` requests submitted and accepted through the domain and the Outbox (what the API's
    submit and accept do), ready to be routed; their events are published by intake's worker.
    Five requests per matter, in one of four deliberation categories and four compounds."""
    cats, outbox, coll, ids = h.categories(), Outbox(), db["requests"], []
    for i in range(first, first + n):
        k = i % max(1, n // 5)
        fields = h.submission(
            i,
            description=f"{matter_text(k)}，第{i}位居民反映。",
            compound=h.COMPOUNDS[k % 4],
            category=DELIBERATION_CATEGORIES[k // 4 % 4],
        )
        now = datetime.now(UTC)
        doc, change = domain.submit(
            fields, cats[fields["category"]], domain.Actor(f"resident-{i}", "resident"), now
        )
        doc = outbox.insert(coll, doc, change.outbox)
        outbox.apply(coll, doc, domain.accept(doc, h.STAFF, now))
        ids.append(doc["_id"])
    return ids


def wait_drained(db, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if h.backlog(db) == (0, 0):
            return True
        time.sleep(0.2)
    return False


def wait_consumed(group: str, topic: str, timeout: float = 120) -> bool:
    """Until `group` has committed every record of `topic`: a consumer still working through a
    backlog (every record is one offset commit, even the ones it ignores) would time the backlog.
    A consumer that names the group but never subscribes reads its offsets without joining it."""
    consumer = KafkaConsumer(bootstrap_servers=h.KAFKA, group_id=group, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ends = consumer.end_offsets(parts)
            if all((consumer.committed(tp) or 0) >= ends[tp] for tp in parts):
                return True
            time.sleep(0.3)
        return False
    finally:
        consumer.close()


def route_all(port: int, ids: list[str], rate: float) -> dict:
    return h.open_loop(
        port,
        STAFF_AUTH,
        rate,
        len(ids) / rate,
        connections=8,
        expect=200,
        request=lambda i: ("POST", f"/v1/requests/{ids[i]}/route", b"{}"),
    )


def wait_processed(delib_db, count: int, timeout: float = 90) -> int:
    """Routed events deliberation's consumer has recorded as processed (after the handler committed)."""
    deadline = time.monotonic() + timeout
    while (done := delib_db["processed_events"].count_documents({"type": intake_events.ROUTED.name})) < count:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return done


def event_time(event: dict) -> float:
    return datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()


def hop_legs(prefix: str, delib_db, measured: set[str]) -> dict[str, list[float]]:
    """Per measured request: commit (routed event `time`) -> published (the routed record's Kafka
    CreateTime, set by intake's relay at send) -> handler start (`time` of deliberation's created or
    request-attached event: the handler's clock) -> downstream (`at` of the routed event in
    deliberation's processed_events, written right after the handler committed the topic document)."""
    routed: dict[str, tuple] = {}  # request id -> (event id, commit, published)

    def on_intake(r):
        event = json.loads(r.value)
        if event["type"] == intake_events.ROUTED.name and event["subject"] in measured:
            routed.setdefault(event["subject"], (event["id"], event_time(event), r.timestamp / 1000))

    read_topic(prefix + intake_events.TOPIC, on_intake, lambda: len(routed) >= len(measured))

    started: dict[str, float] = {}  # request id -> handler start

    def on_deliberation(r):
        event = json.loads(r.value)
        if event["type"] == delib_events.CREATED.name and event["data"]["origin"] == "intake_request":
            started.setdefault(event["data"]["origin_ref"], event_time(event))
        elif event["type"] == delib_events.REQUEST_ATTACHED.name:
            started.setdefault(event["data"]["request_id"], event_time(event))

    read_topic(prefix + delib_events.TOPIC, on_deliberation, lambda: measured <= started.keys(), timeout=30)

    processed = {
        d["_id"]: d["at"].timestamp()
        for d in delib_db["processed_events"].find(
            {"_id": {"$in": [v[0] for v in routed.values()]}}, {"at": 1}
        )
    }
    legs: dict[str, list[float]] = {k: [] for k in ("total", "relay", "down", "kafka", "handler")}
    for rid, (event_id, committed, published) in routed.items():
        if event_id not in processed or rid not in started:
            continue
        legs["total"].append(processed[event_id] - committed)
        legs["relay"].append(published - committed)
        legs["down"].append(processed[event_id] - published)
        legs["kafka"].append(started[rid] - published)
        legs["handler"].append(processed[event_id] - started[rid])
    legs["last"] = [max(processed.values(), default=0.0)]
    return legs


def hop_phase(
    api: h.Proc, prefix: str, intake_db, delib_db, ids: list[str], rate: float, before: int
) -> dict:
    """Route `ids` at `rate`, wait until deliberation took them up, and split each hop into legs;
    then wait until both services are idle again, so the next phase starts from a quiet pipeline."""
    calls = route_all(api.port, ids, rate)
    arrived = wait_processed(delib_db, before + len(ids)) - before
    legs = hop_legs(prefix, delib_db, set(ids))
    last_call = max(s.ended_at for s in calls["samples"])
    wait_drained(intake_db)
    wait_consumed(prefix + "deliberation", prefix + intake_events.TOPIC)
    return {
        "rate": rate,
        "n": len(ids),
        "arrived": arrived,
        "calls": calls,
        "legs": legs,
        "behind": legs.pop("last")[0] - last_call,
    }


def bench_hop(tmp: Path) -> dict:
    t = h.tag()
    prefix = f"bench{t}."
    intake_db = fresh_database(f"bench_hop_{t}_intake", indexes=False)  # the workers create them
    delib_db = intake_db.client[f"bench_hop_{t}_deliberation"]
    settings = settings_for(intake_db.name, prefix)
    # The rate asked for, and a low one: if the first saturates a stage, its figure is mostly
    # queueing, and the second shows the path's own latency.
    plan = [(HOP_RATE, HOP_SECONDS), (HOP_LOW_RATE, HOP_SECONDS)]
    n_warm = 20
    procs: list[h.Proc] = []
    try:
        # deliberation first: its consumer joins its group before anything is routed
        procs.append(h.start_worker("deliberation", h.service_env(delib_db.name, prefix), tmp))
        procs.append(h.start_worker("intake", h.service_env(intake_db.name, prefix), tmp))
        api = h.start_api("intake", "intake.api:create_app()", h.service_env(intake_db.name, prefix), tmp)
        procs.append(api)
        ids = prepare_accepted(intake_db, n_warm + sum(round(r * s) for r, s in plan))
        wait_drained(intake_db)
        wait_consumed(prefix + "deliberation", prefix + intake_events.TOPIC)
        hop_phase(api, prefix, intake_db, delib_db, ids[:n_warm], 10, 0)  # warm-up: each process did it once

        sample = intake_db["requests"].find_one({"_id": ids[0]}, {"outbox": 0})
        size = len(
            encode(
                domain.route(
                    sample,
                    category=h.categories()[sample["category"]],
                    actor=h.STAFF,
                    now=datetime.now(UTC),
                    submitter_ref="x" * 43,
                ).outbox[0]["event"]
            )
        )
        phases, done = [], n_warm
        for rate, seconds in plan:
            baseline = kafka_round_trip(settings, size, rate, min(seconds, 10))
            phase = hop_phase(
                api, prefix, intake_db, delib_db, ids[done : done + round(rate * seconds)], rate, done
            )
            phases.append(phase | {"baseline": baseline})
            done += phase["n"]
    finally:
        for p in reversed(procs):
            p.stop()
        drop(intake_db.client, intake_db.name)
        drop(intake_db.client, delib_db.name)

    print(
        f"\n3. Hop intake -> deliberation: requests routed (POST .../route, open loop) for {HOP_SECONDS:.0f} "
        "s at "
        f"{HOP_RATE:.0f}/s, then at {HOP_LOW_RATE:.0f}/s;\n"
        "   intake API (gunicorn) + intake worker + deliberation worker as processes; five requests per "
        "matter\n   (the first makes a topic, the others join it). Times, all read after the run (nothing "
        "polls while\n   it is measured): commit = routed event `time`; published = its Kafka CreateTime "
        "(intake's relay,\n   at send); handler start = `time` of deliberation's created/request-attached "
        "event; downstream =\n   the routed event's `at` in deliberation's processed_events, written just "
        "after the topic document\n"
        f"   (ms precision). Baseline: {size}-byte messages, make_producer -> make_consumer, same rate, "
        f"{min(HOP_SECONDS, 10):.0f} s."
    )
    table = h.Table([(f"{p['rate']:.0f}/s {q}", 12) for p in phases for q in ("p50 ms", "p99 ms")], first=44)
    print(table.header())
    rows = [
        ("bare Kafka produce->consume", lambda p, q: p["baseline"][q]),
        ("hop commit -> downstream", lambda p, q: h.pct(p["legs"]["total"], int(q[1:]))),
        ("  commit -> published (intake relay)", lambda p, q: h.pct(p["legs"]["relay"], int(q[1:]))),
        ("  published -> downstream", lambda p, q: h.pct(p["legs"]["down"], int(q[1:]))),
        ("    published -> handler start (Kafka, queue)", lambda p, q: h.pct(p["legs"]["kafka"], int(q[1:]))),
        ("    handler start -> downstream (handler)", lambda p, q: h.pct(p["legs"]["handler"], int(q[1:]))),
        ("route call (client, from its due time)", lambda p, q: p["calls"][q]),
    ]
    for label, value in rows:
        print(table.row(label, *[value(p, q) for p in phases for q in ("p50", "p99")]))
    for p in phases:
        print(
            f"  at {p['rate']:.0f}/s: {p['n']} routed, {p['arrived']} taken up, {len(p['legs']['total'])} "
            "timed, "
            f"{p['calls']['errors']} route errors; the last taken up {p['behind']:.1f} s after the last "
            "route call; "
            f"hop / bare Kafka p50 {h.pct(p['legs']['total'], 50) / p['baseline']['p50']:.1f}"
        )
    return {}


# --- 4. growth ----------------------------------------------------------------------------------------


def bench_growth(tmp: Path) -> dict:
    t = h.tag()
    db = fresh_database(f"bench_growth_{t}")
    settings = settings_for(db.name, f"bench{t}.")
    relay_topics(settings)
    bare, intake = start_http_pair(h.service_env(db.name, f"bench{t}."), tmp)
    rows = []
    try:
        for size in GROWTH_SIZES:
            start = time.perf_counter()
            h.prefill(db["requests"], size)
            fill_s = time.perf_counter() - start
            http = {"bare": max_throughput(bare.port), "intake": max_throughput(intake.port)}
            # back to `size` documents: what the load added (and its markers; no worker runs) goes
            db["requests"].delete_many({"submitted_by": h.RESIDENT})
            db[PENDING].delete_many({})
            rows.append((size, fill_s, http, relay_round(db, settings, RELAY_EVENTS)))
    finally:
        intake.stop()
        bare.stop()
        drop(db.client, db.name)

    print(
        f"\n4. Growth: (1) max and (2) with documents already in `requests` (insert_many of realistic\n"
        "   documents: mixed statuses and history, 60 days of dates); ratio = figure / figure at "
        f"{rows[0][0]:,}"
    )
    table = h.Table([("value", 10), ("ratio", 7)] * 1, first=44)
    print(table.header())
    first = rows[0]
    for size, fill_s, http, relay in rows:
        print(f"  -- {size:,} documents (pre-filled in {fill_s:.1f} s)")
        figures = (
            ("bare Flask req/s (reference)", http["bare"]["rps"], first[2]["bare"]["rps"]),
            ("intake POST req/s", http["intake"]["rps"], first[2]["intake"]["rps"]),
            ("intake POST p50 ms", http["intake"]["p50"], first[2]["intake"]["p50"]),
            ("intake POST p99 ms", http["intake"]["p99"], first[2]["intake"]["p99"]),
            ("raw producer events/s (reference)", relay["raw"], first[3]["raw"]),
            ("relay publish_pending events/s", relay["pending"], first[3]["pending"]),
            ("relay sweep events/s", relay["sweep"], first[3]["sweep"]),
            ("idle sweep ms (scan, nothing waiting)", relay["idle_ms"], first[3]["idle_ms"]),
        )
        for label, value, at_first in figures:
            print(table.row(label, value, value / at_first))
        print(
            f"  intake / bare throughput: {http['intake']['rps'] / http['bare']['rps']:.2f}   "
            f"relay / raw throughput: {relay['pending'] / relay['raw']:.2f}"
        )
    return {}


# --- 5. sustained --------------------------------------------------------------------------------------


def bench_sustained(tmp: Path, api_max: float | None) -> dict:
    t = h.tag()
    prefix = f"bench{t}."
    db = fresh_database(f"bench_sustain_{t}", indexes=False)
    env = h.service_env(db.name, prefix)
    worker = h.start_worker("intake", env, tmp)
    api = None
    try:
        api = h.start_api("intake", "intake.api:create_app()", env, tmp)
        if api_max is None:  # section 1 skipped: measure the maximum here (with the worker running)
            api_max = max_throughput(api.port)["rps"]
            db["requests"].delete_many({})
            wait_drained(db)
        rate = 0.8 * api_max
        samples: list[h.Sample] = []
        load = threading.Thread(
            target=h.open_loop,
            kwargs=dict(
                port=api.port, headers=RESIDENT_AUTH, rate=rate, seconds=SUSTAIN_SECONDS, samples=samples
            ),
        )
        print(
            f"\n5. Sustained: {SUSTAIN_SECONDS:.0f} s at 0.8 x {api_max:.0f} = {rate:.0f} req/s (open loop, "
            f"32 connections), intake API + worker\n   backlog = events in `requests` outboxes + markers in "
            f"outbox_pending, counted every 10 s (a scan, like the sweep)"
        )
        table = h.Table(
            [
                ("done/s", 8),
                ("p50 ms", 9),
                ("p99 ms", 9),
                ("err", 5),
                ("events", 8),
                ("markers", 8),
                ("backlog", 8),
                ("docs", 8),
                ("scan ms", 8),
            ],
            first=6,
        )
        print(table.header())
        start = time.perf_counter()
        load.start()
        history, seen = [], 0
        tick = 1
        while load.is_alive() or tick == 1:
            time.sleep(max(0.0, start + 10 * tick - time.perf_counter()))
            now = time.perf_counter()
            window = [s for s in samples[seen:]]
            seen += len(window)
            events, markers = h.backlog(db)
            scan_ms = (time.perf_counter() - now) * 1000
            lat = [s.latency for s in window]
            history.append((now - start, events + markers, h.pct(lat, 99)))
            print(
                table.row(
                    f"{now - start:5.0f}",
                    len(window) / 10,
                    h.pct(lat, 50),
                    h.pct(lat, 99),
                    sum(s.status != 201 for s in window),
                    events,
                    markers,
                    events + markers,
                    db["requests"].estimated_document_count(),
                    scan_ms,
                ),
                flush=True,
            )
            tick += 1
        load.join()
        stopped = time.perf_counter()
        drained = wait_drained(db, timeout=120)
        drain_s = time.perf_counter() - stopped
    finally:
        if api is not None:
            api.stop()
        worker.stop()
        drop(db.client, db.name)

    lat = [s.latency for s in samples]
    span = min(60.0, SUSTAIN_SECONDS / 3)
    early = [row for row in history if row[0] <= span + 1]
    late = [row for row in history if SUSTAIN_SECONDS - span - 1 < row[0] <= SUSTAIN_SECONDS + 1]
    first, last = max((r[1] for r in early), default=0), max((r[1] for r in late), default=0)
    margin = round(rate)  # one second of offered load
    # the API keeps up if (nearly) everything due was answered while the load ran
    on_time = sum(s.ended_perf <= start + SUSTAIN_SECONDS + 1 for s in samples) / max(
        1, round(rate * SUSTAIN_SECONDS)
    )
    print(
        f"  whole run: {len(samples)} requests, p50 {h.pct(lat, 50):.1f} ms, p99 {h.pct(lat, 99):.1f} ms, "
        f"{sum(s.status != 201 for s in samples)} errors; backlog "
        + (
            f"drained {drain_s:.1f} s after the load stopped"
            if drained
            else "NOT drained 120 s after the load stopped"
        )
    )
    print(
        f"  API kept up: {'yes' if on_time >= 0.97 else 'NO'} ({on_time:.0%} of the requests due were "
        "answered "
        f"while the load ran; p99 {max((r[2] for r in early), default=0):.0f} ms at most in the first "
        f"{span:.0f} s, "
        f"{max((r[2] for r in late), default=0):.0f} ms in the last {span:.0f} s)"
    )
    print(
        f"  backlog bounded: {'yes' if last <= first + margin else 'NO'} (max in the last {span:.0f} s: "
        f"{last}; "
        f"max in the first {span:.0f} s: {first} + margin {margin} = one second of load)"
    )
    return {}


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="civic146-bench-"))
    print(
        f"intake benchmarks: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start "
        f"(other work on the machine shows in every figure; compare with the baseline beside it)"
    )
    results: dict = {}
    ok = False
    try:
        if "http" in SECTIONS:
            results |= bench_http(tmp)
        if "relay" in SECTIONS:
            bench_relay()
        if "hop" in SECTIONS:
            bench_hop(tmp)
        if "growth" in SECTIONS:
            bench_growth(tmp)
        if "sustain" in SECTIONS:
            bench_sustained(tmp, results.get("intake_max"))
        ok = True
    finally:
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"process logs kept in {tmp}", file=sys.stderr)


if __name__ == "__main__":
    main()
