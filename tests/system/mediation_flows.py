"""Scenarios and data shared by the mediation system tests.

Every mediation system test records the topic prefix it ran under (`remember`), with the topics
of the other services it started, so that the privacy test can scan every event they produced.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import requests

from tests.helpers import ROOT, service_database, wait_until

CONTRACTS = ROOT / "services" / "contracts" / "events"
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
PARTY_NAMES = ("王小明", "李秀兰", "汇丰宜居物业服务有限公司", "赵大勇")
PHONES = ("13812341234", "13698765432", "13700001111")
ID_NUMBERS = ("11010519491231002X",)
NOTE_MARKER = "保密调解笔记"
NOTES = (
    f"{NOTE_MARKER}一：李秀兰称天花板渗水三个月，王小明同意先修防水层；李秀兰电话13698765432。",
    f"{NOTE_MARKER}二：双方同意赔偿800元，王小明身份证11010519491231002X核对无误。",
)

_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")
_HEX_ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{24,32}\b")

# topic prefixes of the mediation system tests run in this session -> topics to scan besides
# mediation's and intake's (those of other services the test started)
PREFIXES: dict[str, tuple[str, ...]] = {}


def remember(prefix: str, *other_topics: str) -> None:
    PREFIXES[prefix] = other_topics


def utc_now() -> datetime:
    return datetime.now(UTC)


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


# --- intake ------------------------------------------------------------------------------------------


def route_through_intake(intake, tokens: Tokens, category: str, description: str) -> str:
    body = {
        "category": category,
        "description": description,
        "community": COMMUNITY,
        "compound": COMPOUND,
        "channel": "e_net_mini_program",
        "submitter": {k: APPLICANT[k] for k in ("name", "phone", "id_number")},
    }
    resp = requests.post(f"{intake.url}/v1/requests", json=body, headers=tokens.applicant, timeout=10)
    assert resp.status_code == 201, resp.text
    rid = resp.json()["id"]
    for action in ("accept", "route"):
        resp = requests.post(
            f"{intake.url}/v1/requests/{rid}/{action}", json={}, headers=tokens.staff, timeout=10
        )
        assert resp.status_code == 200, resp.text
    assert resp.json()["route_target"] == "mediation"
    return rid


def intake_request(intake, tokens: Tokens, rid: str) -> dict:
    return requests.get(f"{intake.url}/v1/requests/{rid}", headers=tokens.staff, timeout=5).json()


def wait_for_intake_status(intake, tokens: Tokens, rid: str, status: str) -> dict:
    return wait_until(
        lambda: (b := intake_request(intake, tokens, rid))["status"] == status and b,
        timeout=45,
        message=f"intake request {status}",
    )


# --- mediation ---------------------------------------------------------------------------------------


def call(
    mediation, method: str, path: str, headers: dict, body: dict | None = None, expect: int = 200
) -> dict:
    resp = requests.request(method, f"{mediation.url}/v1{path}", json=body, headers=headers, timeout=10)
    assert resp.status_code == expect, f"{method} {path}: {resp.status_code} {resp.text}"
    return resp.json()


def wait_for_case(mediation, tokens: Tokens, rid: str) -> dict:
    def found():
        items = call(mediation, "GET", f"/cases?request_id={rid}", tokens.staff)["items"]
        return items[0] if items else None

    return wait_until(found, timeout=45, message=f"a case for request {rid}")


def add_parties(mediation, tokens: Tokens, case_id: str, *parties: dict) -> dict:
    case = None
    for party in parties:
        case = call(mediation, "POST", f"/cases/{case_id}/parties", tokens.staff, party, expect=201)
    return case


# --- Kafka -------------------------------------------------------------------------------------------


def events(reader, type_name: str | None = None, at_least: int = 1, timeout: float = 30.0) -> list[dict]:
    """Distinct events (decoded) on the reader's topic, optionally of one type; waits for `at_least`.

    Delivery is at least once: after a fault an event may be on the topic twice, so events are
    told apart by their id, as consumers do."""
    deadline = time.time() + timeout
    while True:
        distinct = {}
        for r in reader.records:
            event = json.loads(r.value)
            distinct.setdefault(event["id"], event)
        found = [e for e in distinct.values() if type_name in (None, e["type"])]
        if len(found) >= at_least or time.time() > deadline:
            assert len(found) >= at_least, f"only {len(found)} events of type {type_name} on {reader.topic}"
            return found
        reader.read(len(reader.records) + 1, timeout=1)


def committed_schema(type_name: str) -> dict:
    return json.loads((CONTRACTS / f"{type_name}.json").read_text(encoding="utf-8"))


def validate_against_committed_schemas(evs: list[dict]) -> None:
    for event in evs:
        jsonschema.validate(event, committed_schema(event["type"]))


# --- the privacy scan --------------------------------------------------------------------------------


def privacy_problems(raw: str) -> list[str]:
    """What an event's raw value holds that no event may hold."""
    problems = []
    # Ids (uuid hex) can hold a run of 11 digits that looks like a phone number: not personal data.
    raw = _HEX_ID.sub("<id>", raw)
    if NOTE_MARKER in raw or any(note[len(NOTE_MARKER) : len(NOTE_MARKER) + 12] in raw for note in NOTES):
        problems.append("confidential session notes")
    problems += [f"unmasked phone number {m}" for m in _MOBILE.findall(raw)]
    problems += [f"unmasked ID number {m}" for m in _ID.findall(raw)]
    problems += [f"party name {n}" for n in PARTY_NAMES if n in raw]
    return problems


# --- the main scenario (also run by the privacy scan when it runs alone) -------------------------------


def neighbour_dispute_flow(service_factory, mint, topic_reader, tmp_path: Path) -> dict:
    """A neighbour dispute raised through intake becomes a case; both parties consent; a mediator
    without a conflict is assigned; two sessions; an agreement; fulfilment confirmed; the intake
    request is resolved; the confirmation-window reminder fires once the clock is moved on."""
    clock_file = tmp_path / "mediation-clock-offset"
    clock_file.write_text("0")
    tokens = Tokens(mint)
    intake = service_factory("intake")
    intake.start_api(workers=2)
    intake.start_worker()
    mediation = service_factory(
        "mediation", CLOCK_OFFSET_FILE=str(clock_file), SCHEDULER_INTERVAL_SECONDS="0.5"
    )
    mediation.start_api(workers=2)
    mediation.start_worker()
    prefix = mediation.env["TOPIC_PREFIX"]
    remember(prefix)

    rid = route_through_intake(
        intake,
        tokens,
        "neighbour_dispute",
        "楼上邻居家漏水到我家，多次协商未果，请求调解。联系电话13812341234",
    )
    case = wait_for_case(mediation, tokens, rid)
    assert (case["status"], case["origin"], case["case_type"]) == (
        "registered",
        "intake_request",
        "neighbours",
    )
    assert case["request_ids"] == [rid] and case["details"]["facts"]  # the staff who manage it read it
    cid = case["id"]

    case = add_parties(mediation, tokens, cid, APPLICANT, RESPONDENT)
    assert [(p["name"], p["masked"]) for p in case["parties"]] == [("王**", True), ("李**", True)]
    call(
        mediation, "POST", f"/cases/{cid}/consent", tokens.applicant, {"party_id": "p1", "decision": "given"}
    )
    case = call(
        mediation, "POST", f"/cases/{cid}/consent", tokens.staff, {"party_id": "p2", "decision": "given"}
    )
    assert case["status"] == "accepted"
    wait_for_intake_status(intake, tokens, rid, "in_progress")

    case = call(mediation, "POST", f"/cases/{cid}/mediators", tokens.staff, {"mediator_id": "med-hf-02"})
    assert case["status"] == "mediating" and [m["mediator_id"] for m in case["mediators"]] == ["med-hf-02"]
    for notes in NOTES:
        case = call(
            mediation,
            "POST",
            f"/cases/{cid}/sessions",
            tokens.mediator,
            {
                "held_at": utc_now().isoformat(),
                "location": "汇丰社区人民调解室",
                "attendees": ["p1", "p2", "med-hf-02"],
                "notes": notes,
            },
            expect=201,
        )
    assert [s["notes"] for s in case["details"]["sessions"]] == list(NOTES)  # the mediator reads them

    effective = utc_now()
    case = call(
        mediation,
        "POST",
        f"/cases/{cid}/agreement",
        tokens.mediator,
        {
            "terms": [
                {
                    "description": "王小明于五日内修复卫生间防水层",
                    "obligor": "p1",
                    "due_at": (effective + timedelta(days=5)).isoformat(),
                },
                {
                    "description": "王小明赔偿李秀兰装修损失800元",
                    "obligor": "p1",
                    "due_at": (effective + timedelta(days=10)).isoformat(),
                },
            ],
            "signed_by": ["p1", "p2"],
            "effective_at": effective.isoformat(),
        },
        expect=201,
    )
    assert case["status"] == "agreement_reached"
    for term in (1, 2):
        case = call(
            mediation,
            "POST",
            f"/cases/{cid}/fulfilment",
            tokens.mediator,
            {"term_number": term, "result": "fulfilled"},
        )
    assert case["status"] == "fulfilled" and case["outcome"] == "agreement"
    resolved = wait_for_intake_status(intake, tokens, rid, "resolved")
    assert resolved["handled_by"] == "mediation" and resolved["reference"] == cid
    assert "fulfilled" in resolved["outcome"]

    reader = topic_reader(prefix + "mediation.cases")
    events(reader, "civic146.mediation.case.closed.v2")
    reader.read_published(service_database(mediation.env))
    assert (
        events(reader, "civic146.mediation.case.confirmation-window-closing.v2", at_least=0, timeout=0) == []
    )
    # 24 days later the 30-day window closes within the 7-day reminder period: the worker reminds.
    clock_file.write_text(str(24 * 86400))
    [reminder] = events(reader, "civic146.mediation.case.confirmation-window-closing.v2", timeout=30)
    assert reminder["subject"] == cid
    return {
        "intake": intake,
        "mediation": mediation,
        "tokens": tokens,
        "case_id": cid,
        "request_id": rid,
        "reader": reader,
        "prefix": prefix,
    }
