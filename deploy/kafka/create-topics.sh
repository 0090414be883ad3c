#!/usr/bin/env bash
# One-shot topic creation for docker-compose (service kafka-init, apache/kafka image).
# Creates the platform's topics if missing and (re)applies their retention, so changing
# KAFKA_RETENTION_MS / KAFKA_DEADLETTER_RETENTION_MS in .env takes effect on the next `make up`.
# Partitions only grow: Kafka cannot shrink a topic, and growing it remaps keys to partitions
# (per-aggregate order holds again for events written after the change).
set -euo pipefail

BOOTSTRAP=${KAFKA_BOOTSTRAP:-kafka:9092}
PREFIX=${TOPIC_PREFIX:-}
PARTITIONS=${KAFKA_PARTITIONS:-3}
# 1 beside the single broker of docker-compose.yml, 3 on the cluster of docker-compose.ha.yml.
REPLICATION=${KAFKA_REPLICATION_FACTOR:-1}
RETENTION_MS=${KAFKA_RETENTION_MS:-2592000000}                # 30 days
DEADLETTER_RETENTION_MS=${KAFKA_DEADLETTER_RETENTION_MS:-7776000000}  # 90 days: time to replay
TOPICS=${KAFKA_TOPICS:?KAFKA_TOPICS must list the topics}
BIN=/opt/kafka/bin

for name in ${TOPICS//,/ }; do
  topic=$PREFIX$name
  retention=$RETENTION_MS
  [[ $name == *.deadletter ]] && retention=$DEADLETTER_RETENTION_MS
  "$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor "$REPLICATION" >/dev/null
  current=$("$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --describe --topic "$topic" |
    sed -n 's/.*PartitionCount: *\([0-9]*\).*/\1/p' | head -n1)
  if (( current < PARTITIONS )); then
    "$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --alter --topic "$topic" --partitions "$PARTITIONS"
  fi
  "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --alter --entity-type topics --entity-name "$topic" \
    --add-config "retention.ms=$retention" >/dev/null
  echo "topic $topic: partitions $(( current > PARTITIONS ? current : PARTITIONS )), retention.ms $retention"
done
