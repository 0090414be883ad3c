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

import jsonschema
import requests

from civic146.contracts import EVENTS_DIR
from tests.helpers import call, wait_until

CST = "+08:00"


def at(day: str, time: str = "09:30") -> str:
    return f"{day}T{time}:00{CST}"


def refused(method: str, url: str, headers: dict, body: dict | None, status: int) -> dict:
    resp = requests.request(method, url, json=body, headers=headers, timeout=10)
    assert resp.status_code == status, (
        f"{method} {url}: expected {status}, got {resp.status_code} {resp.text}"
    )
    return resp.json()["error"]


def refused_field(
    url_topic: str, headers: dict, method: str, path: str, body: dict | None, field: str
) -> None:
    """A 422 naming `field`, and the topic exactly as it was."""
    before = call("GET", url_topic, headers)
    error = refused(method, url_topic + path, headers, body, 422)
    assert [d["field"] for d in error["details"]] == [field], error
    assert call("GET", url_topic, headers) == before


def v3(name: str) -> str:
    return f"civic146.deliberation.topic.{name}.v3"


def test_the_road_and_the_water_pipes_recorded_after_the_fact(service_factory, mint, topic_reader):
    delib = service_factory("deliberation", SCHEDULER_INTERVAL_SECONDS="1")
    delib.start_api(workers=2)
    delib.start_worker()
    api = f"{delib.url}/v1"
    staff = mint("staff-huifeng", "community_staff", communities=["huifeng", "ruyijie"])
    party = mint("party-huifeng", "party_organisation", communities=["huifeng", "ruyijie"])
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()

    # --- the road: raised in August 2023 ------------------------------------------------------------
    road = call(
        "POST",
        f"{api}/topics",
        staff,
        {
            "title": "乐福国际小区北侧道路修复",
            "description": "乐福国际小区北侧道路因强降雨损毁，路面坑洼，单元口台阶损坏，充电难",
            "community": "huifeng",
            "compound": "lefu-international",
            "category": "roads_and_facilities",
            "platform": "small_bench_talk",
            "raised_at": at("2023-08-21"),
        },
        expect=201,
    )
    url = f"{api}/topics/{road['id']}"
    assert road["created_at"].startswith("2023-08-21") and road["steps"][0]["at"].startswith("2023-08-21")
    assert road["steps"][0]["recorded_at"][:10] == datetime.now(UTC).date().isoformat()  # recorded today
    raised_in_future = refused("POST", f"{api}/topics", staff, {**_topic_body(), "raised_at": future}, 422)
    assert [d["field"] for d in raised_in_future["details"]] == ["raised_at"]

    notice = {
        "text": "关于乐福国际小区北侧道路因强降雨损毁的修复议题，现予公示，欢迎居民提出意见。",
        "period_days": 5,
        "venue_id": "huifeng-yishiting",
        "online": True,
        "posted_at": at("2023-08-25", "08:00"),
    }
    # The core's role (on by default): no notice before the community Party committee reviewed the topic.
    assert refused("POST", f"{url}/notice", staff, notice, 409)["code"] == "party_review_required"
    refused_field(
        url,
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
    call(
        "POST",
        f"{url}/reviews",
        party,
        {
            "stage": "topic",
            "approved": True,
            "organisation": "community_party_committee",
            "comment": "同意列为议题，党员带头参与",
            "reviewed_at": at("2023-08-23"),
        },
        expect=201,
    )
    refused_field(url, staff, "POST", "/notice", {**notice, "posted_at": future}, "posted_at")
    refused_field(url, staff, "POST", "/notice", {**notice, "posted_at": at("2023-08-20")}, "posted_at")
    call("POST", f"{url}/notice", staff, notice)

    # The notice period counts from when the notice really went up (25 Aug, 3 days minimum).
    early = refused("POST", f"{url}/consultation", staff, {"started_at": at("2023-08-27")}, 409)
    assert early["code"] == "notice_period_not_elapsed"
    assert early["details"]["earliest_consultation_at"].startswith("2023-08-28T00:00")
    refused_field(url, staff, "POST", "/consultation", {"started_at": future}, "started_at")
    call("POST", f"{url}/consultation", staff, {"started_at": at("2023-08-29")})

    # Small-bench talks over two months, each recorded with the day it was held.
    talks = [
        ("2023-08-31", 18, "第一次小板凳恳谈会：居民反映路面坑洼、台阶损坏、充电难；议定先勘测"),
        ("2023-09-21", 20, "第二次小板凳恳谈会：讨论勘测结果和修复方案，听取楼院三长意见"),
        ("2023-10-19", 22, "第三次小板凳恳谈会：通过修复方案：硬化路面、修复台阶、整合空地、增设充电桩"),
    ]
    for day, attendance, minutes in talks:
        meeting = call(
            "POST",
            f"{url}/meetings",
            staff,
            {
                "venue_id": "huifeng-yishiting",
                "scheduled_at": at(day, "19:00"),
                "participants": {
                    "party_members": 4,
                    "resident_representatives": 8,
                    "compound_heads": 3,
                    "volunteers": 3,
                },
            },
            expect=201,
        )["meetings"][-1]
        held = {
            "attendance": attendance,
            "minutes": minutes,
            "outcome": "形成意见",
            "held_at": at(day, "21:00"),
        }
        refused_field(
            url, staff, "POST", f"/meetings/{meeting['id']}/held", {**held, "held_at": future}, "held_at"
        )
        refused_field(
            url,
            staff,
            "POST",
            f"/meetings/{meeting['id']}/held",
            {**held, "held_at": at("2023-08-28")},
            "held_at",
        )
        call("POST", f"{url}/meetings/{meeting['id']}/held", staff, held)
    # A meeting scheduled for later cannot be recorded as held now without saying when.
    later = call(
        "POST",
        f"{url}/meetings",
        staff,
        {"venue_id": "huifeng-yishiting", "scheduled_at": future, "participants": {"volunteers": 2}},
        expect=201,
    )["meetings"][-1]
    refused_field(
        url,
        staff,
        "POST",
        f"/meetings/{later['id']}/held",
        {"attendance": 2, "minutes": "提前召开的碰头会记录", "outcome": "无结论"},
        "held_at",
    )

    decision = {
        "decision": "修复硬化路面230米、单元口台阶12处，整合空地1处，增设充电桩22个",
        "started_at": at("2023-10-23"),
    }
    assert refused("POST", f"{url}/implementation", staff, decision, 409)["code"] == "party_review_required"
    call(
        "POST",
        f"{url}/reviews",
        party,
        {
            "stage": "decision",
            "approved": True,
            "organisation": "community_party_committee",
            "reviewed_at": at("2023-10-20"),
        },
        expect=201,
    )
    # Not before the last talk (19 Oct), whatever the consultation step allows.
    refused_field(
        url,
        staff,
        "POST",
        "/implementation",
        {**decision, "started_at": at("2023-10-19", "10:00")},
        "started_at",
    )
    call("POST", f"{url}/implementation", staff, decision)
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
                "due_date": "2023-12-20",
            },
            expect=201,
        )
    tasks = call("GET", url, staff)["tasks"]
    call(
        "POST",
        f"{url}/tasks/{tasks[0]['id']}/progress",
        staff,
        {"done": 120, "reported_at": at("2023-11-06")},
    )
    refused_field(
        url,
        staff,
        "POST",
        f"/tasks/{tasks[0]['id']}/progress",
        {"done": 150, "reported_at": at("2023-11-01")},
        "reported_at",
    )  # before the task's previous report
    for task, day in zip(tasks, ["2023-11-20", "2023-11-15", "2023-11-10", "2023-11-22"]):
        call(
            "POST",
            f"{url}/tasks/{task['id']}/progress",
            staff,
            {"done": task["target"], "reported_at": at(day)},
        )
    result = {
        **notice,
        "text": "历时2个月，完成修复硬化路面230米、单元口台阶12处，整合空地1处，增设充电桩22个。",
        "posted_at": at("2023-11-21"),
    }
    refused_field(url, staff, "POST", "/result", result, "posted_at")  # before the last report (22 Nov)
    call("POST", f"{url}/result", staff, {**result, "posted_at": at("2023-11-24")})
    call("POST", f"{url}/feedback/open", staff, {"opened_at": at("2023-11-25")})
    closed = call(
        "POST",
        f"{url}/close",
        staff,
        {"summary": "已在居民议事亭和线上反馈办理情况", "closed_at": at("2023-12-05")},
    )
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
    pipes = call(
        "POST",
        f"{api}/topics",
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
        expect=201,
    )
    purl = f"{api}/topics/{pipes['id']}"
    assert pipes["vote_required"] is True
    voters = [f"ruyijie-voter-{i:02d}" for i in range(1, 11)]
    roll = call(
        "POST",
        f"{api}/communities/ruyijie/voters",
        staff,
        {"resident_ids": voters, "compound": "ruyijie-2", "registered_at": at("2023-05-01")},
        expect=201,
    )
    assert roll["count"] == 10
    call(
        "POST",
        f"{purl}/reviews",
        party,
        {
            "stage": "topic",
            "approved": True,
            "organisation": "community_party_committee",
            "reviewed_at": at("2023-05-09"),
        },
        expect=201,
    )
    call(
        "POST",
        f"{purl}/notice",
        staff,
        {
            "text": "如意街二号院水改工程议题公示，请居民关注居民议事会。",
            "period_days": 7,
            "online": True,
            "posted_at": at("2023-05-10"),
        },
    )
    call("POST", f"{purl}/consultation", staff, {"started_at": at("2023-05-17")})
    for n, day in enumerate(["2023-05-20", "2023-06-10"], start=1):
        mid = call(
            "POST",
            f"{purl}/meetings",
            staff,
            {
                "venue_id": "subdistrict-council-hall",
                "scheduled_at": at(day, "15:00"),
                "participants": {"resident_representatives": 15, "party_members": 5},
            },
            expect=201,
        )["meetings"][-1]["id"]
        call(
            "POST",
            f"{purl}/meetings/{mid}/held",
            staff,
            {
                "attendance": 20,
                "minutes": f"第{n}次居民议事会：讨论水改方案、施工时间和费用分摊",
                "outcome": "提交居民共同表决",
                "held_at": at(day, "17:00"),
            },
        )
    first = {
        "question": "是否同意实施二号院水改工程",
        "scope": "compound",
        "quorum": 0.5,
        "threshold": "two_thirds",
        "opens_at": at("2023-06-12", "08:00"),
        "closes_at": at("2023-06-14", "20:00"),
        "counts": {"approve": 3},
    }
    refused_field(purl, staff, "POST", "/votes/paper", {**first, "closes_at": future}, "closes_at")
    refused_field(purl, staff, "POST", "/votes/paper", {**first, "opens_at": at("2023-05-16")}, "opens_at")
    refused_field(purl, staff, "POST", "/votes/paper", {**first, "counts": {"approve": 11}}, "counts")
    votes = call("POST", f"{purl}/votes/paper", staff, first, expect=201)["votes"]
    assert [(v["paper"], v["eligible_count"], v["result"], v["turnout"]) for v in votes] == [
        (True, 10, "quorum_not_met", 0.3)
    ]
    blocked = refused(
        "POST",
        f"{purl}/implementation",
        staff,
        {"decision": "实施水改工程", "started_at": at("2023-06-20")},
        409,
    )
    assert "no vote has passed" in blocked["message"]

    # One resident moved away on 1 July: the roll loses them from then; the first vote keeps its ten.
    removal = call(
        "POST",
        f"{api}/communities/ruyijie/voters/{voters[9]}/removal",
        staff,
        {"reason": "已搬离如意街", "removed_at": at("2023-07-01")},
    )
    assert (removal["on_roll"], [h["action"] for h in removal["history"]]) == (
        False,
        ["registered", "removed"],
    )
    assert call("GET", f"{api}/communities/ruyijie/voters?compound=ruyijie-2", staff)["count"] == 9
    as_of_june = requests.get(
        f"{api}/communities/ruyijie/voters",
        params={"compound": "ruyijie-2", "as_of": at("2023-06-12")},
        headers=staff,
        timeout=10,
    ).json()
    assert as_of_june["count"] == 10
    second = {
        **first,
        "question": "再次表决：是否同意实施二号院水改工程",
        "opens_at": at("2023-07-08", "08:00"),
        "closes_at": at("2023-07-10", "20:00"),
        "counts": {"approve": 6, "oppose": 1, "abstain": 1},
    }
    votes = call("POST", f"{purl}/votes/paper", staff, second, expect=201)["votes"]
    # 8 of the 9 on the roll when it opened; 6 of 8 ballots approve, over the two-thirds threshold.
    assert [(v["eligible_count"], v["result"], v["turnout"]) for v in votes] == [
        (10, "quorum_not_met", 0.3),
        (9, "passed", 0.8889),
    ]
    assert call("GET", purl, staff)["votes"][0]["eligible_count"] == 10  # the first vote's roll is its own

    call(
        "POST",
        f"{purl}/reviews",
        party,
        {
            "stage": "decision",
            "approved": True,
            "organisation": "community_party_committee",
            "reviewed_at": at("2023-07-11"),
        },
        expect=201,
    )
    refused_field(
        purl,
        staff,
        "POST",
        "/implementation",
        {"decision": "按居民共同表决意愿实施水改工程", "started_at": at("2023-07-09")},
        "started_at",
    )
    call(
        "POST",
        f"{purl}/implementation",
        staff,
        {"decision": "按居民共同表决意愿实施水改工程", "started_at": at("2023-07-12")},
    )
    task = call(
        "POST",
        f"{purl}/tasks",
        staff,
        {
            "title": "更换二号院供水管网",
            "owner": "供水公司、社区居委会",
            "unit": "项",
            "target": 1,
            "due_date": "2023-09-30",
        },
        expect=201,
    )["tasks"][0]
    call("POST", f"{purl}/tasks/{task['id']}/progress", staff, {"done": 1, "reported_at": at("2023-09-15")})
    call(
        "POST",
        f"{purl}/result",
        staff,
        {
            "text": "经居民共同表决通过，如意街社区二号院水改工程已完工。",
            "period_days": 7,
            "online": True,
            "posted_at": at("2023-09-18"),
        },
    )
    call("POST", f"{purl}/feedback/open", staff, {"opened_at": at("2023-09-19")})
    call(
        "POST",
        f"{purl}/close",
        staff,
        {"summary": "已在居民议事会上通报水改完成情况", "closed_at": at("2023-10-08")},
    )

    # Statistics count the time each step really took.
    stats = call("GET", f"{api}/statistics?community=huifeng", staff)
    assert (stats["matters_solved"], stats["consultations_held"]) == (1, 3)
    assert round(stats["median_hours_in_step"]["consultation"] / 24) == 55  # 29 Aug to 23 Oct
    water = call("GET", f"{api}/statistics?community=ruyijie", staff)
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
