"""`make demo`'s loader (deploy/demo/demo.py) against the deliberation API and worker as operators
run them: it ends without error, and a second run adds nothing (no topic, no new version, no roll
entry, the same statistics)."""

from __future__ import annotations

import subprocess
import sys

import pymongo

from tests.helpers import JWT_SECRET, MONGO, ROOT


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


def test_the_demo_loads_the_stories_and_a_rerun_adds_nothing(service_factory):
    delib = service_factory("deliberation")
    delib.start_api(workers=2)
    delib.start_worker()
    first = run_demo(delib)
    assert first.count(": loaded") == 3 and "5 imported" in first and "invented" in first, first
    loaded = snapshot(delib)
    assert len(loaded["topics"]) == 8 and len(loaded["voters"]) == 11

    second = run_demo(delib)
    assert second.count("already loaded") == 3 and "0 imported, 5 already there" in second, second
    assert snapshot(delib) == loaded
