"""Benchmarks of intake's hot paths, each printed beside a baseline measured in the same run.

1. HTTP: submitting a request (validation, MongoDB insert with outbox, publish-on-commit to
   Kafka) against a bare Flask endpoint, both under the same gunicorn settings and the same
   load generator (persistent connections, fixed concurrency).
2. Relay: publishing outbox events and removing them (acks=all, idempotent producer) against a
   raw kafka-python producer sending the same payloads with the same settings.

Needs Kafka and a MongoDB-compatible server: KAFKA_BOOTSTRAP, MONGODB_URI (`make bench` starts
them). Not part of `make test`: it measures, it does not assert.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pymongo  # noqa: E402
import requests  # noqa: E402
from kafka import KafkaProducer  # noqa: E402

from civic146.auth import mint  # noqa: E402
from civic146.config import Settings  # noqa: E402
from civic146.events import encode  # noqa: E402
from civic146.kafka import ensure_topics  # noqa: E402
from civic146.outbox import Outbox, Relay  # noqa: E402
from intake import catalogue, domain  # noqa: E402
from tests.helpers import free_port  # noqa: E402

KAFKA = os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:39192")
MONGO = os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:37317/")
SECRET = "bench-secret"
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
HTTP_REQUESTS = int(os.environ.get("BENCH_HTTP_REQUESTS", "3000"))
RELAY_EVENTS = int(os.environ.get("BENCH_RELAY_EVENTS", "1000"))
BODY = {
    "category": "roads_and_facilities", "description": "乐福国际小区北侧道路因强降雨损毁，坑洼严重，请尽快修复。",
    "community": "huifeng", "compound": "lefu-international", "location": "北侧道路", "channel": "e_net_mini_program",
    "submitter": {"name": "张三", "phone": "13812341234", "id_number": "11010519491231002X"},
}


def serve(app: str, env: dict, tmp: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    full = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp / f"prom-{port}"), "LOG_LEVEL": "WARNING",
            "PYTHONPATH": f"{ROOT}:{ROOT / 'services'}"}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "python:civic146.gunicorn_conf", app],
                            env=full, stdout=subprocess.DEVNULL, stderr=open(tmp / f"{port}.log", "wb"),
                            start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc, port
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit(f"{app} did not start; see {tmp}")


def load(port: int, headers: dict, total: int) -> dict:
    """`total` POSTs from CONCURRENCY threads over keep-alive connections."""
    body = json.dumps(BODY, ensure_ascii=False).encode()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per_thread = total // CONCURRENCY

    def run():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for _ in range(per_thread):
            t0 = time.perf_counter()
            conn.request("POST", "/v1/requests", body, {"Content-Type": "application/json", **headers})
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - t0)
            if resp.status != 201:
                errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    for _ in range(2):  # warm up connections and code paths
        requests.post(f"http://127.0.0.1:{port}/v1/requests", json=BODY, headers=headers, timeout=10)
    threads = [threading.Thread(target=run) for _ in range(CONCURRENCY)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000, "errors": errors[0], "n": len(latencies)}


def bench_http(tmp: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    env = {"MONGODB_URI": MONGO, "MONGODB_DB": f"bench_{tag}", "KAFKA_BOOTSTRAP": KAFKA,
           "TOPIC_PREFIX": f"bench{tag}.", "JWT_SECRET": SECRET}
    ensure_topics(Settings(service_name="bench", jwt_secret=SECRET, kafka_bootstrap=KAFKA, topic_prefix=f"bench{tag}."),
                  [f"bench{tag}.intake.requests"])
    headers = {"Authorization": "Bearer " + mint(SECRET, "bench-resident", ["resident"])}
    results = {}
    for name, app in (("bare Flask endpoint", "tests.bench.bare_app:create_app()"),
                      ("intake POST /v1/requests", "intake.api:create_app()")):
        proc, port = serve(app, env, tmp)
        try:
            results[name] = load(port, headers, HTTP_REQUESTS)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
    print(f"\nHTTP: {HTTP_REQUESTS} POSTs, {CONCURRENCY} concurrent keep-alive clients, gunicorn 2 workers x 4 threads")
    print(f"  {'':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in results.items():
        print(f"  {name:28} {r['rps']:8.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['errors']:7d}")
    bare, intake = results["bare Flask endpoint"], results["intake POST /v1/requests"]
    print(f"  intake / bare throughput: {intake['rps'] / bare['rps']:.2f}")
    pymongo.MongoClient(MONGO).drop_database(f"bench_{tag}")


def bench_relay() -> None:
    tag = uuid.uuid4().hex[:8]
    settings = Settings(service_name="bench", jwt_secret=SECRET, kafka_bootstrap=KAFKA, mongodb_uri=MONGO,
                        mongodb_db=f"bench_relay_{tag}", topic_prefix=f"bench{tag}.")
    ensure_topics(settings, [settings.topic("intake.requests"), settings.topic("raw")])
    db = pymongo.MongoClient(MONGO, tz_aware=True)[settings.database]
    coll = db["requests"]
    cats = catalogue.load()
    outbox = Outbox()
    events = []
    now = datetime.now(timezone.utc)
    for i in range(RELAY_EVENTS):
        fields = {k: v for k, v in BODY.items()} | {"attachments": []}
        doc, change = domain.submit(fields, cats["roads_and_facilities"], domain.Actor("r", "resident"), now)
        outbox.insert(coll, doc, change.outbox)
        events.append(change.outbox[0])

    relay = Relay(settings, [coll], "bench-relay")
    relay.producer.partitions_for(settings.topic("intake.requests"))  # connect before timing
    # Where the time goes: the same round with the removal step left out (a diagnostic, not a mode).
    remove, relay._remove = relay._remove, lambda collection, acked: None
    start = time.perf_counter()
    relay.sweep(min_age_seconds=0)
    send_elapsed = time.perf_counter() - start
    relay._remove = remove
    start = time.perf_counter()
    published = relay.sweep(min_age_seconds=0)
    relay_elapsed = time.perf_counter() - start
    relay.close()
    left = coll.count_documents({"outbox.0": {"$exists": True}})

    producer = KafkaProducer(bootstrap_servers=KAFKA, acks="all", enable_idempotence=True, linger_ms=2)
    producer.partitions_for(settings.topic("raw"))
    start = time.perf_counter()
    futures = [producer.send(settings.topic("raw"), key=e["key"].encode(), value=encode(e["event"])) for e in events]
    for f in futures:
        f.get(timeout=30)
    raw_elapsed = time.perf_counter() - start
    producer.close()
    db.client.drop_database(settings.database)

    size = len(encode(events[0]["event"]))
    print(f"\nRelay: {RELAY_EVENTS} events of {size} bytes, acks=all, idempotent producer")
    print(f"  {'raw kafka-python producer':28} {RELAY_EVENTS / raw_elapsed:8.0f} events/s")
    print(f"  {'outbox relay, read+send+ack':28} {RELAY_EVENTS / send_elapsed:8.0f} events/s "
          "(diagnostic: the removal step left out)")
    print(f"  {'outbox relay (send+ack+remove)':28} {published / relay_elapsed:8.0f} events/s "
          f"({published} published, {left} left in outboxes)")
    print(f"  relay / raw throughput: {(published / relay_elapsed) / (RELAY_EVENTS / raw_elapsed):.2f}")


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="civic146-bench-"))
    try:
        bench_http(tmp)
        bench_relay()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
