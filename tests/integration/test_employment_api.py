"""The employment API against the real FerretDB and Kafka (Flask test client, publish-on-commit relay):
bad input changes nothing; sensitive data (the employment-difficulty group, ID numbers) never
reaches events and is hidden from roles that don't need it."""
import json

import jsonschema
import pytest

from civic146.kafka import ensure_topics
from employment import events as ev

ID_NUMBER = "11010519491231002X"
PERSON = {"name": "李秀英", "phone": "13912345678", "id_number": ID_NUMBER}
PROFILE = {"desired_occupations": ["cashier"], "skills": ["cashiering", "mandarin"], "education": "junior_secondary",
           "availability": {"hours_types": ["part_time"], "shifts": ["morning", "afternoon"], "max_hours_per_week": 30},
           "max_commute_km": 3, "expected_pay": {"amount": 22, "unit": "hour"}, "target_group": "middle_aged"}
SEEKER = {"community": "huifeng", "compound": "lefu-international", "person": PERSON, "profile": PROFILE,
          "employment_difficulty": True, "consent": {"given": True}}
JOB = {"employer_name": "汇丰便民超市", "contact_name": "王经理", "contact_phone": "13811112222", "title": "收银员（兼职）",
       "occupation": "cashier", "required_skills": ["cashiering"], "hours_type": "part_time", "shifts": ["morning"],
       "hours_per_week": 12, "community": "huifeng", "compound": "huifeng-1", "pay_min": 24, "pay_max": 26,
       "pay_unit": "hour", "openings": 1, "no_experience_needed": True}
SCHEMAS = {t.name: t.schema() for t in [*ev.PUBLISHED, ev.PROGRESS]}


def make_app(base_env, monkeypatch, **overrides):
    from civic146.config import load_settings
    from employment.api import create_app
    from employment.settings import EmploymentSettings
    for k, v in base_env.items():
        monkeypatch.setenv(k, v)
    settings = load_settings(EmploymentSettings, **overrides)
    ensure_topics(settings, [settings.topic(t) for t in (ev.SEEKERS, ev.JOBS, ev.REFERRALS)])
    app = create_app(settings)
    app.config["TESTING"] = True
    return app, settings


@pytest.fixture
def employment(base_env, monkeypatch, mongo_db):
    app, settings = make_app(base_env, monkeypatch)
    yield app.test_client(), settings
    app.extensions["employment.relay"].close()


@pytest.fixture
def roles(mint):
    return {
        "resident": mint("res-1", "resident"),
        "staff": mint("staff-1", "community_staff", communities=["huifeng"]),
        "other_staff": mint("staff-2", "community_staff", communities=["ruyijie"]),
        "employer": mint("emp-1", "employer"),
        "deputy": mint("dep-1", "deputy", communities=["huifeng"]),
    }


def test_registration_is_stored_and_its_events_carry_no_personal_or_sensitive_data(employment, roles, mongo_db, topic_reader):
    client, settings = employment
    resp = client.post("/v1/seekers", json=SEEKER, headers=roles["resident"])
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["person"]["id_number"] == ID_NUMBER and body["employment_difficulty"] is True  # the owner sees own data
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
    assert {json.loads(r.value)["type"] for r in records} == {ev.REFERRAL_SUGGESTED.name, ev.REFERRAL_STAGE_CHANGED.name}
    for r in records + topic_reader(settings.topic(ev.JOBS)).read(1):
        assert "difficulty" not in r.value.decode() and ID_NUMBER not in r.value.decode()


def test_staff_outside_the_sensitive_roles_see_masked_ids_and_no_difficulty(base_env, monkeypatch, mongo_db, roles):
    app, _ = make_app(base_env, monkeypatch, sensitive_data_roles="subdistrict_admin")
    client = app.test_client()
    try:
        sid = client.post("/v1/seekers", json=SEEKER, headers=roles["resident"]).json["id"]
        view = client.get(f"/v1/seekers/{sid}", headers=roles["staff"]).json
        assert view["employment_difficulty"] is None
        assert view["person"]["id_number"] == "1101**********002X" and view["person"]["masked"] is True
        stats = client.get("/v1/statistics?community=huifeng", headers=roles["staff"]).json
        assert "employment_difficulty" not in stats["seekers_by_group"]
    finally:
        app.extensions["employment.relay"].close()


BAD_SEEKERS = [
    ({**SEEKER, "person": {**PERSON, "phone": "12345"}}, "person.phone"),
    ({**SEEKER, "person": {**PERSON, "id_number": "110105194912310021"}}, "person.id_number"),
    ({**SEEKER, "consent": {"given": False}}, "consent.given"),
    ({k: v for k, v in SEEKER.items() if k != "consent"}, "consent"),
    ({**SEEKER, "community": "atlantis"}, "community"),
    ({**SEEKER, "profile": {**PROFILE, "desired_occupations": ["astronaut"]}}, "profile.desired_occupations"),
    ({**SEEKER, "profile": {**PROFILE, "max_commute_km": 0}}, "profile.max_commute_km"),
    ({**SEEKER, "profile": {**PROFILE, "availability": {**PROFILE["availability"], "shifts": ["lunch"]}}},
     "profile.availability.shifts.0"),
]


@pytest.mark.parametrize("payload, field", BAD_SEEKERS)
def test_bad_seeker_input_names_the_field_and_changes_nothing(employment, roles, mongo_db, payload, field):
    client, _ = employment
    resp = client.post("/v1/seekers", json=payload, headers=roles["resident"])
    assert resp.status_code == 422
    assert field in [d["field"] for d in resp.json["error"]["details"]], resp.json
    assert mongo_db.seekers.count_documents({}) == 0


@pytest.mark.parametrize("payload, field", [
    ({**JOB, "pay_max": 10}, "(body)"), ({**JOB, "occupation": "astronaut"}, "occupation"),
    ({**JOB, "openings": 0}, "openings"), ({**JOB, "contact_phone": "110"}, "contact_phone")])
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
    other = client.post("/v1/jobs", json={**JOB, "occupation": "car_mechanic", "required_skills": ["car_repair"],
                                          "title": "汽修学徒"}, headers=roles["employer"]).json["id"]
    resp = client.get(f"/v1/seekers/{sid}/matches?k=5", headers=roles["resident"])
    assert resp.status_code == 200, resp.json
    items = resp.json["items"]
    assert [i["job_id"] for i in items][:2] == [near, other]
    for item in items:
        assert sum(r["contribution"] for r in item["reasons"]) == pytest.approx(item["score"], abs=1e-3)
    assert items[0]["reasons"][0]["component"] == "occupation" and "是求职意向" in items[0]["reasons"][0]["detail"]


def test_a_new_job_for_a_dormant_older_seeker_creates_an_outreach_task_for_staff(employment, roles, mongo_db):
    from datetime import timedelta

    from employment import store, workflows
    client, settings = employment
    app_ctx = client.application.extensions["employment"]
    older = {**SEEKER, "profile": {**PROFILE, "target_group": "older_worker"}}
    sid = client.post("/v1/seekers", json=older, headers=roles["resident"]).json["id"]
    young = client.post("/v1/seekers", json={**SEEKER, "profile": {**PROFILE, "target_group": "youth"}},
                        headers=roles["resident"]).json["id"]
    job_id = client.post("/v1/jobs", json=JOB, headers=roles["employer"]).json["id"]
    later = app_ctx.now() + timedelta(days=settings.dormant_after_days + 1)
    with client.application.app_context():
        made = workflows.suggest_for_job(app_ctx, store.get("jobs", job_id), later)
    assert made == 2
    [task] = client.get("/v1/outreach-tasks?community=huifeng", headers=roles["staff"]).json["items"]
    assert task["seeker_id"] == sid and task["job_id"] == job_id and task["seeker_id"] != young
    assert client.get("/v1/outreach-tasks?community=huifeng", headers=roles["other_staff"]).status_code == 403
    done = client.post(f"/v1/outreach-tasks/{task['id']}/done", json={"outcome": "contacted"}, headers=roles["staff"])
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
