"""Mediation as operators run it (gunicorn API + worker, beside intake's), driven over HTTP and
read from Kafka: a neighbour dispute from intake to a fulfilled agreement and the reminder of
the court-confirmation window."""

from tests.helpers import service_database
from tests.stories import http
from tests.stories import mediation as cases
from tests.system import mediation_flows as flows
from tests.system.conftest import metric, scrape


def test_neighbour_dispute_from_intake_to_fulfilled_agreement_and_confirmation_reminder(
    service_factory, mint, topic_reader, tmp_path
):
    run = flows.neighbour_dispute_flow(service_factory, mint, topic_reader, tmp_path)
    mediation, tokens, cid = run["mediation"], run["tokens"], run["case_id"]

    evs = flows.events(run["reader"])
    flows.validate_against_committed_schemas(evs)
    ours = [e for e in evs if e["subject"] == cid]
    assert len(ours) == len(evs) and all(e["community"] == cases.COMMUNITY for e in evs)
    types = [e["type"].split(".")[-2] for e in ours]
    assert types.count("session-held") == 2 and types.count("fulfilment-recorded") == 2, types
    progress = [e["data"] for e in ours if e["type"] == "civic146.request.progress.v2"]
    assert [(p["request_id"], p["state"]) for p in progress] == [
        (run["request_id"], "in_progress"),
        (run["request_id"], "resolved"),
    ]
    assert types[-1] == "confirmation-window-closing"
    run["reader"].read_published(service_database(mediation.env))
    assert len(flows.events(run["reader"], "civic146.mediation.case.confirmation-window-closing.v2")) == 1

    # The party reads the whole case; the statistics count it.
    m = http(mediation)
    case = m("GET", f"/v1/cases/{cid}", tokens.respondent)
    assert case["details"]["agreement"]["reminder_sent"] is True and case["status"] == "fulfilled"
    stats = m("GET", f"/v1/statistics?community={cases.COMMUNITY}", tokens.staff)
    assert stats["overall"]["by_type"] == {"neighbours": {"total": 1, "agreement": 1}}
    assert (stats["overall"]["success_rate"], stats["overall"]["fulfilment_rate"]) == (1.0, 1.0)

    api = scrape(mediation.api_metrics_url)
    assert (
        metric(
            api,
            "civic146_mediation_outcomes_total",
            community="huifeng",
            case_type="neighbours",
            outcome="agreement",
        )
        == 1
    )
    assert metric(api, "civic146_mediation_fulfilment_total", community="huifeng", result="fulfilled") == 1
    worker = scrape(mediation.worker_metrics_url)
    assert (
        metric(worker, "civic146_mediation_cases_opened_total", community="huifeng", case_type="neighbours")
        == 1
    )
