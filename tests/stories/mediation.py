"""A mediated case, one function per act: a dispute routed from intake becomes a case; its
parties are added and consent; a mediator is assigned; sessions are held; an agreement is
signed and its terms fulfilled; or the case is escalated to deliberation.

Also the people of the mediation stories in 汇丰社区 and their tokens (the mediators are those of
the mediation service's roster).
"""

from __future__ import annotations

from tests.helpers import wait_until
from tests.stories import intake_requests

COMMUNITY, COMPOUND = "huifeng", "huifeng-1"
APPLICANT = {
    "role": "applicant",
    "name": "王小明",
    "phone": "13812341234",
    "id_number": "11010519491231002X",
    "user_id": "res-1",
}
RESPONDENT = {"role": "respondent", "name": "李秀兰", "phone": "13698765432", "user_id": "res-2"}
PROPERTY_COMPANY = {"role": "respondent", "name": "汇丰宜居物业服务有限公司"}
ROOM = "汇丰社区人民调解室"


class Tokens:
    def __init__(self, mint):
        self.staff = mint("staff-hf", "community_staff", communities=[COMMUNITY])
        self.other_staff = mint("staff-jn", "community_staff", communities=["jiangnan-xiaozhen"])
        self.supervisor = mint("med-sun", "mediator")  # roster: supervisor of huifeng
        self.mediator = mint("med-qian", "mediator")  # roster: med-hf-02, no relations
        self.related_mediator = mint("med-zhao", "mediator")  # roster: med-hf-01, cousin of 13700001111
        self.applicant = mint("res-1", "resident")
        self.respondent = mint("res-2", "resident")
        self.stranger = mint("res-9", "resident")


def route_dispute(intake, tokens: Tokens, category: str, description: str) -> str:
    """The applicant raises a dispute in intake; staff accept it and route it to mediation: its id."""
    body = {
        "category": category,
        "description": description,
        "community": COMMUNITY,
        "compound": COMPOUND,
        "channel": "e_net_mini_program",
        "submitter": {k: APPLICANT[k] for k in ("name", "phone", "id_number")},
    }
    rid = intake_requests.submit(intake, tokens.applicant, body)
    assert intake_requests.route(intake, tokens.staff, rid)["route_target"] == "mediation"
    return rid


def wait_for_request(intake, tokens: Tokens, request_id: str, status: str) -> dict:
    """The intake request, once mediation's (or deliberation's) progress gave it `status`."""
    [request] = intake_requests.wait_for_status(intake, tokens.staff, [request_id], status, timeout=45)
    return request


def wait_for_case(call, tokens: Tokens, request_id: str) -> dict:
    """The case mediation opened for the routed request."""

    def found():
        items = call("GET", f"/v1/cases?request_id={request_id}", tokens.staff)["items"]
        return items[0] if items else None

    return wait_until(found, timeout=45, message=f"a case for request {request_id}")


def add_parties(call, tokens: Tokens, case_id: str, *parties: dict) -> dict:
    case = None
    for party in parties:
        case = call("POST", f"/v1/cases/{case_id}/parties", tokens.staff, party, expect=201)
    return case


def consent(call, who: dict, case_id: str, party_id: str, decision: str = "given") -> dict:
    body = {"party_id": party_id, "decision": decision}
    return call("POST", f"/v1/cases/{case_id}/consent", who, body)


def assign(call, tokens: Tokens, case_id: str, mediator_id: str) -> dict:
    return call("POST", f"/v1/cases/{case_id}/mediators", tokens.staff, {"mediator_id": mediator_id})


def hold_session(call, mediator: dict, case_id: str, held_at: str, attendees: list[str], notes: str) -> dict:
    body = {"held_at": held_at, "location": ROOM, "attendees": attendees, "notes": notes}
    return call("POST", f"/v1/cases/{case_id}/sessions", mediator, body, expect=201)


def agree(call, mediator: dict, case_id: str, terms: list[dict], effective_at: str) -> dict:
    """Both parties sign an agreement of `terms` (description, obligor, due_at)."""
    body = {"terms": terms, "signed_by": ["p1", "p2"], "effective_at": effective_at}
    return call("POST", f"/v1/cases/{case_id}/agreement", mediator, body, expect=201)


def fulfil(call, mediator: dict, case_id: str, term_number: int, result: str = "fulfilled") -> dict:
    body = {"term_number": term_number, "result": result}
    return call("POST", f"/v1/cases/{case_id}/fulfilment", mediator, body)


def escalate(call, tokens: Tokens, case_id: str, cause: str, summary: str) -> dict:
    """The case goes to deliberation: its cause concerns the whole community."""
    body = {"cause": cause, "summary": summary}
    return call("POST", f"/v1/cases/{case_id}/escalation", tokens.staff, body)
