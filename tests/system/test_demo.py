"""`make demo`'s loader (deploy/demo/demo.py) against the deliberation API and worker as operators
run them: it ends without error, and a second run adds nothing (no topic, no new version, no roll
entry, the same statistics)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pymongo
import requests

from tests.helpers import JWT_SECRET, MONGO, ROOT


def demo_module():
    spec = importlib.util.spec_from_file_location("demo", ROOT / "deploy" / "demo" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_demo(delib) -> str:
    env = {"DELIBERATION_URL": delib.url, "JWT_SECRET": JWT_SECRET, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "demo" / "demo.py")],
        env={**env, "PYTHONPATH": str(ROOT / "services")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def snapshot(delib) -> dict:
    client = pymongo.MongoClient(MONGO)
    db = client[delib.env["MONGODB_DB"]]
    state = {
        "topics": sorted((d["_id"], d["version"]) for d in db.topics.find({}, {"version": 1})),
        "voters": sorted(
            (d["_id"], d.get("removed_at") is None) for d in db.voters.find({}, {"removed_at": 1})
        ),
    }
    client.close()
    return state


def test_the_demo_loads_the_stories_and_a_rerun_adds_nothing(service_factory, mint):
    delib = service_factory("deliberation")
    delib.start_api(workers=2)
    delib.start_worker()
    # An earlier run stopped after the road's notice: the demo carries the story on from there.
    road = demo_module().ROAD
    staff = mint("staff", "community_staff", communities=["huifeng"])
    party = mint("party", "party_organisation", communities=["huifeng"])
    topic = requests.post(f"{delib.url}/v1/topics", json=road["topic"], headers=staff, timeout=10).json()
    url = f"{delib.url}/v1/topics/{topic['id']}"
    review = {"stage": "topic", **road["topic_review"]}
    assert requests.post(f"{url}/reviews", json=review, headers=party, timeout=10).status_code == 201
    assert requests.post(f"{url}/notice", json=road["notice"], headers=staff, timeout=10).status_code == 200

    first = run_demo(delib)
    assert "乐福国际小区: carried on from step public_notice" in first, first
    assert first.count(": loaded") == 2 and "5 imported" in first and "invented" in first, first
    road_now = requests.get(url, headers=staff, timeout=10).json()
    assert road_now["step"] == "closed" and [t["done"] for t in road_now["tasks"]] == [230, 12, 1, 22]
    loaded = snapshot(delib)
    assert len(loaded["topics"]) == 8 and len(loaded["voters"]) == 11

    second = run_demo(delib)
    assert second.count("already loaded") == 3 and "0 imported, 5 already there" in second, second
    assert snapshot(delib) == loaded
