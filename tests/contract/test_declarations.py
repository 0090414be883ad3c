"""What each service declares (its PUBLISHED event types, its SUBSCRIPTIONS) is what its code does,
and everything else is read from those declarations: the consumer's topics, the topics the
infrastructure creates, and the AsyncAPI document."""

import ast
import importlib
import re
import types
from pathlib import Path

import yaml

from civic146 import contracts
from civic146.consumer import dead_letter_topic
from civic146.events import EventType

ROOT = Path(__file__).resolve().parents[2]


def referenced_event_types(service: str) -> set[tuple[str, str]]:
    """(type, topic) of every EventType the service's modules name outside its events module:
    those it records in its outbox, and those it consumes."""
    found = set()
    for path in sorted((ROOT / "services" / service).rglob("*.py")):  # with its packages' modules
        if path.name == "events.py":
            continue
        parts = path.relative_to(ROOT / "services").with_suffix("").parts
        module = importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        for node in ast.walk(ast.parse(path.read_text())):
            value = None  # read from namespaces, never through getattr (current_app and g are proxies)
            if isinstance(node, ast.Name):
                value = vars(module).get(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                owner = vars(module).get(node.value.id)
                value = vars(owner).get(node.attr) if isinstance(owner, types.ModuleType) else None
            if isinstance(value, EventType):
                found.add((value.name, value.topic))
    return found


def test_each_service_publishes_exactly_the_types_its_code_records():
    for service in contracts.SERVICES:
        published = {(t.name, t.topic) for t in importlib.import_module(f"{service}.events").PUBLISHED}
        consumed = {
            (s.event_type.name, s.event_type.topic)
            for s in importlib.import_module(f"{service}.handlers").SUBSCRIPTIONS
        }
        named = referenced_event_types(service)
        assert named - published - consumed == set(), f"{service} records types it does not declare"
        assert published - named == set(), f"{service} declares types its code never records"


def test_the_check_sees_a_type_recorded_but_not_declared(monkeypatch):
    """Employment recorded request progress but left it out of PUBLISHED: the check fails then."""
    from employment import events

    monkeypatch.setattr(events, "PUBLISHED", [t for t in events.PUBLISHED if t is not events.PROGRESS])
    published = {(t.name, t.topic) for t in events.PUBLISHED}
    consumed = {
        (s.event_type.name, s.event_type.topic)
        for s in importlib.import_module("employment.handlers").SUBSCRIPTIONS
    }
    assert referenced_event_types("employment") - consumed - published == {
        (events.PROGRESS.name, events.PROGRESS.topic)
    }


def test_the_asyncapi_document_lists_what_each_service_publishes_and_consumes():
    doc = contracts.asyncapi()
    for service in contracts.SERVICES:
        sends = {
            m["$ref"].rsplit("/", 1)[-1]
            for op_id, op in doc["operations"].items()
            if op_id.startswith(f"{service}_publishes_")
            for m in op["messages"]
        }
        receives = {
            m["$ref"].rsplit("/", 1)[-1]
            for op_id, op in doc["operations"].items()
            if op_id.startswith(f"{service}_consumes_")
            for m in op["messages"]
        }
        published = importlib.import_module(f"{service}.events").PUBLISHED
        subscribed = importlib.import_module(f"{service}.handlers").SUBSCRIPTIONS
        assert sends == {t.name.replace(".", "_") for t in published}, service
        assert receives == {s.event_type.name.replace(".", "_") for s in subscribed}, service
    assert "civic146_request_progress_v2" in {
        m["$ref"].rsplit("/", 1)[-1]
        for m in doc["operations"]["employment_publishes_employment_referrals"]["messages"]
    }


def test_the_topics_everything_creates_are_read_from_the_declarations():
    topics = contracts.topics()
    assert {dead_letter_topic(s) for s in contracts.SERVICES} <= set(topics)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["kafka-init"]["environment"]["KAFKA_TOPICS"].split(",") == topics
    infra = (ROOT / "deploy" / "local" / "infra.sh").read_text()
    assert "civic146.contracts topics" in infra and not re.search(r"intake\.requests,", infra)


def test_no_hand_kept_list_of_topics_remains_in_the_services():
    listed = []
    for path in (ROOT / "services").rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if (
                re.search(r"\[\s*(\"[a-z]+\.[a-z]+\",\s*){1,}\"[a-z]+\.[a-z]+\"\s*\]", line)
                and "deadletter" in line
            ):
                listed.append(f"{path.relative_to(ROOT)}:{n}")
            if re.search(r"(DEAD_LETTER_TOPIC|CONSUMED_TOPICS)\s*=", line):
                listed.append(f"{path.relative_to(ROOT)}:{n}")
    assert listed == []
