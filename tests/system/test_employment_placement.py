"""A resident's request for part-time work near home, end to end: intake and employment as operators
run them (gunicorn APIs plus workers), driven over HTTP, the clock moved by the test."""

import json

import jsonschema
import requests

from civic146.auth import pseudonym
from employment import events as ev
from tests.helpers import JWT_SECRET, wait_until
from tests.system.conftest import metric, scrape

PERSON = {"name": "李秀英", "phone": "13912345678", "id_number": "11010519491231002X"}
REQUEST = {
    "category": "job_seeking",
    "description": "想在家附近找份兼职工作（looking for part-time work near home），电话13912345678",
    "community": "huifeng",
    "compound": "lefu-international",
    "channel": "e_net_mini_program",
    "submitter": {"name": PERSON["name"], "phone": PERSON["phone"]},
}
PROFILE = {
    "desired_occupations": ["cashier"],
    "skills": ["cashiering", "mandarin"],
    "education": "junior_secondary",
    "availability": {
        "hours_types": ["part_time"],
        "shifts": ["morning", "afternoon"],
        "max_hours_per_week": 25,
    },
    "max_commute_km": 2,
    "expected_pay": {"amount": 22, "unit": "hour"},
    "target_group": "middle_aged",
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
    "hours_per_week": 15,
    "community": "huifeng",
    "compound": "huifeng-1",
    "pay_min": 24,
    "pay_max": 26,
    "pay_unit": "hour",
    "openings": 2,
    "no_experience_needed": True,
}
FAR_JOB = {**JOB, "title": "收银员（远）", "community": "chaoyang", "compound": None}  # about 3.8 km away
SCHEMAS = {t.name: t.schema() for t in [*ev.PUBLISHED, ev.PROGRESS]}


def test_part_time_work_near_home_from_request_to_the_30_day_retention_check(
    service_factory, mint, topic_reader, tmp_path
):
    offset_file = tmp_path / "clock-offset"
    intake = service_factory("intake")
    employment = service_factory(
        "employment", CLOCK_OFFSET_FILE=str(offset_file), SCHEDULER_INTERVAL_SECONDS="0.5"
    )
    for svc in (intake, employment):
        svc.start_api(workers=2)
        svc.start_worker()
    resident, employer = mint("res-1", "resident"), mint("emp-1", "employer")
    staff = mint("staff-1", "community_staff", communities=["huifeng"])
    i_url, e_url = f"{intake.url}/v1", f"{employment.url}/v1"

    # An employer nearby posts part-time work; another job is too far for the resident.
    job = requests.post(f"{e_url}/jobs", json=JOB, headers=employer, timeout=10).json()
    far = requests.post(f"{e_url}/jobs", json=FAR_JOB, headers=employer, timeout=10).json()

    # The resident asks intake; staff accept and route it to employment, which drafts a profile.
    rid = requests.post(f"{i_url}/requests", json=REQUEST, headers=resident, timeout=10).json()["id"]
    for action in ("accept", "route"):
        assert requests.post(f"{i_url}/requests/{rid}/{action}", json={}, headers=staff, timeout=10).ok

    # The resident finds the draft of their own request without proving name and phone: intake's
    # routed v2 event names them by pseudonym. Another resident does not, even knowing name and phone.
    def draft():
        resp = requests.get(f"{e_url}/seekers/by-request/{rid}", headers=resident, timeout=5)
        return resp.json() if resp.status_code == 200 else None

    profile = wait_until(draft, timeout=30, message="draft profile from the routed request")
    assert profile["status"] == "draft" and profile["person"] == {
        "name": "李**",
        "phone": "139****5678",
        "id_number": None,
        "masked": True,
    }
    assert (
        "兼职" in profile["description"] and "13912345678" not in profile["description"]
    )  # their own text, scrubbed
    assert pseudonym(JWT_SECRET, "res-1") not in json.dumps(profile)
    other = mint("res-2", "resident")
    assert requests.get(f"{e_url}/seekers/by-request/{rid}", headers=other, timeout=5).status_code == 403
    assert (
        requests.post(
            f"{e_url}/seekers/by-request/{rid}/lookup",
            json={"name": PERSON["name"], "phone": PERSON["phone"]},
            headers=other,
            timeout=5,
        ).status_code
        == 403
    )
    assert (
        "兼职"
        in requests.get(f"{e_url}/seekers/by-request/{rid}", headers=staff, timeout=5).json()["description"]
    )

    # The resident completes it with consent; intake hears that employment took the request up.
    body = {
        "community": "huifeng",
        "compound": "lefu-international",
        "person": PERSON,
        "profile": PROFILE,
        "employment_difficulty": True,
        "consent": {"given": True},
    }
    resp = requests.post(f"{e_url}/seekers/{profile['id']}/complete", json=body, headers=resident, timeout=10)
    assert resp.status_code == 200, resp.text
    sid = resp.json()["id"]

    def intake_status(status):
        return lambda: (
            requests.get(f"{i_url}/requests/{rid}", headers=staff, timeout=5).json()["status"] == status
        )

    wait_until(intake_status("in_progress"), timeout=30, message="intake request in progress")

    # Matching suggests the nearby job (not the far one), with reasons.
    def suggestion():
        items = requests.get(
            f"{e_url}/referrals", params={"seeker_id": sid}, headers=resident, timeout=5
        ).json()["items"]
        return items or None

    [suggested] = wait_until(suggestion, timeout=30, message="a suggestion from re-matching")
    assert suggested["job_id"] == job["id"] and suggested["stage"] == "suggested"
    assert suggested["trigger"] == "profile_changed" and suggested["reasons"][0]["component"] == "occupation"
    matches = requests.get(f"{e_url}/seekers/{sid}/matches", headers=resident, timeout=10).json()["items"]
    assert [m["job_id"] for m in matches] == [job["id"]] and far["id"] not in str(matches)

    # Referred (the resident accepts the suggestion), interviewed, offered and hired by the employer.
    ref_id = suggested["id"]
    assert requests.post(f"{e_url}/referrals/{ref_id}/refer", headers=resident, timeout=10).ok
    for action in ("interview", "offer", "hire"):
        resp = requests.post(f"{e_url}/referrals/{ref_id}/{action}", headers=employer, timeout=10)
        assert resp.status_code == 200, (action, resp.text)
    assert resp.json()["retention"][0]["status"] == "scheduled"

    wait_until(intake_status("resolved"), timeout=30, message="intake request resolved by the hire")
    outcome = requests.get(f"{i_url}/requests/{rid}", headers=staff, timeout=5).json()
    assert outcome["handled_by"] == "employment" and "收银员" in outcome["outcome"]
    seeker = requests.get(f"{e_url}/seekers/{sid}", headers=staff, timeout=5).json()
    assert seeker["status"] == "placed" and seeker["placements"] == [ref_id]

    # Thirty-one days later the worker fires the 30-day retention check; staff record the outcome.
    def check(status):
        def probe():
            r = requests.get(f"{e_url}/referrals/{ref_id}", headers=staff, timeout=5).json()
            return r if r["retention"][0]["status"] == status else None

        return probe

    assert check("due")() is None
    offset_file.write_text(str(31 * 86400))
    wait_until(check("due"), timeout=30, message="30-day retention check fired")
    resp = requests.post(
        f"{e_url}/referrals/{ref_id}/retention-checks",
        json={"checkpoint": 30, "outcome": "retained"},
        headers=staff,
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    recorded = resp.json()
    assert recorded["stage"] == "retained" and recorded["retention"][0]["status"] == "retained"
    assert recorded["retention"][1]["status"] == "scheduled"

    # Everything the referral went through is on its topic, valid, and without personal data.
    reader = topic_reader(employment.env["TOPIC_PREFIX"] + ev.REFERRALS)
    wanted = {
        ev.REFERRAL_SUGGESTED.name,
        ev.REFERRAL_STAGE_CHANGED.name,
        ev.PROGRESS.name,
        ev.RETENTION_CHECK_DUE.name,
        ev.RETENTION_CHECKED.name,
    }

    def all_types():
        return wanted <= {json.loads(r.value)["type"] for r in reader.read(1, timeout=1)} or None

    wait_until(all_types, timeout=30, message="referral events on the topic")
    for record in reader.records:
        event = json.loads(record.value)
        jsonschema.validate(event, SCHEMAS[event["type"]])
        for secret in ("李秀英", "13912345678", "11010519491231002X", "difficulty"):
            assert secret not in record.value.decode()
    checked = [
        json.loads(r.value)["data"]
        for r in reader.records
        if json.loads(r.value)["type"] == ev.RETENTION_CHECKED.name
    ]
    assert checked == [{**checked[0], "checkpoint": 30, "outcome": "retained", "referral_id": ref_id}]

    samples = scrape(employment.api_metrics_url)
    assert (
        metric(samples, "civic146_employment_retention_checks_total", checkpoint="30", outcome="retained")
        == 1
    )
    assert (
        metric(
            samples, "civic146_employment_placements_total", community="huifeng", target_group="middle_aged"
        )
        == 1
    )
    assert metric(samples, "civic146_employment_referral_transitions_total", stage="hired") == 1
