"""Two-way evaluation against the real mongo-java-server: residents rate the deputies and CPPCC
members a matter involved once its result is published, those rate the handling, and the period's
summary per person and per liaison station (the annual evaluation), over several matters, deputies
and members, in two communities."""

from datetime import UTC, datetime, timedelta

import pytest

from deliberation.service import SERVICE


@pytest.fixture
def client(service_settings, service_app):
    return service_app(SERVICE, service_settings(SERVICE, PARTY_REVIEW_STAGES="")).test_client()


def at(day: str) -> str:
    return f"{day}T10:00:00+08:00"


def ok(resp, status: int = 200) -> dict:
    assert resp.status_code == status, resp.json
    return resp.json


def matter_to_result(client, staff, community, compound, raised, deputies: dict[str, str]) -> str:
    """A matter through its steps up to the published result, every fact recorded afterwards in
    2023 (or raised earlier); `deputies`: deputy id -> the day they took it on."""
    topic = ok(
        client.post(
            "/v1/topics",
            headers=staff,
            json={
                "title": "楼院议题",
                "description": "楼院居民反映的议题，需要协商解决",
                "community": community,
                "compound": compound,
                "platform": "deputy_liaison_station",
                "raised_at": at(raised),
            },
        ),
        201,
    )
    url = f"/v1/topics/{topic['id']}"
    for deputy, day in deputies.items():
        ok(client.post(f"{url}/deputies", headers=staff, json={"deputy_id": deputy, "assigned_at": at(day)}))
    notice = {"text": "议题公示，欢迎居民提出意见", "period_days": 5, "online": True}
    ok(client.post(f"{url}/notice", headers=staff, json={**notice, "posted_at": at("2023-06-01")}))
    ok(client.post(f"{url}/consultation", headers=staff, json={"started_at": at("2023-06-05")}))
    meeting = ok(
        client.post(
            f"{url}/meetings",
            headers=staff,
            json={
                "venue_id": "subdistrict-council-hall",
                "scheduled_at": at("2023-06-08"),
                "participants": {"deputies": len(deputies)},
            },
        ),
        201,
    )["meetings"][0]
    held = {
        "attendance": 12,
        "minutes": "代表接待居民，听取意见建议",
        "outcome": "形成方案",
        "held_at": at("2023-06-08"),
    }
    ok(client.post(f"{url}/meetings/{meeting['id']}/held", headers=staff, json=held))
    ok(
        client.post(
            f"{url}/implementation",
            headers=staff,
            json={"decision": "按方案实施", "started_at": at("2023-06-10")},
        )
    )
    task = ok(
        client.post(
            f"{url}/tasks",
            headers=staff,
            json={
                "title": "实施方案",
                "owner": "社区居委会",
                "unit": "项",
                "target": 1,
                "due_date": "2023-07-01",
            },
        ),
        201,
    )["tasks"][0]
    ok(
        client.post(
            f"{url}/tasks/{task['id']}/progress",
            headers=staff,
            json={"done": 1, "reported_at": at("2023-06-20")},
        )
    )
    ok(
        client.post(
            f"{url}/result",
            headers=staff,
            json={**notice, "text": "已办结，已向居民反馈", "posted_at": at("2023-06-25")},
        )
    )
    return url


def test_residents_rate_the_people_involved_and_the_period_summary_counts_them_per_person_and_station(
    client, mint
):
    staff = mint("staff-1", "community_staff", communities=["huifeng", "ruyijie"])
    admin = mint("admin-1", "subdistrict_admin")
    for community, compound, residents in (
        ("huifeng", "lefu-international", ["res-1", "res-2", "res-3"]),
        ("ruyijie", "ruyijie-2", ["res-4"]),
    ):
        ok(
            client.post(
                f"/v1/communities/{community}/voters",
                headers=staff,
                json={"resident_ids": residents, "compound": compound},
            ),
            201,
        )

    def resident(sub: str, community: str = "huifeng") -> dict:
        return mint(sub, "resident", communities=[community])

    # Before its result is published, a matter cannot be evaluated.
    early = ok(
        client.post(
            "/v1/topics",
            headers=staff,
            json={
                "title": "尚在议题",
                "description": "尚未公示结果的议题",
                "community": "huifeng",
                "platform": "small_bench_talk",
            },
        ),
        201,
    )
    resp = client.post(
        f"/v1/topics/{early['id']}/evaluations",
        headers=resident("res-1"),
        json={"score": 5, "person_id": "deputy-01"},
    )
    assert resp.status_code == 409

    a = matter_to_result(
        client,
        staff,
        "huifeng",
        "lefu-international",
        "2023-02-01",
        {"deputy-01": "2023-03-01", "deputy-06": "2023-03-02"},
    )
    b = matter_to_result(
        client, staff, "huifeng", "lefu-international", "2022-10-01", {"deputy-01": "2022-11-01"}
    )
    c = matter_to_result(client, staff, "ruyijie", "ruyijie-2", "2023-04-01", {"deputy-06": "2023-05-01"})
    claim_a = client.post(
        f"{a}/claim", headers=mint("cppcc-02", "cppcc_member"), json={"resources": ["施工队", "资金"]}
    )
    assert claim_a.status_code == 409  # claimed while open only (see the test below)

    evaluations = [
        (a, resident("res-1"), "deputy-01", 5),
        (a, resident("res-2"), "deputy-01", 3),
        (a, resident("res-1"), "deputy-06", 4),
        (b, resident("res-3"), "deputy-01", 1),
        (c, resident("res-4", "ruyijie"), "deputy-06", 2),
    ]
    for url, who, person, score in evaluations:
        ok(client.post(f"{url}/evaluations", headers=who, json={"person_id": person, "score": score}), 201)
    again = client.post(
        f"{a}/evaluations", headers=resident("res-1"), json={"person_id": "deputy-01", "score": 1}
    )
    assert again.status_code == 409
    ok(client.post(f"{a}/evaluations", headers=mint("deputy-01", "deputy"), json={"score": 4}), 201)
    outsider = client.post(f"{c}/evaluations", headers=mint("deputy-01", "deputy"), json={"score": 4})
    assert outsider.status_code == 403  # deputy-01 was not involved in the matter of 如意街
    nobody = client.post(
        f"{a}/evaluations", headers=resident("res-2"), json={"person_id": "deputy-02", "score": 4}
    )
    assert nobody.status_code == 422 and nobody.json["error"]["details"][0]["field"] == "person_id"

    now = datetime.now(UTC)
    period = {"since": "2022-01-01T00:00:00+00:00", "until": (now + timedelta(days=1)).isoformat()}
    summary = ok(client.get("/v1/evaluations/summary", headers=admin, query_string=period))
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
    in_2023 = ok(client.get("/v1/evaluations/summary", headers=staff, query_string=year))
    assert [(p["person_id"], p["matters"], p["evaluations"]) for p in in_2023["people"]] == [
        ("deputy-01", 1, 0),
        ("deputy-06", 1, 0),
    ]
    assert (
        client.get(
            "/v1/evaluations/summary",
            headers=mint("staff-2", "community_staff", communities=["heping"]),
            query_string=year,
        ).status_code
        == 403
    )
    backwards = client.get(
        "/v1/evaluations/summary", headers=admin, query_string={**period, "until": period["since"]}
    )
    assert backwards.status_code == 422


def test_cppcc_members_claims_and_resources_are_counted_and_they_rate_the_handling(client, mint):
    staff = mint("staff-1", "community_staff", communities=["ruyijie"])
    admin = mint("admin-1", "subdistrict_admin")
    ok(
        client.post(
            "/v1/communities/ruyijie/voters",
            headers=staff,
            json={"resident_ids": ["res-4"], "compound": "ruyijie-2"},
        ),
        201,
    )
    topic = ok(
        client.post(
            "/v1/topics",
            headers=staff,
            json={
                "title": "楼道照明",
                "description": "二号院楼道照明损坏，需要更换",
                "community": "ruyijie",
                "compound": "ruyijie-2",
                "platform": "cppcc_consultation",
                "raised_at": (datetime.now(UTC) - timedelta(days=12)).isoformat(),
            },
        ),
        201,
    )
    url = f"/v1/topics/{topic['id']}"
    member = mint("cppcc-03", "cppcc_member")
    now = datetime.now(UTC)
    ok(client.post(f"{url}/claim", headers=member, json={"resources": ["照明设备捐赠"]}))
    ok(client.post(f"{url}/claim", headers=member, json={"resources": ["电工志愿者"]}))
    notice = {"text": "议题公示，欢迎居民提出意见", "period_days": 3, "online": True}
    ok(
        client.post(
            f"{url}/notice",
            headers=staff,
            json={**notice, "posted_at": (now - timedelta(days=10)).isoformat()},
        )
    )
    ok(
        client.post(
            f"{url}/consultation", headers=staff, json={"started_at": (now - timedelta(days=6)).isoformat()}
        )
    )
    meeting = ok(
        client.post(
            f"{url}/meetings",
            headers=staff,
            json={
                "venue_id": "subdistrict-council-hall",
                "scheduled_at": (now - timedelta(days=5)).isoformat(),
                "participants": {"cppcc_members": 1},
            },
        ),
        201,
    )["meetings"][0]
    ok(
        client.post(
            f"{url}/meetings/{meeting['id']}/held",
            headers=staff,
            json={
                "attendance": 8,
                "minutes": "委员与居民协商照明方案",
                "outcome": "更换照明",
                "held_at": (now - timedelta(days=5)).isoformat(),
            },
        )
    )
    ok(client.post(f"{url}/implementation", headers=staff, json={"decision": "更换楼道照明"}))
    task = ok(
        client.post(
            f"{url}/tasks",
            headers=staff,
            json={"title": "更换灯具", "owner": "物业", "unit": "个", "target": 6, "due_date": "2030-01-01"},
        ),
        201,
    )["tasks"][0]
    ok(client.post(f"{url}/tasks/{task['id']}/progress", headers=staff, json={"done": 6}))
    ok(client.post(f"{url}/result", headers=staff, json={**notice, "text": "楼道照明已更换"}))
    ok(
        client.post(
            f"{url}/evaluations",
            headers=mint("res-4", "resident", communities=["ruyijie"]),
            json={"person_id": "cppcc-03", "score": 5},
        ),
        201,
    )
    done = ok(
        client.post(f"{url}/evaluations", headers=member, json={"score": 4, "comment": "居民配合"}), 201
    )
    assert [(e["by_role"], e["target"], e["target_role"]) for e in done["evaluations"]] == [
        ("resident", "cppcc-03", "cppcc_member"),
        ("cppcc_member", "handling", "handling"),
    ]
    period = {"since": (now - timedelta(days=30)).isoformat(), "until": (now + timedelta(days=1)).isoformat()}
    [row] = ok(client.get("/v1/evaluations/summary", headers=admin, query_string=period))["people"]
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
