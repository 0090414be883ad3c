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
from datetime import timedelta

import jsonschema
import pymongo
from kafka import KafkaProducer

from civic146.auth import pseudonym
from civic146.contracts import EVENTS_DIR
from tests.helpers import JWT_SECRET, KAFKA, MONGO, service_database, wait_until
from tests.stories import Clock, http, intake_requests, topics
from tests.stories import votes as voting
from tests.system.conftest import metric, scrape

SCHEMAS: dict[str, dict] = {}


def schema(event_type: str) -> dict:
    if event_type not in SCHEMAS:
        SCHEMAS[event_type] = json.loads((EVENTS_DIR / f"{event_type}.json").read_text(encoding="utf-8"))
    return SCHEMAS[event_type]


def start_both(service_factory, tmp_path):
    clock = Clock(tmp_path / "clock-offset")
    env = {"CLOCK_OFFSET_FILE": str(clock.path), "SCHEDULER_INTERVAL_SECONDS": "1"}
    intake, delib = service_factory("intake", **env), service_factory("deliberation", **env)
    for svc in (intake, delib):
        svc.start_api(workers=2)
        svc.start_worker()
    return intake, delib, clock


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


PROGRESS = "civic146.request.progress.v2"


def test_road_repair_story_end_to_end_then_a_replay_changes_nothing(
    service_factory, mint, topic_reader, tmp_path
):
    intake, delib, clock = start_both(service_factory, tmp_path)
    i, d = http(intake), http(delib)
    prefix = delib.env["TOPIC_PREFIX"]
    staff = mint("staff-huifeng", "community_staff", communities=["huifeng"])

    # 民主提: several residents report the storm-damaged road; intake routes them to deliberation.
    rids = topics.submit_and_route(
        i,
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
    topic = topics.the_one_topic(d, staff, "huifeng", set(rids.values()))
    tid, url = topic["id"], topics.path(topic["id"])
    assert topic["origin"] == "intake_request" and topic["platform"] == "small_bench_talk"
    intake_requests.wait_for_status(i, staff, rids.values(), "in_progress")
    # The residents who raised the requests read the topic (intake's routed v2 names them by
    # pseudonym), with no voter roll or community claim; a neighbour who raised none does not.
    assert d("GET", url, mint("res-a", "resident"))["id"] == tid
    d("GET", url, mint("res-z", "resident", communities=["huifeng"]), expect=403)

    # Step 1 -> 2: the topic is settled and its notice published, readable without a token.
    topics.settle(d, staff, tid, title="乐福国际小区北侧道路修复")
    topics.review(d, topics.party("huifeng"), tid, "topic")
    topics.publish_notice(d, staff, tid, topics.ROAD_NOTICE)
    notices = d("GET", "/v1/public/communities/huifeng/notices")["items"]
    assert [(n["topic_id"], n["kind"], n["title"]) for n in notices] == [
        (tid, "topic", "乐福国际小区北侧道路修复")
    ]

    # Step 3: not before the notice has been up for its minimum period; then two small-bench talks.
    early = d("POST", f"{url}/consultation", staff, expect=409)
    assert early["error"]["code"] == "notice_period_not_elapsed"
    clock.advance(days=3, minutes=1)
    topics.start_consultation(d, staff, tid)
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
        meeting = topics.schedule_meeting(
            d, staff, tid, "huifeng-yishiting", clock.now().isoformat(), participants
        )
        no_minutes = d(
            "POST",
            f"{url}/meetings/{meeting['id']}/held",
            staff,
            {"attendance": attendance, "outcome": outcome},
            expect=422,
        )
        assert no_minutes["error"]["details"][0]["field"] == "minutes"
        held = {
            "attendance": attendance,
            "minutes": minutes,
            "opinions": ["先修路面再修台阶"],
            "outcome": outcome,
        }
        topics.hold_meeting(d, staff, tid, meeting["id"], held)
        clock.advance(days=10)

    # Step 4: the tasks reach 100%; the result cannot be published before that.
    topics.review(d, topics.party("huifeng"), tid, "decision")
    topics.implement(d, staff, tid, topics.ROAD_DECISION)
    due = (clock.now() + timedelta(days=60)).date().isoformat()
    tasks = topics.add_tasks(d, staff, tid, topics.ROAD_WORKS, topics.ROAD_OWNER, due)
    topics.report(d, staff, tid, tasks[0]["id"], 115)
    too_early = d("POST", f"{url}/result", staff, topics.ROAD_NOTICE, expect=409)
    assert "not complete" in too_early["error"]["message"]
    clock.advance(days=30)
    done = topics.complete_tasks(d, staff, tid)
    assert done["progress"] == 100.0

    # Step 5: the result is published; intake resolves the residents' requests with it.
    result = "历时2个月，完成修复硬化路面230米、单元口台阶12处，整合空地1处，增设充电桩22个。"
    topics.publish_result(d, staff, tid, {**topics.ROAD_NOTICE, "text": result})
    published = d("GET", "/v1/public/communities/huifeng/results")["items"]
    assert [(p["topic_id"], p["consultations_held"]) for p in published] == [(tid, 2)]
    assert {(x["title"], x["done"]) for x in published[0]["tasks"]} == {
        (w[0], w[2]) for w in topics.ROAD_WORKS
    }
    resolved = intake_requests.wait_for_status(i, staff, rids.values(), "resolved")
    assert {r["outcome"] for r in resolved} == {result} and {r["reference"] for r in resolved} == {tid}

    # Step 6: the residents rate it in intake; deliberation counts their ratings with the participants'.
    for resident, rid in rids.items():
        i(
            "POST",
            f"/v1/requests/{rid}/rating",
            mint(resident, "resident"),
            {"satisfaction": 5 if resident != "res-c" else 4, "comment": "路修好了"},
            expect=201,
        )
    wait_until(
        lambda: d("GET", url, staff)["request_ratings"] == 3, timeout=60, message="ratings reach the topic"
    )
    topics.open_feedback(d, staff, tid)
    # A participant gives feedback too: residents do so on the topics of their compound's voter roll.
    voting.register(d, staff, "huifeng", ["rep-1"], compound="lefu-international")
    d(
        "POST",
        f"{url}/feedback",
        mint("rep-1", "resident", communities=["huifeng"]),
        {"satisfaction": 5, "comment": "议事过程公开"},
        expect=201,
    )
    closed = topics.close(d, staff, tid, "已在居民议事亭和线上反馈办理情况")
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

    stats = d("GET", "/v1/statistics?community=huifeng", staff)
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
    i, d = http(intake), http(delib)
    prefix = delib.env["TOPIC_PREFIX"]
    databases = [service_database(svc.env) for svc in (intake, delib)]
    before = {rid: i("GET", f"/v1/requests/{rid}", staff) for rid in request_ids}
    topic_before = d("GET", topics.path(topic_id), staff)
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

    after = {rid: i("GET", f"/v1/requests/{rid}", staff) for rid in request_ids}
    assert {r: (d["version"], d["status"]) for r, d in after.items()} == {
        r: (d["version"], d["status"]) for r, d in before.items()
    }
    assert d("GET", topics.path(topic_id), staff) == topic_before
    for name, n in counts.items():  # the originals plus the replayed copies, nothing new
        assert len(topic_reader(prefix + name).read_published(*databases)) == 2 * n


def test_water_pipe_renovation_decided_by_a_residents_vote(service_factory, mint, topic_reader, tmp_path):
    intake, delib, clock = start_both(service_factory, tmp_path)
    i, d = http(intake), http(delib)
    prefix = delib.env["TOPIC_PREFIX"]
    staff = mint("staff-ruyijie", "community_staff", communities=["ruyijie"])
    rids = topics.submit_and_route(
        i,
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
    tid = topics.the_one_topic(d, staff, "ruyijie", set(rids.values()))["id"]
    url = topics.path(tid)

    # The matter goes to the residents' council and is decided by the residents' vote.
    updated = topics.settle(d, staff, tid, title="如意街社区水改工程", platform="residents_council")
    assert updated["vote_required"] is True
    d("POST", f"{url}/deputies", staff, {"deputy_id": "deputy-01"})
    voters = [f"ruyijie-voter-{n:02d}" for n in range(1, 11)]
    roll = voting.register(d, staff, "ruyijie", voters, compound="ruyijie-2")
    assert roll["count"] == 10
    topics.review(d, topics.party("ruyijie"), tid, "topic")
    topics.publish_notice(
        d,
        staff,
        tid,
        {
            "text": "如意街二号院水改工程议题公示，请居民关注居民议事会。",
            "period_days": 7,
            "venue_id": "subdistrict-council-hall",
            "online": True,
        },
    )
    clock.advance(days=3, minutes=1)
    topics.start_consultation(d, staff, tid)
    for n in (1, 2):  # several council meetings
        meeting = topics.schedule_meeting(
            d,
            staff,
            tid,
            "subdistrict-council-hall",
            clock.now().isoformat(),
            {"resident_representatives": 15, "party_members": 5, "deputies": 1},
        )
        held = {
            "attendance": 21,
            "minutes": f"第{n}次居民议事会：讨论水改方案、施工时间和费用分摊",
            "outcome": "提交居民共同表决" if n == 2 else "完善方案",
        }
        topics.hold_meeting(d, staff, tid, meeting["id"], held)
        clock.advance(days=7)

    def ballot(vote_id, voter, choice, expect=201):
        return voting.ballot(d, mint(voter, "resident"), tid, vote_id, choice, expect=expect)

    # First vote: only three residents vote; the quorum (half of the ten) is not met.
    first = voting.open_vote(
        d,
        staff,
        tid,
        {
            "question": "是否同意实施二号院水改工程",
            "scope": "compound",
            "quorum": 0.5,
            "threshold": "two_thirds",
            "closes_at": (clock.now() + timedelta(days=2)).isoformat(),
        },
    )["id"]
    for voter in voters[:3]:
        ballot(first, voter, "approve")
    assert ballot(first, voters[0], "oppose", expect=409)["error"]["code"] == "already_voted"
    assert ballot(first, "someone-else", "approve", expect=403)["error"]["code"] == "not_eligible"
    d("POST", f"{url}/implementation", staff, {"decision": "实施水改工程"}, expect=409)
    clock.advance(days=2, minutes=1)
    # The worker closes the window (no read has happened): the result is on Kafka.
    _, events = read_events(topic_reader, prefix + "deliberation.topics", {t("vote-closed"): 1}, delib)
    [closed1] = [e["data"] for e in events if e["type"] == t("vote-closed")]
    assert (closed1["result"], closed1["ballots_cast"], closed1["turnout"]) == ("quorum_not_met", 3, 0.3)
    assert ballot(first, voters[3], "approve", expect=409)["error"]["code"] == "vote_not_open"
    blocked = d("POST", f"{url}/implementation", staff, {"decision": "实施水改工程"}, expect=409)
    assert "no vote has passed" in blocked["error"]["message"]

    # Re-vote after more council work: it opens in an hour and passes with eight ballots.
    second = voting.open_vote(
        d,
        staff,
        tid,
        {
            "question": "再次表决：是否同意实施二号院水改工程",
            "scope": "compound",
            "quorum": 0.5,
            "threshold": "two_thirds",
            "opens_at": (clock.now() + timedelta(hours=1)).isoformat(),
            "closes_at": (clock.now() + timedelta(days=3)).isoformat(),
        },
    )["id"]
    assert ballot(second, voters[0], "approve", expect=409)["error"]["code"] == "vote_not_open"
    clock.advance(hours=1, minutes=1)
    for voter, choice in zip(voters, ["approve"] * 6 + ["oppose", "abstain"]):
        ballot(second, voter, choice)
    open_vote = d("GET", url, staff)["votes"][1]
    assert open_vote["counts"] is None and open_vote["ballots_cast"] == 8
    clock.advance(days=3)
    votes = voting.wait_closed(d, staff, tid, 1)
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
    topics.review(d, topics.party("ruyijie"), tid, "decision")
    topics.implement(d, staff, tid, "按居民共同表决意愿实施二号院水改工程")
    due = (clock.now() + timedelta(days=30)).date().isoformat()
    [task] = topics.add_tasks(d, staff, tid, [("更换二号院供水管网", "项", 1)], "供水公司、社区居委会", due)
    topics.report(d, staff, tid, task["id"], 1)
    result = "经居民共同表决通过，如意街社区二号院水改工程已完工。"
    topics.publish_result(d, staff, tid, {"text": result, "period_days": 7, "online": True})
    resolved = intake_requests.wait_for_status(i, staff, rids.values(), "resolved")
    assert {r["outcome"] for r in resolved} == {result}
    for resident, rid in rids.items():
        i("POST", f"/v1/requests/{rid}/rating", mint(resident, "resident"), {"satisfaction": 5}, expect=201)
    wait_until(lambda: d("GET", url, staff)["request_ratings"] == 2, message="ratings reach the topic")
    topics.open_feedback(d, staff, tid)
    topics.close(d, staff, tid, "已在居民议事会上通报水改完成情况")
    # Two-way evaluation between the residents and the deputy.
    d(
        "POST",
        f"{url}/evaluations",
        mint(voters[0], "resident", communities=["ruyijie"]),
        {"deputy_id": "deputy-01", "score": 5},
        expect=201,
    )
    evaluated = d(
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
