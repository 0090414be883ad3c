"""Matters settled before the platform, imported against the real mongo-java-server: the bulletin's
past matters (deploy/demo/past-matters.json) count in the statistics like any other matter, a second
import changes nothing, and a file with one bad row is rejected whole, naming the row and the field."""

import copy
import json
from pathlib import Path

import pytest

from deliberation.service import SERVICE

FILE = Path(__file__).resolve().parents[2] / "deploy" / "demo" / "past-matters.json"


def past_matters() -> dict:
    body = json.loads(FILE.read_text(encoding="utf-8"))
    body.pop("_about")
    return body


@pytest.fixture
def client(service_settings, service_app):
    return service_app(SERVICE, service_settings(SERVICE)).test_client()  # the Party's reviews on


def statistics(client, admin) -> dict:
    resp = client.get("/v1/statistics", headers=admin)
    assert resp.status_code == 200, resp.json
    return resp.json


def test_the_bulletins_past_matters_count_in_the_statistics_once_however_often_imported(
    client, mint, mongo_db
):
    admin = mint("admin-1", "subdistrict_admin")
    before = statistics(client, admin)
    first = client.post("/v1/imports/past-matters", headers=admin, json=past_matters())
    assert first.status_code == 200, first.json
    assert (first.json["received"], first.json["imported"], first.json["already_imported"]) == (5, 5, 0)
    stats = statistics(client, admin)
    assert (stats["topics"], stats["imported"], stats["matters_solved"]) == (
        before["topics"] + 5,
        before["imported"] + 5,
        before["matters_solved"] + 5,
    )
    assert stats["consultations_held"] - before["consultations_held"] == 10
    assert (stats["votes_closed"], stats["ballots_cast"]) == (
        before["votes_closed"] + 1,
        before["ballots_cast"] + 23,
    )
    assert stats["by_platform"]["cppcc_consultation"] >= 1
    # The steps took as long as they really did: the certificates' implementation ran from May to September.
    assert stats["median_hours_in_step"]["implementation"] > 24 * 100

    topic = client.get(f"/v1/topics/{first.json['topic_ids'][3]}", headers=admin).json
    assert topic["imported"]["external_id"] == "zxl-2022-004" and topic["step"] == "closed"
    assert [(v["paper"], v["eligible_count"], v["result"]) for v in topic["votes"]] == [(True, 24, "passed")]
    assert topic["steps"][0]["at"].startswith("2022-04-06") and topic["created_at"].startswith("2022-04-06")
    versions = {d["_id"]: d["version"] for d in mongo_db.topics.find({}, {"version": 1})}

    second = client.post("/v1/imports/past-matters", headers=admin, json=past_matters())
    assert (second.json["imported"], second.json["already_imported"]) == (0, 5)
    assert second.json["topic_ids"] == first.json["topic_ids"]
    assert statistics(client, admin) == stats
    assert {d["_id"]: d["version"] for d in mongo_db.topics.find({}, {"version": 1})} == versions

    # Only a sub-district admin imports.
    staff = mint("staff-1", "community_staff", communities=["changle"])
    assert client.post("/v1/imports/past-matters", headers=staff, json=past_matters()).status_code == 403


@pytest.mark.parametrize(
    "spoil,field,words",
    [
        (
            lambda m: m[3]["meetings"][0].update(held_at="2022-04-16T19:00:00+08:00"),
            "matters.3.meetings.0.held_at",
            "before",
        ),
        (
            lambda m: m[1]["notice"].update(posted_at="2099-01-01T10:00:00+08:00"),
            "matters.1.notice.posted_at",
            "future",
        ),
        (
            lambda m: m[4].update(consultation_started_at="2023-02-20T10:00:00+08:00"),
            "matters.4.consultation_started_at",
            "notice",
        ),
        (
            lambda m: m[3]["votes"][0]["counts"].update(approve=5),
            "matters.3.implementation_started_at",
            "no vote has passed",
        ),
        (
            lambda m: m[4]["claims"][0].update(member_id="cppcc-01"),
            "matters.4.claims.0.member_id",
            "not a CPPCC member",
        ),
        (lambda m: m[0]["tasks"][0].update(done=100), "matters.0.result", "not complete"),
        (
            lambda m: m[2].update(decision_review=None),
            "matters.2.implementation_started_at",
            "Party organisation",
        ),
        (lambda m: m[0]["notice"].pop("posted_at"), "matters.0.notice.posted_at", "required"),
        (lambda m: m.append(copy.deepcopy(m[0])), "matters.5.external_id", "also row 0"),
    ],
)
def test_a_file_with_one_bad_row_is_rejected_whole_naming_the_row_and_the_field(
    client, mint, mongo_db, spoil, field, words
):
    admin = mint("admin-1", "subdistrict_admin")
    body = past_matters()
    spoil(body["matters"])
    resp = client.post("/v1/imports/past-matters", headers=admin, json=body)
    assert resp.status_code == 422, resp.json
    details = resp.json["error"]["details"]
    assert [d["field"] for d in details] == [field], details
    assert words.lower() in details[0]["message"].lower(), details
    assert mongo_db.topics.count_documents({}) == 0  # not even the good rows
