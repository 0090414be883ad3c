"""A resident's request for part-time work near home, end to end: intake and employment as operators
run them (gunicorn APIs plus workers), driven over HTTP, the clock moved by the test."""

import json

import jsonschema
import requests

from civic146.auth import pseudonym
from employment import events as ev
from tests.helpers import JWT_SECRET, wait_until
from tests.stories import hiring, http, intake_requests
from tests.stories.hiring import JOB, PERSON, PROFILE, REQUEST
from tests.system.conftest import metric, scrape

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
    i, e = http(intake), http(employment)

    # An employer nearby posts part-time work; another job is too far for the resident.
    job = hiring.post_job(e, employer, JOB)
    far = hiring.post_job(e, employer, FAR_JOB)

    # The resident asks intake; staff accept and route it to employment, which drafts a profile.
    rid = intake_requests.submit(i, resident, REQUEST)
    intake_requests.route(i, staff, rid)

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
    sid = hiring.complete(e, resident, profile["id"], body)["id"]

    def intake_status(status):
        return lambda: (
            requests.get(f"{i_url}/requests/{rid}", headers=staff, timeout=5).json()["status"] == status
        )

    wait_until(intake_status("in_progress"), timeout=30, message="intake request in progress")

    # Matching suggests the nearby job (not the far one), with reasons.
    suggested = hiring.suggestion(e, resident, sid, timeout=30)
    assert suggested["job_id"] == job["id"] and suggested["stage"] == "suggested"
    assert suggested["trigger"] == "profile_changed" and suggested["reasons"][0]["component"] == "occupation"
    matches = requests.get(f"{e_url}/seekers/{sid}/matches", headers=resident, timeout=10).json()["items"]
    assert [m["job_id"] for m in matches] == [job["id"]] and far["id"] not in str(matches)

    # Referred (the resident accepts the suggestion), interviewed, offered and hired by the employer.
    ref_id = suggested["id"]
    hiring.refer(e, resident, ref_id)
    hired = hiring.hire(e, employer, ref_id)
    assert hired["retention"][0]["status"] == "scheduled"

    wait_until(intake_status("resolved"), timeout=30, message="intake request resolved by the hire")
    outcome = requests.get(f"{i_url}/requests/{rid}", headers=staff, timeout=5).json()
    assert outcome["handled_by"] == "employment" and "收银员" in outcome["outcome"]
    seeker = requests.get(f"{e_url}/seekers/{sid}", headers=staff, timeout=5).json()
    assert seeker["status"] == "placed" and seeker["placements"] == [ref_id]

    # Thirty-one days later the worker fires the 30-day retention check; staff record the outcome.
    assert e("GET", f"/v1/referrals/{ref_id}", staff)["retention"][0]["status"] != "due"
    offset_file.write_text(str(31 * 86400))
    hiring.retention_due(e, staff, ref_id, timeout=30)
    recorded = hiring.record_retention(e, staff, ref_id)
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
