"""Intake's Open311 GeoReport v2 door against the real mongo-java-server and Kafka: the spec's own
example requests (https://wiki.open311.org/GeoReport_v2), every answer checked against the spec's
response formats (element names, root and item elements, value sets), a posted request landing in
intake exactly as one made through POST /v1/requests, bad input answered in the spec's error format
with nothing changed, and no personal data in what Open311 shows."""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import parse_qsl
from xml.etree import ElementTree

import jsonschema
import pytest

from intake import events as ev
from tests.helpers import wait_until

API_KEY = "xyz"  # the spec's example key, configured here as an external system's
SYSTEM = "spec-client"
OTHER_KEY, OTHER_SYSTEM = "another-key", "other-client"

# The spec's example request, as the spec writes it.
SPEC_EXAMPLE = (
    "api_key=xyz&jurisdiction_id=city.gov&service_code=001&lat=37.76524078&long=-122.4212043"
    "&address_string=1234+5th+street&email=smit333%40sfgov.edu&device_id=tt222111&account_id=123456"
    "&first_name=john&last_name=smith&phone=111111111&description=A+large+sinkhole+is+destroying+the+street"
    "&media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg"
    "&attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001"
)


def spec_example(**changes: str | None) -> list[tuple[str, str]]:
    """The spec's example with this jurisdiction's values where the spec has its city's
    (jurisdiction, service code, a mainland mobile number, the place as the register names it)."""
    fields = [(k, v) for k, v in parse_qsl(SPEC_EXAMPLE) if not k.startswith("attribute[")]
    fields = [(k, v) for k, v in fields if k not in ("jurisdiction_id", "service_code", "phone")]
    fields += [
        ("jurisdiction_id", "zhongxinlu"),
        ("service_code", "roads_and_facilities"),
        ("phone", "13812341234"),
        ("attribute[community]", "huifeng"),
    ]
    changed = dict(fields)
    for k, v in changes.items():
        key = k.replace("__", "[").replace("_close", "]") if "__" in k else k
        if v is None:
            changed.pop(key, None)
        else:
            changed[key] = v
    return list(changed.items())


def form(pairs) -> str:
    from urllib.parse import urlencode

    return urlencode(pairs)


FORM = "application/x-www-form-urlencoded; charset=utf-8"

# --- the spec's response formats ----------------------------------------------------------------

SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
ATTRIBUTE_FIELDS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
}
POSTED_FIELDS = {"service_request_id", "token", "service_notice", "account_id"}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
W3C = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def xml(resp, root: str) -> ElementTree.Element:
    assert resp.content_type == "text/xml; charset=utf-8", resp.content_type
    text = resp.data.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>'), text[:60]
    element = ElementTree.fromstring(resp.data)
    assert element.tag == root, element.tag
    return element


def items(resp, root: str, item: str, allowed: set[str], required: set[str]) -> list[dict]:
    """A list answer, XML (<root><item>...) or JSON (an array), checked against the spec's fields;
    returned as dicts of text (XML) or values (JSON)."""
    if resp.content_type.startswith("text/xml"):
        found = []
        for child in xml(resp, root):
            assert child.tag == item, child.tag
            tags = [c.tag for c in child]
            assert set(tags) <= allowed and required <= set(tags), tags
            found.append({c.tag: c.text for c in child})
        return found
    assert resp.content_type == "application/json; charset=utf-8", resp.content_type
    assert isinstance(resp.json, list)
    for entry in resp.json:
        assert set(entry) <= allowed and required <= set(entry), sorted(entry)
    return resp.json


def errors(resp, status: int) -> list[str]:
    """The spec's error answer: the HTTP status, and a list of (code, description)."""
    assert resp.status_code == status, (resp.status_code, resp.data[:500])
    found = items(resp, "errors", "error", {"code", "description"}, {"code", "description"})
    assert found and all(int(e["code"]) == status for e in found)
    return [e["description"] for e in found]


def check_request(entry: dict) -> None:
    assert entry["status"] in ("open", "closed")
    for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.fullmatch(entry[key]), entry[key]


# --- fixtures -------------------------------------------------------------------------------------


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@pytest.fixture
def settings(service_settings):
    from intake.service import SERVICE

    keys = {digest(API_KEY): SYSTEM, digest(OTHER_KEY): OTHER_SYSTEM}
    return service_settings(SERVICE, OPEN311_API_KEYS=json.dumps(keys))


@pytest.fixture
def client(settings, service_app):
    from intake.service import SERVICE

    return service_app(SERVICE, settings).test_client()


@pytest.fixture
def staff(mint):
    return mint("staff-1", "community_staff", communities=["huifeng"])


def post(client, pairs, fmt="xml"):
    return client.post(f"/open311/v2/requests.{fmt}", data=form(pairs), content_type=FORM)


def posted_id(resp) -> str:
    assert resp.status_code == 200, resp.data[:500]
    [created] = items(resp, "service_requests", "request", POSTED_FIELDS, {"service_request_id"})
    assert "token" not in created  # realtime: the id, never a token
    return created["service_request_id"]


NATIVE = {
    "category": "roads_and_facilities",
    "description": "乐福国际小区北侧道路损毁，电话13812341234，请联系张三",
    "community": "huifeng",
    "compound": "lefu-international",
    "location": "北侧道路 13812341234",
    "channel": "hotline",
    "submitter": {"name": "张三", "phone": "13812341234", "id_number": "11010519491231002X"},
    "attachments": ["https://img.example.cn/road1.jpg"],
}


def native(client, mint, **overrides) -> dict:
    resp = client.post("/v1/requests", json={**NATIVE, **overrides}, headers=mint("res-1", "resident"))
    assert resp.status_code == 201, resp.json
    return resp.json


# --- services -------------------------------------------------------------------------------------


def test_the_service_list_is_the_category_catalogue_in_both_formats(client):
    catalogue = {c["id"]: c for c in client.get("/v1/categories").json["items"]}
    for fmt in ("xml", "json"):
        resp = client.get(f"/open311/v2/services.{fmt}?jurisdiction_id=zhongxinlu")
        assert resp.status_code == 200
        services = items(resp, "services", "service", SERVICE_FIELDS, SERVICE_FIELDS)
        assert [s["service_code"] for s in services] == list(catalogue)
        for s in services:
            assert str(s["metadata"]).lower() == "true" and s["type"] == "realtime"
            assert s["service_name"] == catalogue[s["service_code"]]["label_zh"]
            assert s["group"] == catalogue[s["service_code"]]["route_to"]
    assert client.get("/open311/v2/services.xml").status_code == 200  # one jurisdiction: optional


def test_a_service_definition_lists_the_place_attributes_from_the_register(client):
    from civic146.reference import COMMUNITIES

    resp = client.get("/open311/v2/services/roads_and_facilities.xml?jurisdiction_id=zhongxinlu")
    assert resp.status_code == 200
    root = xml(resp, "service_definition")
    assert [c.tag for c in root] == ["service_code", "attributes"]
    assert root.findtext("service_code") == "roads_and_facilities"
    attributes = root.find("attributes")
    assert [a.tag for a in attributes] == ["attribute", "attribute"]
    for a in attributes:
        assert {c.tag for c in a} == ATTRIBUTE_FIELDS
        assert a.findtext("datatype") == "singlevaluelist" and a.findtext("variable") == "true"
        assert all({c.tag for c in v} == {"key", "name"} for v in a.find("values"))
    community, compound = attributes
    assert community.findtext("code") == "community" and community.findtext("required") == "true"
    assert [v.findtext("key") for v in community.find("values")] == list(COMMUNITIES())
    assert "lefu-international" in [v.findtext("key") for v in compound.find("values")]
    assert compound.findtext("required") == "false"

    as_json = client.get("/open311/v2/services/roads_and_facilities.json").json
    assert as_json["service_code"] == "roads_and_facilities"
    assert [a["code"] for a in as_json["attributes"]] == ["community", "compound"]
    assert [a["order"] for a in as_json["attributes"]] == [1, 2]

    assert "service_code 'ufo' not found" in errors(client.get("/open311/v2/services/ufo.json"), 404)[0]


# --- posting ----------------------------------------------------------------------------------------


def test_the_spec_example_request_lands_in_intake_as_a_native_one(
    client, mint, staff, mongo_db, settings, topic_reader
):
    rid = posted_id(post(client, spec_example()))

    # In intake's own API, as staff of the community see any request.
    seen = client.get(f"/v1/requests/{rid}", headers=staff).json
    assert seen["status"] == "submitted" and seen["community"] == "huifeng"
    assert seen["category"] == "roads_and_facilities" and seen["channel"] == "e_net_mini_program"
    assert seen["description"] == "A large sinkhole is destroying the street"
    assert seen["location"] == "1234 5th street"
    assert seen["submitter"] == {
        "name": "john smith",
        "phone": "13812341234",
        "id_number": None,
        "masked": False,
    }
    assert seen["attachments"] == ["http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg"]
    assert seen["history"][0]["actor_role"] == "external_system"
    # ...and masked for a role that does not need the submitter's data, as every request is.
    deputy = client.get(f"/v1/requests/{rid}", headers=mint("dep", "deputy", communities=["huifeng"])).json
    assert deputy["submitter"]["masked"] is True and deputy["submitter"]["phone"] == "138****1234"

    # Stored as a native submission of the same request is: the same fields, the same history.
    made = native(client, mint, location="1234 5th street", compound=None, description=seen["description"])
    stored = mongo_db.requests.find_one({"_id": rid})
    other_doc = mongo_db.requests.find_one({"_id": made["id"]})
    assert set(stored) == set(other_doc)
    assert stored["submitted_by"] == SYSTEM and [h["to"] for h in stored["history"]] == ["submitted"]
    kept = json.dumps(stored, default=str)
    for value in ("smit333", "tt222111", "37.765", "-122.42"):  # email, device_id, lat, long: kept nowhere
        assert value not in kept
    assert not {"email", "device_id", "account_id", "lat", "long"} & set(stored)

    # On intake.requests as any other: the same event type and schema, the submitter masked.
    records = topic_reader(settings.topic("intake.requests")).read(2)
    events = {json.loads(r.value)["subject"]: json.loads(r.value) for r in records}
    event, native_event = events[rid], events[made["id"]]
    jsonschema.validate(event, ev.SUBMITTED.schema())
    assert event["type"] == native_event["type"] == ev.SUBMITTED.name
    assert set(event["data"]) == set(native_event["data"])
    assert event["data"]["submitter"]["phone"] == "138****1234"
    assert "13812341234" not in json.dumps(event) and "john smith" not in json.dumps(event)
    wait_until(
        lambda: mongo_db.requests.find_one({"_id": rid})["outbox"] == [], timeout=10, message="relayed"
    )


def test_the_spec_example_as_written_gets_the_spec_errors_and_changes_nothing(client, mongo_db):
    written = SPEC_EXAMPLE
    resp = client.post("/open311/v2/requests.xml", data=written, content_type=FORM)
    assert errors(resp, 404) == [
        "jurisdiction_id 'city.gov' not found: this endpoint serves one jurisdiction"
    ]
    resp = client.post(
        "/open311/v2/requests.json", data=written.replace("city.gov", "zhongxinlu"), content_type=FORM
    )
    assert errors(resp, 404) == ["service_code '001' not found; see services.xml"]
    assert mongo_db.requests.count_documents({}) == 0


BAD_POSTS = [
    ({"api_key": None}, 403, "api_key is required"),
    ({"api_key": "not-the-key"}, 403, "Invalid api_key received -- can't proceed with create_request."),
    ({"jurisdiction_id": "sfgov.org"}, 404, "jurisdiction_id 'sfgov.org' not found"),
    ({"service_code": None}, 400, "service_code was not provided"),
    ({"service_code": "001"}, 404, "service_code '001' not found"),
    ({"lat": None, "long": None, "address_string": None}, 400, "a location is required"),
    ({"long": None}, 400, "lat and long: give both or neither"),
    ({"lat": "91"}, 400, "lat: '91' is not a WGS84 coordinate"),
    ({"address_id": "545483"}, 400, "address_id: '545483' is no community or compound"),
    ({"attribute__WHISPAWN_close": "123456"}, 400, "attribute[WHISPAWN]: not an attribute of this service"),
    ({"attribute__community_close": None}, 400, "attribute[community]: Field required"),
    ({"attribute__community_close": "atlantis"}, 400, "attribute[community]:"),
    ({"attribute__compound_close": "yiyuan-1"}, 400, "attribute[compound]:"),
    ({"address_id": "yiyuan-1"}, 400, "address_id: 'yiyuan-1' is not in attribute[community] 'huifeng'"),
    ({"phone": "111111111"}, 400, "phone: Value error, must be a mainland mobile number"),
    ({"description": "x"}, 400, "description: String should have at least 5 characters"),
    ({"description": "很" * 4001}, 400, "description: String should have at most 2000 characters"),
    ({"first_name": None, "last_name": None}, 400, "first_name/last_name: Field required"),
    ({"media_url": "not a url"}, 400, "media_url: Input should be a valid URL"),
    ({"sinkhole_depth": "3"}, 400, "sinkhole_depth: not an argument of POST requests"),
]


@pytest.mark.parametrize("changes, status, message", BAD_POSTS, ids=[m for _, _, m in BAD_POSTS])
def test_bad_posts_get_the_spec_error_format_and_change_nothing(client, mongo_db, changes, status, message):
    for fmt in ("xml", "json"):
        descriptions = errors(post(client, spec_example(**changes), fmt), status)
        assert any(message in d for d in descriptions), descriptions
    assert mongo_db.requests.count_documents({}) == 0


def test_every_problem_of_a_post_is_listed(client):
    descriptions = errors(post(client, spec_example(phone="1", description="x", media_url="ftp:/")), 400)
    assert len(descriptions) == 3 and {d.split(":")[0] for d in descriptions} == {
        "phone",
        "description",
        "media_url",
    }


def test_refused_posts_emit_no_event(client, settings, topic_reader, mongo_db):
    for changes, _, _ in BAD_POSTS:
        post(client, spec_example(**changes))
    posted_id(post(client, spec_example()))  # a marker: the only event expected
    reader = topic_reader(settings.topic("intake.requests"))
    assert len(reader.read_published(mongo_db)) == 1


def test_a_compound_key_as_address_id_places_the_request(client, staff):
    rid = posted_id(
        post(client, spec_example(attribute__community_close=None, address_id="lefu-international"))
    )
    seen = client.get(f"/v1/requests/{rid}", headers=staff).json
    assert (seen["community"], seen["compound"]) == ("huifeng", "lefu-international")


def test_chinese_names_are_written_family_name_first(client, staff):
    rid = posted_id(post(client, spec_example(first_name="三", last_name="张")))
    assert client.get(f"/v1/requests/{rid}", headers=staff).json["submitter"]["name"] == "张三"


# --- reading -----------------------------------------------------------------------------------------


def test_statuses_follow_intakes_status_machine(client, staff):
    rid = posted_id(post(client, spec_example()))

    def status():
        resp = client.get(f"/open311/v2/requests/{rid}.xml?jurisdiction_id=zhongxinlu")
        [entry] = items(resp, "service_requests", "request", REQUEST_FIELDS, REQUEST_FIELDS)
        check_request(entry)
        return entry["status"], entry["status_notes"], entry["agency_responsible"]

    assert status() == ("open", "已提交，待受理 / submitted, awaiting acceptance", None)
    steps = [
        ("accept", {}, ("open", "已受理 / accepted", None)),
        ("route", {}, ("open", "已转办 / routed to deliberation", "deliberation")),
        ("start", {"handled_by": "road-team"}, ("open", "办理中 / being handled", "deliberation")),
        ("resolve", {"outcome": "已修复"}, ("closed", "已办结 / resolved", "deliberation")),
        ("close", {}, ("closed", "已关闭 / closed", "deliberation")),
    ]
    for action, body, expected in steps:
        assert client.post(f"/v1/requests/{rid}/{action}", json=body, headers=staff).status_code == 200
        assert status() == expected, action

    refused = posted_id(post(client, spec_example()))
    client.post(f"/v1/requests/{refused}/reject", json={"reason": "不属于本街道"}, headers=staff)
    [entry] = client.get(f"/open311/v2/requests/{refused}.json").json
    assert (entry["status"], entry["status_notes"]) == ("closed", "不予受理 / rejected")
    merged = posted_id(post(client, spec_example()))
    client.post(f"/v1/requests/{merged}/mark-duplicate", json={"duplicate_of": rid}, headers=staff)
    [entry] = client.get(f"/open311/v2/requests/{merged}.json").json
    assert entry["status"] == "closed" and rid in entry["status_notes"]


def test_the_request_list_filters_as_the_spec_defines(client, staff, mint):
    road = [posted_id(post(client, spec_example())) for _ in range(2)]
    water = posted_id(post(client, spec_example(service_code="water_and_pipes")))
    theirs = native(client, mint)["id"]
    client.post(f"/v1/requests/{road[1]}/reject", json={"reason": "重复"}, headers=staff)

    def ids(query: str, fmt: str = "json") -> set[str]:
        resp = client.get(f"/open311/v2/requests.{fmt}?{query}")
        assert resp.status_code == 200, resp.data[:300]
        found = items(resp, "service_requests", "request", REQUEST_FIELDS, REQUEST_FIELDS)
        for entry in found:
            check_request(entry)
        return {e["service_request_id"] for e in found}

    everything = {*road, water, theirs}
    assert ids("") == everything == ids("jurisdiction_id=zhongxinlu", "xml")
    assert ids(f"service_request_id={road[0]},{water}") == {road[0], water}
    # service_request_id overrides the other filters
    assert ids(f"service_request_id={road[1]}&status=open") == {road[1]}
    assert ids("service_code=water_and_pipes") == {water}
    assert ids("service_code=roads_and_facilities,water_and_pipes") == everything
    assert ids("status=closed") == {road[1]}
    assert ids("status=open") == {road[0], water, theirs}
    assert ids("status=open,closed") == everything
    assert ids("start_date=2010-05-24T00:00:00Z&end_date=2010-06-24T00:00:00Z&status=open") == set()
    assert ids("start_date=2020-01-01T00:00:00%2B08:00") == set()  # 90 days from then
    now = client.get(f"/open311/v2/requests/{water}.json").json[0]["requested_datetime"]
    window = f"start_date={now[:10]}T00:00:00Z&end_date={now[:10]}T23:59:59Z"
    assert ids(window) == everything
    assert ids(f"{window}&status=closed&service_code=roads_and_facilities") == {road[1]}


BAD_QUERIES = [
    ("start_date=2010-05-24", 400, "start_date: '2010-05-24' is not a W3C date-time with its zone"),
    ("start_date=2010-01-01T00:00:00Z&end_date=2010-06-01T00:00:00Z", 400, "may not span more than 90 days"),
    ("start_date=2010-06-01T00:00:00Z&end_date=2010-05-01T00:00:00Z", 400, "end_date: before start_date"),
    ("status=pending", 400, "status: 'pending' is not open or closed"),
    ("service_request_id=638344", 400, "service_request_id: '638344' is not a request id of this server"),
    ("service_request_id[$ne]=1", 400, "service_request_id[$ne]: not an argument of GET requests"),
    ("page=2", 400, "page: not an argument of GET requests"),
    ("jurisdiction_id=city.gov", 404, "jurisdiction_id 'city.gov' not found"),
    ("api_key=not-the-key", 403, "Invalid api_key received"),
]


@pytest.mark.parametrize("query, status, message", BAD_QUERIES, ids=[q for q, _, _ in BAD_QUERIES])
def test_bad_queries_get_the_spec_error_format(client, query, status, message):
    for fmt in ("xml", "json"):
        descriptions = errors(client.get(f"/open311/v2/requests.{fmt}?{query}"), status)
        assert any(message in d for d in descriptions), descriptions


def test_unknown_requests_tokens_and_formats(client):
    assert "not found" in errors(client.get(f"/open311/v2/requests/{'0' * 32}.xml"), 404)[0]
    assert "not found" in errors(client.get("/open311/v2/requests/638344.json"), 404)[0]
    assert "every service here is realtime" in errors(client.get("/open311/v2/tokens/12345.xml"), 404)[0]
    assert "every service here is realtime" in errors(client.get("/open311/v2/tokens/12345.json"), 404)[0]
    assert "format 'html' is not served" in errors(client.get("/open311/v2/services.html"), 404)[0]


# --- personal data ------------------------------------------------------------------------------------

PERSONAL = ("张三", "张*", "13812341234", "138****1234", "11010519491231002X", "1101**", "john", "smith")


def test_open311_shows_no_personal_data_and_no_free_text_to_the_public(client, mint):
    rid = posted_id(post(client, spec_example(description="门口坑洼，电话13812341234，张三报")))
    theirs = native(client, mint)["id"]
    answers = [
        client.get(f"/open311/v2/requests.{fmt}{q}")
        for fmt in ("xml", "json")
        for q in ("", f"?service_request_id={rid},{theirs}")
    ] + [client.get(f"/open311/v2/requests/{i}.{fmt}") for i in (rid, theirs) for fmt in ("xml", "json")]
    for resp in answers:
        assert resp.status_code == 200
        text = resp.data.decode()
        assert not [p for p in PERSONAL if p in text], text
        assert "坑洼" not in text and "北侧道路" not in text and "sinkhole" not in text  # no free text
        assert "img.example.cn" not in text and "flickr" not in text
        assert "汇丰社区" in text  # the place, as the register names it
        assert resp.headers.get("Cache-Control") != "no-store"  # the same for everyone: cacheable


def test_the_posting_system_reads_its_own_text_scrubbed_and_nothing_of_others(client, mint):
    rid = posted_id(post(client, spec_example(description="门口坑洼，电话13812341234，john smith报")))
    theirs = native(client, mint)["id"]
    [own] = client.get(f"/open311/v2/requests/{rid}.json?api_key={API_KEY}").json
    assert own["description"].startswith("门口坑洼，电话138****1234")
    assert "13812341234" not in json.dumps(own, ensure_ascii=False) and "john smith" not in own["description"]
    assert own["address"].startswith("1234 5th street")
    assert own["media_url"].startswith("http://farm3.static.flickr.com/")
    resp = client.get(f"/open311/v2/requests/{rid}.json?api_key={API_KEY}")
    assert resp.headers["Cache-Control"] == "no-store"
    [native_one] = client.get(f"/open311/v2/requests/{theirs}.json?api_key={API_KEY}").json
    assert native_one["description"] is None and native_one["media_url"] is None
    [not_theirs] = client.get(f"/open311/v2/requests/{rid}.json?api_key={OTHER_KEY}").json
    assert not_theirs["description"] is None


def test_the_openapi_document_describes_the_open311_formats(client):
    paths = client.get("/openapi.json").json["paths"]
    post_op = paths["/open311/v2/requests.{fmt}"]["post"]
    assert "application/x-www-form-urlencoded" in post_op["requestBody"]["content"]
    assert {"text/xml", "application/json"} <= set(post_op["responses"]["200"]["content"])
    assert (
        "api_key"
        in post_op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]
    )
    for path in (
        "/open311/v2/services.{fmt}",
        "/open311/v2/services/{service_code}.{fmt}",
        "/open311/v2/requests/{service_request_id}.{fmt}",
        "/open311/v2/tokens/{token}.{fmt}",
    ):
        assert set(paths[path]["get"]["responses"]["4XX"]["content"]) == {"text/xml", "application/json"}
