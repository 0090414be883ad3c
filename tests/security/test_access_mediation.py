"""Mediation: every operation with every role (function level), and a case of community A with
resident A as its applicant, acted on by staff of community B, resident B, a mediator of another
community, a deputy off the roster and, where only mediators may act, staff of A (object level)."""

from __future__ import annotations

import pytest
import requests

from tests.security.access import (
    REGISTRY_OPERATIONS,
    ObjectCase,
    check_function_level,
    check_object_case,
    check_table,
    registry_object_cases,
)
from tests.security.apis import COMMUNITY_A, COMMUNITY_B, bearer

MANAGERS = ("community_staff", "subdistrict_admin", "mediator", "deputy", "cppcc_member")
EVERYONE = (*MANAGERS, "resident")

OPERATIONS = {
    ("POST", "/v1/cases"): EVERYONE,
    ("GET", "/v1/cases"): EVERYONE,
    ("GET", "/v1/cases/{case_id}"): EVERYONE,
    ("POST", "/v1/cases/{case_id}/parties"): MANAGERS,
    ("POST", "/v1/cases/{case_id}/consent"): EVERYONE,
    ("GET", "/v1/mediators"): EVERYONE,
    ("POST", "/v1/cases/{case_id}/mediators"): MANAGERS,
    ("POST", "/v1/cases/{case_id}/participants"): MANAGERS,
    ("POST", "/v1/cases/{case_id}/sessions"): MANAGERS,
    ("POST", "/v1/cases/{case_id}/extensions"): MANAGERS,
    ("POST", "/v1/cases/{case_id}/agreement"): MANAGERS,
    ("POST", "/v1/cases/{case_id}/fulfilment"): MANAGERS,
    ("POST", "/v1/cases/{case_id}/court-confirmation"): EVERYONE,
    ("POST", "/v1/cases/{case_id}/failure"): MANAGERS,
    ("POST", "/v1/cases/{case_id}/escalation"): MANAGERS,
    ("GET", "/v1/statistics"): MANAGERS,
    **REGISTRY_OPERATIONS,
}

WHEN = "2030-01-01T10:00:00+08:00"
CASE = {
    "community": COMMUNITY_A,
    "case_type": "neighbours",
    "origin": "committee_initiative",
    "facts": "楼上漏水导致楼下天花板受损，双方协商未果",
    "parties": [
        {"role": "applicant", "name": "王小明", "phone": "13812341234", "user_id": "res-a"},
        {"role": "respondent", "name": "张三", "phone": "13912345678"},
    ],
}

PRINCIPALS = {
    "staff_a": bearer("staff-a", ["community_staff"], [COMMUNITY_A]),
    "staff_b": bearer("staff-b", ["community_staff"], [COMMUNITY_B]),
    "resident_b": bearer("res-b", ["resident"], [COMMUNITY_A]),
    "mediator_b": bearer("med-li", ["mediator"], [COMMUNITY_B]),  # on the roster for B only
    "deputy_b": bearer("deputy-x", ["deputy"], [COMMUNITY_A]),  # not on the roster
}

C = "case"
MANAGE = {"staff_b": 403, "mediator_b": 403, "deputy_b": 403, "resident_b": 403}
MEDIATE = {**MANAGE, "staff_a": 403}  # only its mediators and supervisors mediate


def case(suffix: str, expect: dict, body: object = None, method: str = "POST") -> ObjectCase:
    return ObjectCase(method, "/v1/cases/{case_id}" + suffix, expect, C, body, params={"case_id": C})


def without_resident(expect: dict) -> dict:  # routes residents may not call at all
    return {k: v for k, v in expect.items() if k != "resident_b"}


OBJECT_CASES = [
    case("", MANAGE, method="GET"),  # staff of A manage it, so they read its details
    case("/parties", without_resident(MANAGE), {"role": "respondent", "name": "李四"}),
    case("/consent", MANAGE, {"party_id": "p1", "decision": "given"}),
    case("/mediators", without_resident(MANAGE), {"mediator_id": "med-hf-01"}),
    case(
        "/participants",
        without_resident(MANAGE),
        {"name": "物业代表", "capacity": "property company", "consent_of": ["p1"]},
    ),
    case(
        "/sessions",
        without_resident(MEDIATE),
        {"held_at": WHEN, "attendees": ["p1"], "notes": "confidential"},
    ),
    case("/extensions", without_resident(MEDIATE), {"days": 10, "reason": "more time"}),
    case(
        "/agreement",
        without_resident(MEDIATE),
        {
            "terms": [{"description": "repair the ceiling", "obligor": "p2", "due_at": WHEN}],
            "signed_by": ["p1", "p2"],
            "effective_at": WHEN,
        },
    ),
    case("/fulfilment", without_resident(MEDIATE), {"term_number": 1, "result": "fulfilled"}),
    case("/court-confirmation", MANAGE, {"applied_at": WHEN, "court": "区人民法院"}),
    case("/failure", without_resident(MEDIATE), {"reason": "no_agreement", "advised_routes": ["court"]}),
    case("/escalation", without_resident(MANAGE), {"cause": "whole building", "summary": "漏水影响整栋楼"}),
    ObjectCase(
        "GET",
        "/v1/cases",
        {"staff_b": 200, "mediator_b": 200, "deputy_b": 200, "resident_b": 200},
        query={"community": COMMUNITY_A},
        absent_from_items=C,
    ),
    ObjectCase(
        "GET",
        "/v1/cases",
        {"staff_b": 200, "mediator_b": 200, "deputy_b": 200, "resident_b": 200},
        absent_from_items=C,
    ),
    ObjectCase(
        "GET",
        "/v1/statistics",
        {"staff_b": 403, "mediator_b": 403, "deputy_b": 403},
        query={"community": COMMUNITY_A},
    ),
    ObjectCase("POST", "/v1/cases", {"staff_b": 403, "mediator_b": 403, "deputy_b": 403}, body=CASE),
    *registry_object_cases(PRINCIPALS),
]


@pytest.fixture(scope="module")
def resources(mediation_api):
    resp = requests.post(
        f"{mediation_api.url}/v1/cases", json=CASE, headers=PRINCIPALS["staff_a"], timeout=10
    )
    assert resp.status_code == 201, resp.text
    return {C: ("cases", resp.json()["id"])}


def test_every_operation_of_the_openapi_document_has_an_entry(mediation_api):
    check_table(mediation_api, OPERATIONS)


@pytest.mark.parametrize("method,path", OPERATIONS)
def test_function_level(mediation_api, method, path):
    assert check_function_level(mediation_api, method, path, OPERATIONS[(method, path)]) == []


def test_every_operation_on_a_case_has_an_object_level_case():
    with_id = {k for k in OPERATIONS if "{" in k[1]}
    assert with_id - {(c.method, c.path) for c in OBJECT_CASES} == set()


@pytest.mark.parametrize("case", OBJECT_CASES, ids=lambda c: f"{c.method} {c.path} {c.query or ''}")
def test_object_level(mediation_api, resources, case):
    assert check_object_case(mediation_api, case, PRINCIPALS, resources, mediation_api.db) == []
