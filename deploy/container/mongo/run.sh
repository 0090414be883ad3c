#!/usr/bin/env bash
# mongo-java-server with the H2 backend on 127.0.0.1:$MONGO_PORT, data in /data/db/data.mv.db.
# SIGTERM (docker stop) runs its shutdown hook, which writes H2's last changes.
set -euo pipefail
# shellcheck disable=SC2086  # MONGO_HEAP_OPTS is a list of JVM flags
exec java $MONGO_HEAP_OPTS -Djava.awt.headless=true \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.MongoServer=info \
  -Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.backend.h2.H2Backend=info \
  -cp "/opt/mongo-java-server/classes:/opt/mongo-java-server/libs/*" \
  DocumentServer h2 "$MONGO_PORT" /data/db/data.mv.db
