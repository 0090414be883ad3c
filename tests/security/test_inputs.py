"""Hostile input: fields a caller must not set, query operators smuggled in bodies, query strings,
path ids and cursors, oversized and deeply nested bodies, and unicode edge cases. Each is answered
with a 4xx that names the problem (or handled) and changes nothing; none is ever a 500."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from tests.security import test_access_deliberation as deliberation
from tests.security import test_access_employment as employment
from tests.security import test_access_intake as intake
from tests.security import test_access_mediation as mediation

# service -> (create operation, a valid body, who may create, collection)
CREATE = {
    "intake": ("/v1/requests", intake.REQUEST, intake.PRINCIPALS["resident_a"], "requests"),
    "deliberation": ("/v1/topics", deliberation.TOPIC, deliberation.PRINCIPALS["staff_a"], "topics"),
    "employment": ("/v1/seekers", employment.SEEKER, employment.PRINCIPALS["resident_a"], "seekers"),
    "mediation": ("/v1/cases", mediation.CASE, mediation.PRINCIPALS["staff_a"], "cases"),
}
SERVER_SIDE_FIELDS = ["status", "_id", "id", "version", "outbox", "submitted_by", "history", "created_at"]


def post(api, path: str, headers: dict, body: object = None, data: bytes | None = None):
    if data is not None:
        return requests.post(
            api.url + path, data=data, headers={**headers, "Content-Type": "application/json"}, timeout=30
        )
    return requests.post(api.url + path, json=body, headers=headers, timeout=30)


def assert_clear_4xx(resp, *statuses: int) -> dict:
    assert resp.status_code in (statuses or range(400, 500)), f"{resp.status_code} {resp.text[:500]}"
    err = resp.json()["error"]
    assert err["code"] and err["message"]
    return err


# --- mass assignment ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", SERVER_SIDE_FIELDS)
def test_fields_the_server_sets_are_refused_on_create(any_api, field):
    path, body, headers, coll = CREATE[any_api.name]
    before = any_api.db[coll].count_documents({})
    err = assert_clear_4xx(post(any_api, path, headers, {**body, field: "injected"}), 422)
    assert any(d["field"] == field for d in err["details"]), err
    assert any_api.db[coll].count_documents({}) == before


def test_nested_fields_the_server_sets_are_refused(intake_api):
    body = {**intake.REQUEST, "submitter": {**intake.REQUEST["submitter"], "masked": False}}
    err = assert_clear_4xx(post(intake_api, "/v1/requests", intake.PRINCIPALS["resident_a"], body), 422)
    assert any(d["field"] == "submitter.masked" for d in err["details"]), err


@pytest.mark.parametrize(
    "field,value",
    [("community", "jiangnan-xiaozhen"), ("step", "closed"), ("_id", "x"), ("version", 99), ("outbox", [])],
)
def test_an_update_cannot_move_or_advance_a_topic(deliberation_api, field, value):
    created = post(
        deliberation_api, "/v1/topics", deliberation.PRINCIPALS["staff_a"], deliberation.TOPIC
    ).json()
    resp = requests.patch(
        f"{deliberation_api.url}/v1/topics/{created['id']}",
        json={"title": "新标题", field: value},
        headers=deliberation.PRINCIPALS["staff_a"],
        timeout=10,
    )
    assert_clear_4xx(resp, 422)
    doc = deliberation_api.db.topics.find_one({"_id": created["id"]})
    assert (doc["title"], doc["community"], doc["step"], doc["version"]) == (
        created["title"],
        created["community"],
        created["step"],
        created["version"],
    )


# --- operator injection ----------------------------------------------------------------------------

OPERATORS = [{"$gt": ""}, {"$ne": None}, {"$where": "1"}, ["$in", "x"]]


@pytest.mark.parametrize("operator", OPERATORS, ids=json.dumps)
def test_operators_in_body_fields_are_refused(intake_api, operator):
    request_id = post(intake_api, "/v1/requests", intake.PRINCIPALS["resident_a"], intake.REQUEST).json()[
        "id"
    ]
    before = intake_api.db.requests.find_one({"_id": request_id})
    resp = post(
        intake_api,
        f"/v1/requests/{request_id}/mark-duplicate",
        intake.PRINCIPALS["staff_a"],
        {"duplicate_of": operator},
    )
    err = assert_clear_4xx(resp, 422)
    assert err["details"][0]["field"].startswith("duplicate_of")
    assert intake_api.db.requests.find_one({"_id": request_id}) == before


@pytest.mark.parametrize("operator", OPERATORS, ids=json.dumps)
def test_operators_in_ids_of_other_bodies_are_refused(employment_api, operator):
    resp = post(
        employment_api,
        "/v1/referrals",
        employment.PRINCIPALS["staff_a"],
        {"seeker_id": operator, "job_id": operator},
    )
    assert_clear_4xx(resp, 422)


@pytest.mark.parametrize(
    "query",
    [
        {"community[$ne]": "x"},
        {"status[$ne]": "submitted"},
        {"community": "$where"},
        {"community": '{"$gt": ""}'},
        {"limit": '{"$gt": 0}'},
    ],
)
def test_operators_in_query_strings_never_widen_a_list(intake_api, query):
    mine = post(intake_api, "/v1/requests", intake.PRINCIPALS["resident_a"], intake.REQUEST).json()["id"]
    resp = requests.get(
        f"{intake_api.url}/v1/requests", params=query, headers=intake.PRINCIPALS["resident_b"], timeout=10
    )
    if resp.status_code == 200:
        assert mine not in [r["id"] for r in resp.json()["items"]]
    else:
        assert_clear_4xx(resp, 403, 422)


@pytest.mark.parametrize(
    "raw_id",
    ['{"$gt": ""}', "$where", "%24ne", "..%2F..%2Fopenapi.json", "a" * 3000],
    ids=["operator", "$where", "encoded $", "traversal", "3000 chars"],
)
def test_operator_like_path_ids_find_nothing(any_api, raw_id):
    paths = {
        "intake": "/v1/requests/{}",
        "deliberation": "/v1/topics/{}",
        "employment": "/v1/seekers/{}",
        "mediation": "/v1/cases/{}",
    }
    admin = intake.bearer("admin-1", ["subdistrict_admin"], [])
    resp = requests.get(
        any_api.url + paths[any_api.name].format(requests.utils.quote(raw_id, safe="%")),
        headers=admin,
        timeout=10,
    )
    assert_clear_4xx(resp, 404, 414)


def cursor(parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


@pytest.mark.parametrize(
    "value",
    [
        cursor(["2024-01-01T00:00:00+00:00", {"$gt": ""}]),
        cursor(["2024-01-01T00:00:00+00:00", {"$ne": None}]),
        cursor([{"$gt": ""}, "x"]),
        cursor({"$where": "1"}),
        cursor(["2024-01-01T00:00:00+00:00", ["a"]]),
        "not base64!",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        cursor(["2024-01-01T00:00:00+00:00"]),
    ],
)
def test_a_cursor_the_api_did_not_issue_is_refused(intake_api, value):
    resp = requests.get(
        f"{intake_api.url}/v1/requests",
        params={"cursor": value},
        headers=intake.PRINCIPALS["staff_a"],
        timeout=10,
    )
    err = assert_clear_4xx(resp, 422)
    assert err["details"][0]["field"] == "cursor"


# --- sizes and nesting -------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused(any_api):
    path, body, headers, coll = CREATE[any_api.name]
    before = any_api.db[coll].count_documents({})
    big = json.dumps({**body, "padding": "x" * (65 * 1024)}).encode()
    assert_clear_4xx(post(any_api, path, headers, data=big), 413)
    assert any_api.db[coll].count_documents({}) == before


@pytest.mark.parametrize("shape", ["arrays", "objects"])
def test_deeply_nested_bodies_are_refused_cleanly(any_api, shape):
    path, body, headers, _ = CREATE[any_api.name]
    depth = 1000
    nested = "[" * depth + "1" + "]" * depth if shape == "arrays" else '{"a":' * depth + "1" + "}" * depth
    raw = json.dumps(body)[:-1] + ', "description_extra": ' + nested + "}"
    assert len(raw) < 8 * 1024
    err = assert_clear_4xx(post(any_api, path, headers, data=raw.encode()), 400, 413, 422)
    assert err["code"] != "internal_error"


# --- unicode -----------------------------------------------------------------------------------------

TEXTS = {
    "lone surrogate": "道路损毁 \\ud800 请修复",
    "lone low surrogate": "道路损毁 \\udfff 请修复",
    "NUL byte": "道路损毁 \\u0000 请修复",
    "RTL override": "道路损毁 \u202e请修复\u202c 电话",
    "zero-width and BOM": "道\u200b路\ufeff损毁请修复",
    "full-width": "ｒｏａｄ　ｂｒｏｋｅｎ　１３８１２３４１２３４",
    "astral": "道路损毁 \U0001f6a7\U0001f6a7 请修复",
    "combining marks": "道路" + "\u0301" * 500,
    "too long": "长" * 5000,
}


@pytest.mark.parametrize("name", list(TEXTS))
def test_unicode_edge_cases_in_text_are_handled(intake_api, name):
    raw = json.dumps({**intake.REQUEST, "description": "@@"}, ensure_ascii=False).replace("@@", TEXTS[name])
    resp = post(
        intake_api, "/v1/requests", intake.PRINCIPALS["resident_a"], data=raw.encode("utf-8", "surrogatepass")
    )
    assert resp.status_code < 500, f"{resp.status_code} {resp.text[:300]}"
    if resp.status_code == 201:  # stored: it reads back as it was accepted
        again = requests.get(
            f"{intake_api.url}/v1/requests/{resp.json()['id']}",
            headers=intake.PRINCIPALS["resident_a"],
            timeout=10,
        )
        assert again.status_code == 200 and again.json()["description"] == resp.json()["description"]
    else:
        assert_clear_4xx(resp)


@pytest.mark.parametrize(
    "phone", ["１３８１２３４１２３４", "138\u200b12341234", "\u202e13812341234", "13812341234\x00"]
)
def test_look_alike_phone_numbers_are_refused(intake_api, phone):
    body = {**intake.REQUEST, "submitter": {"name": "王小明", "phone": phone}}
    err = assert_clear_4xx(post(intake_api, "/v1/requests", intake.PRINCIPALS["resident_a"], body), 422)
    assert any(d["field"] == "submitter.phone" for d in err["details"]), err


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe{}",
        b'{"description": "\xed\xa0\x80"}',
        b"\x00",
        b'{"a": 1',
        '{"a": "\u00e9"}'.encode("latin-1"),
    ],
)
def test_bytes_that_are_not_json_are_refused(any_api, raw):
    path, _, headers, _ = CREATE[any_api.name]
    assert_clear_4xx(post(any_api, path, headers, data=raw), 400, 422)


@pytest.mark.parametrize("value", ["%ED%A0%80", "%00", "%FF%FE", "%E2%80%AE"])
def test_odd_bytes_in_query_and_path_are_handled(intake_api, value):
    headers = intake.PRINCIPALS["staff_a"]
    resp = requests.get(f"{intake_api.url}/v1/requests?community={value}", headers=headers, timeout=10)
    assert resp.status_code < 500 and resp.status_code in (200, 400, 403, 422), resp.text[:300]
    resp = requests.get(f"{intake_api.url}/v1/requests/{value}", headers=headers, timeout=10)
    assert resp.status_code in (400, 404), resp.text[:300]
