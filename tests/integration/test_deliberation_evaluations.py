"""Two-way evaluation against the real mongo-java-server: residents rate the deputies and CPPCC
members a matter involved once its result is published, those rate the handling, and the period's
summary per person and per liaison station (the annual evaluation), over several matters, deputies
and members, in two communities."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from deliberation.service import SERVICE
from tests.stories import at, topics, votes


@pytest.fixture
def client(service_settings, service_app):
    return service_app(SERVICE, service_settings(SERVICE, PARTY_REVIEW_STAGES="")).test_client()


NOTICE = {"text": "议题公示，欢迎居民提出意见", "period_days": 5, "online": True}


def matter_to_result(call, staff, community, compound, raised, deputies: dict[str, str]) -> str:
    """A matter through its steps up to the published result, every fact recorded afterwards in
    2023 (or raised earlier); `deputies`: deputy id -> the day they took it on. Its id."""
    topic = {
        "title": "楼院议题",
        "description": "楼院居民反映的议题，需要协商解决",
        "community": community,
        "compound": compound,
        "platform": "deputy_liaison_station",
        "raised_at": at(raised),
    }
    tid = topics.create(call, staff, topic)["id"]
    for deputy, day in deputies.items():
        topics.assign_deputy(call, staff, tid, deputy, assigned_at=at(day))
    topics.publish_notice(call, staff, tid, {**NOTICE, "posted_at": at("2023-06-01")})
    topics.start_consultation(call, staff, tid, started_at=at("2023-06-05"))
    participants = {"deputies": len(deputies)}
    talk = topics.schedule_meeting(
        call, staff, tid, "subdistrict-council-hall", at("2023-06-08"), participants
    )
    held = {
        "attendance": 12,
        "minutes": "代表接待居民，听取意见建议",
        "outcome": "形成方案",
        "held_at": at("2023-06-08"),
    }
    topics.hold_meeting(call, staff, tid, talk["id"], held)
    topics.implement(call, staff, tid, "按方案实施", started_at=at("2023-06-10"))
    [task] = topics.add_tasks(call, staff, tid, [("实施方案", "项", 1)], "社区居委会", "2023-07-01")
    topics.report(call, staff, tid, task["id"], 1, reported_at=at("2023-06-20"))
    topics.publish_result(
        call, staff, tid, {**NOTICE, "text": "已办结，已向居民反馈", "posted_at": at("2023-06-25")}
    )
    return tid


def test_residents_rate_the_people_involved_and_the_period_summary_counts_them_per_person_and_station(
    call, mint
):
    staff = mint("staff-1", "community_staff", communities=["huifeng", "ruyijie"])
    admin = mint("admin-1", "subdistrict_admin")
    for community, compound, residents in (
        ("huifeng", "lefu-international", ["res-1", "res-2", "res-3"]),
        ("ruyijie", "ruyijie-2", ["res-4"]),
    ):
        votes.register(call, staff, community, residents, compound=compound)

    def resident(sub: str, community: str = "huifeng") -> dict:
        return mint(sub, "resident", communities=[community])

    # Before its result is published, a matter cannot be evaluated.
    early = {
        "title": "尚在议题",
        "description": "尚未公示结果的议题",
        "community": "huifeng",
        "platform": "small_bench_talk",
    }
    early_id = topics.create(call, staff, early)["id"]
    evaluation = {"score": 5, "person_id": "deputy-01"}
    call("POST", f"{topics.path(early_id)}/evaluations", resident("res-1"), evaluation, expect=409)

    a = matter_to_result(
        call,
        staff,
        "huifeng",
        "lefu-international",
        "2023-02-01",
        {"deputy-01": "2023-03-01", "deputy-06": "2023-03-02"},
    )
    b = matter_to_result(
        call, staff, "huifeng", "lefu-international", "2022-10-01", {"deputy-01": "2022-11-01"}
    )
    c = matter_to_result(call, staff, "ruyijie", "ruyijie-2", "2023-04-01", {"deputy-06": "2023-05-01"})
    claim_a = {"resources": ["施工队", "资金"]}
    # claimed while open only (see the test below)
    call("POST", f"{topics.path(a)}/claim", mint("cppcc-02", "cppcc_member"), claim_a, expect=409)

    evaluations = [
        (a, resident("res-1"), "deputy-01", 5),
        (a, resident("res-2"), "deputy-01", 3),
        (a, resident("res-1"), "deputy-06", 4),
        (b, resident("res-3"), "deputy-01", 1),
        (c, resident("res-4", "ruyijie"), "deputy-06", 2),
    ]
    for tid, who, person, score in evaluations:
        topics.evaluate(call, who, tid, {"person_id": person, "score": score})
    again = {"person_id": "deputy-01", "score": 1}
    call("POST", f"{topics.path(a)}/evaluations", resident("res-1"), again, expect=409)
    topics.evaluate(call, mint("deputy-01", "deputy"), a, {"score": 4})
    # deputy-01 was not involved in the matter of 如意街
    call("POST", f"{topics.path(c)}/evaluations", mint("deputy-01", "deputy"), {"score": 4}, expect=403)
    nobody = {"person_id": "deputy-02", "score": 4}
    nobody = call("POST", f"{topics.path(a)}/evaluations", resident("res-2"), nobody, expect=422)
    assert nobody["error"]["details"][0]["field"] == "person_id"

    now = datetime.now(UTC)
    period = {"since": "2022-01-01T00:00:00+00:00", "until": (now + timedelta(days=1)).isoformat()}
    summary = call("GET", f"/v1/evaluations/summary?{urlencode(period)}", admin)
    people = {p["person_id"]: p for p in summary["people"]}
    assert sorted(people) == ["deputy-01", "deputy-06"]
    assert {
        k: people["deputy-01"][k]
        for k in (
            "matters",
            "evaluations",
            "mean_score",
            "handling_evaluations",
            "mean_handling_score",
            "station",
        )
    } == {
        "matters": 2,
        "evaluations": 3,
        "mean_score": 3.0,
        "handling_evaluations": 1,
        "mean_handling_score": 4.0,
        "station": "station-1",
    }
    assert (
        people["deputy-06"]["matters"],
        people["deputy-06"]["evaluations"],
        people["deputy-06"]["mean_score"],
    ) == (2, 2, 3.0)
    assert summary["stations"] == [
        {"station": "station-1", "deputies": 2, "matters": 3, "evaluations": 5, "mean_score": 3.0}
    ]

    # 2023 in 汇丰: the matters taken on that year (B was taken on in 2022); today's evaluations are outside.
    year = {
        "community": "huifeng",
        "since": "2023-01-01T00:00:00+08:00",
        "until": "2024-01-01T00:00:00+08:00",
    }
    in_2023 = call("GET", f"/v1/evaluations/summary?{urlencode(year)}", staff)
    assert [(p["person_id"], p["matters"], p["evaluations"]) for p in in_2023["people"]] == [
        ("deputy-01", 1, 0),
        ("deputy-06", 1, 0),
    ]
    heping = mint("staff-2", "community_staff", communities=["heping"])
    call("GET", f"/v1/evaluations/summary?{urlencode(year)}", heping, expect=403)
    backwards = urlencode({**period, "until": period["since"]})
    call("GET", f"/v1/evaluations/summary?{backwards}", admin, expect=422)


def test_cppcc_members_claims_and_resources_are_counted_and_they_rate_the_handling(call, mint):
    staff = mint("staff-1", "community_staff", communities=["ruyijie"])
    admin = mint("admin-1", "subdistrict_admin")
    votes.register(call, staff, "ruyijie", ["res-4"], compound="ruyijie-2")
    topic = {
        "title": "楼道照明",
        "description": "二号院楼道照明损坏，需要更换",
        "community": "ruyijie",
        "compound": "ruyijie-2",
        "platform": "cppcc_consultation",
        "raised_at": (datetime.now(UTC) - timedelta(days=12)).isoformat(),
    }
    tid = topics.create(call, staff, topic)["id"]
    member = mint("cppcc-03", "cppcc_member")
    now = datetime.now(UTC)

    def ago(days: int) -> str:
        return (now - timedelta(days=days)).isoformat()

    topics.claim(call, member, tid, ["照明设备捐赠"])
    topics.claim(call, member, tid, ["电工志愿者"])
    notice = {"text": "议题公示，欢迎居民提出意见", "period_days": 3, "online": True}
    topics.publish_notice(call, staff, tid, {**notice, "posted_at": ago(10)})
    topics.start_consultation(call, staff, tid, started_at=ago(6))
    talk = topics.schedule_meeting(call, staff, tid, "subdistrict-council-hall", ago(5), {"cppcc_members": 1})
    held = {"attendance": 8, "minutes": "委员与居民协商照明方案", "outcome": "更换照明", "held_at": ago(5)}
    topics.hold_meeting(call, staff, tid, talk["id"], held)
    topics.implement(call, staff, tid, "更换楼道照明")
    [task] = topics.add_tasks(call, staff, tid, [("更换灯具", "个", 6)], "物业", "2030-01-01")
    topics.report(call, staff, tid, task["id"], 6)
    topics.publish_result(call, staff, tid, {**notice, "text": "楼道照明已更换"})
    resident = mint("res-4", "resident", communities=["ruyijie"])
    topics.evaluate(call, resident, tid, {"person_id": "cppcc-03", "score": 5})
    done = topics.evaluate(call, member, tid, {"score": 4, "comment": "居民配合"})
    assert [(e["by_role"], e["target"], e["target_role"]) for e in done["evaluations"]] == [
        ("resident", "cppcc-03", "cppcc_member"),
        ("cppcc_member", "handling", "handling"),
    ]
    period = {"since": (now - timedelta(days=30)).isoformat(), "until": (now + timedelta(days=1)).isoformat()}
    [row] = call("GET", f"/v1/evaluations/summary?{urlencode(period)}", admin)["people"]
    assert row == {
        "person_id": "cppcc-03",
        "role": "cppcc_member",
        "station": None,
        "matters": 1,
        "claims": 1,
        "resources_linked": 2,
        "evaluations": 1,
        "mean_score": 5.0,
        "handling_evaluations": 1,
        "mean_handling_score": 4.0,
    }
