"""`make demo`'s loader (deploy/demo/) against the deliberation, employment and mediation APIs and
workers as operators run them: it ends without error, carries on the stories an earlier run left
half-way, loads every story (the three seekers placed on their group's pathway, the neighbour case
fulfilled, the property-fee case escalated and taken up by deliberation), and a second run adds
nothing (no topic, seeker, job, referral or case, no new version of any, no roll entry)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time

import pymongo
import requests

from tests.helpers import JWT_SECRET, MONGO, ROOT, wait_until

DEMO = ROOT / "deploy" / "demo"


def stories(name: str):
    """One of the demo's story modules (its data; the test calls the services itself)."""
    if str(DEMO) not in sys.path:
        sys.path.insert(0, str(DEMO))
    return importlib.import_module(f"stories_{name}")


def run_demo(delib, employment, mediation) -> str:
    env = {
        "DELIBERATION_URL": delib.url,
        "EMPLOYMENT_URL": employment.url,
        "MEDIATION_URL": mediation.url,
        "JWT_SECRET": JWT_SECRET,
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, str(DEMO / "demo.py")],
        env={**env, "PYTHONPATH": str(ROOT / "services")},
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def snapshot(*services) -> dict:
    """Every document the demo makes, by id and version, in each service's database."""
    client = pymongo.MongoClient(MONGO)
    state = {}
    for svc in services:
        db = client[svc.env["MONGODB_DB"]]
        for name in sorted(db.list_collection_names()):
            if name in ("event_positions", "relay_lease") or name.startswith("system."):
                continue  # the workers' own bookkeeping (positions in the topics, the relay's lease)
            state[f"{svc.name}.{name}"] = sorted(
                (str(d["_id"]), d.get("version"), d.get("removed_at") is None)
                for d in db[name].find({}, {"version": 1, "removed_at": 1})
            )
    client.close()
    return state


def settled(*services) -> dict:
    """The state once the workers have acted on the last events (suggestions, pushes, the topic)."""
    last = {"state": None}

    def still():
        time.sleep(1.5)
        now = snapshot(*services)
        same, last["state"] = now == last["state"], now
        return same

    wait_until(still, timeout=60, message="the services' workers settled")
    return last["state"]


def test_the_demo_loads_the_stories_and_a_rerun_adds_nothing(service_factory, mint):
    delib = service_factory("deliberation")
    employment = service_factory("employment")
    mediation = service_factory("mediation")
    for svc in (delib, employment, mediation):
        svc.start_api(workers=2)
        svc.start_worker()
    deliberation_stories, employment_stories, mediation_stories = (
        stories(n) for n in ("deliberation", "employment", "mediation")
    )
    staff = mint("staff", "community_staff", communities=["huifeng", "shengshi", "yiyuan"])

    # An earlier run stopped after the road's notice, after the older seeker registered and after the
    # neighbour case was opened: the demo carries each on from there.
    road = deliberation_stories.ROAD
    party = mint("party", "party_organisation", communities=["huifeng"])
    topic = requests.post(f"{delib.url}/v1/topics", json=road["topic"], headers=staff, timeout=10).json()
    url = f"{delib.url}/v1/topics/{topic['id']}"
    review = {"stage": "topic", **road["topic_review"]}
    assert requests.post(f"{url}/reviews", json=review, headers=party, timeout=10).status_code == 201
    assert requests.post(f"{url}/notice", json=road["notice"], headers=staff, timeout=10).status_code == 200
    older = employment_stories.OLDER
    resp = requests.post(f"{employment.url}/v1/seekers", json=older["seeker"], headers=staff, timeout=10)
    assert resp.status_code == 201, resp.text
    neighbours = mediation_stories.NEIGHBOURS
    resp = requests.post(f"{mediation.url}/v1/cases", json=neighbours["case"], headers=staff, timeout=10)
    assert resp.status_code == 201, resp.text

    first = run_demo(delib, employment, mediation)
    assert "乐福国际小区: carried on from step public_notice" in first, first
    assert "(郑长林, yiyuan): carried on from the pathway" in first, first
    assert "neighbour dispute: carried on from status registered, fulfilled" in first, first
    assert first.count(": loaded") == 5 and "5 imported" in first and "invented" in first, first
    road_now = requests.get(url, headers=staff, timeout=10).json()
    assert road_now["step"] == "closed" and [t["done"] for t in road_now["tasks"]] == [230, 12, 1, 22]
    # the notice board the demo points to shows the road's result and its figures
    assert f"{delib.url}/board/communities/huifeng" in first
    board = requests.get(f"{delib.url}/board/communities/huifeng", timeout=10).text
    assert "乐福国际小区北侧道路修复" in board and '<span class="figure">230 m</span>' in board

    # employment: each seeker placed through a hired referral, on the pathway of their group
    def get(base: str, path: str, **params) -> dict:
        resp = requests.get(f"{base}{path}", params=params, headers=staff, timeout=10)
        assert resp.status_code == 200, (path, resp.text)
        return resp.json()

    pathways = {"youth": "youth-engagement", "middle_aged": "middle-aged-information"}
    pathways["older_worker"] = "older-contribution"
    three = (employment_stories.YOUTH, employment_stories.MIDDLE_AGED, employment_stories.OLDER)
    assert {s["seeker"]["profile"]["target_group"] for s in three} == set(pathways)
    for story in three:
        s, j = story["seeker"], story["job"]
        [seeker] = [
            x
            for x in get(employment.url, "/v1/seekers", community=s["community"])["items"]
            if x["person"]["phone"] == s["person"]["phone"]
        ]
        support = get(employment.url, f"/v1/seekers/{seeker['id']}/support")
        group = s["profile"]["target_group"]
        assert (support["pathway"], support["placed"], seeker["status"]) == (pathways[group], True, "placed")
        assert support["referrals_by_stage"].get("hired") == 1, support
        assert all(x["status"] == "done" for x in support["steps"] if x["kind"] != "training"), support
        [hired] = get(employment.url, "/v1/referrals", seeker_id=seeker["id"], stage="hired")["items"]
        assert (hired["job_title"], hired["job_community"]) == (j["title"], j["community"])
        if story.get("pushed"):  # the middle-aged seeker heard of her job the moment it was posted
            assert [p["job_id"] for p in support["pushed"]] == [hired["job_id"]], support
        if story.get("caseworker"):
            assert support["caseworker_id"] == story["caseworker"]

    # mediation: the neighbour case agreed and fulfilled, the property-fee case escalated and taken up
    cases = {}
    for item in get(mediation.url, "/v1/cases", community="huifeng")["items"]:
        case = get(mediation.url, f"/v1/cases/{item['id']}")
        cases[case["details"]["facts"]] = case
    assert len(cases) == 2
    agreed = cases[neighbours["case"]["facts"]]
    assert (agreed["status"], agreed["outcome"]) == ("fulfilled", "agreement")
    assert len(agreed["details"]["agreement"]["terms"]) == 2 and len(agreed["details"]["sessions"]) == 2
    fee = cases[mediation_stories.PROPERTY_FEE["case"]["facts"]]
    assert (fee["status"], fee["outcome"]) == ("escalated", "escalated")
    [taken_up] = [
        t
        for t in get(delib.url, "/v1/topics", community="huifeng")["items"]
        if (t["origin"], t["origin_ref"]) == ("mediation_case", fee["id"])
    ]
    assert (taken_up["category"], taken_up["compound"]) == ("property_management", "huifeng-3")
    assert f"deliberation topic: {delib.url}/v1/topics/{taken_up['id']}" in first, first

    loaded = settled(delib, employment, mediation)
    assert len(loaded["deliberation.topics"]) == 9 and len(loaded["deliberation.voters"]) == 11
    assert len(loaded["employment.seekers"]) == 3 and len(loaded["mediation.cases"]) == 2
    assert len(loaded["employment.jobs"]) == 3

    second = run_demo(delib, employment, mediation)
    assert second.count("already loaded") == 8 and "0 imported, 5 already there" in second, second
    assert "carried on" not in second, second
    assert settled(delib, employment, mediation) == loaded
