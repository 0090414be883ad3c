"""Replay a service's dead letters to that service alone, once the cause is fixed.

    python replay_dead_letters.py intake.deadletter [--dry-run]
    (in containers: docker-compose run --rm -T intake-worker python - intake.deadletter <
    deploy/kafka/replay_dead_letters.py)

Reads the dead-letter topic `<service>.deadletter` from the beginning up to its end at start (so
messages that fail again and return to it are not replayed twice in one run) and sends each message,
with its key and original headers, to the service's retry topic `<service>.retry`, which only that
service's consumer reads. Not to the topic it came from: every other consumer group of that topic
would get it again (they had applied it, or dead-lettered it themselves), and dead letters would
multiply. The consumer is idempotent (processed_events) and drops an event older than what it
applied since for the same subject (event_positions), so a replay never moves a state back.
Environment: KAFKA_BOOTSTRAP (default 127.0.0.1:19092), TOPIC_PREFIX (as the services use it).
"""

from __future__ import annotations

import os
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def replay(bootstrap: str, dead_letter_topic: str, dry_run: bool = False) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    partitions = [
        TopicPartition(dead_letter_topic, p)
        for p in sorted(consumer.partitions_for_topic(dead_letter_topic) or [])
    ]
    if not partitions:
        raise SystemExit(f"no topic {dead_letter_topic}")
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    ends = consumer.end_offsets(partitions)
    producer = (
        None if dry_run else KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    )
    if not dead_letter_topic.endswith(".deadletter"):
        raise SystemExit(f"{dead_letter_topic} is not a dead-letter topic (<service>.deadletter)")
    target = dead_letter_topic.removesuffix(".deadletter") + ".retry"
    replayed = 0
    while any(consumer.position(tp) < ends[tp] for tp in partitions):
        for tp, records in consumer.poll(timeout_ms=1000).items():
            for r in records:
                if r.offset >= ends[tp]:
                    continue
                headers = dict(r.headers or [])
                if headers.get("dlq.truncated") == b"true":
                    print(f"skip {tp.partition}:{r.offset}: its value was cut to fit", file=sys.stderr)
                    continue
                print(
                    f"{'would replay' if dry_run else 'replay'} {tp.partition}:{r.offset} -> {target} "
                    f"(key {r.key!r}; error: {headers.get('dlq.error', b'').decode()[:120]})"
                )
                if producer:
                    original = [(k, v) for k, v in (r.headers or []) if not k.startswith("dlq.")]
                    producer.send(target, key=r.key, value=r.value, headers=original).get(timeout=30)
                replayed += 1
    consumer.close()
    if producer:
        producer.close()
    return replayed


def main(argv: list[str]) -> None:
    args = [a for a in argv[1:] if a != "--dry-run"]
    if len(args) != 1:
        raise SystemExit(__doc__)
    topic = os.environ.get("TOPIC_PREFIX", "") + args[0]
    count = replay(os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:19092"), topic, dry_run="--dry-run" in argv)
    print(f"{count} dead letters {'found' if '--dry-run' in argv else 'replayed'} from {topic}")


if __name__ == "__main__":
    main(sys.argv)
