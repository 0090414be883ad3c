"""Needs surveys, the unmet-needs view, the employers' resources per community and the tracking
statistics, through the employment API against the real mongo-java-server and Kafka: a compound's
survey becomes draft profiles that show up as unmet needs; a bad row is an error naming it that
changes nothing."""

import json

import jsonschema
import pytest

from employment import events as ev
from tests.integration.test_employment_api import JOB, SCHEMAS

ROWS = [
    {
        "household": "3-2-501",
        "person": {"name": "吴海燕", "phone": "13912348001"},
        "target_group": "middle_aged",
        "desired_occupations": ["cashier"],
        "hours_types": ["part_time"],
        "need": "想找附近超市的兼职，吴海燕电话13912348001",
        "consent": True,
    },
    {
        "household": "3-2-502",
        "person": {"name": "郑国强", "phone": "13912348002"},
        "target_group": "older_worker",
        "desired_occupations": ["property_repair"],
        "need": "退休电工，愿意在社区维修点帮忙",
        "consent": True,
    },
    {"person": {"name": "冯晓东", "phone": "13912348003"}, "target_group": "youth", "consent": True},
]
SURVEY = {
    "community": "huifeng",
    "compound": "lefu-international",
    "collected_by": "compound_head",
    "rows": ROWS,
}


@pytest.fixture
def employment(service_settings, service_app):
    from employment.service import SERVICE

    settings = service_settings(SERVICE)
    return service_app(SERVICE, settings).test_client(), settings


@pytest.fixture
def staff(mint):
    return mint("staff-1", "community_staff", communities=["huifeng"])


def counts(mongo_db) -> tuple[int, int]:
    return mongo_db.needs_surveys.count_documents({}), mongo_db.seekers.count_documents({})


def test_a_compound_survey_makes_draft_profiles_that_show_as_unmet_needs(
    employment, staff, mongo_db, topic_reader
):
    client, settings = employment
    resp = client.post("/v1/needs-surveys", json=SURVEY, headers=staff)
    assert resp.status_code == 201, resp.json
    survey = resp.json
    assert survey["row_count"] == 3 and survey["drafts_created"] and len(survey["draft_ids"]) == 3
    stored = mongo_db.needs_surveys.find_one({"_id": survey["id"]})
    assert stored["rows"] is None  # the drafts hold the people's data from now on

    drafts = [client.get(f"/v1/seekers/{d}", headers=staff).json for d in survey["draft_ids"]]
    assert [d["status"] for d in drafts] == ["draft"] * 3 and {d["source"] for d in drafts} == {"survey"}
    assert drafts[0]["person"]["phone"] == "13912348001"  # staff see it plain
    assert (
        drafts[1]["need"]["target_group"] == "older_worker"
        and drafts[1]["need"]["collected_by"] == "compound_head"
    )
    assert "13912348001" not in drafts[0]["description"] and "吴海燕" not in drafts[0]["description"]

    unmet = client.get("/v1/unmet-needs", query_string={"community": "huifeng"}, headers=staff).json
    huifeng = unmet["by_community"]["huifeng"]
    assert unmet["total"] == 3 and huifeng["drafts"] == 3 and huifeng["active"] == 0
    assert huifeng["by_group"] == {"middle_aged": 1, "older_worker": 1, "youth": 1}
    assert huifeng["by_compound"] == {"lefu-international": 3}

    records = topic_reader(settings.topic(ev.SEEKERS)).read(3)
    assert [json.loads(r.value)["type"] for r in records] == [ev.SEEKER_DRAFTED.name] * 3
    for r in records:
        jsonschema.validate(json.loads(r.value), SCHEMAS[json.loads(r.value)["type"]])
        for secret in ("吴海燕", "郑国强", "冯晓东", "13912348001", "3-2-501"):
            assert secret not in r.value.decode()

    # The same people in a second survey: refused, row by row, and nothing recorded.
    before = counts(mongo_db)
    again = client.post("/v1/needs-surveys", json={**SURVEY, "rows": ROWS[1:]}, headers=staff)
    assert again.status_code == 422
    assert [d["field"] for d in again.json["error"]["details"]] == [
        "rows.0.person.phone",
        "rows.1.person.phone",
    ]
    assert counts(mongo_db) == before


@pytest.mark.parametrize(
    "row, field",
    [
        ({**ROWS[0], "consent": False}, "consent"),
        ({**ROWS[0], "target_group": "retired"}, "target_group"),
        ({**ROWS[0], "desired_occupations": ["astronaut"]}, "desired_occupations"),
        ({**ROWS[0], "person": {"name": "吴海燕", "phone": "12345"}}, "phone"),
    ],
)
def test_a_bad_row_is_a_clear_error_that_changes_nothing(employment, staff, mongo_db, row, field):
    client, _ = employment
    before = counts(mongo_db)
    resp = client.post("/v1/needs-surveys", json={**SURVEY, "rows": [ROWS[2], row]}, headers=staff)
    assert resp.status_code == 422, resp.json
    [detail] = resp.json["error"]["details"]
    assert detail["field"].startswith("rows.1.") and field in detail["field"], detail
    assert counts(mongo_db) == before


def test_a_phone_twice_in_one_survey_names_both_rows_and_records_nothing(employment, staff, mongo_db):
    client, _ = employment
    before = counts(mongo_db)
    twice = {**ROWS[2], "person": {**ROWS[2]["person"], "name": "冯小东"}}
    resp = client.post("/v1/needs-surveys", json={**SURVEY, "rows": [*ROWS, twice]}, headers=staff)
    assert resp.status_code == 422
    assert resp.json["error"]["details"] == [
        {"field": "rows.3.person.phone", "message": "the same phone as row 2"}
    ]
    assert counts(mongo_db) == before


def test_only_staff_serving_the_community_record_or_see_its_surveys(employment, staff, mint, mongo_db):
    client, _ = employment
    other = mint("staff-2", "community_staff", communities=["ruyijie"])
    assert client.post("/v1/needs-surveys", json=SURVEY, headers=other).status_code == 403
    assert client.post("/v1/needs-surveys", json=SURVEY, headers=mint("res-1", "resident")).status_code == 403
    assert counts(mongo_db) == (0, 0)
    survey = client.post("/v1/needs-surveys", json=SURVEY, headers=staff).json
    assert client.get(f"/v1/needs-surveys/{survey['id']}", headers=other).status_code == 403
    assert (
        client.get("/v1/unmet-needs", query_string={"community": "huifeng"}, headers=other).status_code == 403
    )


def test_employers_of_three_kinds_and_what_they_offer_are_counted_per_community(employment, staff, mint):
    client, _ = employment
    employer = mint("emp-1", "employer")
    offers = [
        {"employer_name": "汇丰物流有限公司", "employer_kind": "enterprise", "openings": 3},
        {
            "employer_name": "汇丰物流有限公司",
            "employer_kind": "enterprise",
            "offer": "trial_work",
            "openings": 2,
        },
        {"employer_name": "汇丰便民超市", "employer_kind": "merchant", "openings": 1},
        {
            "employer_name": "汇丰社工站",
            "employer_kind": "social_organisation",
            "offer": "training",
            "openings": 10,
        },
        {
            "employer_name": "汇丰社工站",
            "employer_kind": "social_organisation",
            "community_service": "health_post",
            "openings": 1,
        },
    ]
    for o in offers:
        assert client.post("/v1/jobs", json={**JOB, **o}, headers=employer).status_code == 201
    resp = client.get("/v1/resources", query_string={"community": "huifeng"}, headers=staff)
    assert resp.status_code == 200, resp.json
    huifeng = resp.json["by_community"]["huifeng"]
    assert huifeng["enterprise"] == {
        "employers": 1,
        "postings": 2,
        "positions": 3,
        "trial_places": 2,
        "internships": 0,
        "training_places": 0,
        "community_service_positions": 0,
    }
    assert huifeng["merchant"]["employers"] == 1 and huifeng["merchant"]["positions"] == 1
    assert huifeng["social_organisation"] == {
        "employers": 1,
        "postings": 2,
        "positions": 1,
        "trial_places": 0,
        "internships": 0,
        "training_places": 10,
        "community_service_positions": 1,
    }
    bad = client.post("/v1/jobs", json={**JOB, "employer_kind": "government"}, headers=employer)
    assert bad.status_code == 422 and "employer_kind" in bad.json["error"]["details"][0]["field"]
