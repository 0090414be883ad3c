#!/usr/bin/env bash
# kafka-run-class.sh CLASS ARGS...: the Kafka jars on the classpath. The tools start a small,
# quick JVM (they run for a second); the broker (run.sh) passes its own heap and GC settings.
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC} \
  -Djava.awt.headless=true -Dlog4j2.configurationFile="${KAFKA_LOG4J_CONFIG:-/opt/kafka/config/tools-log4j2.xml}" \
  ${KAFKA_OPTS:-} -cp "/opt/kafka/libs/*" "$@"
