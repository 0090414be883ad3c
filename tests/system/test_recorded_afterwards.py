"""The bulletin's two deliberation stories entered as they really happened in 2023, after the fact,
in one run of the deliberation API (gunicorn) and worker, with the server's own clock:

- the road north of 乐福国际小区 (民主议): the matter raised in August, reviewed by the community
  Party committee, the notice posted on the board, talks over two months, the decision reviewed,
  230 m / 12 / 1 / 22 done, the result posted and reported back;
- the 如意街 water pipes (民主决): decided by two residents' votes counted on paper, the first one
  short of its quorum, the second passed; one resident moved away between them, so the second
  vote's quorum is on the roll as it was when it opened.

Each fact carries when it happened beside when it was recorded; the notice period, the votes'
quorum and threshold, the Party organisation's reviews and the order of the steps are enforced on
those times, and a fact dated in the future or before its step is a 422 naming the field that
changes nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import jsonschema

from civic146.contracts import EVENTS_DIR
from tests.helpers import wait_until
from tests.stories import at, http, topics
from tests.stories import votes as voting


def refused_field(call, topic_id: str, headers: dict, method: str, path: str, body: dict | None, field: str):
    """A 422 naming `field`, and the topic exactly as it was."""
    before = call("GET", topics.path(topic_id), headers)
    error = call(method, topics.path(topic_id) + path, headers, body, expect=422)["error"]
    assert [d["field"] for d in error["details"]] == [field], error
    assert call("GET", topics.path(topic_id), headers) == before


def v3(name: str) -> str:
    return f"civic146.deliberation.topic.{name}.v3"


def test_the_road_and_the_water_pipes_recorded_after_the_fact(service_factory, mint, topic_reader):
    delib = service_factory("deliberation", SCHEDULER_INTERVAL_SECONDS="1")
    delib.start_api(workers=2)
    delib.start_worker()
    d = http(delib)
    staff = mint("staff-huifeng", "community_staff", communities=["huifeng", "ruyijie"])
    party = mint("party-huifeng", "party_organisation", communities=["huifeng", "ruyijie"])
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()

    # --- the road: raised in August 2023 ------------------------------------------------------------
    road = topics.create(d, staff, {**topics.ROAD, "raised_at": at("2023-08-21")})
    tid, url = road["id"], topics.path(road["id"])
    assert road["created_at"].startswith("2023-08-21") and road["steps"][0]["at"].startswith("2023-08-21")
    assert road["steps"][0]["recorded_at"][:10] == datetime.now(UTC).date().isoformat()  # recorded today
    raised_in_future = d("POST", "/v1/topics", staff, {**_topic_body(), "raised_at": future}, expect=422)
    assert [x["field"] for x in raised_in_future["error"]["details"]] == ["raised_at"]

    notice = {**topics.ROAD_NOTICE, "posted_at": at("2023-08-25", "08:00")}
    # The core's role (on by default): no notice before the community Party committee reviewed the topic.
    no_review = d("POST", f"{url}/notice", staff, notice, expect=409)
    assert no_review["error"]["code"] == "party_review_required"
    refused_field(
        d,
        tid,
        party,
        "POST",
        "/reviews",
        {
            "stage": "topic",
            "approved": True,
            "organisation": "community_party_committee",
            "reviewed_at": at("2023-08-20"),
        },
        "reviewed_at",
    )  # before the topic was raised
    topics.review(d, party, tid, "topic", comment="同意列为议题，党员带头参与", reviewed_at=at("2023-08-23"))
    refused_field(d, tid, staff, "POST", "/notice", {**notice, "posted_at": future}, "posted_at")
    refused_field(d, tid, staff, "POST", "/notice", {**notice, "posted_at": at("2023-08-20")}, "posted_at")
    topics.publish_notice(d, staff, tid, notice)

    # The notice period counts from when the notice really went up (25 Aug, 3 days minimum).
    early = d("POST", f"{url}/consultation", staff, {"started_at": at("2023-08-27")}, expect=409)["error"]
    assert early["code"] == "notice_period_not_elapsed"
    assert early["details"]["earliest_consultation_at"].startswith("2023-08-28T00:00")
    refused_field(d, tid, staff, "POST", "/consultation", {"started_at": future}, "started_at")
    topics.start_consultation(d, staff, tid, started_at=at("2023-08-29"))

    # Small-bench talks over two months, each recorded with the day it was held.
    talks = [
        ("2023-08-31", 18, "第一次小板凳恳谈会：居民反映路面坑洼、台阶损坏、充电难；议定先勘测"),
        ("2023-09-21", 20, "第二次小板凳恳谈会：讨论勘测结果和修复方案，听取楼院三长意见"),
        ("2023-10-19", 22, "第三次小板凳恳谈会：通过修复方案：硬化路面、修复台阶、整合空地、增设充电桩"),
    ]
    for day, attendance, minutes in talks:
        meeting = topics.schedule_meeting(
            d,
            staff,
            tid,
            "huifeng-yishiting",
            at(day, "19:00"),
            {"party_members": 4, "resident_representatives": 8, "compound_heads": 3, "volunteers": 3},
        )
        held = {
            "attendance": attendance,
            "minutes": minutes,
            "outcome": "形成意见",
            "held_at": at(day, "21:00"),
        }
        held_path = f"/meetings/{meeting['id']}/held"
        refused_field(d, tid, staff, "POST", held_path, {**held, "held_at": future}, "held_at")
        refused_field(d, tid, staff, "POST", held_path, {**held, "held_at": at("2023-08-28")}, "held_at")
        topics.hold_meeting(d, staff, tid, meeting["id"], held)
    # A meeting scheduled for later cannot be recorded as held now without saying when.
    later = topics.schedule_meeting(d, staff, tid, "huifeng-yishiting", future, {"volunteers": 2})
    refused_field(
        d,
        tid,
        staff,
        "POST",
        f"/meetings/{later['id']}/held",
        {"attendance": 2, "minutes": "提前召开的碰头会记录", "outcome": "无结论"},
        "held_at",
    )

    decision = {"decision": topics.ROAD_DECISION, "started_at": at("2023-10-23")}
    no_review = d("POST", f"{url}/implementation", staff, decision, expect=409)
    assert no_review["error"]["code"] == "party_review_required"
    topics.review(d, party, tid, "decision", reviewed_at=at("2023-10-20"))
    # Not before the last talk (19 Oct), whatever the consultation step allows.
    refused_field(
        d,
        tid,
        staff,
        "POST",
        "/implementation",
        {**decision, "started_at": at("2023-10-19", "10:00")},
        "started_at",
    )
    topics.implement(d, staff, tid, topics.ROAD_DECISION, started_at=at("2023-10-23"))
    tasks = topics.add_tasks(d, staff, tid, topics.ROAD_WORKS, topics.ROAD_OWNER, "2023-12-20")
    topics.report(d, staff, tid, tasks[0]["id"], 120, reported_at=at("2023-11-06"))
    refused_field(
        d,
        tid,
        staff,
        "POST",
        f"/tasks/{tasks[0]['id']}/progress",
        {"done": 150, "reported_at": at("2023-11-01")},
        "reported_at",
    )  # before the task's previous report
    for task, day in zip(tasks, ["2023-11-20", "2023-11-15", "2023-11-10", "2023-11-22"]):
        topics.report(d, staff, tid, task["id"], task["target"], reported_at=at(day))
    result = {
        **notice,
        "text": "历时2个月，完成修复硬化路面230米、单元口台阶12处，整合空地1处，增设充电桩22个。",
        "posted_at": at("2023-11-21"),
    }
    refused_field(d, tid, staff, "POST", "/result", result, "posted_at")  # before the last report (22 Nov)
    topics.publish_result(d, staff, tid, {**result, "posted_at": at("2023-11-24")})
    topics.open_feedback(d, staff, tid, opened_at=at("2023-11-25"))
    closed = topics.close(d, staff, tid, "已在居民议事亭和线上反馈办理情况", closed_at=at("2023-12-05"))
    trail = [(s["step"], s["at"][:10], bool(s.get("review"))) for s in closed["steps"]]
    assert trail == [
        ("determine_topic", "2023-08-21", False),
        ("determine_topic", "2023-08-23", True),
        ("public_notice", "2023-08-25", False),
        ("consultation", "2023-08-29", False),
        ("consultation", "2023-10-20", True),
        ("implementation", "2023-10-23", False),
        ("publish_result", "2023-11-24", False),
        ("feedback", "2023-11-25", False),
        ("closed", "2023-12-05", False),
    ]
    assert all(s["recorded_at"] > "2024" for s in closed["steps"])  # both times kept
    assert [m["held_at"][:10] for m in closed["meetings"][:3]] == [t[0] for t in talks]
    assert closed["notice"]["starts_at"].startswith("2023-08-25T00:00:00")  # 08:00 in Beijing

    # --- the water pipes of 如意街, decided by paper votes ----------------------------------------------
    pipes = topics.create(
        d,
        staff,
        {
            "title": "如意街社区水改工程",
            "description": "如意街二号院自来水管老化漏水，水压低，居民申请水改",
            "community": "ruyijie",
            "compound": "ruyijie-2",
            "category": "water_and_pipes",
            "platform": "residents_council",
            "raised_at": at("2023-05-08"),
        },
    )
    pid, purl = pipes["id"], topics.path(pipes["id"])
    assert pipes["vote_required"] is True
    voters = [f"ruyijie-voter-{i:02d}" for i in range(1, 11)]
    roll = voting.register(d, staff, "ruyijie", voters, compound="ruyijie-2", registered_at=at("2023-05-01"))
    assert roll["count"] == 10
    topics.review(d, party, pid, "topic", reviewed_at=at("2023-05-09"))
    topics.publish_notice(
        d,
        staff,
        pid,
        {
            "text": "如意街二号院水改工程议题公示，请居民关注居民议事会。",
            "period_days": 7,
            "online": True,
            "posted_at": at("2023-05-10"),
        },
    )
    topics.start_consultation(d, staff, pid, started_at=at("2023-05-17"))
    for n, day in enumerate(["2023-05-20", "2023-06-10"], start=1):
        meeting = topics.schedule_meeting(
            d,
            staff,
            pid,
            "subdistrict-council-hall",
            at(day, "15:00"),
            {"resident_representatives": 15, "party_members": 5},
        )
        held = {
            "attendance": 20,
            "minutes": f"第{n}次居民议事会：讨论水改方案、施工时间和费用分摊",
            "outcome": "提交居民共同表决",
            "held_at": at(day, "17:00"),
        }
        topics.hold_meeting(d, staff, pid, meeting["id"], held)
    first = {
        "question": "是否同意实施二号院水改工程",
        "scope": "compound",
        "quorum": 0.5,
        "threshold": "two_thirds",
        "opens_at": at("2023-06-12", "08:00"),
        "closes_at": at("2023-06-14", "20:00"),
        "counts": {"approve": 3},
    }
    refused_field(d, pid, staff, "POST", "/votes/paper", {**first, "closes_at": future}, "closes_at")
    refused_field(d, pid, staff, "POST", "/votes/paper", {**first, "opens_at": at("2023-05-16")}, "opens_at")
    refused_field(d, pid, staff, "POST", "/votes/paper", {**first, "counts": {"approve": 11}}, "counts")
    votes = voting.record_paper_vote(d, staff, pid, first)
    assert [(v["paper"], v["eligible_count"], v["result"], v["turnout"]) for v in votes] == [
        (True, 10, "quorum_not_met", 0.3)
    ]
    blocked = d(
        "POST",
        f"{purl}/implementation",
        staff,
        {"decision": "实施水改工程", "started_at": at("2023-06-20")},
        expect=409,
    )
    assert "no vote has passed" in blocked["error"]["message"]

    # One resident moved away on 1 July: the roll loses them from then; the first vote keeps its ten.
    removal = d(
        "POST",
        f"/v1/communities/ruyijie/voters/{voters[9]}/removal",
        staff,
        {"reason": "已搬离如意街", "removed_at": at("2023-07-01")},
    )
    assert (removal["on_roll"], [h["action"] for h in removal["history"]]) == (
        False,
        ["registered", "removed"],
    )
    assert d("GET", "/v1/communities/ruyijie/voters?compound=ruyijie-2", staff)["count"] == 9
    as_of_june = d(
        "GET",
        "/v1/communities/ruyijie/voters?" + urlencode({"compound": "ruyijie-2", "as_of": at("2023-06-12")}),
        staff,
    )
    assert as_of_june["count"] == 10
    second = {
        **first,
        "question": "再次表决：是否同意实施二号院水改工程",
        "opens_at": at("2023-07-08", "08:00"),
        "closes_at": at("2023-07-10", "20:00"),
        "counts": {"approve": 6, "oppose": 1, "abstain": 1},
    }
    votes = voting.record_paper_vote(d, staff, pid, second)
    # 8 of the 9 on the roll when it opened; 6 of 8 ballots approve, over the two-thirds threshold.
    assert [(v["eligible_count"], v["result"], v["turnout"]) for v in votes] == [
        (10, "quorum_not_met", 0.3),
        (9, "passed", 0.8889),
    ]
    assert d("GET", purl, staff)["votes"][0]["eligible_count"] == 10  # the first vote's roll is its own

    topics.review(d, party, pid, "decision", reviewed_at=at("2023-07-11"))
    refused_field(
        d,
        pid,
        staff,
        "POST",
        "/implementation",
        {"decision": "按居民共同表决意愿实施水改工程", "started_at": at("2023-07-09")},
        "started_at",
    )
    topics.implement(d, staff, pid, "按居民共同表决意愿实施水改工程", started_at=at("2023-07-12"))
    [task] = topics.add_tasks(
        d, staff, pid, [("更换二号院供水管网", "项", 1)], "供水公司、社区居委会", "2023-09-30"
    )
    topics.report(d, staff, pid, task["id"], 1, reported_at=at("2023-09-15"))
    topics.publish_result(
        d,
        staff,
        pid,
        {
            "text": "经居民共同表决通过，如意街社区二号院水改工程已完工。",
            "period_days": 7,
            "online": True,
            "posted_at": at("2023-09-18"),
        },
    )
    topics.open_feedback(d, staff, pid, opened_at=at("2023-09-19"))
    topics.close(d, staff, pid, "已在居民议事会上通报水改完成情况", closed_at=at("2023-10-08"))

    # Statistics count the time each step really took.
    stats = d("GET", "/v1/statistics?community=huifeng", staff)
    assert (stats["matters_solved"], stats["consultations_held"]) == (1, 3)
    assert round(stats["median_hours_in_step"]["consultation"] / 24) == 55  # 29 Aug to 23 Oct
    water = d("GET", "/v1/statistics?community=ruyijie", staff)
    assert (water["votes_closed"], water["ballots_cast"], water["matters_solved"]) == (2, 11, 1)

    # Kafka: each event carries when it happened (occurred_at) beside when it was recorded (time).
    reader = topic_reader(delib.env["TOPIC_PREFIX"] + "deliberation.topics")

    def enough():
        events = {
            json.loads(r.value)["id"]: json.loads(r.value)
            for r in reader.read(len(reader.records) + 1, timeout=1)
        }
        return list(events.values()) if sum(e["type"] == v3("closed") for e in events.values()) == 2 else None

    events = wait_until(enough, timeout=60, message="both stories on Kafka")
    for e in events:
        jsonschema.validate(e, json.loads((EVENTS_DIR / f"{e['type']}.json").read_text(encoding="utf-8")))
    held = [e for e in events if e["type"] == v3("meeting-held") and e["subject"] == road["id"]]
    assert [e["data"]["occurred_at"][:10] for e in held] == [t[0] for t in talks]
    assert all(e["time"] > "2024" for e in held)
    for topic in (road, pipes):  # in order per topic (the Kafka key)
        reviewed = [e["data"] for e in events if e["type"] == v3("reviewed") and e["subject"] == topic["id"]]
        assert [(r["stage"], r["approved"]) for r in reviewed] == [("topic", True), ("decision", True)]
    closed_votes = [e["data"] for e in events if e["type"] == v3("vote-closed")]
    assert [(v["eligible_count"], v["ballots_cast"], v["result"]) for v in closed_votes] == [
        (10, 3, "quorum_not_met"),
        (9, 8, "passed"),
    ]
    assert not any("ruyijie-voter" in json.dumps(e) for e in events)  # no voter leaves the service


def _topic_body() -> dict:
    return {
        "title": "另一议题",
        "description": "用于检查未来时间被拒绝的议题",
        "community": "huifeng",
        "platform": "small_bench_talk",
    }
