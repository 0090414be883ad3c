"""Event contracts: JSON Schemas generated from the event models, and the AsyncAPI document.

`python -m civic146.contracts write` regenerates services/contracts/; `check` fails when the
committed files differ from the models (run by the contract tests). `release` records the
sha256 of every schema in released.json: a released schema never changes (the contract tests
compare the hashes), so a breaking change is a new type with the next version suffix; the
superseded schema stays in the folder, retired (see `retired`).

This is the one module of the kit that knows the services (SERVICES below): it is a build and
test tool, never imported by a running service. `python -m civic146.contracts topics` prints every
topic of the platform, read from the services' declarations (deploy/local/infra.sh creates them).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import sys
from pathlib import Path

from .consumer import dead_letter_topic, retry_topic
from .events import CASE_ESCALATED, REQUEST_PROGRESS, REQUEST_REASSIGNED, EventType

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"
EVENTS_DIR = CONTRACTS / "events"
ASYNCAPI = CONTRACTS / "asyncapi.json"
RELEASED = CONTRACTS / "released.json"

# The platform's services. What each publishes and consumes is read from its declaration,
# `<service>.service.SERVICE` (civic146.service).
SERVICES = ("intake", "mediation", "deliberation", "employment")


def declaration(service: str):
    return importlib.import_module(f"{service}.service").SERVICE


def subscriptions() -> dict[str, dict[str, list[str]]]:
    """service -> topic -> names of the event types it consumes there."""
    consumed: dict[str, dict[str, list[str]]] = {}
    for service in SERVICES:
        for sub in declaration(service).subscriptions:
            consumed.setdefault(service, {}).setdefault(sub.topic, []).append(sub.event_type.name)
    return consumed


def topics() -> list[str]:
    """Every topic of the platform: those the services publish on and consume, and their dead letters."""
    return sorted(
        {t.topic for types in published().values() for t in types}
        | {topic for per_topic in subscriptions().values() for topic in per_topic}
        | {dead_letter_topic(s) for s in SERVICES}
        | {retry_topic(s) for s in SERVICES}
    )


DEAD_LETTER_TOPICS = {service: dead_letter_topic(service) for service in SERVICES}

DELIVERY = (
    "What a consumer can rely on. Delivery is at least once. Without faults every event is on its topic "
    "once, and the events of one key (the aggregate id, also the CloudEvent `subject`) are in the order the "
    "aggregate recorded them; each service has one publisher, which sends an aggregate's events in order and "
    "removes them from its outbox only after the broker acknowledged them. After a fault (a publisher killed "
    "between the acknowledgement and the removal) an event may be delivered again, possibly after later "
    "events of its key; the repeat has the same `id` and the same `sequence` as the original. To apply each "
    "change once and never go back to an older state: per subject, keep the greatest `sequence` applied, and "
    "drop an event whose `sequence` is not greater (`sequence` is fixed width: compare the strings); keep "
    "the `id`s applied if you need to recognise repeats on their own. Events of different keys have no order "
    "between them."
)


PERSONAL_DATA = (
    "What a consumer can rely on about personal data. Events carry no raw personal data in their structured "
    "fields: names and mobile numbers are masked (`张*`, `138****1234`), ID numbers left out, residents "
    "named by pseudonym (`submitter_ref`) or by keyed digests (`name_digests`), which only services holding "
    "the platform's secret can compute and nobody can reverse. Free text (descriptions, notes, notice and "
    "result texts, minutes, reasons, comments) is scrubbed by the service that writes the event: mobile "
    "numbers and 18-character ID numbers are masked however they were written (full-width digits, +86, in "
    "groups with spaces or hyphens such as 139 8765 4321 or 110105 19700101 088X), and so are the names the "
    "platform was told for that record: the submitter of a request, the parties and invited participants of "
    "a mediation case, a seeker and a job's contact person, and, in deliberation's events, the submitters of "
    "a topic's linked requests and the people of the case it came from (recognised by their digests; 2 to 4 "
    "characters). What free text cannot be relied on for: a name the platform was never told (a neighbour "
    "named only in the text, a nickname or a form of address such as 老王 or 王阿姨) is published as "
    "written; so are landline numbers and addresses; a text is masked with the names known when it was "
    "written (a request linked to a topic later does not change texts already published)."
)


def published() -> dict[str, list[EventType]]:
    return {s: list(declaration(s).published) for s in SERVICES}


SHARED_TYPES = [
    REQUEST_PROGRESS,
    REQUEST_REASSIGNED,
    CASE_ESCALATED,
]  # cross-service contracts kept in civic146.events


def all_types() -> dict[str, EventType]:
    types = {t.name: t for t in SHARED_TYPES}
    for event_types in published().values():
        types.update({t.name: t for t in event_types})
    return types


def render(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def schema_files() -> dict[Path, str]:
    return {EVENTS_DIR / f"{name}.json": render(t.schema()) for name, t in sorted(all_types().items())}


def asyncapi() -> dict:
    channels, operations, messages = {}, {}, {}
    topics: dict[str, set[str]] = {}
    for types in published().values():
        for t in types:
            topics.setdefault(t.topic, set()).add(t.name)
    for per_topic in subscriptions().values():
        for topic, names in per_topic.items():
            topics.setdefault(topic, set()).update(names)
    for name, t in all_types().items():
        key = name.replace(".", "_")
        messages[key] = {
            "name": name,
            "title": name,
            "summary": t.description,
            "contentType": "application/cloudevents+json",
            "headers": {
                "type": "object",
                "properties": {"content-type": {"const": "application/cloudevents+json"}},
            },
            "payload": {"$ref": f"events/{name}.json"},
            "bindings": {
                "kafka": {"key": {"type": "string", "description": "aggregate id (= CloudEvent subject)"}}
            },
        }
    for topic, names in sorted(topics.items()):
        cid = topic.replace(".", "_")
        channels[cid] = {
            "address": topic,
            "description": f"Aggregate stream `{topic}`; Kafka key = aggregate id; a deployment may prefix "
            "the name (TOPIC_PREFIX).",
            "messages": {
                n.replace(".", "_"): {"$ref": f"#/components/messages/{n.replace('.', '_')}"}
                for n in sorted(names)
            },
        }
    for service, dlq in DEAD_LETTER_TOPICS.items():
        channels[dlq.replace(".", "_")] = {
            "address": dlq,
            "description": f"Dead letters of the {service} consumer: the original key, value and headers, "
            "plus dlq.error, dlq.error.class, dlq.original.topic/partition/offset, dlq.consumer.group; a "
            "value too large for the broker is cut to 512 KiB, with dlq.truncated, dlq.original.size and "
            "dlq.original.sha256.",
        }
        retry = retry_topic(service)
        channels[retry.replace(".", "_")] = {
            "address": retry,
            "description": f"The {service} consumer's dead letters replayed for it alone "
            "(deploy/kafka/replay_dead_letters.py), with their original key, value and headers; read "
            f"only by the {service} group. A replayed event older than what was applied since is dropped "
            "by its sequence.",
        }
    for service, types in published().items():
        for topic in sorted({t.topic for t in types}):
            cid = topic.replace(".", "_")
            operations[f"{service}_publishes_{cid}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{cid}"},
                "messages": [
                    {"$ref": f"#/channels/{cid}/messages/{t.name.replace('.', '_')}"}
                    for t in types
                    if t.topic == topic
                ],
            }
    for service, per_topic in subscriptions().items():
        for topic, names in per_topic.items():
            cid = topic.replace(".", "_")
            operations[f"{service}_consumes_{cid}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{cid}"},
                "messages": [{"$ref": f"#/channels/{cid}/messages/{n.replace('.', '_')}"} for n in names],
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Civic146 events",
            "version": "1.0.0",
            "description": "Events the Civic146 services exchange over Kafka. Every message is a CloudEvents "
            "1.0 event in structured content mode; `community` and `sequence` are extension "
            "attributes. Events carry no raw personal data.\n\n" + DELIVERY + "\n\n" + PERSONAL_DATA,
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {"local": {"host": "127.0.0.1:19092", "protocol": "kafka", "description": "make dev"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def expected_files() -> dict[Path, str]:
    return {**schema_files(), ASYNCAPI: render(asyncapi())}


COMPOSE = CONTRACTS.parent.parent / "docker-compose.yml"
_COMPOSE_TOPICS = re.compile(r"^(\s*KAFKA_TOPICS: ).*$", re.M)  # kafka-init's list, generated here


def compose_with_topics(text: str) -> str:
    return _COMPOSE_TOPICS.sub(lambda m: m.group(1) + ",".join(topics()), text, count=1)


def check() -> list[str]:
    problems = []
    if COMPOSE.exists() and compose_with_topics(COMPOSE.read_text()) != COMPOSE.read_text():
        problems.append(
            "differs from the services' declarations: docker-compose.yml (kafka-init KAFKA_TOPICS)"
        )
    # The schemas are generated once for the whole check: each generation builds every model's
    # JSON Schema, and asking for them once per file made the check quadratic (23 s of a test run).
    schemas = schema_files()
    for path, text in {**schemas, ASYNCAPI: render(asyncapi())}.items():
        if not path.exists():
            problems.append(f"missing: {path.relative_to(CONTRACTS.parent)}")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"differs from the models: {path.relative_to(CONTRACTS.parent)}")
    kept = retired(schemas)
    problems += [
        f"no model for: {p.relative_to(CONTRACTS.parent)}"
        for p in EVENTS_DIR.glob("*.json")
        if p not in schemas and p.name not in kept
    ]
    return problems


def retired(schemas: dict[Path, str] | None = None) -> set[str]:
    """Released schemas no longer published (superseded by a later version): kept, never edited,
    so that a consumer can still read what is on the topics from before. `schemas`: the generated
    files, when the caller has them already."""
    return set(released()) - {p.name for p in (schema_files() if schemas is None else schemas)}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def released() -> dict[str, str]:
    return json.loads(RELEASED.read_text(encoding="utf-8")) if RELEASED.exists() else {}


def changed_after_release() -> list[str]:
    return [
        name
        for name, digest in released().items()
        if not (EVENTS_DIR / name).exists() or sha256(EVENTS_DIR / name) != digest
    ]


def release() -> int:
    if problems := check() + [f"released schema changed: {n}" for n in changed_after_release()]:
        print("\n".join(problems))
        return 1
    hashes = {**released(), **{p.name: sha256(p) for p in sorted(EVENTS_DIR.glob("*.json"))}}
    RELEASED.write_text(render(dict(sorted(hashes.items()))), encoding="utf-8")
    print(f"{len(hashes)} schemas released")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["release"]:
        return release()
    if argv[:1] == ["topics"]:
        print(",".join(topics()))
        return 0
    if argv[:1] == ["write"]:
        EVENTS_DIR.mkdir(parents=True, exist_ok=True)
        for path, text in expected_files().items():
            path.write_text(text, encoding="utf-8")
        COMPOSE.write_text(compose_with_topics(COMPOSE.read_text()))
        print(f"wrote {len(expected_files())} files under {CONTRACTS}")
        return 0
    problems = check()
    print("\n".join(problems) or "contracts match the models")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
