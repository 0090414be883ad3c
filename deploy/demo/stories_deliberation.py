"""The bulletin's deliberation stories (上街信息 第84期, 2023-12-08), each carried through the six
steps with its real dates, and its past matters (past-matters.json)."""

from __future__ import annotations

import json
from pathlib import Path

from demo_api import ADMIN, DELIBERATION, STAFF, at, client, token

HERE = Path(__file__).resolve().parent
call = client(DELIBERATION)


def party(community: str) -> dict:
    return token(f"party-{community}", "party_organisation", [community])


def review(day: str) -> dict:
    return {"approved": True, "organisation": "community_party_committee", "reviewed_at": at(day)}


ROAD = {
    "topic": {
        "title": "乐福国际小区北侧道路修复",
        "description": "乐福国际小区北侧道路因强降雨造成损毁，路面坑洼，单元口台阶损坏，电动车充电难",
        "community": "huifeng",
        "compound": "lefu-international",
        "category": "roads_and_facilities",
        "platform": "small_bench_talk",
        "raised_at": at("2023-08-21"),
    },
    "topic_review": review("2023-08-23"),
    "notice": {
        "text": "关于乐福国际小区北侧道路因强降雨损毁的修复议题，现予公示，欢迎居民提出意见。",
        "period_days": 5,
        "venue_id": "huifeng-yishiting",
        "online": True,
        "posted_at": at("2023-08-25", "08:00"),
    },
    "consultation_started_at": at("2023-08-29"),
    "meetings": [
        {
            "venue_id": "huifeng-yishiting",
            "day": "2023-08-31",
            "participants": {
                "party_members": 4,
                "resident_representatives": 8,
                "compound_heads": 3,
                "volunteers": 3,
            },
            "attendance": 18,
            "minutes": "第一次小板凳恳谈会：居民反映路面坑洼、台阶损坏、充电难；议定先勘测路面和台阶",
            "outcome": "勘测后拿出修复方案",
        },
        {
            "venue_id": "huifeng-yishiting",
            "day": "2023-09-21",
            "participants": {
                "party_members": 4,
                "resident_representatives": 10,
                "compound_heads": 3,
                "volunteers": 2,
                "property_company": 1,
            },
            "attendance": 20,
            "minutes": "第二次小板凳恳谈会：讨论勘测结果和修复方案，听取楼院三长意见",
            "outcome": "修改方案，增加空地整合和充电桩",
        },
        {
            "venue_id": "huifeng-yishiting",
            "day": "2023-10-19",
            "participants": {
                "party_members": 5,
                "resident_representatives": 10,
                "compound_heads": 3,
                "volunteers": 3,
                "property_company": 1,
            },
            "attendance": 22,
            "minutes": "第三次小板凳恳谈会：通过修复方案：硬化路面、修复台阶、整合空地、增设充电桩",
            "outcome": "通过修复方案",
        },
    ],
    "votes": [],
    "decision_review": review("2023-10-20"),
    "decision": "修复硬化路面230米、单元口台阶12处，整合空地1处，增设充电桩22个",
    "implementation_started_at": at("2023-10-23"),
    "tasks": [
        ("修复硬化路面", "m", 230, "2023-11-20"),
        ("修复单元口台阶", "处", 12, "2023-11-15"),
        ("整合空地", "处", 1, "2023-11-10"),
        ("增设充电桩", "个", 22, "2023-11-22"),
    ],
    "owner": "汇丰社区居委会、物业公司",
    "result": {
        "text": "历时2个月，多次召开小板凳恳谈会，完成修复硬化路面230米、单元口台阶12处，"
        "整合空地1处，增设充电桩22个。",
        "period_days": 7,
        "venue_id": "huifeng-yishiting",
        "online": True,
        "posted_at": at("2023-11-24"),
    },
    "feedback_opened_at": at("2023-11-25"),
    "closing": {"summary": "已在居民议事亭和线上反馈办理情况", "closed_at": at("2023-12-05")},
}

WATER_VOTERS = [f"ruyijie-demo-voter-{i:02d}" for i in range(1, 11)]
WATER = {
    "topic": {
        "title": "如意街社区水改工程",
        "description": "如意街二号院自来水管老化漏水，水压低，居民申请水改",
        "community": "ruyijie",
        "compound": "ruyijie-2",
        "category": "water_and_pipes",
        "platform": "residents_council",
        "raised_at": at("2023-05-08"),
    },
    "roll": {"resident_ids": WATER_VOTERS, "compound": "ruyijie-2", "registered_at": at("2023-05-01")},
    "removal": (WATER_VOTERS[9], {"reason": "已搬离如意街", "removed_at": at("2023-07-01")}),
    "topic_review": review("2023-05-09"),
    "notice": {
        "text": "如意街二号院水改工程议题公示，请居民关注居民议事会。",
        "period_days": 7,
        "venue_id": "subdistrict-council-hall",
        "online": True,
        "posted_at": at("2023-05-10"),
    },
    "consultation_started_at": at("2023-05-17"),
    "meetings": [
        {
            "venue_id": "subdistrict-council-hall",
            "day": day,
            "participants": {"resident_representatives": 15, "party_members": 5, "deputies": 1},
            "attendance": 21,
            "minutes": f"第{n}次居民议事会：听取居民议事代表的建议，讨论水改方案、施工时间和费用分摊",
            "outcome": "提交居民共同表决" if n == 2 else "完善方案",
        }
        for n, day in ((1, "2023-05-20"), (2, "2023-06-10"))
    ],
    "votes": [
        {
            "question": "是否同意实施二号院水改工程",
            "scope": "compound",
            "quorum": 0.5,
            "threshold": "two_thirds",
            "opens_at": at("2023-06-12", "08:00"),
            "closes_at": at("2023-06-14", "20:00"),
            "counts": {"approve": 3},
        },
        {
            "question": "再次表决：是否同意实施二号院水改工程",
            "scope": "compound",
            "quorum": 0.5,
            "threshold": "two_thirds",
            "opens_at": at("2023-07-08", "08:00"),
            "closes_at": at("2023-07-10", "20:00"),
            "counts": {"approve": 6, "oppose": 1, "abstain": 1},
        },
    ],
    "deputies": [("deputy-01", at("2023-05-12"))],
    "decision_review": review("2023-07-11"),
    "decision": "按居民共同表决意愿实施二号院水改工程",
    "implementation_started_at": at("2023-07-12"),
    "tasks": [("更换二号院供水管网", "项", 1, "2023-09-15")],
    "owner": "供水公司、社区居委会",
    "result": {
        "text": "经居民共同表决通过，如意街社区二号院水改工程已完工。",
        "period_days": 7,
        "online": True,
        "posted_at": at("2023-09-18"),
    },
    "feedback_opened_at": at("2023-09-19"),
    "closing": {"summary": "已在居民议事会上通报水改完成情况", "closed_at": at("2023-10-08")},
}

HEALTH = {
    "topic": {
        "title": "江南小镇社区“家门口”的健康驿站和便民食堂",
        "description": "江南小镇社区老年居民多，希望在家门口有健康驿站和便民食堂",
        "community": "jiangnan-xiaozhen",
        "compound": "xipan-meiyu",
        "category": "community_services",
        "platform": "cppcc_consultation",
        "raised_at": at("2023-03-06"),
    },
    "roll": {
        "resident_ids": ["jnxz-demo-resident-01"],
        "compound": "xipan-meiyu",
        "registered_at": at("2023-01-01"),
    },
    "deputies": [("deputy-01", at("2023-03-08"))],
    "claims": [("cppcc-01", at("2023-03-09"), ["链接区卫健委医生坐诊", "协调爱心企业捐赠厨房设备"])],
    "topic_review": review("2023-03-10"),
    "notice": {
        "text": "关于在江南小镇社区建设健康驿站和便民食堂的议题公示，欢迎居民提出意见",
        "period_days": 5,
        "venue_id": "venue-xipan-meiyu",
        "online": True,
        "posted_at": at("2023-03-13"),
    },
    "consultation_started_at": at("2023-03-20"),
    "meetings": [
        {
            "venue_id": "venue-xipan-meiyu",
            "day": "2023-03-23",
            "participants": {
                "party_members": 5,
                "resident_representatives": 12,
                "cppcc_members": 1,
                "deputies": 1,
                "enterprises": 2,
            },
            "attendance": 21,
            "minutes": "有事好商量协商会：政协委员、人大代表与居民商议健康驿站和便民食堂的选址、运营",
            "outcome": "选址社区党群服务中心一楼",
        }
    ],
    "votes": [],
    "decision_review": review("2023-03-27"),
    "decision": "在社区党群服务中心一楼建设健康驿站1处、便民食堂1处",
    "implementation_started_at": at("2023-04-03"),
    "tasks": [("建设健康驿站", "处", 1, "2023-06-20"), ("建设便民食堂", "处", 1, "2023-06-28")],
    "owner": "江南小镇社区居委会",
    "result": {
        "text": "江南小镇社区“家门口”的健康驿站、便民食堂已建成运营。",
        "period_days": 7,
        "venue_id": "venue-xipan-meiyu",
        "online": True,
        "posted_at": at("2023-07-03"),
    },
    "evaluations": [
        (
            token("jnxz-demo-resident-01", "resident", ["jiangnan-xiaozhen"]),
            {"person_id": "deputy-01", "score": 5, "comment": "代表常来听意见"},
        ),
        (
            token("jnxz-demo-resident-01", "resident", ["jiangnan-xiaozhen"]),
            {"person_id": "cppcc-01", "score": 5, "comment": "委员链接了医生和设备"},
        ),
        (token("deputy-01", "deputy"), {"score": 5, "comment": "社区推进有力，居民参与积极"}),
        (token("cppcc-01", "cppcc_member"), {"score": 4, "comment": "协商充分，运营经费还需落实"}),
    ],
}


def find(story: dict) -> dict | None:
    t = story["topic"]
    items = call("GET", "/v1/topics", ADMIN, community=t["community"], limit="200")["items"]
    return next((i for i in items if i["title"] == t["title"]), None)


def load(story: dict) -> tuple[str, str]:
    """Carry the story from wherever it is to its end; returns (topic id, what was done)."""
    t = story["topic"]
    community = t["community"]
    if "roll" in story:  # those never on the roll yet (one removed since stays removed)
        known = {
            rid
            for rid in story["roll"]["resident_ids"]
            if call("GET", f"/v1/communities/{community}/voters/{rid}", STAFF, ok=(200, 404)).get(
                "resident_id"
            )
        }
        new = [rid for rid in story["roll"]["resident_ids"] if rid not in known]
        if new:
            call("POST", f"/v1/communities/{community}/voters", STAFF, {**story["roll"], "resident_ids": new})
    topic = find(story)
    done = "already loaded"
    if topic is None:
        topic = call("POST", "/v1/topics", STAFF, t)
        done = "loaded"
    url = f"/v1/topics/{topic['id']}"
    if topic["step"] == "closed" or (topic["step"] == "publish_result" and "closing" not in story):
        _evaluate(story, url)
        return topic["id"], done
    done = "loaded" if done == "loaded" else "carried on from step " + topic["step"]
    for deputy, assigned in story.get("deputies", []):
        if not any(d["deputy_id"] == deputy for d in topic["deputies"]):
            topic = call("POST", f"{url}/deputies", STAFF, {"deputy_id": deputy, "assigned_at": assigned})
    for member, claimed, resources in story.get("claims", []):
        if not any(c["member_id"] == member for c in topic["claims"]):
            topic = call(
                "POST",
                f"{url}/claim",
                token(member, "cppcc_member"),
                {"resources": resources, "claimed_at": claimed},
            )
    if topic["step"] == "determine_topic":
        if not any(r["stage"] == "topic" and r["approved"] for r in topic["reviews"]):
            call("POST", f"{url}/reviews", party(community), {"stage": "topic", **story["topic_review"]})
        topic = call("POST", f"{url}/notice", STAFF, story["notice"])
    if topic["step"] == "public_notice":
        topic = call("POST", f"{url}/consultation", STAFF, {"started_at": story["consultation_started_at"]})
    if topic["step"] == "consultation":
        topic = _consult(story, url, topic)
    if topic["step"] == "implementation":
        for title, unit, target, reported in story["tasks"]:
            task = next((k for k in topic["tasks"] if k["title"] == title), None)
            if task is None:
                due = {
                    "title": title,
                    "owner": story["owner"],
                    "unit": unit,
                    "target": target,
                    "due_date": reported[:10],
                }
                topic = call("POST", f"{url}/tasks", STAFF, due)
                task = next(k for k in topic["tasks"] if k["title"] == title)
            if task["done"] < target:
                topic = call(
                    "POST",
                    f"{url}/tasks/{task['id']}/progress",
                    STAFF,
                    {"done": target, "reported_at": at(reported)},
                )
        topic = call("POST", f"{url}/result", STAFF, story["result"])
    if topic["step"] == "publish_result" and "closing" in story:
        topic = call("POST", f"{url}/feedback/open", STAFF, {"opened_at": story["feedback_opened_at"]})
    if topic["step"] == "feedback":
        topic = call("POST", f"{url}/close", STAFF, story["closing"])
    _evaluate(story, url)
    return topic["id"], done


def _consult(story: dict, url: str, topic: dict) -> dict:
    for m in story["meetings"]:
        held = next((x for x in topic["meetings"] if x["minutes"] == m["minutes"]), None)
        if held is None:
            scheduled = next(
                (
                    x
                    for x in topic["meetings"]
                    if x["status"] == "scheduled" and x["scheduled_at"].startswith(m["day"])
                ),
                None,
            )
            if scheduled is None:
                body = {
                    "venue_id": m["venue_id"],
                    "scheduled_at": at(m["day"], "19:00"),
                    "participants": m["participants"],
                }
                topic = call("POST", f"{url}/meetings", STAFF, body)
                scheduled = topic["meetings"][-1]
            body = {
                "attendance": m["attendance"],
                "minutes": m["minutes"],
                "outcome": m["outcome"],
                "held_at": at(m["day"], "21:00"),
            }
            topic = call("POST", f"{url}/meetings/{scheduled['id']}/held", STAFF, body)
    if "removal" in story:
        _remove(story)  # dated: the first vote, which opened before it, keeps its ten voters
    for n, vote in enumerate(story["votes"]):
        if len(topic["votes"]) <= n:
            topic = call("POST", f"{url}/votes/paper", STAFF, vote)
    community = story["topic"]["community"]
    if not any(r["stage"] == "decision" and r["approved"] for r in topic["reviews"]):
        call("POST", f"{url}/reviews", party(community), {"stage": "decision", **story["decision_review"]})
    body = {"decision": story["decision"], "started_at": story["implementation_started_at"]}
    return call("POST", f"{url}/implementation", STAFF, body)


def _remove(story: dict) -> None:
    resident, body = story["removal"]
    community = story["topic"]["community"]
    entry = call("GET", f"/v1/communities/{community}/voters/{resident}", STAFF)
    if entry["on_roll"]:
        call("POST", f"/v1/communities/{community}/voters/{resident}/removal", STAFF, body)


def _evaluate(story: dict, url: str) -> None:
    for who, body in story.get("evaluations", []):
        call("POST", f"{url}/evaluations", who, body, ok=(201, 409))  # 409: given in an earlier run


def import_past_matters() -> dict:
    body = json.loads((HERE / "past-matters.json").read_text(encoding="utf-8"))
    body.pop("_about", None)
    return call("POST", "/v1/imports/past-matters", ADMIN, body)
