"""No event holds confidential session notes or unmasked personal data.

Scans every event the mediation system tests produced in this session (their topic prefixes are
recorded by tests.system.mediation_flows): mediation's and intake's topics and the dead-letter
topics, and deliberation's where a scenario ran it (the escalation becomes a topic there). Run
alone, it first runs the main scenario so that there is something to scan.
"""

import json

from tests.system import mediation_flows as flows

TOPICS = ("mediation.cases", "intake.requests", "mediation.deadletter", "intake.deadletter")


def test_the_scan_finds_what_it_looks_for():
    leaky = {"data": {"summary": f"{flows.NOTES[0]}", "phone": "13812341234", "id": "11010519491231002X"}}
    found = flows.privacy_problems(json.dumps(leaky, ensure_ascii=False))
    assert {
        "confidential session notes",
        "unmasked phone number 13812341234",
        "unmasked ID number 11010519491231002X",
        "party name 李秀兰",
        "party name 王小明",
    } <= set(found)
    masked = {"data": {"name": "王**", "phone": "138****1234", "id": "1101**********002X"}}
    assert flows.privacy_problems(json.dumps(masked, ensure_ascii=False)) == []


def test_no_event_of_the_system_tests_holds_notes_or_unmasked_personal_data(
    service_factory, mint, topic_reader, tmp_path
):
    if not flows.PREFIXES:
        flows.neighbour_dispute_flow(service_factory, mint, topic_reader, tmp_path)
    scanned, types, problems = 0, set(), []
    for prefix, other_topics in flows.PREFIXES.items():
        for topic in TOPICS + other_topics:
            reader = topic_reader(prefix + topic)
            for record in reader.read_to_end():
                raw = record.value.decode("utf-8", errors="replace")
                scanned += 1
                types.add(json.loads(raw)["type"])
                problems += [f"{topic} offset {record.offset}: {p}" for p in flows.privacy_problems(raw)]
    assert problems == []
    # The scan covered the events that could leak: sessions, agreements, escalations, intake's own.
    assert {
        "civic146.mediation.case.session-held.v2",
        "civic146.mediation.case.agreement-reached.v2",
        "civic146.request.progress.v2",
        "civic146.intake.request.routed.v4",
    } <= types, types
    assert scanned >= 30
    if any("deliberation.topics" in other for other in flows.PREFIXES.values()):
        assert "civic146.deliberation.topic.created.v3" in types, types
