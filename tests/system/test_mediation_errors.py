"""A party's refusal, a conflicted mediator, actions on a closed case, and reading a case without
being a party, its mediator or a supervisor: clear 4xx errors that change nothing (the case as a
supervisor sees it is identical, and no event is published)."""

from tests.helpers import service_database
from tests.stories import http
from tests.stories import mediation as cases
from tests.system import mediation_flows as flows


def snapshot(mediation, tokens, cid: str, reader) -> tuple[dict, int]:
    reader.read_published(service_database(mediation.env))
    return http(mediation)("GET", f"/v1/cases/{cid}", tokens.supervisor), len(
        flows.events(reader, at_least=0, timeout=0)
    )


def refused(
    mediation, method: str, path: str, headers: dict, body: dict | None, status: int, code: str
) -> dict:
    error = http(mediation)(method, f"/v1{path}", headers, body, expect=status)["error"]
    assert error["code"] == code and error["message"], error
    return error


def test_refusal_conflict_closed_case_and_confidentiality_are_clear_4xx_that_change_nothing(
    service_factory, mint, topic_reader
):
    tokens = cases.Tokens(mint)
    intake = service_factory("intake")
    intake.start_api(workers=2)
    intake.start_worker()
    mediation = service_factory("mediation")
    mediation.start_api(workers=2)
    mediation.start_worker()
    prefix = mediation.env["TOPIC_PREFIX"]
    flows.remember(prefix)
    reader = topic_reader(prefix + "mediation.cases")
    i, m = http(intake), http(mediation)

    # --- reading without being a party, its staff, its mediator or a supervisor -----------------------------
    rid = cases.route_dispute(i, tokens, "neighbour_dispute", "对门邻居长期占用楼道堆放杂物，协商无果。")
    cid = cases.wait_for_case(m, tokens, rid)["id"]
    cousin = {
        **cases.RESPONDENT,
        "name": "赵大勇",
        "phone": "13700001111",
    }  # the roster declares med-zhao his cousin
    cases.add_parties(m, tokens, cid, cases.APPLICANT, cousin)
    before = snapshot(mediation, tokens, cid, reader)
    for who in (tokens.other_staff, tokens.stranger, tokens.related_mediator):
        error = refused(mediation, "GET", f"/cases/{cid}", who, None, 403, "forbidden")
        assert "confidential" in error["message"]
    for who in (tokens.applicant, tokens.staff):  # a party, and the staff who manage the case
        assert m("GET", f"/v1/cases/{cid}", who)["details"]["facts"]
    assert snapshot(mediation, tokens, cid, reader) == before

    # --- a conflicted mediator ------------------------------------------------------------------------
    for party in ("p1", "p2"):
        cases.consent(m, tokens.staff, cid, party)
    before = snapshot(mediation, tokens, cid, reader)
    error = refused(
        mediation,
        "POST",
        f"/cases/{cid}/mediators",
        tokens.staff,
        {"mediator_id": "med-hf-01"},
        422,
        "conflict_of_interest",
    )
    assert error["details"] == [{"field": "mediator_id", "message": "related: party p2"}]
    assert snapshot(mediation, tokens, cid, reader) == before
    assert before[0]["status"] == "accepted" and before[0]["mediators"] == []

    # --- a party's refusal ends the case; everything after it is refused ---------------------------------
    rid2 = cases.route_dispute(i, tokens, "neighbour_dispute", "楼上邻居夜间噪音扰民，请求调解。")
    cid2 = cases.wait_for_case(m, tokens, rid2)["id"]
    cases.add_parties(m, tokens, cid2, cases.APPLICANT, cases.RESPONDENT)
    before = snapshot(mediation, tokens, cid2, reader)
    error = refused(
        mediation,
        "POST",
        f"/cases/{cid2}/consent",
        tokens.respondent,
        {"party_id": "p2", "decision": "refused"},
        422,
        "invalid_input",
    )  # the routes must be advised
    assert "advised_routes" in str(error["details"])
    refused(
        mediation,
        "POST",
        f"/cases/{cid2}/consent",
        tokens.applicant,  # one party cannot answer for another
        {"party_id": "p2", "decision": "refused", "advised_routes": ["court"]},
        403,
        "forbidden",
    )
    assert snapshot(mediation, tokens, cid2, reader) == before

    case = m(
        "POST",
        f"/v1/cases/{cid2}/consent",
        tokens.respondent,
        {"party_id": "p2", "decision": "refused", "advised_routes": ["administrative", "court"]},
    )
    assert (case["status"], case["outcome"], case["advised_routes"]) == (
        "refused",
        "refused",
        ["administrative", "court"],
    )
    resolved = cases.wait_for_request(i, tokens, rid2, "resolved")
    assert "advised routes: administrative, court" in resolved["outcome"]

    before = snapshot(mediation, tokens, cid2, reader)
    for path, who, body in [
        ("consent", tokens.applicant, {"party_id": "p1", "decision": "given"}),
        ("mediators", tokens.supervisor, {"mediator_id": "med-hf-02"}),
        (
            "sessions",
            tokens.supervisor,
            {"held_at": flows.utc_now().isoformat(), "attendees": ["p1"], "notes": "x"},
        ),
        ("failure", tokens.supervisor, {"reason": "no_agreement", "advised_routes": ["court"]}),
        ("escalation", tokens.staff, {"cause": "全小区", "summary": "涉及全小区的问题"}),
        ("parties", tokens.staff, cases.PROPERTY_COMPANY),
    ]:
        error = refused(mediation, "POST", f"/cases/{cid2}/{path}", who, body, 409, "invalid_transition")
        assert "closed" in error["message"] and error["details"]["status"] == "refused", error
    assert snapshot(mediation, tokens, cid2, reader) == before
