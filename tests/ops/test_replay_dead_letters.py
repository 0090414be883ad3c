"""The operators' dead-letter replay tool, against the test Kafka."""

import importlib.util
import uuid

import pytest
from kafka import KafkaProducer

from tests.helpers import KAFKA, ROOT

pytestmark = pytest.mark.infra

spec = importlib.util.spec_from_file_location(
    "replay_dead_letters", ROOT / "deploy/kafka/replay_dead_letters.py"
)
replay_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(replay_tool)


def test_dead_letters_go_to_their_service_alone_with_their_own_headers(topic_reader):
    """Replayed to the service's retry topic, never to the shared topic they came from, whose other
    consumer groups would get them again (and dead-letter them anew)."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    dead, original = prefix + "intake.deadletter", prefix + "deliberation.topics"
    retry = prefix + "intake.retry"
    producer = KafkaProducer(bootstrap_servers=KAFKA)
    for i in range(3):
        producer.send(
            dead,
            key=f"topic-{i}".encode(),
            value=f"event {i}".encode(),
            headers=[("trace", b"t1"), ("dlq.error", b"boom"), ("dlq.original.topic", original.encode())],
        ).get(timeout=10)
    producer.send(dead, key=b"x", value=b"cut", headers=[("dlq.truncated", b"true")]).get(timeout=10)
    producer.send(original, key=b"topic-0", value=b"the event as first published").get(timeout=10)
    producer.close()

    assert replay_tool.replay(KAFKA, dead, dry_run=True) == 3  # sends nothing: the count below stays 3

    assert replay_tool.replay(KAFKA, dead) == 3
    records = topic_reader(retry).read(3)
    assert sorted((r.key, r.value) for r in records) == [
        (f"topic-{i}".encode(), f"event {i}".encode()) for i in range(3)
    ]
    assert all(r.headers == [("trace", b"t1")] for r in records)
    assert len(topic_reader(retry).read_to_end()) == 3  # nothing replayed twice
    # No other group of the original topic sees them again: it holds only what was published first.
    assert [r.value for r in topic_reader(original).read_to_end()] == [b"the event as first published"]
