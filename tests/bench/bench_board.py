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


def road(client, staff: dict) -> str:
    def ok(resp, status=200):
        assert resp.status_code == status, resp.get_data(as_text=True)
        return resp.json

    body = {
        "title": "乐福国际小区北侧道路修复",
        "description": "乐福国际小区北侧道路因强降雨损毁",
        "community": "huifeng",
        "compound": "lefu-international",
        "category": "roads_and_facilities",
        "platform": "small_bench_talk",
        "raised_at": "2023-08-21T10:00:00+08:00",
    }
    url = f"/v1/topics/{ok(client.post('/v1/topics', json=body, headers=staff), 201)['id']}"
    notice = {
        "text": "关于北侧道路修复的议题公示",
        "period_days": 5,
        "venue_id": "huifeng-yishiting",
        "online": True,
    }
    ok(client.post(f"{url}/notice", json={**notice, "posted_at": "2023-08-25T08:00:00+08:00"}, headers=staff))
    ok(client.post(f"{url}/consultation", json={"started_at": "2023-08-29T10:00:00+08:00"}, headers=staff))
    for day in ("2023-08-31", "2023-09-21", "2023-10-19"):
        meeting = {
            "venue_id": "huifeng-yishiting",
            "scheduled_at": f"{day}T19:00:00+08:00",
            "participants": {"volunteers": 3},
        }
        mid = ok(client.post(f"{url}/meetings", json=meeting, headers=staff), 201)["meetings"][-1]["id"]
        held = {
            "attendance": 20,
            "minutes": "小板凳恳谈会记录，居民意见",
            "outcome": "形成意见",
            "held_at": f"{day}T21:00:00+08:00",
        }
        ok(client.post(f"{url}/meetings/{mid}/held", json=held, headers=staff))
    ok(
        client.post(
            f"{url}/implementation",
            json={"decision": "修复北侧道路和台阶", "started_at": "2023-10-23T10:00:00+08:00"},
            headers=staff,
        )
    )
    for title, unit, target in (
        ("路面", "m", 230),
        ("台阶", "处", 12),
        ("空地", "处", 1),
        ("充电桩", "个", 22),
    ):
        task = {"title": title, "owner": "物业", "unit": unit, "target": target, "due_date": "2023-11-20"}
        tid = ok(client.post(f"{url}/tasks", json=task, headers=staff), 201)["tasks"][-1]["id"]
        ok(
            client.post(
                f"{url}/tasks/{tid}/progress",
                json={"done": target, "reported_at": "2023-11-20T10:00:00+08:00"},
                headers=staff,
            )
        )
    ok(
        client.post(
            f"{url}/result",
            json={**notice, "text": "完成修复硬化路面230米等四项", "posted_at": "2023-11-24T10:00:00+08:00"},
            headers=staff,
        )
    )
    return url.rsplit("/", 1)[1]


def main() -> None:
    from civic146.auth import mint
    from civic146.config import load_settings
    from civic146.registry import REGISTRY
    from deliberation.service import SERVICE
    from deliberation.settings import DeliberationSettings

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
    original = SERVICE.collections()[0].find_one({"_id": road(client, staff)})
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
