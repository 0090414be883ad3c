"""Intake: every operation with every role (function level), and a request of resident A in
community A acted on by staff of community B, resident B and the other roles of B (object level)."""

from __future__ import annotations

import pytest

from tests.security.access import (
    PUBLIC,
    REGISTRY_OPERATIONS,
    ObjectCase,
    check_function_level,
    check_object_case,
    check_table,
    registry_object_cases,
)
from tests.security.apis import COMMUNITY_A, COMMUNITY_B, bearer

STAFF = ("community_staff", "subdistrict_admin")
SUBMITTERS = ("resident", "community_staff", "subdistrict_admin", "external_system", "deputy", "cppcc_member")
READERS = ("resident", "community_staff", "subdistrict_admin", "deputy", "cppcc_member", "external_system")

# Every operation of intake's OpenAPI document and the roles meant to call it.
OPERATIONS = {
    ("POST", "/v1/requests"): SUBMITTERS,
    ("GET", "/v1/requests"): READERS,
    ("GET", "/v1/requests/{request_id}"): READERS,
    ("GET", "/v1/requests/{request_id}/duplicates"): STAFF,
    ("POST", "/v1/requests/{request_id}/accept"): STAFF,
    ("POST", "/v1/requests/{request_id}/reject"): STAFF,
    ("POST", "/v1/requests/{request_id}/mark-duplicate"): STAFF,
    ("POST", "/v1/requests/{request_id}/route"): STAFF,
    ("POST", "/v1/requests/{request_id}/start"): STAFF,
    ("POST", "/v1/requests/{request_id}/resolve"): STAFF,
    ("POST", "/v1/requests/{request_id}/close"): STAFF,
    ("POST", "/v1/requests/{request_id}/rating"): ("resident",),
    ("POST", "/v1/requests/{request_id}/reopen"): ("resident",),
    ("GET", "/v1/categories"): PUBLIC,
    ("GET", "/v1/categories/suggest"): PUBLIC,
    ("GET", "/v1/statistics"): STAFF,
    # Open311 GeoReport v2: no token; a post needs an external system's api_key (403 in the spec's
    # format), the reads are public and show no personal data (tests/integration/test_intake_open311.py).
    ("GET", "/open311/v2/services.{fmt}"): PUBLIC,
    ("GET", "/open311/v2/services/{service_code}.{fmt}"): PUBLIC,
    ("POST", "/open311/v2/requests.{fmt}"): PUBLIC,
    ("GET", "/open311/v2/requests.{fmt}"): PUBLIC,
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"): PUBLIC,
    ("GET", "/open311/v2/tokens/{token}.{fmt}"): PUBLIC,
    **REGISTRY_OPERATIONS,
}

REQUEST = {
    "category": "roads_and_facilities",
    "description": "乐福国际小区北侧道路损毁，请修复",
    "community": COMMUNITY_A,
    "compound": "lefu-international",
    "channel": "opinion_express",
    "submitter": {"name": "王小明", "phone": "13812341234"},
}

PRINCIPALS = {
    "staff_a": bearer("staff-a", ["community_staff"], [COMMUNITY_A]),
    "staff_b": bearer("staff-b", ["community_staff"], [COMMUNITY_B]),
    "resident_a": bearer("res-a", ["resident"], [COMMUNITY_A]),
    "resident_b": bearer("res-b", ["resident"], [COMMUNITY_B]),
    "resident_b_in_a": bearer("res-b", ["resident"], [COMMUNITY_A]),  # a neighbour of A, not the submitter
    "deputy_b": bearer("deputy-b", ["deputy"], [COMMUNITY_B]),
    "cppcc_b": bearer("cppcc-b", ["cppcc_member"], [COMMUNITY_B]),
    "external_b": bearer("ext-b", ["external_system"], [COMMUNITY_B]),
}

R = "request"  # resident A's request in community A
OUTSIDERS_READ = {
    "staff_b": 403,
    "resident_b": 403,
    "resident_b_in_a": 403,
    "deputy_b": 403,
    "cppcc_b": 403,
    "external_b": 403,
}
EVERYONE_B = ("staff_b", "resident_b", "resident_b_in_a", "deputy_b", "cppcc_b", "external_b")
OBJECT_CASES = [
    # A token is no api_key: nobody posts through Open311 with one; the public reads answer all alike.
    ObjectCase("POST", "/open311/v2/requests.{fmt}", dict.fromkeys(EVERYONE_B, 403), params={"fmt": "json"}),
    ObjectCase(
        "GET",
        "/open311/v2/requests/{service_request_id}.{fmt}",
        dict.fromkeys(EVERYONE_B, 200),
        R,
        params={"service_request_id": R, "fmt": "json"},
    ),
    ObjectCase("GET", "/open311/v2/requests.{fmt}", dict.fromkeys(EVERYONE_B, 200), params={"fmt": "xml"}),
    ObjectCase("GET", "/open311/v2/services.{fmt}", dict.fromkeys(EVERYONE_B, 200), params={"fmt": "xml"}),
    ObjectCase(
        "GET",
        "/open311/v2/services/{service_code}.{fmt}",
        dict.fromkeys(EVERYONE_B, 200),
        params={"service_code": "roads_and_facilities", "fmt": "json"},
    ),
    ObjectCase(
        "GET", "/open311/v2/tokens/{token}.{fmt}", dict.fromkeys(EVERYONE_B, 404), params={"fmt": "xml"}
    ),
    ObjectCase("GET", "/v1/requests/{request_id}", OUTSIDERS_READ, R, params={"request_id": R}),
    ObjectCase("GET", "/v1/requests/{request_id}/duplicates", {"staff_b": 403}, R, params={"request_id": R}),
    ObjectCase("POST", "/v1/requests/{request_id}/accept", {"staff_b": 403}, R, params={"request_id": R}),
    ObjectCase(
        "POST",
        "/v1/requests/{request_id}/reject",
        {"staff_b": 403},
        R,
        {"reason": "not ours"},
        params={"request_id": R},
    ),
    ObjectCase(
        "POST",
        "/v1/requests/{request_id}/mark-duplicate",
        {"staff_b": 403},
        R,
        {"duplicate_of": "other"},
        params={"request_id": R},
    ),
    ObjectCase("POST", "/v1/requests/{request_id}/route", {"staff_b": 403}, R, {}, params={"request_id": R}),
    ObjectCase(
        "POST",
        "/v1/requests/{request_id}/start",
        {"staff_b": 403},
        R,
        {"handled_by": "team b"},
        params={"request_id": R},
    ),
    ObjectCase(
        "POST",
        "/v1/requests/{request_id}/resolve",
        {"staff_b": 403},
        R,
        {"outcome": "fixed it"},
        params={"request_id": R},
    ),
    ObjectCase("POST", "/v1/requests/{request_id}/close", {"staff_b": 403}, R, params={"request_id": R}),
    ObjectCase(
        "POST",
        "/v1/requests/{request_id}/rating",
        {"resident_b": 403, "resident_b_in_a": 403},
        R,
        {"satisfaction": 1},
        params={"request_id": R},
    ),
    ObjectCase(
        "POST",
        "/v1/requests/{request_id}/reopen",
        {"resident_b": 403, "resident_b_in_a": 403},
        R,
        {"reason": "still broken"},
        params={"request_id": R},
    ),
    # lists: naming community A is refused to those who don't serve it; residents see only their own
    ObjectCase(
        "GET",
        "/v1/requests",
        {"staff_b": 403, "deputy_b": 403, "cppcc_b": 403, "external_b": 403, "resident_b_in_a": 200},
        query={"community": COMMUNITY_A},
        absent_from_items=R,
    ),
    ObjectCase(
        "GET",
        "/v1/requests",
        {"staff_b": 200, "resident_b": 200, "resident_b_in_a": 200},
        absent_from_items=R,
    ),
    ObjectCase("GET", "/v1/statistics", {"staff_b": 403}, query={"community": COMMUNITY_A}),
    ObjectCase("POST", "/v1/requests", {"staff_b": 403}, body=REQUEST),
    *registry_object_cases(PRINCIPALS),
]


@pytest.fixture(scope="module")
def resources(intake_api):
    import requests

    resp = requests.post(
        f"{intake_api.url}/v1/requests", json=REQUEST, headers=PRINCIPALS["resident_a"], timeout=10
    )
    assert resp.status_code == 201, resp.text
    return {R: ("requests", resp.json()["id"])}


def test_every_operation_of_the_openapi_document_has_an_entry(intake_api):
    check_table(intake_api, OPERATIONS)


@pytest.mark.parametrize("method,path", list(OPERATIONS))
def test_function_level(intake_api, method, path):
    assert check_function_level(intake_api, method, path, OPERATIONS[(method, path)]) == []


def test_every_operation_on_a_request_has_an_object_level_case():
    with_id = {k for k in OPERATIONS if "{" in k[1]}
    assert with_id - {(c.method, c.path) for c in OBJECT_CASES} == set()


@pytest.mark.parametrize("case", OBJECT_CASES, ids=lambda c: f"{c.method} {c.path} {c.query or ''}")
def test_object_level(intake_api, resources, case):
    assert check_object_case(intake_api, case, PRINCIPALS, resources, intake_api.db) == []
