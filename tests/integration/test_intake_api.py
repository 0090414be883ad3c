"""The intake API against the real mongo-java-server and Kafka (Flask test client, the worker's relay on a
thread of the test).
"""

import json

import jsonschema
import pytest

from intake import events as ev
from tests.helpers import wait_until

RESIDENT = ("res-1", "resident")
GOOD = {
    "category": "roads_and_facilities",
    "description": "乐福国际小区北侧道路因强降雨损毁，坑洼严重，老人出行不便。",
    "community": "huifeng",
    "compound": "lefu-international",
    "location": "北侧道路",
    "channel": "e_net_mini_program",
    "submitter": {"name": "张三", "phone": "13812341234", "id_number": "11010519491231002X"},
    "attachments": ["https://img.example.cn/road1.jpg"],
}


@pytest.fixture
def resident(mint):
    return mint(*RESIDENT)


@pytest.fixture
def staff(mint):
    return mint("staff-1", "community_staff", communities=["huifeng"])


def submit(client, headers, **overrides):
    return client.post("/v1/requests", json={**GOOD, **overrides}, headers=headers)


def test_submission_is_stored_and_published_as_a_cloudevent(
    client, resident, mongo_db, intake_settings, topic_reader
):
    resp = submit(client, resident)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["status"] == "submitted" and body["submitter"]["phone"] == "13812341234"  # own data, unmasked
    assert mongo_db.requests.count_documents({"_id": body["id"]}) == 1

    reader = topic_reader(intake_settings.topic("intake.requests"))
    [record] = reader.read(1)
    assert record.key.decode() == body["id"]
    assert dict(record.headers)["content-type"] == b"application/cloudevents+json"
    event = json.loads(record.value)
    jsonschema.validate(event, ev.SUBMITTED.schema())
    assert event["subject"] == body["id"] and event["community"] == "huifeng"
    raw = record.value.decode()
    assert "13812341234" not in raw and "11010519491231002X" not in raw and "张三" not in raw
    # the relay removes what the broker acknowledged (just after the ack)
    wait_until(
        lambda: mongo_db.requests.find_one({"_id": body["id"]})["outbox"] == [],
        timeout=10,
        message="outbox emptied",
    )


def _oversized():
    return {**GOOD, "description": "很" * 70000}


BAD_INPUTS = [
    ({k: v for k, v in GOOD.items() if k != "channel"}, 422, "channel"),
    ({**GOOD, "channel": "carrier_pigeon"}, 422, "channel"),
    ({**GOOD, "attachments": "not-a-list"}, 422, "attachments"),
    ({**GOOD, "submitter": {**GOOD["submitter"], "phone": "12345"}}, 422, "submitter.phone"),
    (
        {**GOOD, "submitter": {**GOOD["submitter"], "id_number": "110105194912310021"}},
        422,
        "submitter.id_number",
    ),
    ({**GOOD, "community": "atlantis"}, 422, "community"),
    ({**GOOD, "compound": "yiyuan-1"}, 422, "compound"),
    ({**GOOD, "category": "ufo_sighting"}, 422, "category"),
    ({**GOOD, "description": "短"}, 422, "description"),
    ({**GOOD, "unexpected": 1}, 422, "unexpected"),
]


@pytest.mark.parametrize("payload, status, field", BAD_INPUTS)
def test_bad_input_names_the_field_and_changes_nothing(client, resident, mongo_db, payload, status, field):
    resp = client.post("/v1/requests", json=payload, headers=resident)
    assert resp.status_code == status
    error = resp.json["error"]
    assert error["code"] == "invalid_input"
    assert field in [d["field"] for d in error["details"]], error
    assert mongo_db.requests.count_documents({}) == 0


@pytest.mark.parametrize(
    "data, content_type, status, code",
    [
        ("{not json", "application/json", 400, "invalid_json"),
        ("category=x", "application/x-www-form-urlencoded", 400, "invalid_content_type"),
        (json.dumps(_oversized(), ensure_ascii=False), "application/json", 413, "request_entity_too_large"),
    ],
)
def test_unreadable_bodies_get_json_errors(client, resident, mongo_db, data, content_type, status, code):
    resp = client.post("/v1/requests", data=data, content_type=content_type, headers=resident)
    assert resp.status_code == status and resp.json["error"]["code"] == code
    assert mongo_db.requests.count_documents({}) == 0


def test_rejected_input_emits_no_event(client, resident, intake_settings, topic_reader, mongo_db):
    for payload, _, _ in BAD_INPUTS:
        client.post("/v1/requests", json=payload, headers=resident)
    assert submit(client, resident).status_code == 201  # a marker: the only event expected
    assert len(topic_reader(intake_settings.topic("intake.requests")).read_published(mongo_db)) == 1


def test_authentication_and_scope(client, mint, resident, staff):
    assert client.post("/v1/requests", json=GOOD).status_code == 401
    assert (
        client.post("/v1/requests", json=GOOD, headers={"Authorization": "Bearer nonsense"}).status_code
        == 401
    )
    assert client.post("/v1/requests", json=GOOD, headers=mint("e1", "employer")).status_code == 403
    rid = submit(client, resident).json["id"]
    other_resident = mint("res-2", "resident")
    assert client.get(f"/v1/requests/{rid}", headers=other_resident).status_code == 403
    other_staff = mint("staff-2", "community_staff", communities=["yiyuan"])
    assert client.get(f"/v1/requests/{rid}", headers=other_staff).status_code == 403
    assert client.post(f"/v1/requests/{rid}/accept", headers=other_staff).status_code == 403
    own = client.get(f"/v1/requests/{rid}", headers=staff).json
    assert own["submitter"]["phone"] == "13812341234" and not own["submitter"]["masked"]
    deputy_token = mint("d1", "deputy", communities=["huifeng"])
    deputy = client.get(f"/v1/requests/{rid}", headers=deputy_token).json
    assert deputy["submitter"] == {
        "name": "张*",
        "phone": "138****1234",
        "id_number": "1101**********002X",
        "masked": True,
    }
    # ...and numbers or the name typed into free text are masked for them too
    leaky = submit(
        client, resident, description="张三反映路坏了，电话13812341234", location="张三家门口"
    ).json["id"]
    client.post(
        f"/v1/requests/{leaky}/reject", json={"reason": "已转张三所在楼院 13812341234"}, headers=staff
    )
    seen = client.get(f"/v1/requests/{leaky}", headers=deputy_token).json
    text = json.dumps(seen, ensure_ascii=False)
    assert "13812341234" not in text and "张三" not in text
    assert seen["description"] == "张*反映路坏了，电话138****1234" and seen["location"] == "张*家门口"
    assert client.get("/v1/requests", headers=other_resident).json["items"] == []


def test_lifecycle_feedback_and_illegal_transitions(client, resident, staff, mongo_db):
    rid = submit(client, resident).json["id"]
    assert client.post(f"/v1/requests/{rid}/close", headers=staff).status_code == 409
    assert client.post(f"/v1/requests/{rid}/accept", headers=staff).status_code == 200
    routed = client.post(f"/v1/requests/{rid}/route", json={}, headers=staff).json
    assert routed["route_target"] == "deliberation"
    resp = client.post(f"/v1/requests/{rid}/resolve", json={"outcome": "已修复路面230米"}, headers=staff)
    assert resp.json["status"] == "resolved"
    assert (
        client.post(f"/v1/requests/{rid}/rating", json={"satisfaction": 6}, headers=resident).status_code
        == 422
    )
    assert (
        client.post(
            f"/v1/requests/{rid}/rating", json={"satisfaction": 5, "comment": "好"}, headers=resident
        ).status_code
        == 201
    )
    again = client.post(f"/v1/requests/{rid}/rating", json={"satisfaction": 1}, headers=resident)
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_transition"
    doc = mongo_db.requests.find_one({"_id": rid})
    assert [h["to"] for h in doc["history"]] == ["submitted", "accepted", "routed", "resolved"]
    history = client.get(f"/v1/requests/{rid}", headers=resident).json["history"]
    assert [(h["from"], h["to"]) for h in history][-1] == ("routed", "resolved")
    assert doc["rating"]["satisfaction"] == 5


def test_duplicates_merge_list_filters_pagination_and_statistics(client, mint, resident, staff):
    first = submit(client, resident).json["id"]
    second = submit(
        client, mint("res-2", "resident"), description="乐福国际小区北侧道路暴雨损毁，坑洼严重"
    ).json["id"]
    submit(
        client,
        mint("res-3", "resident"),
        description="小区路灯坏了好几盏，晚上很黑",
        category="roads_and_facilities",
    )
    dups = client.get(f"/v1/requests/{second}/duplicates", headers=staff).json["items"]
    assert dups[0]["id"] == first and dups[0]["similarity"] > dups[-1]["similarity"]
    unknown = client.post(
        f"/v1/requests/{second}/mark-duplicate", json={"duplicate_of": "nope"}, headers=staff
    )
    assert unknown.status_code == 422 and unknown.json["error"]["details"][0]["field"] == "duplicate_of"
    merged = client.post(
        f"/v1/requests/{second}/mark-duplicate", json={"duplicate_of": first}, headers=staff
    ).json
    assert merged["status"] == "duplicate" and merged["duplicate_of"] == first

    page1 = client.get("/v1/requests?community=huifeng&limit=2", headers=staff).json
    page2 = client.get(
        f"/v1/requests?community=huifeng&limit=2&cursor={page1['next_cursor']}", headers=staff
    ).json
    ids = [i["id"] for i in page1["items"] + page2["items"]]
    assert len(ids) == len(set(ids)) == 3 and page2["next_cursor"] is None
    assert [i["id"] for i in client.get("/v1/requests?status=duplicate", headers=staff).json["items"]] == [
        second
    ]
    assert client.get("/v1/requests?status=nonsense", headers=staff).status_code == 422
    assert client.get("/v1/requests?cursor=garbage", headers=staff).status_code == 422

    stats = client.get("/v1/statistics?community=huifeng", headers=staff).json
    assert stats["total"] == 3 and stats["by_status"] == {"submitted": 2, "duplicate": 1}
    assert stats["response_rate"] == round(1 / 3, 4)
    assert client.get("/v1/statistics?community=yiyuan", headers=staff).status_code == 403


def test_the_duplicates_list_is_a_page_of_the_ranking_and_says_how_many_there_are(client, mint, staff):
    ids = [
        submit(
            client, mint(f"res-{i}", "resident"), description=f"乐福国际小区北侧道路暴雨损毁，坑洼严重{i}"
        ).json["id"]
        for i in range(8)
    ]
    first = client.get(f"/v1/requests/{ids[0]}/duplicates", headers=staff).json
    assert len(first["items"]) == 5 and first["total"] == 7 and first["next_offset"] == 5
    assert first["compared_at_most"] == 200
    rest = client.get(f"/v1/requests/{ids[0]}/duplicates?offset=5&limit=5", headers=staff).json
    assert len(rest["items"]) == 2 and rest["next_offset"] is None
    shown = [d["id"] for d in first["items"] + rest["items"]]
    assert sorted(shown) == sorted(ids[1:])
    bad = client.get(f"/v1/requests/{ids[0]}/duplicates?limit=500", headers=staff)
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["field"] == "limit"


def test_statistics_per_community_in_one_call(client, mint, resident):
    submit(client, resident)
    submit(client, resident)
    submit(client, resident, community="ruyijie", compound=None)
    admin = mint("admin-1", "subdistrict_admin")
    stats = client.get("/v1/statistics?by_community=true", headers=admin).json
    per = {c["community"]: c for c in stats["communities"]}
    assert len(per) == 14 and stats["total"] == 3
    assert (per["huifeng"]["total"], per["ruyijie"]["total"], per["yiyuan"]["total"]) == (2, 1, 0)
    assert per["huifeng"]["by_status"] == {"submitted": 2} and per["yiyuan"]["response_rate"] is None
    # Staff of two communities get theirs without naming one; without by_community they must.
    both = mint("staff-9", "community_staff", communities=["huifeng", "ruyijie"])
    mine = client.get("/v1/statistics?by_community=true", headers=both).json
    assert [c["community"] for c in mine["communities"]] == ["huifeng", "ruyijie"] and mine["total"] == 3
    assert client.get("/v1/statistics", headers=both).status_code == 422
    one = client.get("/v1/statistics?by_community=true&community=ruyijie", headers=both).json
    assert [c["community"] for c in one["communities"]] == ["ruyijie"] and one["total"] == 1
    assert client.get("/v1/statistics?community=huifeng", headers=both).json["communities"] is None


def test_public_catalogue_health_and_openapi(client):
    cats = client.get("/v1/categories").json["items"]
    assert {"id": "job_seeking", "route_to": "employment"}.items() <= next(
        c for c in cats if c["id"] == "job_seeking"
    ).items()
    assert (
        client.get("/v1/categories/suggest?text=想找兼职工作").json["items"][0]["category"] == "job_seeking"
    )
    assert client.get("/healthz").json == {"status": "alive"}
    ready = client.get("/readyz")
    # the API does not talk to Kafka (the worker publishes): a broker outage never takes it out of service
    assert ready.status_code == 200 and ready.json["checks"] == {"mongodb": "ok"}
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/v1/requests/{request_id}/route" in spec["paths"]
    assert spec["paths"]["/v1/requests"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SubmitRequestIn"
    }
    assert client.get("/nowhere").json["error"]["code"] == "not_found"


def test_routing_a_request_whose_category_left_the_catalogue_needs_a_target(
    client, resident, staff, intake_app
):
    rid = submit(client, resident).json["id"]
    client.post(f"/v1/requests/{rid}/accept", headers=staff)
    del intake_app.extensions["intake"].categories["roads_and_facilities"]  # as if the operator removed it
    resp = client.post(f"/v1/requests/{rid}/route", json={}, headers=staff)
    assert resp.status_code == 422 and resp.json["error"]["details"][0]["field"] == "target"
    resp = client.post(f"/v1/requests/{rid}/route", json={"target": "deliberation"}, headers=staff)
    assert resp.status_code == 200 and resp.json["route_target"] == "deliberation"
