"""Replay a service's dead letters onto the topics they came from, once the cause is fixed.

    python replay_dead_letters.py intake.deadletter [--dry-run]
    (in containers: docker-compose run --rm -T intake-worker python - intake.deadletter <
    deploy/kafka/replay_dead_letters.py)

Reads the dead-letter topic from the beginning up to its end at start (so messages that fail
again and return to it are not replayed twice in one run) and sends each message, with its key
and original headers, back to the topic named in its dlq.original.topic header. Consumers are
idempotent (processed_events), so replaying an event that was meanwhile applied changes nothing.
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
    replayed = 0
    while any(consumer.position(tp) < ends[tp] for tp in partitions):
        for tp, records in consumer.poll(timeout_ms=1000).items():
            for r in records:
                if r.offset >= ends[tp]:
                    continue
                headers = dict(r.headers or [])
                target = headers.get("dlq.original.topic", b"").decode()
                if not target:
                    print(f"skip {tp.partition}:{r.offset}: no dlq.original.topic header", file=sys.stderr)
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
