#!/usr/bin/env bash
# The broker, configured as the official image configures it: every KAFKA_<NAME> variable becomes
# the property <name> (lower case, "_" -> ".", "__" -> "_", "___" -> "-"), except the JVM options;
# the storage is formatted once with CLUSTER_ID; then the broker runs in the foreground.
set -euo pipefail
: "${CLUSTER_ID:?CLUSTER_ID must be set (the KRaft cluster id)}"
props=/opt/kafka/config/server.properties
{
  echo "# generated from the KAFKA_* environment by /opt/kafka/bin/run.sh"
  while IFS='=' read -r name value; do
    case $name in
      KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_CONFIG | KAFKA_GC_LOG_OPTS | KAFKA_JMX_OPTS) continue ;;
      KAFKA_*) ;;
      *) continue ;;
    esac
    key=$(printf '%s' "${name#KAFKA_}" | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g' | tr '[:upper:]' '[:lower:]')
    printf '%s=%s\n' "$key" "$value"
  done < <(env)
} >"$props"
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$CLUSTER_ID" -c "$props" >/dev/null
export KAFKA_LOG4J_CONFIG=/opt/kafka/config/log4j2.xml
export KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}
export KAFKA_JVM_PERFORMANCE_OPTS="-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent"
exec /opt/kafka/bin/kafka-run-class.sh kafka.Kafka "$props"
