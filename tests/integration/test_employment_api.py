"""The employment API against the real mongo-java-server and Kafka (Flask test client, the worker's
relay on a thread of the test): bad input changes nothing; sensitive data (the employment-difficulty
group, ID numbers) never reaches events and is hidden from roles that don't need it."""

import json
from datetime import timedelta

import jsonschema
import pytest

from employment import events as ev
from tests.helpers import wait_until

ID_NUMBER = "11010519491231002X"
PERSON = {"name": "李秀英", "phone": "13912345678", "id_number": ID_NUMBER}
PROFILE = {
    "desired_occupations": ["cashier"],
    "skills": ["cashiering", "mandarin"],
    "education": "junior_secondary",
    "availability": {
        "hours_types": ["part_time"],
        "shifts": ["morning", "afternoon"],
        "max_hours_per_week": 30,
    },
    "max_commute_km": 3,
    "expected_pay": {"amount": 22, "unit": "hour"},
    "target_group": "middle_aged",
}
SEEKER = {
    "community": "huifeng",
    "compound": "lefu-international",
    "person": PERSON,
    "profile": PROFILE,
    "employment_difficulty": True,
    "consent": {"given": True},
}
JOB = {
    "employer_name": "汇丰便民超市",
    "contact_name": "王经理",
    "contact_phone": "13811112222",
    "title": "收银员（兼职）",
    "occupation": "cashier",
    "required_skills": ["cashiering"],
    "hours_type": "part_time",
    "shifts": ["morning"],
    "hours_per_week": 12,
    "community": "huifeng",
    "compound": "huifeng-1",
    "pay_min": 24,
    "pay_max": 26,
    "pay_unit": "hour",
    "openings": 1,
    "no_experience_needed": True,
}
SCHEMAS = {t.name: t.schema() for t in [*ev.PUBLISHED, ev.PROGRESS]}


@pytest.fixture
def make_app(service_settings, service_app):
    """`make_app(**env)`: employment's app (the worker's relay on a thread) and its settings, with
    these environment variables besides the test's (e.g. SENSITIVE_DATA_ROLES="subdistrict_admin")."""
    from employment.service import SERVICE

    def make(**env: str):
        settings = service_settings(SERVICE, **env)
        return service_app(SERVICE, settings), settings

    return make


@pytest.fixture
def employment(make_app):
    app, settings = make_app()
    return app.test_client(), settings


@pytest.fixture
def roles(mint):
    return {
        "resident": mint("res-1", "resident"),
        "staff": mint("staff-1", "community_staff", communities=["huifeng"]),
        "other_staff": mint("staff-2", "community_staff", communities=["ruyijie"]),
        "employer": mint("emp-1", "employer"),
        "deputy": mint("dep-1", "deputy", communities=["huifeng"]),
    }


def test_registration_is_stored_and_its_events_carry_no_personal_or_sensitive_data(
    employment, roles, mongo_db, topic_reader
):
    client, settings = employment
    resp = client.post("/v1/seekers", json=SEEKER, headers=roles["resident"])
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert (
        body["person"]["id_number"] == ID_NUMBER and body["employment_difficulty"] is True
    )  # the owner sees own data
    assert mongo_db.seekers.find_one({"_id": body["id"]})["person"]["phone"] == "13912345678"

    [record] = topic_reader(settings.topic(ev.SEEKERS)).read(1)
    event = json.loads(record.value)
    jsonschema.validate(event, SCHEMAS[event["type"]])
    assert event["type"] == ev.SEEKER_REGISTERED.name and record.key.decode() == body["id"]
    raw = record.value.decode()
    for secret in ("李秀英", "13912345678", ID_NUMBER, "difficulty"):
        assert secret not in raw


def test_sensitive_fields_are_hidden_from_roles_that_do_not_need_them(employment, roles, topic_reader):
    client, settings = employment
    seeker = client.post("/v1/seekers", json=SEEKER, headers=roles["resident"]).json
    sid = seeker["id"]

    staff_view = client.get(f"/v1/seekers/{sid}", headers=roles["staff"]).json
    assert staff_view["employment_difficulty"] is True and staff_view["person"]["id_number"] == ID_NUMBER
    for role in ("other_staff", "employer", "deputy"):
        assert client.get(f"/v1/seekers/{sid}", headers=roles[role]).status_code == 403, role

    # The employer meets the seeker only through a referral: masked, without ID or difficulty.
    job = client.post("/v1/jobs", json=JOB, headers=roles["employer"]).json
    ref = client.post("/v1/referrals", json={"seeker_id": sid, "job_id": job["id"]}, headers=roles["staff"])
    assert ref.status_code == 201, ref.json
    employer_view = client.get(f"/v1/referrals/{ref.json['id']}", headers=roles["employer"])
    assert employer_view.status_code == 200
    text = json.dumps(employer_view.json, ensure_ascii=False)
    assert employer_view.json["candidate"]["name"] == "李**"
    for secret in ("李秀英", "13912345678", ID_NUMBER, "difficulty"):
        assert secret not in text, secret

    stats = client.get("/v1/statistics?community=huifeng", headers=roles["staff"]).json
    assert stats["seekers_by_group"]["employment_difficulty"] == 1

    records = topic_reader(settings.topic(ev.REFERRALS)).read(2)
    assert {json.loads(r.value)["type"] for r in records} == {
        ev.REFERRAL_SUGGESTED.name,
        ev.REFERRAL_STAGE_CHANGED.name,
    }
    for r in records + topic_reader(settings.topic(ev.JOBS)).read(1):
        assert "difficulty" not in r.value.decode() and ID_NUMBER not in r.value.decode()


def test_staff_outside_the_sensitive_roles_see_masked_ids_and_no_difficulty(make_app, mongo_db, roles):
    app, _ = make_app(SENSITIVE_DATA_ROLES="subdistrict_admin")
    client = app.test_client()
    sid = client.post("/v1/seekers", json=SEEKER, headers=roles["resident"]).json["id"]
    view = client.get(f"/v1/seekers/{sid}", headers=roles["staff"]).json
    assert view["employment_difficulty"] is None
    assert view["person"]["id_number"] == "1101**********002X" and view["person"]["masked"] is True
    stats = client.get("/v1/statistics?community=huifeng", headers=roles["staff"]).json
    assert "employment_difficulty" not in stats["seekers_by_group"]


BAD_SEEKERS = [
    ({**SEEKER, "person": {**PERSON, "phone": "12345"}}, "person.phone"),
    ({**SEEKER, "person": {**PERSON, "id_number": "110105194912310021"}}, "person.id_number"),
    ({**SEEKER, "consent": {"given": False}}, "consent.given"),
    ({k: v for k, v in SEEKER.items() if k != "consent"}, "consent"),
    ({**SEEKER, "community": "atlantis"}, "community"),
    ({**SEEKER, "community": ""}, "community"),
    ({**SEEKER, "compound": "xipan-meiyu"}, "compound"),  # a compound of another community
    (
        {**SEEKER, "profile": {**PROFILE, "desired_occupations": ["astronaut"]}},
        "profile.desired_occupations.0",
    ),
    ({**SEEKER, "profile": {**PROFILE, "skills": ["levitation"]}}, "profile.skills.0"),
    ({**SEEKER, "profile": {**PROFILE, "max_commute_km": 0}}, "profile.max_commute_km"),
    (
        {**SEEKER, "profile": {**PROFILE, "expected_pay": {"amount": 5e-324, "unit": "month"}}},
        "profile.expected_pay.amount",
    ),
    (
        {**SEEKER, "profile": {**PROFILE, "expected_pay": {"amount": 5000, "unit": "hour"}}},
        "profile.expected_pay",
    ),
    (
        {
            **SEEKER,
            "profile": {**PROFILE, "availability": {**PROFILE["availability"], "max_hours_per_week": 1e-300}},
        },
        "profile.availability.max_hours_per_week",
    ),
    (
        {**SEEKER, "profile": {**PROFILE, "availability": {**PROFILE["availability"], "shifts": ["lunch"]}}},
        "profile.availability.shifts.0",
    ),
]


@pytest.mark.parametrize("payload, field", BAD_SEEKERS)
def test_bad_seeker_input_names_the_field_and_changes_nothing(employment, roles, mongo_db, payload, field):
    client, _ = employment
    resp = client.post("/v1/seekers", json=payload, headers=roles["resident"])
    assert resp.status_code == 422
    assert field in [d["field"] for d in resp.json["error"]["details"]], resp.json
    assert mongo_db.seekers.count_documents({}) == 0


@pytest.mark.parametrize(
    "payload, field",
    [
        ({**JOB, "pay_max": 10}, "(body)"),
        ({**JOB, "occupation": "astronaut"}, "occupation"),
        ({**JOB, "openings": 0}, "openings"),
        ({**JOB, "contact_phone": "110"}, "contact_phone"),
        ({**JOB, "community": ""}, "community"),
        ({**JOB, "community": "atlantis"}, "community"),
        ({**JOB, "hours_per_week": 5e-324}, "hours_per_week"),
        ({**JOB, "min_experience_years": 5e-324}, "min_experience_years"),
        ({**JOB, "pay_min": 5e-324}, "pay_min"),
        ({**JOB, "pay_unit": "month"}, "(body)"),
    ],
)  # 24-26 a month is no pay
def test_bad_job_input_names_the_field_and_changes_nothing(employment, roles, mongo_db, payload, field):
    client, _ = employment
    resp = client.post("/v1/jobs", json=payload, headers=roles["employer"])
    assert resp.status_code == 422
    assert field in [d["field"] for d in resp.json["error"]["details"]], resp.json
    assert mongo_db.jobs.count_documents({}) == 0


def test_matches_come_with_reasons_that_add_up_to_the_score(employment, roles):
    client, _ = employment
    sid = client.post("/v1/seekers", json=SEEKER, headers=roles["resident"]).json["id"]
    near = client.post("/v1/jobs", json=JOB, headers=roles["employer"]).json["id"]
    other = client.post(
        "/v1/jobs",
        json={**JOB, "occupation": "car_mechanic", "required_skills": ["car_repair"], "title": "汽修学徒"},
        headers=roles["employer"],
    ).json["id"]
    resp = client.get(f"/v1/seekers/{sid}/matches?k=5", headers=roles["resident"])
    assert resp.status_code == 200, resp.json
    items = resp.json["items"]
    assert [i["job_id"] for i in items][:2] == [near, other]
    for item in items:
        assert sum(r["contribution"] for r in item["reasons"]) == pytest.approx(item["score"], abs=1e-3)
    assert (
        items[0]["reasons"][0]["component"] == "occupation"
        and "是求职意向" in items[0]["reasons"][0]["detail"]
    )


def test_a_new_job_for_a_dormant_older_seeker_creates_an_outreach_task_for_staff(employment, roles, mongo_db):
    from employment import suggestions
    from employment.jobs import store as job_store

    client, settings = employment
    app_ctx = client.application.extensions["employment"]
    older = {**SEEKER, "profile": {**PROFILE, "target_group": "older_worker"}}
    sid = client.post("/v1/seekers", json=older, headers=roles["resident"]).json["id"]
    young = client.post(
        "/v1/seekers",
        json={**SEEKER, "profile": {**PROFILE, "target_group": "youth"}},
        headers=roles["resident"],
    ).json["id"]
    job_id = client.post("/v1/jobs", json=JOB, headers=roles["employer"]).json["id"]
    later = app_ctx.now() + timedelta(days=settings.dormant_after_days + 1)
    with client.application.app_context():
        made = suggestions.suggest_for_job(app_ctx, job_store.get(job_id), later)
    assert made == 2
    [task] = client.get("/v1/outreach-tasks?community=huifeng", headers=roles["staff"]).json["items"]
    assert task["seeker_id"] == sid and task["job_id"] == job_id and task["seeker_id"] != young
    assert client.get("/v1/outreach-tasks?community=huifeng", headers=roles["other_staff"]).status_code == 403
    done = client.post(
        f"/v1/outreach-tasks/{task['id']}/done", json={"outcome": "contacted"}, headers=roles["staff"]
    )
    assert done.status_code == 200 and done.json["status"] == "done"


def test_job_fair_round_pairs_seekers_within_capacities(employment, roles, mongo_db):
    client, _ = employment
    for _ in range(3):
        client.post("/v1/seekers", json=SEEKER, headers=roles["resident"])
    job_id = client.post("/v1/jobs", json={**JOB, "openings": 2}, headers=roles["employer"]).json["id"]
    resp = client.post("/v1/job-fair-rounds", json={"community": "huifeng"}, headers=roles["staff"])
    assert resp.status_code == 200, resp.json
    assert resp.json["seekers"] == 3 and resp.json["matched"] == 2
    assert {p["job_id"] for p in resp.json["pairs"]} == {job_id}
    assert mongo_db.referrals.count_documents({"trigger": "job_fair"}) == 2
    assert client.post("/v1/job-fair-rounds", json={}, headers=roles["staff"]).status_code == 422


@pytest.mark.parametrize("community", ["", "atlantis"])
def test_a_community_that_is_empty_or_unknown_is_refused_wherever_it_scopes_data(
    employment, roles, mongo_db, community
):
    client, _ = employment
    client.post("/v1/seekers", json=SEEKER, headers=roles["resident"])
    client.post("/v1/jobs", json=JOB, headers=roles["employer"])
    resp = client.post("/v1/job-fair-rounds", json={"community": community}, headers=roles["other_staff"])
    assert resp.status_code == 422 and [d["field"] for d in resp.json["error"]["details"]] == ["community"], (
        resp.json
    )
    assert mongo_db.referrals.count_documents({}) == 0
    for path in ("/v1/seekers", "/v1/jobs", "/v1/referrals", "/v1/outreach-tasks", "/v1/statistics"):
        resp = client.get(path, query_string={"community": community}, headers=roles["other_staff"])
        assert resp.status_code == 422 and [d["field"] for d in resp.json["error"]["details"]] == [
            "community"
        ], (path, resp.json)


def unscorable_count(kind: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("civic146_employment_unscorable_total", {"kind": kind}) or 0.0


def test_stored_profiles_and_postings_that_cannot_be_scored_do_not_stop_matching_for_the_others(
    employment, roles, mongo_db
):
    """Documents stored before today's bounds (inserted as they were): a tiny expected pay is scored
    without dividing by it; a profile or posting whose numbers are not numbers is left out and
    counted, and everyone else is matched: matches, job-fair rounds, and the job.posted handler."""
    from employment import handlers

    client, _ = employment
    good = client.post("/v1/seekers", json=SEEKER, headers=roles["resident"]).json["id"]
    stored = mongo_db.seekers.find_one({"_id": good})
    tiny_pay = {
        **stored,
        "_id": "legacy-tiny-pay",
        "profile": {**stored["profile"], "expected_pay": {"amount": 5e-324, "unit": "month"}},
    }
    broken = {
        **stored,
        "_id": "legacy-no-number",
        "profile": {**stored["profile"], "max_commute_km": float("nan")},
    }
    mongo_db.seekers.insert_many([tiny_pay, broken])
    job_id = client.post("/v1/jobs", json={**JOB, "openings": 3}, headers=roles["employer"]).json["id"]
    stored_job = mongo_db.jobs.find_one({"_id": job_id})
    mongo_db.jobs.insert_one(
        {
            **stored_job,
            "_id": "legacy-job",
            "min_experience_years": 5e-324,
            "no_experience_needed": False,
            "hours": {**stored_job["hours"], "hours_per_week": "x"},
        }
    )
    skipped_seekers, skipped_jobs = unscorable_count("seeker"), unscorable_count("job")

    for sid in (good, "legacy-tiny-pay"):
        resp = client.get(f"/v1/seekers/{sid}/matches", headers=roles["staff"])
        assert resp.status_code == 200 and [i["job_id"] for i in resp.json["items"]] == [job_id], resp.json
    resp = client.get("/v1/seekers/legacy-no-number/matches", headers=roles["staff"])
    assert resp.status_code == 422 and resp.json["error"]["details"][0]["field"] == "seeker_id", resp.json
    assert unscorable_count("job") > skipped_jobs  # the legacy job was left out of those matches

    resp = client.post("/v1/job-fair-rounds", json={"community": "huifeng"}, headers=roles["staff"])
    assert resp.status_code == 200, resp.json
    assert resp.json["seekers"] == 2 and {(p["seeker_id"], p["job_id"]) for p in resp.json["pairs"]} == {
        (good, job_id),
        ("legacy-tiny-pay", job_id),
    }
    assert unscorable_count("seeker") > skipped_seekers

    mongo_db.referrals.delete_many({})
    with client.application.app_context():
        handlers.rematch_job(client.application.extensions["employment"], job_id)
    assert {r["seeker_id"] for r in mongo_db.referrals.find({"trigger": "job_posted"})} == {
        good,
        "legacy-tiny-pay",
    }


# --- referral and hiring rules, privacy of drafts, outreach ------------------------------------------------


def routed(
    request_id: str,
    category: str = "job_seeking",
    phone: str | None = "139****5678",
    submitter_ref: str | None = None,
):
    """Intake's routed v2 data; no submitter_ref = a request staff entered for the resident."""
    from civic146.events import Routed

    return Routed(
        request_id=request_id,
        community="huifeng",
        compound="lefu-international",
        category=category,
        channel="e_net_mini_program",
        status="routed",
        actor_role="community_staff",
        target="employment",
        description="想在家附近找份兼职工作，我叫李秀英，电话139****5678",
        submitter={"name": "李**", "phone": phone},
        submitter_ref=submitter_ref,
        name_digests=[],
    )


def consume_routed(client, data) -> None:
    from employment import handlers

    with client.application.app_context():
        handlers.draft_from_intake(client.application.extensions["employment"], {}, data)


def offered(client, roles, job_id: str, seeker: dict | None = None) -> str:
    sid = client.post("/v1/seekers", json=seeker or SEEKER, headers=roles["resident"]).json["id"]
    ref = client.post("/v1/referrals", json={"seeker_id": sid, "job_id": job_id}, headers=roles["staff"])
    assert ref.status_code == 201, ref.json
    assert client.post(f"/v1/referrals/{ref.json['id']}/offer", headers=roles["employer"]).status_code == 200
    return ref.json["id"]


def test_referring_to_a_job_that_is_not_open_is_refused_and_writes_nothing(employment, roles, mongo_db):
    client, _ = employment
    sid = client.post("/v1/seekers", json=SEEKER, headers=roles["resident"]).json["id"]
    consume_routed(client, routed("req-hiring", category="staff_hiring"))
    draft = client.get("/v1/jobs/by-request/req-hiring", headers=roles["staff"]).json
    closed = client.post("/v1/jobs", json=JOB, headers=roles["employer"]).json["id"]
    assert client.post(f"/v1/jobs/{closed}/close", json={}, headers=roles["employer"]).status_code == 200
    for job_id, status in ((draft["id"], "draft"), (closed, "closed")):
        resp = client.post("/v1/referrals", json={"seeker_id": sid, "job_id": job_id}, headers=roles["staff"])
        assert resp.status_code == 409, resp.json
        assert resp.json["error"]["details"] == {"field": "job_id", "status": status}
    assert mongo_db.referrals.count_documents({}) == 0


def test_hiring_stops_at_the_jobs_openings_even_before_the_first_hire_is_confirmed(
    employment, roles, mongo_db, monkeypatch
):
    from employment import hiring

    client, _ = employment
    # the hire's reservations are not confirmed yet (the worker finishes it): they count all the same
    monkeypatch.setattr(hiring, "sync_placement_now", lambda *args: None)
    job_id = client.post("/v1/jobs", json=JOB, headers=roles["employer"]).json["id"]  # one opening
    first, second = offered(client, roles, job_id), offered(client, roles, job_id)
    assert client.post(f"/v1/referrals/{first}/hire", headers=roles["employer"]).status_code == 200
    resp = client.post(f"/v1/referrals/{second}/hire", headers=roles["employer"])
    assert resp.status_code == 409 and "openings" in resp.json["error"]["message"], resp.json
    assert mongo_db.referrals.find_one({"_id": second})["stage"] == "offered"


def test_hiring_on_a_withdrawn_job_is_refused(employment, roles, mongo_db):
    client, _ = employment
    job_id = client.post("/v1/jobs", json={**JOB, "openings": 2}, headers=roles["employer"]).json["id"]
    ref = offered(client, roles, job_id)
    assert (
        client.post(
            f"/v1/jobs/{job_id}/close", json={"reason": "withdrawn"}, headers=roles["employer"]
        ).status_code
        == 200
    )
    resp = client.post(f"/v1/referrals/{ref}/hire", headers=roles["employer"])
    assert resp.status_code == 409 and "closed" in resp.json["error"]["message"], resp.json
    assert mongo_db.jobs.find_one({"_id": job_id})["filled"] == 0


def test_refer_interview_and_offer_on_a_job_no_longer_open_are_refused_and_write_nothing(
    employment, roles, mongo_db
):
    from employment import suggestions
    from employment.jobs import store as job_store

    client, _ = employment
    app_ctx = client.application.extensions["employment"]
    suggested_sid = client.post("/v1/seekers", json=SEEKER, headers=roles["resident"]).json["id"]
    job_id = client.post("/v1/jobs", json={**JOB, "openings": 2}, headers=roles["employer"]).json["id"]
    with client.application.app_context():
        assert suggestions.suggest_for_job(app_ctx, job_store.get(job_id), app_ctx.now()) == 1
    [suggested] = mongo_db.referrals.find({"seeker_id": suggested_sid})
    referred_sid = client.post("/v1/seekers", json=SEEKER, headers=roles["resident"]).json["id"]
    referred = client.post(
        "/v1/referrals", json={"seeker_id": referred_sid, "job_id": job_id}, headers=roles["staff"]
    ).json["id"]
    assert (
        client.post(
            f"/v1/jobs/{job_id}/close", json={"reason": "withdrawn"}, headers=roles["employer"]
        ).status_code
        == 200
    )
    before = {r["_id"]: (r["stage"], len(r["history"])) for r in mongo_db.referrals.find()}

    for ref, action, who in (
        (suggested["_id"], "refer", "staff"),
        (referred, "interview", "employer"),
        (referred, "offer", "employer"),
    ):
        resp = client.post(f"/v1/referrals/{ref}/{action}", headers=roles[who])
        assert resp.status_code == 409, (action, resp.json)
        assert resp.json["error"]["details"] == {"field": "job_id", "job_id": job_id, "status": "closed"}, (
            action
        )
    assert {r["_id"]: (r["stage"], len(r["history"])) for r in mongo_db.referrals.find()} == before
    resp = client.post(
        f"/v1/referrals/{referred}/decline",
        json={"reason": "岗位已撤回", "declined_by": "staff"},
        headers=roles["staff"],
    )
    assert resp.status_code == 200 and resp.json["stage"] == "declined", resp.json  # declining stays possible


def test_a_new_job_creates_at_most_max_outreach_per_job_tasks_for_the_best_fits(make_app, mongo_db, roles):
    from employment import suggestions
    from employment.jobs import store as job_store

    app, settings = make_app(MAX_OUTREACH_PER_JOB="2")
    client = app.test_client()
    older = {**SEEKER, "profile": {**PROFILE, "target_group": "older_worker"}}
    best = [client.post("/v1/seekers", json=older, headers=roles["resident"]).json["id"] for _ in range(2)]
    weaker = {**SEEKER, "profile": {**PROFILE, "target_group": "older_worker", "skills": ["mandarin"]}}
    client.post("/v1/seekers", json=weaker, headers=roles["resident"])
    job_id = client.post("/v1/jobs", json=JOB, headers=roles["employer"]).json["id"]
    ctx = app.extensions["employment"]
    later = ctx.now() + timedelta(days=settings.dormant_after_days + 1)
    with app.app_context():
        suggestions.suggest_for_job(ctx, job_store.get(job_id), later)
    assert sorted(t["seeker_id"] for t in mongo_db.outreach_tasks.find({"job_id": job_id})) == sorted(best)


def test_a_second_full_time_hire_is_refused_even_before_the_first_is_confirmed(
    employment, roles, mongo_db, monkeypatch
):
    from employment import hiring

    client, _ = employment
    monkeypatch.setattr(hiring, "sync_placement_now", lambda *args: None)
    full_time_seeker = {
        **SEEKER,
        "profile": {
            **PROFILE,
            "availability": {
                "hours_types": ["full_time"],
                "shifts": ["morning", "afternoon"],
                "max_hours_per_week": 40,
            },
        },
    }
    full_time_job = {
        **JOB,
        "hours_type": "full_time",
        "hours_per_week": 40,
        "pay_min": 4000,
        "pay_max": 5000,
        "pay_unit": "month",
    }
    jobs = [
        client.post("/v1/jobs", json=full_time_job, headers=roles["employer"]).json["id"] for _ in range(2)
    ]
    sid = client.post("/v1/seekers", json=full_time_seeker, headers=roles["resident"]).json["id"]
    refs = []
    for job_id in jobs:
        ref = client.post(
            "/v1/referrals", json={"seeker_id": sid, "job_id": job_id}, headers=roles["staff"]
        ).json["id"]
        assert client.post(f"/v1/referrals/{ref}/offer", headers=roles["employer"]).status_code == 200
        refs.append(ref)
    assert client.post(f"/v1/referrals/{refs[0]}/hire", headers=roles["employer"]).status_code == 200
    seeker = mongo_db.seekers.find_one({"_id": sid})
    assert (
        seeker["placements"] == [refs[0]] and seeker["reservations"][0]["referral_id"] == refs[0]
    )  # unconfirmed
    resp = client.post(f"/v1/referrals/{refs[1]}/hire", headers=roles["employer"])
    assert resp.status_code == 409 and "placement" in resp.json["error"]["message"], resp.json


def test_concurrent_hires_for_the_last_opening_take_it_once(employment, roles, mongo_db):
    import threading

    client, _ = employment
    app = client.application
    for attempt in range(3):
        job_id = client.post("/v1/jobs", json=JOB, headers=roles["employer"]).json["id"]
        refs = [offered(client, roles, job_id) for _ in range(2)]
        start, results = threading.Barrier(2), []

        def hire(ref, start=start, results=results):
            own_client = app.test_client()
            start.wait()
            results.append(
                own_client.post(f"/v1/referrals/{ref}/hire", headers=roles["employer"]).status_code
            )

        threads = [threading.Thread(target=hire, args=(r,)) for r in refs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [200, 409], (attempt, results)
        assert mongo_db.referrals.count_documents({"job_id": job_id, "stage": "hired"}) == 1


def test_a_draft_from_intake_is_shown_only_to_staff_or_to_the_resident_who_proves_it_is_theirs(
    employment, roles, mint, mongo_db
):
    client, _ = employment
    consume_routed(client, routed("req-1"))
    url = "/v1/seekers/by-request/req-1"
    staff_view = client.get(url, headers=roles["staff"])
    assert staff_view.status_code == 200 and "兼职" in staff_view.json["description"]  # the request's text
    draft_id = staff_view.json["id"]
    for role in ("resident", "other_staff", "employer"):
        assert client.get(url, headers=roles[role]).status_code == 403, role
        assert client.get(f"/v1/seekers/{draft_id}", headers=roles[role]).status_code == 403, role

    lookup = f"{url}/lookup"
    for wrong in (
        {"name": "李四", "phone": PERSON["phone"]},
        {"name": PERSON["name"], "phone": "13900000000"},
    ):
        assert client.post(lookup, json=wrong, headers=roles["resident"]).status_code == 403, wrong
    assert client.post(lookup, json={"name": PERSON["name"]}, headers=roles["resident"]).status_code == 422
    mine = client.post(
        lookup, json={"name": PERSON["name"], "phone": PERSON["phone"]}, headers=roles["resident"]
    )
    assert mine.status_code == 200, mine.json
    assert mine.json["id"] == draft_id and mine.json["description"] is None
    assert mine.json["person"] == {"name": "李**", "phone": "139****5678", "id_number": None, "masked": True}

    completed = client.post(f"/v1/seekers/{draft_id}/complete", json=SEEKER, headers=roles["resident"])
    assert completed.status_code == 200, completed.json
    assert client.get(url, headers=roles["resident"]).status_code == 200  # now their own profile
    same_person_elsewhere = mint(
        "res-9", "resident"
    )  # the draft is claimed: knowing name and phone is not enough
    assert (
        client.post(
            lookup, json={"name": PERSON["name"], "phone": PERSON["phone"]}, headers=same_person_elsewhere
        ).status_code
        == 403
    )


def test_a_draft_from_the_residents_own_request_is_theirs_without_proof_and_nobody_elses(
    employment, roles, mint, mongo_db
):
    from civic146.auth import pseudonym
    from tests.helpers import JWT_SECRET

    client, _ = employment
    ref = pseudonym(JWT_SECRET, "res-1")
    consume_routed(client, routed("req-3", submitter_ref=ref))
    url = "/v1/seekers/by-request/req-3"
    staff_view = client.get(url, headers=roles["staff"])
    assert staff_view.status_code == 200 and ref not in json.dumps(staff_view.json)
    draft_id = staff_view.json["id"]
    assert mongo_db.seekers.find_one({"_id": draft_id})["owner_ref"] == ref

    # Another resident who knows the request's name and phone cannot claim it (the weak proof is off).
    other = mint("res-9", "resident")
    assert client.get(url, headers=other).status_code == 403
    assert (
        client.post(
            f"{url}/lookup", json={"name": PERSON["name"], "phone": PERSON["phone"]}, headers=other
        ).status_code
        == 403
    )
    assert client.post(f"/v1/seekers/{draft_id}/complete", json=SEEKER, headers=other).status_code == 403
    assert mongo_db.seekers.find_one({"_id": draft_id})["status"] == "draft"

    # The resident who asked sees the draft and completes it as someone the masks would not match.
    mine = client.get(url, headers=roles["resident"])
    assert mine.status_code == 200 and mine.json["id"] == draft_id and ref not in json.dumps(mine.json)
    assert client.get(f"/v1/seekers/{draft_id}", headers=roles["resident"]).status_code == 200
    unlike_the_masks = {**SEEKER, "person": {**SEEKER["person"], "name": "王小明", "phone": "13700000000"}}
    completed = client.post(
        f"/v1/seekers/{draft_id}/complete", json=unlike_the_masks, headers=roles["resident"]
    )
    assert completed.status_code == 200, completed.json
    assert completed.json["consent"]["via"] == "resident" and ref not in json.dumps(completed.json)
    assert mongo_db.seekers.find_one({"_id": draft_id})["resident_id"] == "res-1"


def test_a_draft_whose_request_gave_no_phone_is_completed_with_staff_only(employment, roles, mongo_db):
    client, _ = employment
    consume_routed(client, routed("req-2", phone=None))
    draft_id = client.get("/v1/seekers/by-request/req-2", headers=roles["staff"]).json["id"]
    lookup = client.post(
        "/v1/seekers/by-request/req-2/lookup",
        json={"name": PERSON["name"], "phone": PERSON["phone"]},
        headers=roles["resident"],
    )
    assert lookup.status_code == 403
    resp = client.post(f"/v1/seekers/{draft_id}/complete", json=SEEKER, headers=roles["resident"])
    assert resp.status_code == 403, resp.json
    assert mongo_db.seekers.find_one({"_id": draft_id})["status"] == "draft"
    resp = client.post(f"/v1/seekers/{draft_id}/complete", json=SEEKER, headers=roles["staff"])
    assert resp.status_code == 200 and resp.json["consent"]["via"] == "staff_assisted"


def test_a_dormant_older_seeker_beyond_the_top_suggestions_still_gets_an_outreach_task(
    employment, roles, mongo_db
):
    from employment import suggestions
    from employment.jobs import store as job_store

    client, settings = employment
    app_ctx = client.application.extensions["employment"]
    better = [
        client.post(
            "/v1/seekers",
            json={**SEEKER, "profile": {**PROFILE, "target_group": "youth"}},
            headers=roles["resident"],
        ).json["id"]
        for _ in range(settings.suggestions_per_change)
    ]
    older = {
        **SEEKER,
        "profile": {**PROFILE, "target_group": "older_worker", "skills": ["mandarin"]},
    }  # fits less well
    sid = client.post("/v1/seekers", json=older, headers=roles["resident"]).json["id"]
    job_id = client.post("/v1/jobs", json=JOB, headers=roles["employer"]).json["id"]
    later = app_ctx.now() + timedelta(days=settings.dormant_after_days + 1)
    with client.application.app_context():
        made = suggestions.suggest_for_job(app_ctx, job_store.get(job_id), later)
    assert made == settings.suggestions_per_change
    assert {r["seeker_id"] for r in mongo_db.referrals.find()} == set(better)  # the older seeker ranks 6th
    [task] = client.get("/v1/outreach-tasks?community=huifeng", headers=roles["staff"]).json["items"]
    assert task["seeker_id"] == sid and task["score"] >= settings.min_suggestion_score


def test_a_seekers_own_actions_keep_them_from_counting_as_dormant(make_app, mongo_db, roles, tmp_path):
    from employment.seekers import domain as seeker_domain

    offset = tmp_path / "clock-offset"
    app, settings = make_app(CLOCK_OFFSET_FILE=str(offset))
    client = app.test_client()
    sid = client.post("/v1/seekers", json=SEEKER, headers=roles["resident"]).json["id"]
    jobs = [client.post("/v1/jobs", json=JOB, headers=roles["employer"]).json["id"] for _ in range(2)]
    ctx = app.extensions["employment"]
    days = settings.dormant_after_days + 5
    offset.write_text(str(days * 86400))
    assert seeker_domain.is_dormant(
        mongo_db.seekers.find_one({"_id": sid}), ctx.now(), settings.dormant_after_days
    )
    resp = client.post("/v1/referrals", json={"seeker_id": sid, "job_id": jobs[0]}, headers=roles["resident"])
    assert resp.status_code == 201, resp.json
    assert not seeker_domain.is_dormant(
        mongo_db.seekers.find_one({"_id": sid}), ctx.now(), settings.dormant_after_days
    )

    offset.write_text(str(2 * days * 86400))  # dormant again; this time staff record the seeker's decline
    ref = client.post(
        "/v1/referrals", json={"seeker_id": sid, "job_id": jobs[1]}, headers=roles["staff"]
    ).json["id"]
    assert seeker_domain.is_dormant(
        mongo_db.seekers.find_one({"_id": sid}), ctx.now(), settings.dormant_after_days
    )
    resp = client.post(
        f"/v1/referrals/{ref}/decline",
        json={"reason": "时间不合适", "declined_by": "seeker"},
        headers=roles["staff"],
    )
    assert resp.status_code == 200, resp.json
    assert not seeker_domain.is_dormant(
        mongo_db.seekers.find_one({"_id": sid}), ctx.now(), settings.dormant_after_days
    )


def test_job_contact_names_are_masked_for_those_who_do_not_need_them(employment, roles):
    client, _ = employment
    job_id = client.post("/v1/jobs", json=JOB, headers=roles["employer"]).json["id"]
    for role, name, phone in (
        ("employer", "王经理", "13811112222"),
        ("staff", "王经理", "13811112222"),
        ("resident", "王**", "138****2222"),
        ("other_staff", "王**", "138****2222"),
        ("deputy", "王**", "138****2222"),
    ):
        view = client.get(f"/v1/jobs/{job_id}", headers=roles[role]).json
        assert (view["contact_name"], view["contact_phone"]) == (name, phone), role


def test_an_employer_declines_only_as_the_employer_and_reasons_mask_the_seekers_name(
    employment, roles, mongo_db, topic_reader
):
    client, settings = employment
    job_id = client.post("/v1/jobs", json={**JOB, "openings": 2}, headers=roles["employer"]).json["id"]
    ref = offered(client, roles, job_id)
    for declined_by in ("seeker", "staff"):
        resp = client.post(
            f"/v1/referrals/{ref}/decline",
            json={"reason": "不合适", "declined_by": declined_by},
            headers=roles["employer"],
        )
        assert resp.status_code == 422 and resp.json["error"]["details"][0]["field"] == "declined_by", (
            resp.json
        )
    assert mongo_db.referrals.find_one({"_id": ref})["stage"] == "offered"
    resp = client.post(
        f"/v1/referrals/{ref}/decline",
        json={"reason": "李秀英的班次与门店排班冲突", "declined_by": "employer"},
        headers=roles["employer"],
    )
    assert resp.status_code == 200 and resp.json["decline_reason"] == "李**的班次与门店排班冲突", resp.json
    stored = mongo_db.referrals.find_one({"_id": ref})
    assert "李秀英" not in str(stored["history"]) and stored["decline_reason"] == "李**的班次与门店排班冲突"

    from employment.scheduled import fire_retention_checks

    kept = offered(client, roles, job_id)
    assert client.post(f"/v1/referrals/{kept}/hire", headers=roles["employer"]).status_code == 200
    ctx = client.application.extensions["employment"]
    assert fire_retention_checks(ctx, ctx.now() + timedelta(days=31)) == 1
    resp = client.post(
        f"/v1/referrals/{kept}/retention-checks",
        json={"checkpoint": 30, "outcome": "left", "reason": "李秀英回老家了"},
        headers=roles["staff"],
    )
    assert resp.status_code == 200 and resp.json["retention"][0]["reason"] == "李**回老家了", resp.json

    reader = topic_reader(settings.topic(ev.REFERRALS))

    def reasons():
        found = {
            json.loads(r.value)["data"].get("reason") for r in reader.read(len(reader.records) + 1, timeout=1)
        }
        return {"李**的班次与门店排班冲突", "李**回老家了"} <= found

    wait_until(reasons, timeout=30, message="decline and retention events")
    assert not any("李秀英" in r.value.decode() for r in reader.records)
