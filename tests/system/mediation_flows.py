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

from tests.helpers import ROOT, service_database
from tests.stories import http
from tests.stories import mediation as cases
from tests.stories.mediation import APPLICANT, RESPONDENT, Tokens

CONTRACTS = ROOT / "services" / "contracts" / "events"
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

    i, m = http(intake), http(mediation)

    rid = cases.route_dispute(
        i, tokens, "neighbour_dispute", "楼上邻居家漏水到我家，多次协商未果，请求调解。联系电话13812341234"
    )
    case = cases.wait_for_case(m, tokens, rid)
    assert (case["status"], case["origin"], case["case_type"]) == (
        "registered",
        "intake_request",
        "neighbours",
    )
    assert case["request_ids"] == [rid] and case["details"]["facts"]  # the staff who manage it read it
    cid = case["id"]

    case = cases.add_parties(m, tokens, cid, APPLICANT, RESPONDENT)
    assert [(p["name"], p["masked"]) for p in case["parties"]] == [("王**", True), ("李**", True)]
    cases.consent(m, tokens.applicant, cid, "p1")
    case = cases.consent(m, tokens.staff, cid, "p2")
    assert case["status"] == "accepted"
    cases.wait_for_request(i, tokens, rid, "in_progress")

    case = cases.assign(m, tokens, cid, "med-hf-02")
    assert case["status"] == "mediating" and [x["mediator_id"] for x in case["mediators"]] == ["med-hf-02"]
    for notes in NOTES:
        case = cases.hold_session(
            m, tokens.mediator, cid, utc_now().isoformat(), ["p1", "p2", "med-hf-02"], notes
        )
    assert [s["notes"] for s in case["details"]["sessions"]] == list(NOTES)  # the mediator reads them

    effective = utc_now()
    terms = [
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
    ]
    case = cases.agree(m, tokens.mediator, cid, terms, effective.isoformat())
    assert case["status"] == "agreement_reached"
    for term in (1, 2):
        case = cases.fulfil(m, tokens.mediator, cid, term)
    assert case["status"] == "fulfilled" and case["outcome"] == "agreement"
    resolved = cases.wait_for_request(i, tokens, rid, "resolved")
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
