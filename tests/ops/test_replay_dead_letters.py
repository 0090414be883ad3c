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


def test_dead_letters_go_back_to_their_original_topic_with_their_own_headers(topic_reader):
    prefix = f"t{uuid.uuid4().hex[:10]}."
    dead, original = prefix + "intake.deadletter", prefix + "deliberation.topics"
    producer = KafkaProducer(bootstrap_servers=KAFKA)
    for i in range(3):
        producer.send(
            dead,
            key=f"topic-{i}".encode(),
            value=f"event {i}".encode(),
            headers=[("trace", b"t1"), ("dlq.error", b"boom"), ("dlq.original.topic", original.encode())],
        ).get(timeout=10)
    producer.send(dead, key=b"x", value=b"no origin", headers=[("dlq.error", b"?")]).get(timeout=10)
    producer.close()

    assert replay_tool.replay(KAFKA, dead, dry_run=True) == 3  # sends nothing: the count below stays 3

    assert replay_tool.replay(KAFKA, dead) == 3
    records = topic_reader(original).read(3)
    assert sorted((r.key, r.value) for r in records) == [
        (f"topic-{i}".encode(), f"event {i}".encode()) for i in range(3)
    ]
    assert all(r.headers == [("trace", b"t1")] for r in records)
    assert len(topic_reader(original).settle(1.5)) == 3  # nothing replayed twice
