"""Deliberation: every operation with every role (function level), and a topic of community A
acted on by staff of community B, a deputy and a CPPCC member of another area, and residents it
does not concern (object level)."""

from __future__ import annotations

import pytest

from tests.security.access import (
    ANY_ROLE,
    PUBLIC,
    REGISTRY_OPERATIONS,
    ObjectCase,
    check_function_level,
    check_object_case,
    check_table,
    registry_object_cases,
)
from tests.security.apis import COMMUNITY_A, COMMUNITY_B, bearer
from tests.stories import http, topics
from tests.stories import votes as voting

STAFF = ("community_staff", "subdistrict_admin")
CREATORS = (*STAFF, "deputy", "cppcc_member")
READERS = (*CREATORS, "resident", "party_organisation")
REVIEWERS = (*STAFF, "party_organisation")

OPERATIONS = {
    ("POST", "/v1/topics"): CREATORS,
    ("GET", "/v1/topics"): CREATORS,
    ("GET", "/v1/topics/{topic_id}"): READERS,
    ("PATCH", "/v1/topics/{topic_id}"): STAFF,
    ("POST", "/v1/topics/{topic_id}/requests"): STAFF,
    ("POST", "/v1/topics/{topic_id}/requests/{request_id}/detach"): STAFF,
    ("POST", "/v1/topics/{topic_id}/notice"): STAFF,
    ("POST", "/v1/topics/{topic_id}/consultation"): STAFF,
    ("POST", "/v1/topics/{topic_id}/meetings"): STAFF,
    ("POST", "/v1/topics/{topic_id}/meetings/{meeting_id}/held"): STAFF,
    ("POST", "/v1/topics/{topic_id}/votes"): STAFF,
    ("POST", "/v1/topics/{topic_id}/votes/paper"): STAFF,
    ("POST", "/v1/topics/{topic_id}/reviews"): REVIEWERS,
    ("POST", "/v1/topics/{topic_id}/votes/{vote_id}/ballots"): ("resident",),
    ("POST", "/v1/topics/{topic_id}/claim"): ("cppcc_member",),
    ("POST", "/v1/topics/{topic_id}/deputies"): STAFF,
    ("POST", "/v1/topics/{topic_id}/implementation"): STAFF,
    ("POST", "/v1/topics/{topic_id}/tasks"): STAFF,
    ("POST", "/v1/topics/{topic_id}/tasks/{task_id}/progress"): STAFF,
    ("POST", "/v1/topics/{topic_id}/result"): STAFF,
    ("POST", "/v1/topics/{topic_id}/feedback/open"): STAFF,
    ("POST", "/v1/topics/{topic_id}/feedback"): (*CREATORS, "resident"),
    ("POST", "/v1/topics/{topic_id}/close"): STAFF,
    ("POST", "/v1/topics/{topic_id}/decline"): STAFF,
    ("POST", "/v1/topics/{topic_id}/evaluations"): ("resident", "deputy", "cppcc_member"),
    ("POST", "/v1/communities/{community}/voters"): STAFF,
    ("GET", "/v1/communities/{community}/voters"): STAFF,
    ("POST", "/v1/communities/{community}/voters/{resident_id}/removal"): STAFF,
    ("GET", "/v1/communities/{community}/voters/{resident_id}"): STAFF,
    ("GET", "/v1/evaluations/summary"): STAFF,
    ("POST", "/v1/imports/past-matters"): ("subdistrict_admin",),
    ("GET", "/v1/public/communities/{community}/notices"): PUBLIC,
    ("GET", "/v1/public/communities/{community}/results"): PUBLIC,
    ("GET", "/v1/public/topics/{topic_id}"): PUBLIC,
    ("GET", "/board/"): PUBLIC,
    ("GET", "/board/communities/{community}"): PUBLIC,
    ("GET", "/board/topics/{topic_id}"): PUBLIC,
    ("GET", "/v1/venues"): ANY_ROLE,
    ("GET", "/v1/deputies"): ANY_ROLE,
    ("GET", "/v1/cppcc-members"): ANY_ROLE,
    ("GET", "/v1/statistics"): STAFF,
    **REGISTRY_OPERATIONS,
}

TOPIC = {
    "title": "北侧道路修复",
    "description": "乐福国际小区北侧道路损毁，需要商量修复方案",
    "community": COMMUNITY_A,
    "compound": "lefu-international",
    "platform": "small_bench_talk",
}
NOTICE = {"text": "议题公示：道路修复", "period_days": 7, "online": True}
WHEN = "2030-01-01T10:00:00+08:00"

PRINCIPALS = {
    "staff_a": bearer("staff-a", ["community_staff"], [COMMUNITY_A]),
    "staff_b": bearer("staff-b", ["community_staff"], [COMMUNITY_B]),
    "resident_b": bearer("res-b", ["resident"], [COMMUNITY_B]),
    "resident_b_in_a": bearer("res-b", ["resident"], [COMMUNITY_A]),  # of A by token, not on its roll
    "deputy_b": bearer("deputy-02", ["deputy"], [COMMUNITY_B]),  # registered; station 2 does not serve A
    "cppcc_b": bearer("cppcc-01", ["cppcc_member"], [COMMUNITY_B]),  # registered; serves B, not A
    "anyone": bearer("res-c", ["resident"], [COMMUNITY_B]),
    "party_b": bearer("party-b", ["party_organisation"], [COMMUNITY_B]),
}

T = "topic"
OUTSIDERS = {"staff_b": 403, "deputy_b": 403, "cppcc_b": 403, "resident_b": 403, "resident_b_in_a": 403}


def staff_b(method: str, suffix: str, body: object = None, **params: str) -> ObjectCase:
    return ObjectCase(
        method, "/v1/topics/{topic_id}" + suffix, {"staff_b": 403}, T, body, params={"topic_id": T, **params}
    )


OBJECT_CASES = [
    ObjectCase("GET", "/v1/topics/{topic_id}", OUTSIDERS, T, params={"topic_id": T}),
    staff_b("PATCH", "", {"title": "taken over"}),
    staff_b("POST", "/requests", {"request_id": "req-of-b"}),
    staff_b("POST", "/requests/{request_id}/detach", request_id="req-of-b"),
    staff_b("POST", "/notice", NOTICE),
    staff_b("POST", "/consultation"),
    staff_b(
        "POST",
        "/meetings",
        {"venue_id": "huifeng-yishiting", "scheduled_at": WHEN, "participants": {"volunteers": 3}},
    ),
    staff_b(
        "POST",
        "/meetings/{meeting_id}/held",
        {"attendance": 5, "minutes": "minutes of the meeting", "outcome": "agreed"},
        meeting_id="m-1",
    ),
    staff_b("POST", "/votes", {"question": "Repair the road?", "scope": "community", "closes_at": WHEN}),
    staff_b(
        "POST",
        "/votes/paper",
        {
            "question": "Repair the road?",
            "scope": "community",
            "opens_at": "2024-01-01T10:00:00+08:00",
            "closes_at": "2024-01-02T10:00:00+08:00",
            "counts": {"approve": 1},
        },
    ),
    ObjectCase(
        "POST",
        "/v1/topics/{topic_id}/reviews",
        {"staff_b": 403, "party_b": 403},
        T,
        {"stage": "topic", "approved": True, "organisation": "community_party_committee"},
        params={"topic_id": T},
    ),
    # no vote to cast in: the vote's own list of eligible voters decides, the topic is never shown
    ObjectCase(
        "POST",
        "/v1/topics/{topic_id}/votes/{vote_id}/ballots",
        {"resident_b": {403, 404}, "resident_b_in_a": {403, 404}},
        T,
        {"choice": "approve"},
        params={"topic_id": T, "vote_id": "v-1"},
    ),
    ObjectCase(
        "POST",
        "/v1/topics/{topic_id}/claim",
        {"cppcc_b": 403},
        T,
        {"resources": ["funds"]},
        params={"topic_id": T},
    ),
    staff_b("POST", "/deputies", {"deputy_id": "deputy-01"}),
    staff_b("POST", "/implementation", {"decision": "we will repair the road"}),
    staff_b(
        "POST",
        "/tasks",
        {"title": "repair", "owner": "road team", "due_date": "2030-01-01", "unit": "m", "target": 10},
    ),
    staff_b("POST", "/tasks/{task_id}/progress", {"done": 1}, task_id="t-1"),
    staff_b("POST", "/result", NOTICE),
    staff_b("POST", "/feedback/open"),
    ObjectCase(
        "POST", "/v1/topics/{topic_id}/feedback", OUTSIDERS, T, {"satisfaction": 1}, params={"topic_id": T}
    ),
    staff_b("POST", "/close", {"summary": "reported back"}),
    staff_b("POST", "/decline", {"reason": "not ours"}),
    ObjectCase(
        "POST",
        "/v1/topics/{topic_id}/evaluations",
        {"resident_b": 403, "resident_b_in_a": 403, "deputy_b": 403},
        T,
        {"score": 1},
        params={"topic_id": T},
    ),
    ObjectCase(
        "POST",
        "/v1/communities/{community}/voters",
        {"staff_b": 403},
        body={"resident_ids": ["res-b"]},
        params={"community": COMMUNITY_A},
    ),
    ObjectCase(
        "GET", "/v1/communities/{community}/voters", {"staff_b": 403}, params={"community": COMMUNITY_A}
    ),
    ObjectCase(
        "POST",
        "/v1/communities/{community}/voters/{resident_id}/removal",
        {"staff_b": 403},
        body={"reason": "moved away"},
        params={"community": COMMUNITY_A, "resident_id": "res-a"},
    ),
    ObjectCase(
        "GET",
        "/v1/communities/{community}/voters/{resident_id}",
        {"staff_b": 403},
        params={"community": COMMUNITY_A, "resident_id": "res-a"},
    ),
    ObjectCase(
        "GET",
        "/v1/evaluations/summary",
        {"staff_b": 403},
        query={"community": COMMUNITY_A, "since": "2023-01-01T00:00:00Z", "until": "2024-01-01T00:00:00Z"},
    ),
    ObjectCase(
        "GET", "/v1/public/communities/{community}/notices", {"anyone": 404}, params={"community": "nowhere"}
    ),
    ObjectCase(
        "GET", "/v1/public/communities/{community}/results", {"anyone": 404}, params={"community": "nowhere"}
    ),
    # A topic whose notice is not up yet is not public: not even its existence shows.
    ObjectCase("GET", "/v1/public/topics/{topic_id}", {"anyone": 404}, params={"topic_id": T}),
    ObjectCase("GET", "/board/topics/{topic_id}", {"anyone": 404}, params={"topic_id": T}),
    ObjectCase("GET", "/board/communities/{community}", {"anyone": 404}, params={"community": "nowhere"}),
    ObjectCase(
        "GET",
        "/v1/topics",
        {"staff_b": 403, "deputy_b": 403, "cppcc_b": 403},
        query={"community": COMMUNITY_A},
    ),
    ObjectCase("GET", "/v1/statistics", {"staff_b": 403}, query={"community": COMMUNITY_A}),
    ObjectCase("POST", "/v1/topics", {"staff_b": 403, "deputy_b": 403, "cppcc_b": 403}, body=TOPIC),
    *registry_object_cases(PRINCIPALS),
]


@pytest.fixture(scope="module")
def resources(deliberation_api):
    return {T: ("topics", topics.create(http(deliberation_api), PRINCIPALS["staff_a"], TOPIC)["id"])}


def test_every_operation_of_the_openapi_document_has_an_entry(deliberation_api):
    check_table(deliberation_api, OPERATIONS)


@pytest.mark.parametrize("method,path", list(OPERATIONS))
def test_function_level(deliberation_api, method, path):
    assert check_function_level(deliberation_api, method, path, OPERATIONS[(method, path)]) == []


def test_every_operation_on_an_object_has_an_object_level_case():
    with_id = {k for k in OPERATIONS if "{" in k[1]}
    assert with_id - {(c.method, c.path) for c in OBJECT_CASES} == set()


@pytest.mark.parametrize("case", OBJECT_CASES, ids=lambda c: f"{c.method} {c.path} {c.query or ''}")
def test_object_level(deliberation_api, resources, case):
    assert check_object_case(deliberation_api, case, PRINCIPALS, resources, deliberation_api.db) == []


def test_staff_of_another_community_cannot_put_anyone_on_its_voter_roll(deliberation_api, resources):
    d = http(deliberation_api)
    voting.register(d, PRINCIPALS["staff_b"], COMMUNITY_A, ["res-b"], expect=403)
    roll = d("GET", f"/v1/communities/{COMMUNITY_A}/voters", PRINCIPALS["staff_a"])
    assert "res-b" not in roll["resident_ids"]
