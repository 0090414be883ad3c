"""Benchmark of what the kit's HTTP layer adds to every request, each figure beside a baseline
measured in the same run, in-process (Flask test client) against the document server of
`make bench`:

1. Reading a JSON body: `json.loads` alone (baseline) against the kit's `read_json` (UTF-8,
   depth and lone-surrogate checks) on a typical request body (0.6 KB) and on one near the
   size limit (62 KB of nested lists and strings).
2. A public route (`GET /v1/categories`): throttling off (baseline) against throttling on with
   the default 300/minute (the moving window in MongoDB: one update per request), the requests
   spread over 10 client addresses so that each window fills to about 220 entries, none breached.

Run: KAFKA_BOOTSTRAP=… MONGODB_URI=… .venv/bin/python tests/bench/bench_http_kit.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "services"))

from civic146.web import read_json  # noqa: E402

TYPICAL = {
    "category": "roads_and_facilities",
    "description": "乐福国际小区北侧道路因强降雨损毁，坑洼严重，老人出行不便。" * 4,
    "community": "huifeng",
    "compound": "lefu-international",
    "location": "北侧道路",
    "channel": "e_net_mini_program",
    "submitter": {"name": "张三", "phone": "13812341234"},
    "attachments": ["https://img.example.cn/road1.jpg"],
}
LARGE = {"items": [{"text": "社区" * 40, "tags": [["a", "b", ["c", "d"]]] * 3} for _ in range(190)]}


def per_call_us(fn, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e6)
    return samples


def line(label: str, base: list[float], new: list[float]) -> str:
    b, n = statistics.median(base), statistics.median(new)
    return f"   {label:<34} baseline p50 {b:9.1f} µs   kit p50 {n:9.1f} µs   (+{n - b:.1f} µs, x{n / b:.2f})"


def bench_bodies() -> None:
    print("1. reading a JSON body (µs per body, 2,000 bodies)")
    for label, doc in (("typical", TYPICAL), ("near the limit", LARGE)):
        raw = json.dumps(doc, ensure_ascii=False).encode()
        base = per_call_us(lambda raw=raw: json.loads(raw), 2000)
        kit = per_call_us(lambda raw=raw: read_json(raw), 2000)
        print(line(f"{label} ({len(raw) / 1024:.1f} KB)", base, kit))


def bench_throttle() -> None:
    from civic146.config import load_settings
    from intake.api import create_app
    from intake.settings import IntakeSettings

    os.environ.setdefault("JWT_SECRET", "bench-secret")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    db = f"bench_kit_{uuid.uuid4().hex[:8]}"
    results = {}
    for enabled in (False, True):
        settings = load_settings(IntakeSettings, mongodb_db=db, throttle_enabled=enabled)
        client = create_app(settings).test_client()
        calls = iter(range(10**9))

        def call(client=client, calls=calls):
            client.get("/v1/categories", environ_base={"REMOTE_ADDR": f"10.0.0.{next(calls) % 10}"})

        for _ in range(200):  # warm-up: connections, caches
            call()
        results[enabled] = per_call_us(call, 2000)
    print("2. GET /v1/categories in-process (µs per request, 2,000 requests)")
    print(line("throttle off → on", results[False], results[True]))
    import pymongo

    pymongo.MongoClient(os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27117/")).drop_database(db)


if __name__ == "__main__":
    print("HTTP kit benchmark (each figure beside a baseline from this run)")
    bench_bodies()
    bench_throttle()
