"""What the benchmarks share: servers started as operators start them, one load generator for
every HTTP figure, realistic intake documents, and small statistics helpers.

Servers are started and stopped by tests/processes.py (in their own session, stopped by pid,
never by name: other runs share the machine).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT, ROOT / "services"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


from civic146.outbox import PENDING  # noqa: E402
from intake import domain, reference  # noqa: E402
from tests.processes import NotReady, Proc, ServiceProcesses  # noqa: E402

KAFKA = os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:39192")
MONGO = os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:37317/")
SECRET = "bench-secret"
RESIDENT = "bench-resident"  # `submitted_by` of what the benchmark POSTs (pre-filled documents have others)

BODY = {
    "category": "roads_and_facilities",
    "description": "乐福国际小区北侧道路因强降雨损毁，坑洼严重，请尽快修复。",
    "community": "huifeng",
    "compound": "lefu-international",
    "location": "北侧道路",
    "channel": "e_net_mini_program",
    "submitter": {"name": "张三", "phone": "13812341234", "id_number": "11010519491231002X"},
}


# --- statistics ----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of `values` in seconds, returned in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank] * 1000


# --- processes -----------------------------------------------------------------------------------


def service_env(db: str, prefix: str) -> dict[str, str]:
    """The environment a service gets in the system tests (tests/conftest.py::base_env)."""
    return {
        "MONGODB_URI": MONGO,
        "MONGODB_DB": db,
        "KAFKA_BOOTSTRAP": KAFKA,
        "TOPIC_PREFIX": prefix,
        "JWT_SECRET": SECRET,
        "TOPIC_PARTITIONS": "3",
        "LOG_LEVEL": "WARNING",
    }


def start_api(name: str, app: str, env: dict[str, str], tmp: Path) -> Proc:
    """`app` under gunicorn with the services' settings (civic146.gunicorn_conf: 2 gthread workers
    x 4 threads unless GUNICORN_WORKERS / GUNICORN_THREADS say otherwise), once /readyz answers;
    its logs as `<name>-api.log` in `tmp`."""
    try:
        return ServiceProcesses(name, env, tmp).start_api(workers=None, app=app)
    except NotReady as failed:
        raise SystemExit(str(failed)) from None


def start_worker(service: str, env: dict[str, str], tmp: Path) -> Proc:
    """`python -m <service>.worker`; ready when its metrics port answers and its relay holds the
    service's lease (before that, nothing it commits would be published)."""
    try:
        return ServiceProcesses(service, env, tmp).start_worker(lease=True)
    except NotReady as failed:
        raise SystemExit(str(failed)) from None


# --- the load generator ----------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection. gunicorn closes idle keep-alive connections after 2 s: a
    request that finds its connection closed before any answer is sent again on a new one."""

    def __init__(self, port: int, headers: dict[str, str]):
        self.port, self.headers = port, {"Content-Type": "application/json", **headers}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body: bytes | None) -> int:
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body, self.headers)
                resp = self.conn.getresponse()
                resp.read()
                return resp.status
            except (
                http.client.RemoteDisconnected,
                ConnectionResetError,
                BrokenPipeError,
                http.client.CannotSendRequest,
            ):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    return 0
        return 0

    def close(self) -> None:
        self.conn.close()


@dataclass
class Sample:
    index: int
    latency: float  # seconds: from the scheduled start (open loop) or the actual start (closed loop)
    status: int
    ended_at: float  # time.time() when the answer was read
    ended_perf: float


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


SUBMIT = ("POST", "/v1/requests", body_of(BODY))


def closed_loop(
    port: int, headers: dict, seconds: float, clients: int, warmup: float = 1.0, request=lambda i: SUBMIT
) -> dict:
    """`clients` threads, each sending its next request as soon as the previous one is answered:
    the maximum throughput. Only answers that arrive in the `seconds` after a warm-up count."""
    samples: list[Sample] = []
    start = time.perf_counter()
    window = (start + warmup, start + warmup + seconds)
    counter = iter(range(10**9))

    def run():
        client = Client(port, headers)
        while (t0 := time.perf_counter()) < window[1]:
            i = next(counter)
            status = client.call(*request(i))
            t1 = time.perf_counter()
            if window[0] <= t1 <= window[1]:
                samples.append(Sample(i, t1 - t0, status, time.time(), t1))
        client.close()

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summarize(samples, seconds)


def open_loop(
    port: int,
    headers: dict,
    rate: float,
    seconds: float,
    connections: int = 32,
    request=lambda i: SUBMIT,
    expect: int = 201,
    samples: list | None = None,
) -> dict:
    """Requests at fixed times (i / rate), whatever the answers do: latency is measured from the
    time a request was due, so a server that falls behind shows it (no coordinated omission).
    Request i goes out on connection i % `connections`. `samples` (if given) fills while it runs."""
    samples = [] if samples is None else samples
    total = round(rate * seconds)
    start = time.perf_counter() + 0.05

    def run(j: int):
        client = Client(port, headers)
        for i in range(j, total, connections):
            due = start + i / rate
            if (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
            status = client.call(*request(i))
            t1 = time.perf_counter()
            samples.append(Sample(i, t1 - due, status, time.time(), t1))
        client.close()

    threads = [threading.Thread(target=run, args=(j,)) for j in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = max((s.ended_perf for s in samples), default=start) - start
    return summarize(samples, max(elapsed, seconds), expect) | {"offered": rate, "samples": samples}


def summarize(samples: list[Sample], seconds: float, expect: int = 201) -> dict:
    lat = [s.latency for s in samples]
    return {
        "rps": len(samples) / seconds,
        "p50": pct(lat, 50),
        "p99": pct(lat, 99),
        "n": len(samples),
        "errors": sum(s.status != expect for s in samples),
    }


# --- realistic intake documents --------------------------------------------------------------------

_CATEGORIES = None


def categories():
    global _CATEGORIES
    if _CATEGORIES is None:
        _CATEGORIES = dict(reference.load())
    return _CATEGORIES


COMPOUNDS = ["lefu-international", "huifeng-1", "huifeng-2", "huifeng-3"]
CHANNELS = ["e_net_mini_program", "opinion_express", "hotline", "walk_in", "staff_assisted"]
STAFF = domain.Actor("bench-staff", "community_staff")


def submission(
    i: int, description: str | None = None, compound: str | None = None, category: str | None = None
) -> dict:
    """The validated fields of a submission (what the API hands the domain)."""
    rnd = random.Random(i)
    return {
        **BODY,
        "description": description or f"{BODY['description']}（{i}号楼居民反映）",
        "compound": compound or rnd.choice(COMPOUNDS),
        "category": category or BODY["category"],
        "channel": rnd.choice(CHANNELS),
        "submitter": {**BODY["submitter"], "phone": f"138{i % 10**8:08d}"},
        "attachments": [],
        "suggested_category": category or BODY["category"],
    }


def request_documents(n: int, seed: int = 146, distinct: int = 500):
    """`n` request documents as the store holds them after their events were published: a mix of
    statuses with their history, dates spread over the last 60 days, empty outbox. `distinct` of
    them are made by the domain's own decisions (submit, accept, route), so field names and sizes
    are the real ones; the rest are copies of those under new ids (the domain costs ~0.3 ms each)."""
    cats = categories()
    rnd = random.Random(seed)
    base = datetime.now(UTC) - timedelta(days=60)
    made = []
    for i in range(n):
        if i >= distinct:
            yield {
                **made[i % distinct],
                "_id": domain.new_request_id(),
                "submitted_by": f"resident-{i % 5000}",
            }
            continue
        at = base + timedelta(seconds=rnd.uniform(0, 60 * 86400))
        fields = submission(rnd.randrange(10**6), category=rnd.choice(list(cats)))
        doc, _ = domain.submit(
            fields, cats[fields["category"]], domain.Actor(f"resident-{i % 5000}", "resident"), at
        )
        version = 1
        for step in range(rnd.choice((0, 0, 1, 2, 2, 2))):  # submitted, accepted or routed
            change = (
                domain.accept(doc, STAFF, at)
                if step == 0
                else domain.route(
                    doc, category=cats[doc["category"]], actor=STAFF, now=at, submitter_ref="ref"
                )
            )
            doc = {**doc, **change.set, "history": [*doc["history"], change.push["history"]]}
            version += 1
        made.append({**doc, "version": version, "outbox": []})
        yield made[-1]


def prefill(collection, target: int, batch: int = 1000) -> int:
    """Insert realistic documents (insert_many, not through the API) until `collection` holds
    `target`; returns how many were inserted."""
    missing = target - collection.estimated_document_count()
    docs, inserted = [], 0
    for doc in request_documents(max(0, missing), seed=target):
        docs.append(doc)
        if len(docs) == batch:
            collection.insert_many(docs, ordered=False)
            inserted, docs = inserted + len(docs), []
    if docs:
        collection.insert_many(docs, ordered=False)
        inserted += len(docs)
    return inserted


def backlog(db, collection: str = "requests") -> tuple[int, int]:
    """(events waiting in the collection's outboxes, markers in outbox_pending). The first is a
    collection scan on the test server, the same query as the relay's sweep."""
    events = sum(
        len(d["outbox"]) for d in db[collection].find({"outbox.0": {"$exists": True}}, {"outbox.event.id": 1})
    )
    return events, db[PENDING].count_documents({})


def ensure_indexes(collection, document_class) -> None:
    """The indexes the service's worker creates at start (its mongoengine `meta`), made with
    pymongo: the benchmark writes through pymongo, not through the service's connection."""
    for spec in document_class._meta["index_specs"]:
        collection.create_index(spec["fields"], **{k: v for k, v in spec.items() if k != "fields"})


def tag() -> str:
    return uuid.uuid4().hex[:8]


@dataclass
class Table:
    """Fixed-width rows, so figures and their baselines line up."""

    columns: list[tuple[str, int]]
    first: int = 34
    rows: list[str] = field(default_factory=list)

    def header(self) -> str:
        return "  " + " " * self.first + "".join(f"{name:>{width}}" for name, width in self.columns)

    def row(self, label: str, *values) -> str:
        cells = []
        for (_, width), v in zip(self.columns, values):
            if isinstance(v, float):  # three significant figures or whole numbers
                cells.append(f"{v:>{width}.{0 if abs(v) >= 100 else 1 if abs(v) >= 10 else 2}f}")
            else:
                cells.append(f"{v!s:>{width}}")
        return f"  {label:<{self.first}}" + "".join(cells)
