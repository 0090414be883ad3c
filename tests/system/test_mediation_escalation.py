"""A property-fee dispute has a community-wide cause: mediation escalates it to deliberation.
The escalation event is read off `mediation.cases` by a plain Kafka consumer and checked against
the committed, released contract; the deliberation service, running beside intake and mediation,
makes it a topic holding the linked request, and intake shows that request in progress there."""

import json

import jsonschema

from tests.helpers import service_database, wait_until
from tests.stories import http
from tests.stories import mediation as cases
from tests.system import mediation_flows as flows
from tests.system.conftest import metric, scrape

ESCALATED = "civic146.mediation.case.escalated.v3"


def test_property_fee_dispute_is_escalated_with_the_committed_contract(service_factory, mint, topic_reader):
    tokens = cases.Tokens(mint)
    intake = service_factory("intake")
    intake.start_api(workers=2)
    intake.start_worker()
    mediation = service_factory("mediation")
    mediation.start_api(workers=2)
    mediation.start_worker()
    deliberation = service_factory("deliberation")
    deliberation.start_api(workers=2)
    deliberation.start_worker()
    prefix = mediation.env["TOPIC_PREFIX"]
    flows.remember(prefix, "deliberation.topics", "deliberation.deadletter")
    i, m, d = http(intake), http(mediation), http(deliberation)

    rid = cases.route_dispute(
        i,
        tokens,
        "property_management",
        "物业公司今年物业费上调三成，全小区业主都有意见。联系电话13812341234",
    )
    case = cases.wait_for_case(m, tokens, rid)
    assert case["case_type"] == "property_management"
    cid = case["id"]
    cases.add_parties(m, tokens, cid, cases.APPLICANT, cases.PROPERTY_COMPANY)
    case = cases.escalate(
        m,
        tokens,
        cid,
        "物业费上调涉及全小区业主 / the fee increase affects every household",
        "王小明等业主与汇丰宜居物业服务有限公司就物业费上调发生争议，涉及全小区，需议事协商。电话13812341234",
    )
    assert (case["status"], case["outcome"]) == ("escalated", "escalated")

    reader = topic_reader(prefix + "mediation.cases")
    [escalated] = flows.events(reader, ESCALATED)
    schema = json.loads((flows.CONTRACTS / f"{ESCALATED}.json").read_text(encoding="utf-8"))
    jsonschema.validate(escalated, schema)
    [record] = [r for r in reader.records if json.loads(r.value)["id"] == escalated["id"]][:1]
    assert record.key.decode() == cid == escalated["subject"]
    data = escalated["data"]
    assert (data["case_id"], data["community"], data["compound"], data["case_type"]) == (
        cid,
        "huifeng",
        cases.COMPOUND,
        "property_management",
    )
    assert data["request_ids"] == [rid] and data["parties_count"] == 2
    assert "王**" in data["summary"] and "138****1234" in data["summary"]
    assert flows.privacy_problems(json.dumps(escalated, ensure_ascii=False)) == []

    [closed] = flows.events(reader, "civic146.mediation.case.closed.v2")
    assert closed["data"]["outcome"] == "escalated"

    # Deliberation takes the matter up as a topic holding the linked request ...
    def topic_of_case():
        items = d("GET", "/v1/topics?community=huifeng", tokens.staff)["items"]
        return next((t for t in items if (t["origin"], t["origin_ref"]) == ("mediation_case", cid)), None)

    topic = wait_until(topic_of_case, timeout=45, message=f"a deliberation topic for case {cid}")
    assert (topic["step"], topic["compound"], topic["category"]) == (
        "determine_topic",
        cases.COMPOUND,
        "property_management",
    )
    assert [r["request_id"] for r in topic["requests"]] == [rid]
    assert "王小明" not in topic["title"] + topic["description"]
    # ... and reports it to intake; mediation does not resolve the request itself.
    progressing = cases.wait_for_request(i, tokens, rid, "in_progress")
    assert (progressing["handled_by"], progressing["reference"]) == ("deliberation", topic["id"])
    reader.read_published(service_database(mediation.env))
    assert [e for e in flows.events(reader, "civic146.request.progress.v2", at_least=0, timeout=0)] == []
    assert i("GET", f"/v1/requests/{rid}", tokens.staff)["status"] == "in_progress"
    api = scrape(mediation.api_metrics_url)
    assert (
        metric(api, "civic146_mediation_outcomes_total", case_type="property_management", outcome="escalated")
        == 1
    )
