"""Benchmark of the public notice board (deliberation's board.py), each figure beside a baseline
measured in the same run, in-process (Flask test client, throttling off) against the document
server of `make bench`:

- baseline: the public JSON of a community's results (`GET /v1/public/communities/huifeng/results`),
  which reads the same topics and renders no page;
- a community's page rendered (200) and revalidated by a hall screen that has it (304 on its ETag);
- the sub-district's page (every public topic, the whole colour map) rendered and revalidated.

The database holds TOPICS public matters (default 300: about 20 per community, 60 in 汇丰), each a
copy of the road story carried to its result through the API.

Run: KAFKA_BOOTSTRAP=… MONGODB_URI=… .venv/bin/python tests/bench/bench_board.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "services"))

TOPICS = int(os.environ.get("BOARD_TOPICS", "300"))
CALLS = int(os.environ.get("BOARD_CALLS", "200"))


def timed(client, path: str, headers: dict | None = None, expect: int = 200) -> list[float]:
    samples = []
    for _ in range(CALLS):
        t = time.perf_counter()
        resp = client.get(path, headers=headers or {})
        samples.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == expect, (path, resp.status_code, resp.get_data(as_text=True)[:300])
    return samples


def main() -> None:
    from civic146.auth import mint
    from civic146.config import load_settings
    from civic146.registry import REGISTRY
    from deliberation.service import SERVICE
    from deliberation.settings import DeliberationSettings
    from tests.stories import flask, topics

    os.environ.setdefault("JWT_SECRET", "bench-secret")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    db = f"bench_board_{uuid.uuid4().hex[:8]}"
    settings = load_settings(
        DeliberationSettings, mongodb_db=db, throttle_enabled=False, party_review_stages=""
    )
    app = SERVICE.create_app(settings)
    SERVICE.ensure_indexes()
    client = app.test_client()
    staff = {
        "Authorization": "Bearer " + mint(settings.jwt_secret, "bench-staff", ["subdistrict_admin"], None)
    }
    road = flask(client)
    topic_id = topics.road_of_2023_under_way(road, staff)
    topics.road_of_2023_result(road, staff, topic_id)
    original = SERVICE.collections()[0].find_one({"_id": topic_id})
    compounds = list(REGISTRY().compounds.values())
    # 汇丰 holds a fifth of the matters, the other communities share the rest
    copies = []
    for i in range(TOPICS - 1):
        compound = compounds[i % 5 + 5] if i % 5 == 0 else compounds[i % len(compounds)]
        copies.append(
            {
                **original,
                "_id": uuid.uuid4().hex,
                "community": compound.community,
                "compound": compound.id,
                "outbox": [],
            }
        )
    SERVICE.collections()[0].insert_many(copies)
    in_huifeng = SERVICE.collections()[0].count_documents({"community": "huifeng"})
    print(f"notice board: {TOPICS} public matters ({in_huifeng} in huifeng), {CALLS} calls each, ms per call")

    baseline = timed(client, "/v1/public/communities/huifeng/results")
    rows = [("public JSON of huifeng's results (baseline)", baseline)]
    for label, path in (
        ("huifeng's page", "/board/communities/huifeng"),
        ("the sub-district's page", "/board/"),
    ):
        etag = client.get(path).headers["ETag"]
        rows.append((f"{label}, rendered (200)", timed(client, path)))
        rows.append((f"{label}, revalidated (304)", timed(client, path, {"If-None-Match": etag}, 304)))
    base = statistics.median(baseline)
    for label, samples in rows:
        p50 = statistics.median(samples)
        p99 = sorted(samples)[int(len(samples) * 0.99) - 1]
        print(f"   {label:<44} p50 {p50:8.2f}   p99 {p99:8.2f}   x{p50 / base:.2f} of the baseline")
    import pymongo

    pymongo.MongoClient(settings.mongodb_uri).drop_database(db)


if __name__ == "__main__":
    main()
