"""The bulletin's two deliberation stories, replayed end to end with intake and deliberation running
as operators run them (gunicorn APIs + workers), driven over HTTP and read from Kafka.

- road repair (民主议): residents' requests about the storm-damaged road in 乐福国际小区 join one
  topic; notice; two small-bench talks; 230 m of road, 12 steps, 1 plot, 22 charging points; the
  result resolves the requests in intake and the residents rate it;
- water-pipe renovation (民主决) in 如意街社区: decided by a residents' vote; the first vote fails
  its quorum, the re-vote passes, the topic proceeds.

The clock is moved with the shared offset file (notice period, voting windows, two months of work).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pymongo
import requests
from kafka import KafkaProducer

from civic146.auth import pseudonym
from civic146.contracts import EVENTS_DIR
from tests.helpers import JWT_SECRET, KAFKA, MONGO, service_database, wait_until
from tests.system.conftest import metric, scrape

SCHEMAS: dict[str, dict] = {}


def schema(event_type: str) -> dict:
    if event_type not in SCHEMAS:
        SCHEMAS[event_type] = json.loads((EVENTS_DIR / f"{event_type}.json").read_text(encoding="utf-8"))
    return SCHEMAS[event_type]


class Clock:
    def __init__(self, path: Path):
        self.path = path
        path.write_text("0")

    def advance(self, **delta) -> None:
        self.path.write_text(str(float(self.path.read_text()) + timedelta(**delta).total_seconds()))

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=float(self.path.read_text()))


def call(
    method: str, url: str, headers: dict | None = None, body: dict | None = None, expect: int = 200
) -> dict:
    resp = requests.request(method, url, json=body, headers=headers or {}, timeout=10)
    assert resp.status_code == expect, f"{method} {url}: {resp.status_code} {resp.text}"
    return resp.json()


def start_both(service_factory, tmp_path):
    clock = Clock(tmp_path / "clock-offset")
    env = {"CLOCK_OFFSET_FILE": str(clock.path), "SCHEDULER_INTERVAL_SECONDS": "1"}
    intake, delib = service_factory("intake", **env), service_factory("deliberation", **env)
    for svc in (intake, delib):
        svc.start_api(workers=2)
        svc.start_worker()
    return intake, delib, clock


def submit_and_route(intake, staff, mint, residents: dict[str, str], **request) -> dict[str, str]:
    """Each resident submits a request; staff accept it and route it (by its category: deliberation)."""
    ids = {}
    for resident, description in residents.items():
        body = {
            **request,
            "description": description,
            "submitter": {"name": "居民" + resident[-1], "phone": "13812341234"},
        }
        rid = call("POST", f"{intake.url}/v1/requests", mint(resident, "resident"), body, expect=201)["id"]
        call("POST", f"{intake.url}/v1/requests/{rid}/accept", staff)
        assert (
            call("POST", f"{intake.url}/v1/requests/{rid}/route", staff, {})["route_target"] == "deliberation"
        )
        ids[resident] = rid
    return ids


def the_one_topic(delib, staff, community: str, request_ids: set[str]) -> dict:
    def grouped():
        items = call("GET", f"{delib.url}/v1/topics?community={community}", staff)["items"]
        return items if sum(len(t["requests"]) for t in items) == len(request_ids) else None

    items = wait_until(grouped, timeout=60, message="routed requests taken up by deliberation")
    assert len(items) == 1, f"the requests should share one topic: {[t['request_ids'] for t in items]}"
    assert {r["request_id"] for r in items[0]["requests"]} == request_ids
    return items[0]


def wait_for_status(intake, staff, request_ids, status: str) -> list[dict]:
    def all_there():
        docs = [call("GET", f"{intake.url}/v1/requests/{rid}", staff) for rid in request_ids]
        return docs if all(d["status"] == status for d in docs) else None

    return wait_until(all_there, timeout=60, message=f"intake requests {status}")


def unique(records) -> list[dict]:
    """Events by id, first delivery only: delivery is at least once (after a crash, or the replay
    below, an event is on the topic again), and consumers de-duplicate on the id."""
    events = {}
    for r in records:
        event = json.loads(r.value)
        events.setdefault(event["id"], event)
    return list(events.values())


def read_events(topic_reader, topic: str, expected_types: dict[str, int], publisher) -> list[dict]:
    """Read until at least the expected events are there; return every event the publisher (the
    service writing the topic) had committed by then."""
    reader = topic_reader(topic)

    def enough():
        events = unique(reader.read(len(reader.records) + 1, timeout=1))
        have = {t: sum(e["type"] == t for e in events) for t in expected_types}
        return events if all(have[t] >= n for t, n in expected_types.items()) else None

    wait_until(enough, timeout=60, message=f"events on {topic}")
    return reader, unique(reader.read_published(service_database(publisher.env)))


def t(name: str) -> str:
    return f"civic146.deliberation.topic.{name}.v3"


def party_review(url: str, community: str, stage: str) -> dict:
    """The community Party committee approves the topic (before its notice) or the decision (before
    its implementation): the reviews are on by default."""
    from civic146.auth import mint

    party = {
        "Authorization": "Bearer "
        + mint(JWT_SECRET, f"party-{community}", ["party_organisation"], [community])
    }
    body = {"stage": stage, "approved": True, "organisation": "community_party_committee"}
    return call("POST", f"{url}/reviews", party, body, expect=201)


PROGRESS = "civic146.request.progress.v2"
NOTICE = {
    "text": "关于乐福国际小区北侧道路因强降雨损毁的修复议题，现予公示，欢迎居民提出意见。",
    "period_days": 5,
    "venue_id": "huifeng-yishiting",
    "online": True,
}


def test_road_repair_story_end_to_end_then_a_replay_changes_nothing(
    service_factory, mint, topic_reader, tmp_path
):
    intake, delib, clock = start_both(service_factory, tmp_path)
    prefix = delib.env["TOPIC_PREFIX"]
    staff = mint("staff-huifeng", "community_staff", communities=["huifeng"])

    # 民主提: several residents report the storm-damaged road; intake routes them to deliberation.
    rids = submit_and_route(
        intake,
        staff,
        mint,
        {
            "res-a": "乐福国际小区北侧道路因强降雨损毁，坑洼严重，老人出行不便。",
            "res-b": "乐福国际小区北侧道路被暴雨冲毁，路面坑洼，电动车也没地方充电。",
            "res-c": "乐福国际小区北侧道路损毁，单元口台阶也坏了，请尽快修复。",
        },
        category="roads_and_facilities",
        community="huifeng",
        compound="lefu-international",
        channel="opinion_express",
    )
    topic = the_one_topic(delib, staff, "huifeng", set(rids.values()))
    tid, url = topic["id"], f"{delib.url}/v1/topics/{topic['id']}"
    assert topic["origin"] == "intake_request" and topic["platform"] == "small_bench_talk"
    wait_for_status(intake, staff, rids.values(), "in_progress")
    # The residents who raised the requests read the topic (intake's routed v2 names them by
    # pseudonym), with no voter roll or community claim; a neighbour who raised none does not.
    assert call("GET", url, mint("res-a", "resident"))["id"] == tid
    assert (
        requests.get(url, headers=mint("res-z", "resident", communities=["huifeng"]), timeout=10).status_code
        == 403
    )

    # Step 1 -> 2: the topic is settled and its notice published, readable without a token.
    call("PATCH", url, staff, {"title": "乐福国际小区北侧道路修复"})
    party_review(url, "huifeng", "topic")
    call("POST", f"{url}/notice", staff, NOTICE)
    notices = call("GET", f"{delib.url}/v1/public/communities/huifeng/notices")["items"]
    assert [(n["topic_id"], n["kind"], n["title"]) for n in notices] == [
        (tid, "topic", "乐福国际小区北侧道路修复")
    ]

    # Step 3: not before the notice has been up for its minimum period; then two small-bench talks.
    early = requests.post(f"{url}/consultation", headers=staff, timeout=10)
    assert early.status_code == 409 and early.json()["error"]["code"] == "notice_period_not_elapsed"
    clock.advance(days=3, minutes=1)
    call("POST", f"{url}/consultation", staff)
    talks = [
        (
            {"party_members": 4, "resident_representatives": 8, "compound_heads": 3, "volunteers": 3},
            "第一次小板凳恳谈会：居民反映路面坑洼、台阶损坏、充电难；议定先勘测路面和台阶",
            "勘测后拿出修复方案",
            18,
        ),
        (
            {
                "party_members": 4,
                "resident_representatives": 10,
                "compound_heads": 3,
                "volunteers": 2,
                "property_company": 1,
            },
            "第二次小板凳恳谈会：通过修复方案：硬化路面、修复台阶、整合空地、增设充电桩",
            "通过修复方案",
            20,
        ),
    ]
    for participants, minutes, outcome, attendance in talks:
        meeting = call(
            "POST",
            f"{url}/meetings",
            staff,
            {
                "venue_id": "huifeng-yishiting",
                "scheduled_at": clock.now().isoformat(),
                "participants": participants,
            },
            expect=201,
        )["meetings"][-1]
        no_minutes = requests.post(
            f"{url}/meetings/{meeting['id']}/held",
            json={"attendance": attendance, "outcome": outcome},
            headers=staff,
            timeout=10,
        )
        assert (
            no_minutes.status_code == 422 and no_minutes.json()["error"]["details"][0]["field"] == "minutes"
        )
        call(
            "POST",
            f"{url}/meetings/{meeting['id']}/held",
            staff,
            {
                "attendance": attendance,
                "minutes": minutes,
                "opinions": ["先修路面再修台阶"],
                "outcome": outcome,
            },
        )
        clock.advance(days=10)

    # Step 4: the tasks reach 100%; the result cannot be published before that.
    party_review(url, "huifeng", "decision")
    call(
        "POST",
        f"{url}/implementation",
        staff,
        {"decision": "修复硬化路面230米、单元口台阶12处，整合空地1处，增设充电桩22个"},
    )
    works = [
        ("修复硬化路面", "m", 230),
        ("修复单元口台阶", "处", 12),
        ("整合空地", "处", 1),
        ("增设充电桩", "个", 22),
    ]
    for title, unit, target in works:
        call(
            "POST",
            f"{url}/tasks",
            staff,
            {
                "title": title,
                "owner": "汇丰社区居委会、物业公司",
                "unit": unit,
                "target": target,
                "due_date": (clock.now() + timedelta(days=60)).date().isoformat(),
            },
            expect=201,
        )
    tasks = call("GET", url, staff)["tasks"]
    call("POST", f"{url}/tasks/{tasks[0]['id']}/progress", staff, {"done": 115})
    too_early = requests.post(f"{url}/result", json=NOTICE, headers=staff, timeout=10)
    assert too_early.status_code == 409 and "not complete" in too_early.json()["error"]["message"]
    clock.advance(days=30)
    for task in tasks:
        done = call("POST", f"{url}/tasks/{task['id']}/progress", staff, {"done": task["target"]})
    assert done["progress"] == 100.0

    # Step 5: the result is published; intake resolves the residents' requests with it.
    result = "历时2个月，完成修复硬化路面230米、单元口台阶12处，整合空地1处，增设充电桩22个。"
    call("POST", f"{url}/result", staff, {**NOTICE, "text": result})
    published = call("GET", f"{delib.url}/v1/public/communities/huifeng/results")["items"]
    assert [(p["topic_id"], p["consultations_held"]) for p in published] == [(tid, 2)]
    assert {(x["title"], x["done"]) for x in published[0]["tasks"]} == {(w[0], w[2]) for w in works}
    resolved = wait_for_status(intake, staff, rids.values(), "resolved")
    assert {d["outcome"] for d in resolved} == {result} and {d["reference"] for d in resolved} == {tid}

    # Step 6: the residents rate it in intake; deliberation counts their ratings with the participants'.
    for resident, rid in rids.items():
        call(
            "POST",
            f"{intake.url}/v1/requests/{rid}/rating",
            mint(resident, "resident"),
            {"satisfaction": 5 if resident != "res-c" else 4, "comment": "路修好了"},
            expect=201,
        )
    wait_until(
        lambda: call("GET", url, staff)["request_ratings"] == 3, timeout=60, message="ratings reach the topic"
    )
    call("POST", f"{url}/feedback/open", staff)
    # A participant gives feedback too: residents do so on the topics of their compound's voter roll.
    call(
        "POST",
        f"{delib.url}/v1/communities/huifeng/voters",
        staff,
        {"resident_ids": ["rep-1"], "compound": "lefu-international"},
        expect=201,
    )
    call(
        "POST",
        f"{url}/feedback",
        mint("rep-1", "resident", communities=["huifeng"]),
        {"satisfaction": 5, "comment": "议事过程公开"},
        expect=201,
    )
    closed = call("POST", f"{url}/close", staff, {"summary": "已在居民议事亭和线上反馈办理情况"})
    assert closed["step"] == "closed" and closed["mean_satisfaction"] == 4.75
    assert [s["step"] for s in closed["steps"] if not s.get("review")] == [
        "determine_topic",
        "public_notice",
        "consultation",
        "implementation",
        "publish_result",
        "feedback",
        "closed",
    ]
    assert [s["review"]["stage"] for s in closed["steps"] if s.get("review")] == ["topic", "decision"]

    # Kafka: every step is an event; every event matches its committed schema; no personal data.
    reader, events = read_events(
        topic_reader,
        prefix + "deliberation.topics",
        {
            t("created"): 1,
            t("request-attached"): 3,
            t("notice-published"): 1,
            t("consultation-started"): 1,
            t("meeting-held"): 2,
            t("implementation-started"): 1,
            t("task-added"): 4,
            t("result-published"): 1,
            t("feedback-opened"): 1,
            t("closed"): 1,
            PROGRESS: 6,
        },
        delib,
    )
    for e in events:
        jsonschema.validate(e, schema(e["type"]))
        assert e["subject"] == tid
    assert {r.key.decode() for r in reader.records} == {tid}  # Kafka key = topic id
    raw = "".join(r.value.decode() for r in reader.records)
    assert "13812341234" not in raw and "居民a" not in raw
    assert not any(pseudonym(JWT_SECRET, r) in raw or r in raw for r in rids)  # nor who raised the requests
    progress = sorted((e["data"]["request_id"], e["data"]["state"]) for e in events if e["type"] == PROGRESS)
    assert progress == sorted((rid, s) for rid in rids.values() for s in ("in_progress", "resolved"))

    samples = scrape(delib.api_metrics_url)
    assert metric(samples, "civic146_deliberation_consultations_held_total", community="huifeng") == 2
    assert metric(samples, "civic146_deliberation_consultation_participants_total", community="huifeng") == 38
    assert metric(samples, "civic146_deliberation_matters_solved_total", community="huifeng") == 1
    assert metric(samples, "civic146_deliberation_step_transitions_total", step="closed") == 1

    stats = call("GET", f"{delib.url}/v1/statistics?community=huifeng", staff)
    assert (
        stats["topics"],
        stats["by_step"],
        stats["consultations_held"],
        stats["participants"],
        stats["matters_solved"],
    ) == (1, {"closed": 1}, 2, 38, 1)
    assert round(stats["median_hours_in_step"]["implementation"] / 24) == 30

    replay_changes_nothing(intake, delib, staff, rids.values(), tid, topic_reader)


def replay_changes_nothing(intake, delib, staff, request_ids, topic_id, topic_reader):
    """Produce both topics again, with the consumers' processed-events records wiped, and check that
    neither service changed anything nor published anything more."""
    prefix = delib.env["TOPIC_PREFIX"]
    databases = [service_database(svc.env) for svc in (intake, delib)]
    before = {rid: call("GET", f"{intake.url}/v1/requests/{rid}", staff) for rid in request_ids}
    topic_before = call("GET", f"{delib.url}/v1/topics/{topic_id}", staff)
    streams = {
        name: topic_reader(prefix + name).read_published(*databases)
        for name in ("deliberation.topics", "intake.requests")
    }
    counts = {name: len(records) for name, records in streams.items()}
    client = pymongo.MongoClient(MONGO)
    for svc in (intake, delib):
        client[svc.env["MONGODB_DB"]].processed_events.delete_many({})
    client.close()

    def handled(svc, topic):  # with the processed-events records gone, the replay is caught as stale
        samples = scrape(svc.worker_metrics_url)
        return sum(
            metric(samples, "civic146_events_consumed_total", topic=prefix + topic, outcome=outcome)
            for outcome in ("applied", "duplicate", "stale")
        )

    start = {"intake": handled(intake, "deliberation.topics"), "delib": handled(delib, "intake.requests")}
    producer = KafkaProducer(bootstrap_servers=KAFKA)
    for records in streams.values():
        for r in records:
            producer.send(r.topic, key=r.key, value=r.value, headers=r.headers)
    producer.flush()
    producer.close()
    progress = sum(json.loads(r.value)["type"] == PROGRESS for r in streams["deliberation.topics"])
    handled_by_delib = sum(
        json.loads(r.value)["type"]
        in ("civic146.intake.request.routed.v4", "civic146.intake.request.rated.v2")
        for r in streams["intake.requests"]
    )
    wait_until(
        lambda: (
            handled(intake, "deliberation.topics") - start["intake"] >= progress
            and handled(delib, "intake.requests") - start["delib"] >= handled_by_delib
        ),
        timeout=60,
        message="the replay consumed",
    )

    after = {rid: call("GET", f"{intake.url}/v1/requests/{rid}", staff) for rid in request_ids}
    assert {r: (d["version"], d["status"]) for r, d in after.items()} == {
        r: (d["version"], d["status"]) for r, d in before.items()
    }
    assert call("GET", f"{delib.url}/v1/topics/{topic_id}", staff) == topic_before
    for name, n in counts.items():  # the originals plus the replayed copies, nothing new
        assert len(topic_reader(prefix + name).read_published(*databases)) == 2 * n


def test_water_pipe_renovation_decided_by_a_residents_vote(service_factory, mint, topic_reader, tmp_path):
    intake, delib, clock = start_both(service_factory, tmp_path)
    prefix = delib.env["TOPIC_PREFIX"]
    staff = mint("staff-ruyijie", "community_staff", communities=["ruyijie"])
    rids = submit_and_route(
        intake,
        staff,
        mint,
        {
            "res-1": "如意街二号院自来水管老化漏水，水压低，申请水改。",
            "res-2": "如意街二号院水管老化经常停水漏水，希望进行水改。",
        },
        category="water_and_pipes",
        community="ruyijie",
        compound="ruyijie-2",
        channel="e_net_mini_program",
    )
    topic = the_one_topic(delib, staff, "ruyijie", set(rids.values()))
    url = f"{delib.url}/v1/topics/{topic['id']}"

    # The matter goes to the residents' council and is decided by the residents' vote.
    updated = call("PATCH", url, staff, {"title": "如意街社区水改工程", "platform": "residents_council"})
    assert updated["vote_required"] is True
    call("POST", f"{url}/deputies", staff, {"deputy_id": "deputy-01"})
    voters = [f"ruyijie-voter-{i:02d}" for i in range(1, 11)]
    roll = call(
        "POST",
        f"{delib.url}/v1/communities/ruyijie/voters",
        staff,
        {"resident_ids": voters, "compound": "ruyijie-2"},
        expect=201,
    )
    assert roll["count"] == 10
    party_review(url, "ruyijie", "topic")
    call(
        "POST",
        f"{url}/notice",
        staff,
        {
            "text": "如意街二号院水改工程议题公示，请居民关注居民议事会。",
            "period_days": 7,
            "venue_id": "subdistrict-council-hall",
            "online": True,
        },
    )
    clock.advance(days=3, minutes=1)
    call("POST", f"{url}/consultation", staff)
    for n in (1, 2):  # several council meetings
        mid = call(
            "POST",
            f"{url}/meetings",
            staff,
            {
                "venue_id": "subdistrict-council-hall",
                "scheduled_at": clock.now().isoformat(),
                "participants": {"resident_representatives": 15, "party_members": 5, "deputies": 1},
            },
            expect=201,
        )["meetings"][-1]["id"]
        call(
            "POST",
            f"{url}/meetings/{mid}/held",
            staff,
            {
                "attendance": 21,
                "minutes": f"第{n}次居民议事会：讨论水改方案、施工时间和费用分摊",
                "outcome": "提交居民共同表决" if n == 2 else "完善方案",
            },
        )
        clock.advance(days=7)

    def ballot(vote_id, voter, choice, expect=201):
        return requests.post(
            f"{url}/votes/{vote_id}/ballots",
            json={"choice": choice},
            headers=mint(voter, "resident"),
            timeout=10,
        ), expect

    # First vote: only three residents vote; the quorum (half of the ten) is not met.
    first = call(
        "POST",
        f"{url}/votes",
        staff,
        {
            "question": "是否同意实施二号院水改工程",
            "scope": "compound",
            "quorum": 0.5,
            "threshold": "two_thirds",
            "closes_at": (clock.now() + timedelta(days=2)).isoformat(),
        },
        expect=201,
    )["votes"][0]["id"]
    for voter in voters[:3]:
        resp, _ = ballot(first, voter, "approve")
        assert resp.status_code == 201, resp.text
    for resp, (status, code) in [
        (ballot(first, voters[0], "oppose")[0], (409, "already_voted")),
        (ballot(first, "someone-else", "approve")[0], (403, "not_eligible")),
    ]:
        assert (resp.status_code, resp.json()["error"]["code"]) == (status, code)
    assert (
        requests.post(
            f"{url}/implementation", json={"decision": "实施水改工程"}, headers=staff, timeout=10
        ).status_code
        == 409
    )
    clock.advance(days=2, minutes=1)
    # The worker closes the window (no read has happened): the result is on Kafka.
    _, events = read_events(topic_reader, prefix + "deliberation.topics", {t("vote-closed"): 1}, delib)
    [closed1] = [e["data"] for e in events if e["type"] == t("vote-closed")]
    assert (closed1["result"], closed1["ballots_cast"], closed1["turnout"]) == ("quorum_not_met", 3, 0.3)
    resp, _ = ballot(first, voters[3], "approve")
    assert (resp.status_code, resp.json()["error"]["code"]) == (409, "vote_not_open")
    blocked = requests.post(
        f"{url}/implementation", json={"decision": "实施水改工程"}, headers=staff, timeout=10
    )
    assert blocked.status_code == 409 and "no vote has passed" in blocked.json()["error"]["message"]

    # Re-vote after more council work: it opens in an hour and passes with eight ballots.
    second = call(
        "POST",
        f"{url}/votes",
        staff,
        {
            "question": "再次表决：是否同意实施二号院水改工程",
            "scope": "compound",
            "quorum": 0.5,
            "threshold": "two_thirds",
            "opens_at": (clock.now() + timedelta(hours=1)).isoformat(),
            "closes_at": (clock.now() + timedelta(days=3)).isoformat(),
        },
        expect=201,
    )["votes"][1]["id"]
    resp, _ = ballot(second, voters[0], "approve")
    assert (resp.status_code, resp.json()["error"]["code"]) == (409, "vote_not_open")
    clock.advance(hours=1, minutes=1)
    for voter, choice in zip(voters, ["approve"] * 6 + ["oppose", "abstain"]):
        resp, _ = ballot(second, voter, choice)
        assert resp.status_code == 201, resp.text
    open_vote = call("GET", url, staff)["votes"][1]
    assert open_vote["counts"] is None and open_vote["ballots_cast"] == 8
    clock.advance(days=3)
    votes = wait_until(
        lambda: (v := call("GET", url, staff)["votes"]) and v[1]["status"] == "closed" and v,
        message="re-vote closed",
    )
    assert [(v["result"], v["turnout"]) for v in votes] == [("quorum_not_met", 0.3), ("passed", 0.8)]
    assert votes[1]["counts"] == [
        {"option": "approve", "count": 6},
        {"option": "oppose", "count": 1},
        {"option": "abstain", "count": 1},
    ]

    # A read shows the vote closed before the worker's close_due_votes job commits it; a write in
    # between would meet that commit (409 concurrent_update): go on once its event is out.
    read_events(topic_reader, prefix + "deliberation.topics", {t("vote-closed"): 2}, delib)

    # The topic proceeds: implementation, result, the requests resolved in intake and rated.
    party_review(url, "ruyijie", "decision")
    call("POST", f"{url}/implementation", staff, {"decision": "按居民共同表决意愿实施二号院水改工程"})
    task = call(
        "POST",
        f"{url}/tasks",
        staff,
        {
            "title": "更换二号院供水管网",
            "owner": "供水公司、社区居委会",
            "unit": "项",
            "target": 1,
            "due_date": (clock.now() + timedelta(days=30)).date().isoformat(),
        },
        expect=201,
    )["tasks"][0]
    call("POST", f"{url}/tasks/{task['id']}/progress", staff, {"done": 1})
    result = "经居民共同表决通过，如意街社区二号院水改工程已完工。"
    call("POST", f"{url}/result", staff, {"text": result, "period_days": 7, "online": True})
    resolved = wait_for_status(intake, staff, rids.values(), "resolved")
    assert {d["outcome"] for d in resolved} == {result}
    for resident, rid in rids.items():
        call(
            "POST",
            f"{intake.url}/v1/requests/{rid}/rating",
            mint(resident, "resident"),
            {"satisfaction": 5},
            expect=201,
        )
    wait_until(lambda: call("GET", url, staff)["request_ratings"] == 2, message="ratings reach the topic")
    call("POST", f"{url}/feedback/open", staff)
    call("POST", f"{url}/close", staff, {"summary": "已在居民议事会上通报水改完成情况"})
    # Two-way evaluation between the residents and the deputy.
    call(
        "POST",
        f"{url}/evaluations",
        mint(voters[0], "resident", communities=["ruyijie"]),
        {"deputy_id": "deputy-01", "score": 5},
        expect=201,
    )
    evaluated = call(
        "POST",
        f"{url}/evaluations",
        mint("deputy-01", "deputy"),
        {"score": 5, "comment": "居民参与踊跃"},
        expect=201,
    )
    assert [(e["by_role"], e["target"]) for e in evaluated["evaluations"]] == [
        ("resident", "deputy-01"),
        ("deputy", "handling"),
    ]

    reader, events = read_events(
        topic_reader,
        prefix + "deliberation.topics",
        {t("vote-closed"): 2, t("closed"): 1, t("evaluated"): 2, PROGRESS: 4},
        delib,
    )
    for e in events:
        jsonschema.validate(e, schema(e["type"]))
    assert [e["data"]["result"] for e in events if e["type"] == t("vote-closed")] == [
        "quorum_not_met",
        "passed",
    ]
    raw = "".join(r.value.decode() for r in reader.records)
    assert "ruyijie-voter" not in raw  # ballots are secret: no voter id ever leaves the service

    api, worker = scrape(delib.api_metrics_url), scrape(delib.worker_metrics_url)
    assert metric(api, "civic146_deliberation_ballots_cast_total", community="ruyijie") == 11
    for result_label in ("quorum_not_met", "passed"):
        assert (
            metric(api, "civic146_deliberation_votes_closed_total", result=result_label)
            + metric(worker, "civic146_deliberation_votes_closed_total", result=result_label)
            == 1
        )
    wait_until(
        lambda: (
            metric(
                scrape(delib.worker_metrics_url),
                "civic146_deliberation_last_vote_turnout",
                community="ruyijie",
            )
            == 0.8
        ),
        message="turnout gauge",
    )
    wait_until(
        lambda: (
            metric(
                scrape(delib.worker_metrics_url),
                "civic146_deliberation_topics_by_step",
                platform="residents_council",
                step="closed",
            )
            == 1
        ),
        message="topics-by-step gauge",
    )
