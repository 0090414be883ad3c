"""Employment: every operation with every role (function level), and resident A's profile, a draft
profile and a draft posting made from requests of community A, jobs of community A, a referral and
an outreach task, acted on by staff of community B, resident B and another employer (object level)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from civic146.auth import pseudonym
from employment.outreach import domain as outreach_domain
from tests.helpers import JWT_SECRET
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

STAFF = ("community_staff", "subdistrict_admin")
RESIDENT_OR_STAFF = ("resident", *STAFF)
EMPLOYER_OR_STAFF = ("employer", *STAFF)
ALL_SIDES = ("resident", "employer", *STAFF)

OPERATIONS = {
    ("GET", "/v1/vocabulary"): PUBLIC,
    ("POST", "/v1/seekers"): RESIDENT_OR_STAFF,
    ("GET", "/v1/seekers"): STAFF,
    ("GET", "/v1/seekers/mine"): ("resident",),
    ("GET", "/v1/seekers/by-request/{request_id}"): RESIDENT_OR_STAFF,
    ("POST", "/v1/seekers/by-request/{request_id}/lookup"): ("resident",),
    ("GET", "/v1/seekers/{seeker_id}"): RESIDENT_OR_STAFF,
    ("POST", "/v1/seekers/{seeker_id}/complete"): RESIDENT_OR_STAFF,
    ("PUT", "/v1/seekers/{seeker_id}/profile"): RESIDENT_OR_STAFF,
    ("POST", "/v1/seekers/{seeker_id}/withdraw-consent"): RESIDENT_OR_STAFF,
    ("GET", "/v1/seekers/{seeker_id}/matches"): RESIDENT_OR_STAFF,
    ("GET", "/v1/seekers/{seeker_id}/support"): RESIDENT_OR_STAFF,
    ("POST", "/v1/seekers/{seeker_id}/support/contacts"): STAFF,
    ("POST", "/v1/seekers/{seeker_id}/support/steps"): STAFF,
    ("POST", "/v1/seekers/{seeker_id}/support/caseworker"): STAFF,
    ("POST", "/v1/needs-surveys"): STAFF,
    ("GET", "/v1/needs-surveys/{survey_id}"): STAFF,
    ("GET", "/v1/unmet-needs"): STAFF,
    ("GET", "/v1/resources"): STAFF,
    ("POST", "/v1/jobs"): EMPLOYER_OR_STAFF,
    ("GET", "/v1/jobs"): ANY_ROLE,
    ("GET", "/v1/jobs/by-request/{request_id}"): STAFF,
    ("GET", "/v1/jobs/{job_id}"): ANY_ROLE,
    ("POST", "/v1/jobs/{job_id}/publish"): STAFF,
    ("POST", "/v1/jobs/{job_id}/close"): EMPLOYER_OR_STAFF,
    ("GET", "/v1/jobs/{job_id}/candidates"): STAFF,
    ("POST", "/v1/referrals"): RESIDENT_OR_STAFF,
    ("GET", "/v1/referrals"): ALL_SIDES,
    ("GET", "/v1/referrals/{referral_id}"): ALL_SIDES,
    ("POST", "/v1/referrals/{referral_id}/refer"): RESIDENT_OR_STAFF,
    ("POST", "/v1/referrals/{referral_id}/interview"): EMPLOYER_OR_STAFF,
    ("POST", "/v1/referrals/{referral_id}/offer"): EMPLOYER_OR_STAFF,
    ("POST", "/v1/referrals/{referral_id}/hire"): EMPLOYER_OR_STAFF,
    ("POST", "/v1/referrals/{referral_id}/decline"): ALL_SIDES,
    ("POST", "/v1/referrals/{referral_id}/retention-checks"): STAFF,
    ("GET", "/v1/outreach-tasks"): STAFF,
    ("POST", "/v1/outreach-tasks/{task_id}/done"): STAFF,
    ("POST", "/v1/job-fair-rounds"): STAFF,
    ("GET", "/v1/statistics"): STAFF,
    **REGISTRY_OPERATIONS,
}

PROFILE = {
    "desired_occupations": ["cashier"],
    "skills": ["cashiering"],
    "availability": {"hours_types": ["part_time"], "shifts": ["morning"], "max_hours_per_week": 20},
    "max_commute_km": 5,
}
SEEKER = {
    "community": COMMUNITY_A,
    "person": {"name": "王小明", "phone": "13812341234"},
    "profile": PROFILE,
    "consent": {"given": True},
}
JOB = {
    "employer_name": "汇丰超市",
    "contact_name": "李经理",
    "contact_phone": "13912345678",
    "title": "收银员",
    "occupation": "cashier",
    "required_skills": ["cashiering"],
    "hours_type": "part_time",
    "shifts": ["morning"],
    "hours_per_week": 20,
    "community": COMMUNITY_A,
    "pay_min": 20,
    "pay_max": 30,
    "pay_unit": "hour",
    "openings": 2,
}

PRINCIPALS = {
    "staff_a": bearer("staff-a", ["community_staff"], [COMMUNITY_A]),
    "staff_b": bearer("staff-b", ["community_staff"], [COMMUNITY_B]),
    "resident_a": bearer("res-a", ["resident"], [COMMUNITY_A]),
    "resident_b": bearer("res-b", ["resident"], [COMMUNITY_B]),
    "employer_a": bearer("emp-a", ["employer"], []),
    "employer_b": bearer("emp-b", ["employer"], []),
}

SEEKER_A, DRAFT_SEEKER, JOB_A, EMPLOYERS_JOB, DRAFT_JOB, REFERRAL, TASK, SURVEY_A = (
    "seeker",
    "draft seeker",
    "job",
    "employer's job",
    "draft job",
    "referral",
    "outreach task",
    "needs survey",
)
SURVEY = {
    "community": COMMUNITY_A,
    "collected_by": "compound_head",
    "rows": [
        {
            "person": {"name": "赵大妈", "phone": "13812345001"},
            "target_group": "older_worker",
            "consent": True,
        }
    ],
}
SEEKER_REQUEST, JOB_REQUEST = "req-a-seeker", "req-a-job"
NOT_THEIRS = {"staff_b": 403, "resident_b": 403}
OTHER_SIDES = {"staff_b": 403, "resident_b": 403, "employer_b": 403}


def seeker_case(
    method: str, suffix: str, resource: str = SEEKER_A, body: object = None, expect: dict | None = None
) -> ObjectCase:
    return ObjectCase(
        method,
        "/v1/seekers/{seeker_id}" + suffix,
        expect or NOT_THEIRS,
        resource,
        body,
        params={"seeker_id": resource},
    )


def referral_case(method: str, suffix: str, expect: dict, body: object = None) -> ObjectCase:
    return ObjectCase(
        method,
        "/v1/referrals/{referral_id}" + suffix,
        expect,
        REFERRAL,
        body,
        params={"referral_id": REFERRAL},
    )


OBJECT_CASES = [
    ObjectCase(
        "GET",
        "/v1/seekers/by-request/{request_id}",
        NOT_THEIRS,
        DRAFT_SEEKER,
        params={"request_id": SEEKER_REQUEST},
    ),
    ObjectCase(
        "POST",
        "/v1/seekers/by-request/{request_id}/lookup",
        {"resident_b": 403},
        DRAFT_SEEKER,
        {"name": "王小明", "phone": "13812341234"},
        params={"request_id": SEEKER_REQUEST},
    ),
    seeker_case("GET", ""),
    seeker_case("POST", "/complete", DRAFT_SEEKER, SEEKER),
    seeker_case("PUT", "/profile", body={"profile": PROFILE}),
    seeker_case("POST", "/withdraw-consent"),
    seeker_case("GET", "/matches"),
    seeker_case("GET", "/support"),
    seeker_case("POST", "/support/contacts", body={"outcome": "reached"}, expect={"staff_b": 403}),
    seeker_case(
        "POST", "/support/steps", body={"kind": "training", "status": "done"}, expect={"staff_b": 403}
    ),
    seeker_case("POST", "/support/caseworker", body={"caseworker_id": "staff-b"}, expect={"staff_b": 403}),
    ObjectCase("POST", "/v1/needs-surveys", {"staff_b": 403}, body=SURVEY),
    ObjectCase(
        "GET", "/v1/needs-surveys/{survey_id}", {"staff_b": 403}, SURVEY_A, params={"survey_id": SURVEY_A}
    ),
    ObjectCase("GET", "/v1/unmet-needs", {"staff_b": 403}, query={"community": COMMUNITY_A}),
    ObjectCase("GET", "/v1/resources", {"staff_b": 403}, query={"community": COMMUNITY_A}),
    ObjectCase(
        "GET",
        "/v1/jobs/by-request/{request_id}",
        {"staff_b": 403},
        DRAFT_JOB,
        params={"request_id": JOB_REQUEST},
    ),
    ObjectCase("GET", "/v1/jobs/{job_id}", OTHER_SIDES, DRAFT_JOB, params={"job_id": DRAFT_JOB}),
    ObjectCase(
        "POST", "/v1/jobs/{job_id}/publish", {"staff_b": 403}, DRAFT_JOB, JOB, params={"job_id": DRAFT_JOB}
    ),
    ObjectCase(
        "POST",
        "/v1/jobs/{job_id}/close",
        {"staff_b": 403, "employer_b": 403},
        EMPLOYERS_JOB,
        {},
        params={"job_id": EMPLOYERS_JOB},
    ),
    ObjectCase("GET", "/v1/jobs/{job_id}/candidates", {"staff_b": 403}, JOB_A, params={"job_id": JOB_A}),
    referral_case("GET", "", OTHER_SIDES),
    referral_case("POST", "/refer", NOT_THEIRS),
    referral_case("POST", "/interview", {"staff_b": 403, "employer_b": 403}),
    referral_case("POST", "/offer", {"staff_b": 403, "employer_b": 403}),
    referral_case("POST", "/hire", {"staff_b": 403, "employer_b": 403}),
    referral_case(
        "POST",
        "/decline",
        {"staff_b": 403, "resident_b": 403, "employer_b": 403},
        {"reason": "not for me", "declined_by": "seeker"},
    ),
    referral_case("POST", "/retention-checks", {"staff_b": 403}, {"checkpoint": 30, "outcome": "retained"}),
    ObjectCase(
        "POST",
        "/v1/outreach-tasks/{task_id}/done",
        {"staff_b": 403},
        TASK,
        {"outcome": "contacted"},
        params={"task_id": TASK},
    ),
    ObjectCase(
        "POST", "/v1/referrals", NOT_THEIRS, SEEKER_A, {"seeker_id": "placeholder", "job_id": "placeholder"}
    ),
    ObjectCase(
        "GET",
        "/v1/referrals",
        {"staff_b": 200, "resident_b": 200, "employer_b": 200},
        absent_from_items=REFERRAL,
    ),
    ObjectCase("GET", "/v1/referrals", {"staff_b": 403}, query={"community": COMMUNITY_A}),
    ObjectCase("GET", "/v1/seekers", {"staff_b": 200}, absent_from_items=SEEKER_A),
    ObjectCase("GET", "/v1/seekers", {"staff_b": 403}, query={"community": COMMUNITY_A}),
    ObjectCase("GET", "/v1/seekers/mine", {"resident_b": 200}, absent_from_items=SEEKER_A),
    ObjectCase("GET", "/v1/outreach-tasks", {"staff_b": 403}, query={"community": COMMUNITY_A}),
    ObjectCase("POST", "/v1/job-fair-rounds", {"staff_b": 403}, body={"community": COMMUNITY_A}),
    ObjectCase("GET", "/v1/statistics", {"staff_b": 403}, query={"community": COMMUNITY_A}),
    ObjectCase(
        "GET",
        "/v1/jobs",
        {"staff_b": 200, "resident_b": 200, "employer_b": 200},
        query={"status": "draft"},
        absent_from_items=DRAFT_JOB,
    ),
    ObjectCase("POST", "/v1/jobs", {"staff_b": 403}, body=JOB),
    ObjectCase("POST", "/v1/seekers", {"staff_b": 403}, body=SEEKER),
    *registry_object_cases(PRINCIPALS),
]


@pytest.fixture(scope="module")
def resources(employment_api):
    url, db = employment_api.url, employment_api.db

    def post(path: str, body: dict, who: str) -> str:
        resp = requests.post(url + path, json=body, headers=PRINCIPALS[who], timeout=10)
        assert resp.status_code == 201, resp.text
        return resp.json()["id"]

    seeker = post("/v1/seekers", SEEKER, "resident_a")
    job = post("/v1/jobs", JOB, "staff_a")
    employers_job = post("/v1/jobs", JOB, "employer_a")
    referral = post("/v1/referrals", {"seeker_id": seeker, "job_id": employers_job}, "staff_a")
    survey = post("/v1/needs-surveys", SURVEY, "staff_a")
    now = datetime.now(UTC)
    # what the worker makes from intake's events and from dormant seekers: written as it would be
    db.seekers.insert_one(
        {
            "_id": "sk-draft-a",
            "status": "draft",
            "source": "intake_request",
            "request_id": SEEKER_REQUEST,
            "community": COMMUNITY_A,
            "owner_ref": pseudonym(JWT_SECRET, "res-a"),
            "submitter_masked": {"name": "王*明", "phone": "138****1234"},
            "created_at": now,
            "updated_at": now,
            "version": 1,
            "outbox": [],
        }
    )
    db.jobs.insert_one(
        {
            "_id": "job-draft-a",
            "status": "draft",
            "source": "intake_request",
            "request_id": JOB_REQUEST,
            "community": COMMUNITY_A,
            "created_at": now,
            "version": 1,
            "outbox": [],
        }
    )
    dormant = db.seekers.find_one(
        {"_id": seeker}
    )  # outreach is for the groups staff call on: older workers here
    dormant["profile"]["target_group"] = "older_worker"
    task, _ = outreach_domain.outreach_task(dormant, db.jobs.find_one({"_id": job}), score=0.9, now=now)
    db.outreach_tasks.insert_one({**task, "version": 1, "outbox": []})
    return {
        SEEKER_A: ("seekers", seeker),
        DRAFT_SEEKER: ("seekers", "sk-draft-a"),
        JOB_A: ("jobs", job),
        EMPLOYERS_JOB: ("jobs", employers_job),
        DRAFT_JOB: ("jobs", "job-draft-a"),
        REFERRAL: ("referrals", referral),
        TASK: ("outreach_tasks", task["_id"]),
        SURVEY_A: ("needs_surveys", survey),
    }


def test_every_operation_of_the_openapi_document_has_an_entry(employment_api):
    check_table(employment_api, OPERATIONS)


@pytest.mark.parametrize("method,path", list(OPERATIONS))
def test_function_level(employment_api, method, path):
    assert check_function_level(employment_api, method, path, OPERATIONS[(method, path)]) == []


def test_every_operation_on_an_object_has_an_object_level_case():
    with_id = {k for k in OPERATIONS if "{" in k[1]}
    assert with_id - {(c.method, c.path) for c in OBJECT_CASES} == set()


@pytest.mark.parametrize("case", OBJECT_CASES, ids=lambda c: f"{c.method} {c.path} {c.query or ''}")
def test_object_level(employment_api, resources, case):
    if case.path == "/v1/referrals" and case.method == "POST":  # resident B or staff B refer resident A
        case.body = {"seeker_id": resources[SEEKER_A][1], "job_id": resources[JOB_A][1]}
    assert check_object_case(employment_api, case, PRINCIPALS, resources, employment_api.db) == []


def test_another_resident_cannot_complete_a_profile_that_is_no_draft(employment_api, resources):
    """Completing an active profile of someone else tells nothing about it."""
    resp = requests.post(
        f"{employment_api.url}/v1/seekers/{resources[SEEKER_A][1]}/complete",
        json=SEEKER,
        headers=PRINCIPALS["resident_b"],
        timeout=10,
    )
    assert resp.status_code in (403, 404), resp.text
