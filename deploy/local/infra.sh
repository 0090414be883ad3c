#!/usr/bin/env bash
# Local infrastructure for Civic146: Apache Kafka (KRaft; one node, or a cluster of
# KAFKA_BROKERS nodes) and mongo-java-server (MongoDB wire protocol; in memory, or kept in
# an H2 file), run as plain processes on 127.0.0.1 -- no Docker, no internet beyond Maven Central.
#
#   deploy/local/infra.sh up       start both (idempotent), wait until they answer
#   deploy/local/infra.sh down     stop both, keep data     (down --wipe: delete RUN_DIR too)
#   deploy/local/infra.sh wipe     stop both and delete RUN_DIR
#   deploy/local/infra.sh status   show pid and address of each server
#   deploy/local/infra.sh node I kill|stop|start|status   one node of a cluster (KAFKA_BROKERS>1)
#   deploy/local/infra.sh leader TOPIC PARTITION        the node (index) leading a partition
#   deploy/local/infra.sh partitions TOPIC               leader, replicas and ISR of each partition
#
# See deploy/local/README.md for the environment knobs.
set -euo pipefail

# ------------------------------------------------------------------ settings

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

KAFKA_VERSION=4.1.1
MONGO_SERVER_VERSION=1.47.0 # mongo-java-server; the jars come from mongo/pom.xml

RUN_DIR=${RUN_DIR:-$REPO_ROOT/.run/dev}
# A RUN_DIR keeps the ports of its last `up`: a knob left unset reuses them (so a
# second instance started with other ports restarts on those ports), a knob set
# explicitly wins. See use_recorded_ports.
# MONGO_BACKEND is remembered the same way.
KAFKA_PORT_GIVEN=${KAFKA_PORT:+1}
KAFKA_CONTROLLER_PORT_GIVEN=${KAFKA_CONTROLLER_PORT:+1}
MONGO_PORT_GIVEN=${MONGO_PORT:+1}
MONGO_BACKEND_GIVEN=${MONGO_BACKEND:+1}
KAFKA_BROKERS_GIVEN=${KAFKA_BROKERS:+1}
KAFKA_PORT=${KAFKA_PORT:-19092}
# 1: one node as broker and controller (the default). 3 or more: that many nodes, each broker
# and controller, node I (1-based) listening on KAFKA_PORT+I-1 and its controller on
# KAFKA_CONTROLLER_PORT+I-1 (default KAFKA_PORT+KAFKA_BROKERS, right after the brokers); every
# topic, internal ones included, gets replication factor 3 and min.insync.replicas 2.
KAFKA_BROKERS=${KAFKA_BROKERS:-1}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-}
KAFKA_PARTITIONS=${KAFKA_PARTITIONS:-3}
# Unset KAFKA_TOPICS: every topic of the platform, read from the services' declarations
# (`python -m civic146.contracts topics`); set but empty: create none.
KAFKA_TOPICS_GIVEN=${KAFKA_TOPICS+1}
KAFKA_READY_TIMEOUT=${KAFKA_READY_TIMEOUT:-60}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
MONGO_PORT=${MONGO_PORT:-27117}
# h2: one file under RUN_DIR, kept across down/up (make dev). memory: gone on down (tests).
MONGO_BACKEND=${MONGO_BACKEND:-h2}
MONGO_HEAP_OPTS=${MONGO_HEAP_OPTS:--Xmx512m -XX:+UseSerialGC}
MONGO_READY_TIMEOUT=${MONGO_READY_TIMEOUT:-30}
PYTHON=${PYTHON:-python3}
CIVIC146_CACHE=${CIVIC146_CACHE:-$HOME/.cache/civic146}

HOST=127.0.0.1
STOP_TIMEOUT=20

# Downloaded/built artifacts are shared by every clone on the machine (keyed by
# version), so a second checkout starts in seconds instead of minutes.
KAFKA_HOME=$CIVIC146_CACHE/kafka-$KAFKA_VERSION
KAFKA_LIBS=$KAFKA_HOME/libs
MONGO_HOME=$CIVIC146_CACHE/mongo-java-server-$MONGO_SERVER_VERSION
MONGO_LIBS=$MONGO_HOME/libs
PROBE_SRC=$SCRIPT_DIR/probe/InfraProbe.java
KAFKA_POM=$SCRIPT_DIR/kafka/pom.xml
KAFKA_LOG4J=$SCRIPT_DIR/kafka/log4j2.xml
MONGO_POM=$SCRIPT_DIR/mongo/pom.xml
MONGO_SRC=$SCRIPT_DIR/mongo/DocumentServer.java

# Written into RUN_DIR so that `wipe` never deletes a directory it did not create.
RUN_MARKER_NAME=.civic146-run-dir

# Small, fast-starting JVM for the short-lived probe/format processes.
TOOL_JVM_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m -Djava.awt.headless=true)

# ------------------------------------------------------------------ helpers

log() { printf '%s\n' "$*"; }
die() { printf 'infra.sh: error: %s\n' "$*" >&2; exit 1; }

# Wall-clock seconds with sub-second precision (bash 5 has EPOCHREALTIME).
now() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then printf '%s' "${EPOCHREALTIME/,/.}"; else date +%s; fi
}
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Content hash only (not the path), so every clone maps to the same cache entry.
sha_of() {
  if command -v sha256sum >/dev/null 2>&1; then cat "$@" | sha256sum | cut -c1-16
  else cat "$@" | shasum -a 256 | cut -c1-16; fi
}

check_port_number() {
  local name=$1 value=$2
  if ! [[ $value =~ ^[0-9]{1,5}$ ]] || ((10#$value < 1 || 10#$value > 65535)); then
    die "$name must be a TCP port number, got '$value'"
  fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# A pid file is trusted only if the process is alive, not a zombie, and its
# command line contains a tag unique to this RUN_DIR -- pids get reused, and a
# second RUN_DIR on the same machine must never touch the first one's servers.
pid_is_ours() {
  local pid=$1 tag=$2 args
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if command -v ps >/dev/null 2>&1; then
    # -ww: the whole command line, whatever COLUMNS says (ps cuts it to COLUMNS when that is set, and
    # the tag sits far into a java command line)
    args=$(ps -ww -p "$pid" -o args= 2>/dev/null) || return 1
    [[ $args == *"$tag"* ]] || return 1
  fi
}

# Prints the pid of the running server $1 (kafka|mongo), or fails.
running_pid() {
  local name=$1 pidfile="$RUN_DIR/$1.pid" pid
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  pid_is_ours "$pid" "$(tag_of "$name")" || return 1
  printf '%s' "$pid"
}

tag_of() {
  case $1 in
    kafka | kafka-[0-9]*) printf '%s' "kafka.Kafka $RUN_DIR/$1/server.properties" ;;
    mongo) printf '%s' "-Dcivic146.run-dir=$RUN_DIR/mongo " ;;
  esac
}

# Starts "$@" detached from this shell. The extra subshell hands the server to
# init instead of leaving it a child of this script (which would keep it as a
# zombie if it died while we wait for it). stdin and stdout/stderr are
# redirected so a caller's pipe is not held open by the server.
spawn() {
  local pidfile=$1 logfile=$2 workdir=$3
  shift 3
  (
    cd "$workdir"
    nohup "$@" >>"$logfile" 2>&1 </dev/null &
    printf '%s\n' "$!" >"$pidfile"
  )
}

tail_log() {
  local f=$1
  [[ -f $f ]] || return 0
  printf -- '----- last 50 lines of %s -----\n' "$f" >&2
  tail -n 50 "$f" >&2
  printf -- '-----\n' >&2
}

# Moves a freshly filled temp dir into place. Two concurrent `up`s (e.g. two
# clones) may race here; if the other one won, mv puts ours *inside* theirs,
# which is then removed again, leaving one complete copy either way.
replace_dir() {
  local tmp=$1 target=$2
  rm -rf "$target"
  mv "$tmp" "$target"
  rm -rf "${target:?}/$(basename "$tmp")"
}

ensure_run_dir() {
  mkdir -p "$RUN_DIR"
  touch "$RUN_DIR/$RUN_MARKER_NAME"
}

# ------------------------------------------------------------------ prerequisites

java_major() {
  # `java -version` prints e.g.: openjdk version "17.0.15" 2025-04-15  (or "1.8.0_402")
  local v
  v=$(java -version 2>&1 | awk -F'"' '/version/ && !seen { print $2; seen = 1 }')
  v=${v#1.}
  printf '%s' "${v%%[.+-]*}"
}

require_java() {
  command -v java >/dev/null 2>&1 || die "java not found: Kafka $KAFKA_VERSION needs a JDK 17+ on PATH (Debian: apt-get install openjdk-17-jdk-headless)"
  command -v javac >/dev/null 2>&1 || die "javac not found: a full JDK 17+ is needed, not just a JRE (Debian: apt-get install openjdk-17-jdk-headless)"
  local major
  major=$(java_major)
  if ! [[ $major =~ ^[0-9]+$ ]] || ((major < 17)); then
    die "Kafka $KAFKA_VERSION needs Java 17+, found '$(java -version 2>&1 | head -n1)'"
  fi
}

require_maven() {
  command -v mvn >/dev/null 2>&1 || die "mvn not found: Maven is needed once to fetch the Kafka and mongo-java-server jars into $CIVIC146_CACHE (Debian: apt-get install maven)"
}

check_mongo_backend() {
  [[ $MONGO_BACKEND == h2 || $MONGO_BACKEND == memory ]] ||
    die "MONGO_BACKEND must be 'h2' (kept in $RUN_DIR/mongo/) or 'memory' (gone on down), got '$MONGO_BACKEND'"
}

# ------------------------------------------------------------------ artifacts

# The marker holds a hash of the POM, so editing the POM refetches the jars.
libs_current() {
  local pom=$1 libs=$2
  [[ -f $libs/.complete && $(<"$libs/.complete") == "$(sha_of "$pom")" ]]
}

# fetch_libs NAME WHAT POM LIBS: the POM's runtime jars into LIBS (once per POM version).
fetch_libs() {
  local name=$1 what=$2 pom=$3 libs=$4 t0 tmp
  libs_current "$pom" "$libs" && return 0
  require_maven
  t0=$(now)
  log "$name: fetching $what jars with Maven into $libs ..."
  mkdir -p "$(dirname "$libs")"
  # Copy into a private directory and rename, so a concurrent `up` from another
  # clone never sees a half-filled libs/.
  tmp=$(mktemp -d "$libs.tmp.XXXXXX")
  # Output is kept aside and shown only on failure (mvn -q still emits colour codes).
  if ! mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
    -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "Maven could not fetch the $what jars (is Maven Central reachable? see output above)"
  fi
  rm -f "$tmp.log"
  sha_of "$pom" >"$tmp/.complete"
  replace_dir "$tmp" "$libs"
  log "$name: jars ready ($(elapsed "$t0") s)"
}

# compile_once SRC CLASSPATH DIR: javac SRC into DIR unless DIR already has its class. DIR's
# name carries a hash of what it is built from; javac costs ~1 s, which would otherwise be
# paid on every `up`.
compile_once() {
  local src=$1 cp=$2 dir=$3 tmp class
  class=$(basename "$src" .java).class
  [[ -f $dir/$class ]] && return 0
  mkdir -p "$(dirname "$dir")"
  tmp=$(mktemp -d "$dir.tmp.XXXXXX")
  javac -nowarn -cp "$cp" -d "$tmp" "$src" || { rm -rf "$tmp"; die "could not compile $src"; }
  replace_dir "$tmp" "$dir"
}

PROBE_CLASSES=
ensure_probe() {
  PROBE_CLASSES=$KAFKA_HOME/probe-$(sha_of "$PROBE_SRC")
  compile_once "$PROBE_SRC" "$KAFKA_LIBS/*" "$PROBE_CLASSES"
}

MONGO_CLASSES=
ensure_mongo_launcher() {
  MONGO_CLASSES=$MONGO_HOME/launcher-$(sha_of "$MONGO_SRC" "$MONGO_POM")
  compile_once "$MONGO_SRC" "$MONGO_LIBS/*" "$MONGO_CLASSES"
}

# ------------------------------------------------------------------ kafka

write_kafka_config() {
  local dir=$RUN_DIR/kafka
  mkdir -p "$dir/data"
  # Regenerated on every start so port/partition knobs always take effect.
  cat >"$dir/server.properties" <<EOF
# Generated by deploy/local/infra.sh -- edits are overwritten on the next start.
# Single KRaft node acting as broker and controller, loopback only.
process.roles=broker,controller
node.id=1
# Static single-voter quorum: nothing about the controller address is written
# into the formatted storage, so KAFKA_CONTROLLER_PORT can change between runs.
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT

log.dirs=$dir/data
num.partitions=$KAFKA_PARTITIONS
auto.create.topics.enable=true
delete.topic.enable=true

# One broker: every internal topic must get by with a single replica.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer __consumer_offsets partitions (default 50) makes the first consumer
# group join much faster on a fresh broker.
offsets.topic.num.partitions=10

# Consumers in tests should not wait 3 s for the first rebalance.
group.initial.rebalance.delay.ms=0

# Sized for a laptop / 2-core CI machine rather than a production host.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
}

kafka_java() {
  java "${TOOL_JVM_OPTS[@]}" \
    -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$RUN_DIR/kafka" \
    -cp "$KAFKA_LIBS/*" "$@"
}

format_kafka_storage() {
  local dir=$RUN_DIR/kafka cid out
  [[ -f $dir/data/meta.properties ]] && return 0
  if [[ ! -s $dir/cluster.id ]]; then
    kafka_java kafka.tools.StorageTool random-uuid >"$dir/cluster.id.tmp"
    mv "$dir/cluster.id.tmp" "$dir/cluster.id"
  fi
  cid=$(<"$dir/cluster.id")
  if ! out=$(kafka_java kafka.tools.StorageTool format -t "$cid" -c "$dir/server.properties" 2>&1); then
    printf '%s\n' "$out" >&2
    die "kafka: formatting $dir/data failed"
  fi
  log "kafka: formatted storage in $dir/data (cluster id $cid)"
}

# Waits for a real metadata answer and creates missing topics, in one JVM.
# kafka_probe PID [BOOTSTRAP PIDS NODE_IDS TOPICS]: a cluster passes the nodes' addresses and pids
# (the probe fails as soon as one of them exits), waits until every node of NODE_IDS is registered
# and creates topics with replication factor 3; TOPICS "-" creates none.
kafka_probe() {
  local pid=$1 topics=${5:-}
  [[ -n $topics ]] || topics=$(platform_topics) || exit 1
  if (($# > 1)); then
    java "${TOOL_JVM_OPTS[@]}" -Dlog4j2.level=OFF \
      -cp "$PROBE_CLASSES:$KAFKA_LIBS/*" InfraProbe \
      kafka "$2" "$3" "$KAFKA_READY_TIMEOUT" "$KAFKA_PARTITIONS" "$topics" "$CLUSTER_REPLICATION" "$4"
    return
  fi
  java "${TOOL_JVM_OPTS[@]}" -Dlog4j2.level=OFF \
    -cp "$PROBE_CLASSES:$KAFKA_LIBS/*" InfraProbe \
    kafka "$HOST:$(<"$RUN_DIR/kafka.port")" "$pid" "$KAFKA_READY_TIMEOUT" "$KAFKA_PARTITIONS" "$topics"
}

# The topics to create, comma-separated ("-" for none).
platform_topics() {
  local topics
  if [[ -n $KAFKA_TOPICS_GIVEN ]]; then
    topics=$KAFKA_TOPICS
  else
    topics=$(PYTHONPATH="$REPO_ROOT/services${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m civic146.contracts topics) ||
      die "could not read the platform's topics with $PYTHON (set PYTHON to the project's virtualenv)"
  fi
  topics=${topics// /}
  [[ -n $topics ]] || topics=-
  printf '%s' "$topics"
}

kafka_up() {
  local t0 pid rc dir=$RUN_DIR/kafka
  t0=$(now)
  if pid=$(running_pid kafka); then
    local port
    port=$(<"$RUN_DIR/kafka.port")
    [[ $port == "$KAFKA_PORT" ]] ||
      die "kafka is already running from $RUN_DIR on $HOST:$port (pid $pid); run 'down' first to change KAFKA_PORT"
    if ! kafka_probe "$pid" | sed 's/^/kafka: /'; then
      tail_log "$dir/server.log"
      die "kafka (pid $pid) is running but not answering on $HOST:$port"
    fi
    log "kafka already running, ready on $HOST:$port (pid $pid, checked in $(elapsed "$t0") s)"
    return 0
  fi
  rm -f "$RUN_DIR/kafka.pid"

  port_in_use "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by another process; set KAFKA_PORT to a free port"
  port_in_use "$KAFKA_CONTROLLER_PORT" &&
    die "port $KAFKA_CONTROLLER_PORT is taken by another process; set KAFKA_CONTROLLER_PORT to a free port"

  write_kafka_config
  format_kafka_storage
  printf '%s\n' "$KAFKA_PORT" >"$RUN_DIR/kafka.port"
  printf '%s\n' "$KAFKA_CONTROLLER_PORT" >"$RUN_DIR/kafka.controller.port"
  printf '\n===== %s starting kafka =====\n' "$(date '+%F %T')" >>"$dir/stdout.log"
  # shellcheck disable=SC2086  # KAFKA_HEAP_OPTS is a list of JVM flags
  spawn "$RUN_DIR/kafka.pid" "$dir/stdout.log" "$dir" \
    java $KAFKA_HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$dir" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties"
  pid=$(<"$RUN_DIR/kafka.pid")

  rc=0
  kafka_probe "$pid" | sed 's/^/kafka: /' || rc=$?
  # With pipefail, rc is the probe's exit code (sed does not fail).
  if ((rc != 0)); then
    tail_log "$dir/server.log"
    tail_log "$dir/stdout.log"
    if pid_is_ours "$pid" "$(tag_of kafka)"; then
      die "kafka (pid $pid) did not become ready within ${KAFKA_READY_TIMEOUT} s; it is left running for inspection ('down' stops it)"
    fi
    rm -f "$RUN_DIR/kafka.pid"
    die "kafka exited during start-up; logs: $dir/server.log, $dir/stdout.log"
  fi
  log "kafka ready on $HOST:$KAFKA_PORT ($(elapsed "$t0") s, pid $pid)"
}

# ------------------------------------------------------------------ kafka cluster (KAFKA_BROKERS > 1)

# Three copies of every partition; an acks=all write needs two of them (the leader and one
# follower) in sync, so one node can die without losing an acknowledged write or refusing one.
CLUSTER_REPLICATION=3
CLUSTER_MIN_ISR=2

cluster_mode() { ((KAFKA_BROKERS > 1)); }
node_port() { printf '%s' "$((KAFKA_PORT + $1 - 1))"; }
node_controller_port() { printf '%s' "$((KAFKA_CONTROLLER_PORT + $1 - 1))"; }

cluster_bootstrap() {
  local i out=
  for ((i = 1; i <= KAFKA_BROKERS; i++)); do out+=${out:+,}$HOST:$(node_port "$i"); done
  printf '%s' "$out"
}

cluster_voters() {
  local i out=
  for ((i = 1; i <= KAFKA_BROKERS; i++)); do out+=${out:+,}$i@$HOST:$(node_controller_port "$i"); done
  printf '%s' "$out"
}

# The pids of the running nodes, comma-separated (for the probe's liveness check).
cluster_pids() {
  local i pid out=
  for ((i = 1; i <= KAFKA_BROKERS; i++)); do
    if pid=$(running_pid "kafka-$i"); then out+=${out:+,}$pid; fi
  done
  printf '%s' "${out:-0}"
}

write_node_config() {
  local i=$1 dir=$RUN_DIR/kafka-$1
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<CONF
# Generated by deploy/local/infra.sh -- edits are overwritten on the next start.
# Node $i of a $KAFKA_BROKERS-node KRaft cluster, each node broker and controller, loopback only.
process.roles=broker,controller
node.id=$i
# Static quorum of every node's controller: nothing about the controller addresses is written
# into the formatted storage, so the ports can change between runs.
controller.quorum.voters=$(cluster_voters)
listeners=PLAINTEXT://$HOST:$(node_port "$i"),CONTROLLER://$HOST:$(node_controller_port "$i")
advertised.listeners=PLAINTEXT://$HOST:$(node_port "$i")
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT

log.dirs=$dir/data
num.partitions=$KAFKA_PARTITIONS
auto.create.topics.enable=true
delete.topic.enable=true

# Every topic, the internal ones too, on $CLUSTER_REPLICATION nodes; acks=all needs $CLUSTER_MIN_ISR in sync.
default.replication.factor=$CLUSTER_REPLICATION
min.insync.replicas=$CLUSTER_MIN_ISR
offsets.topic.replication.factor=$CLUSTER_REPLICATION
transaction.state.log.replication.factor=$CLUSTER_REPLICATION
transaction.state.log.min.isr=$CLUSTER_MIN_ISR
share.coordinator.state.topic.replication.factor=$CLUSTER_REPLICATION
share.coordinator.state.topic.min.isr=$CLUSTER_MIN_ISR
# A node that was down may not become leader before it caught up: an acknowledged write is
# never given up for availability.
unclean.leader.election.enable=false
offsets.topic.num.partitions=10

group.initial.rebalance.delay.ms=0
# A killed node is noticed (and its partitions led elsewhere) within a few seconds.
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
replica.lag.time.max.ms=10000

num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
CONF
}

format_node_storage() {
  local i=$1 dir=$RUN_DIR/kafka-$1 cid out
  [[ -f $dir/data/meta.properties ]] && return 0
  # One cluster id for every node: nodes formatted with different ids refuse each other.
  if [[ ! -s $RUN_DIR/kafka.cluster.id ]]; then
    kafka_java kafka.tools.StorageTool random-uuid >"$RUN_DIR/kafka.cluster.id.tmp"
    mv "$RUN_DIR/kafka.cluster.id.tmp" "$RUN_DIR/kafka.cluster.id"
  fi
  cid=$(<"$RUN_DIR/kafka.cluster.id")
  if ! out=$(kafka_java kafka.tools.StorageTool format -t "$cid" -c "$dir/server.properties" 2>&1); then
    printf '%s\n' "$out" >&2
    die "kafka-$i: formatting $dir/data failed"
  fi
  log "kafka-$i: formatted storage in $dir/data (cluster id $cid)"
}

# Starts node I unless it runs; does not wait (the probe does).
start_node() {
  local i=$1 dir=$RUN_DIR/kafka-$1 port cport
  running_pid "kafka-$i" >/dev/null && return 0
  rm -f "$RUN_DIR/kafka-$i.pid"
  port=$(node_port "$i")
  cport=$(node_controller_port "$i")
  port_in_use "$port" && die "port $port (kafka-$i) is taken by another process; set KAFKA_PORT to a free range"
  port_in_use "$cport" &&
    die "port $cport (kafka-$i controller) is taken by another process; set KAFKA_CONTROLLER_PORT to a free range"
  write_node_config "$i"
  format_node_storage "$i"
  printf '\n===== %s starting kafka-%s =====\n' "$(date '+%F %T')" "$i" >>"$dir/stdout.log"
  # shellcheck disable=SC2086  # KAFKA_HEAP_OPTS is a list of JVM flags
  spawn "$RUN_DIR/kafka-$i.pid" "$dir/stdout.log" "$dir" \
    java $KAFKA_HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$dir" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties"
}

# cluster_wait WHAT [BOOTSTRAP NODE_IDS TOPICS]: by default every node, through all of them.
cluster_wait() {
  local what=$1 bootstrap=${2:-$(cluster_bootstrap)} ids=${3:-} topics=${4:-} rc=0 i
  if [[ -z $ids ]]; then
    for ((i = 1; i <= KAFKA_BROKERS; i++)); do ids+=${ids:+,}$i; done
  fi
  kafka_probe 0 "$bootstrap" "$(cluster_pids)" "$ids" "$topics" | sed 's/^/kafka: /' || rc=$?
  if ((rc != 0)); then
    for ((i = 1; i <= KAFKA_BROKERS; i++)); do
      running_pid "kafka-$i" >/dev/null || { tail_log "$RUN_DIR/kafka-$i/server.log"; tail_log "$RUN_DIR/kafka-$i/stdout.log"; }
    done
    die "kafka cluster did not become ready ($what) within ${KAFKA_READY_TIMEOUT} s; running nodes are left for inspection ('down' stops them; logs: $RUN_DIR/kafka-*/server.log)"
  fi
}

kafka_cluster_up() {
  local t0 i
  t0=$(now)
  printf '%s\n' "$KAFKA_PORT" >"$RUN_DIR/kafka.port"
  printf '%s\n' "$KAFKA_CONTROLLER_PORT" >"$RUN_DIR/kafka.controller.port"
  # Every node starts before any is waited for: a controller quorum needs a majority up.
  for ((i = 1; i <= KAFKA_BROKERS; i++)); do start_node "$i"; done
  cluster_wait up
  log "kafka cluster ready: $KAFKA_BROKERS nodes on $(cluster_bootstrap) (controllers from $HOST:$KAFKA_CONTROLLER_PORT, replication $CLUSTER_REPLICATION, min.insync.replicas $CLUSTER_MIN_ISR; $(elapsed "$t0") s, pids $(cluster_pids))"
}

# Stops the named servers together (a cluster's last nodes cannot finish a controlled shutdown
# once their quorum is gone, so they are not stopped one after another), SIGKILL after STOP_TIMEOUT.
stop_together() {
  local name pid i pids=() names=()
  for name in "$@"; do
    if pid=$(running_pid "$name"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$name")
    elif [[ -f $RUN_DIR/$name.pid ]]; then
      rm -f "$RUN_DIR/$name.pid"
      log "$name not running (removed stale pid file)"
    else
      log "$name not running"
    fi
  done
  ((${#pids[@]})) || return 0
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    any_alive "${names[@]}" || break
    sleep 0.1
  done
  for name in "${names[@]}"; do
    if pid=$(running_pid "$name"); then
      log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT} s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 50; i++)); do
    any_alive "${names[@]}" || break
    sleep 0.1
  done
  for ((i = 0; i < ${#names[@]}; i++)); do
    rm -f "$RUN_DIR/${names[i]}.pid"
    log "${names[i]} stopped (pid ${pids[i]})"
  done
}

any_alive() {
  local name
  for name in "$@"; do running_pid "$name" >/dev/null && return 0; done
  return 1
}

# The cluster nodes this RUN_DIR has pid files for (whatever KAFKA_BROKERS says now).
recorded_nodes() {
  local f
  for f in "$RUN_DIR"/kafka-[0-9]*.pid; do
    [[ -e $f ]] && basename "$f" .pid
  done
  return 0
}

check_cluster_ports() {
  local i p seen=" $MONGO_PORT "
  for ((i = 1; i <= KAFKA_BROKERS; i++)); do
    for p in "$(node_port "$i")" "$(node_controller_port "$i")"; do
      check_port_number "a port of kafka-$i (from KAFKA_PORT/KAFKA_CONTROLLER_PORT)" "$p"
      [[ $seen != *" $p "* ]] ||
        die "port $p is used twice: node I listens on KAFKA_PORT+I-1 and its controller on KAFKA_CONTROLLER_PORT+I-1 (I = 1..$KAFKA_BROKERS), apart from MONGO_PORT"
      seen+="$p "
    done
  done
}

# infra.sh node I kill|stop|start|status
cmd_node() {
  local i=${1:-} action=${2:-} pid
  [[ -d $RUN_DIR ]] || die "$RUN_DIR does not exist: run 'up' first"
  RUN_DIR=$(cd "$RUN_DIR" && pwd -P)
  use_recorded_ports
  resolve_kafka_ports
  cluster_mode || die "'node' needs a cluster (KAFKA_BROKERS=3 up); this RUN_DIR runs one Kafka node"
  [[ $i =~ ^[0-9]+$ ]] && ((i >= 1 && i <= KAFKA_BROKERS)) || die "node index must be 1..$KAFKA_BROKERS, got '$i'"
  case $action in
    kill)
      # What a crash looks like: no controlled shutdown, no flush.
      pid=$(running_pid "kafka-$i") || die "kafka-$i is not running"
      kill -KILL "$pid"
      while pid_is_ours "$pid" "$(tag_of "kafka-$i")"; do sleep 0.05; done
      rm -f "$RUN_DIR/kafka-$i.pid"
      log "kafka-$i killed (SIGKILL, pid $pid)"
      ;;
    stop) stop_together "kafka-$i" ;;
    start)
      local t0
      t0=$(now)
      ensure_probe
      start_node "$i"
      # Asked through its own listener: only the restarted node itself can say it is serving.
      cluster_wait "kafka-$i start" "$HOST:$(node_port "$i")" "$i" -
      log "kafka-$i ready on $HOST:$(node_port "$i") ($(elapsed "$t0") s, pid $(running_pid "kafka-$i"))"
      ;;
    status)
      if pid=$(running_pid "kafka-$i"); then
        log "kafka-$i running pid $pid $HOST:$(node_port "$i") controller $HOST:$(node_controller_port "$i")"
      else
        log "kafka-$i stopped"
        return 3
      fi
      ;;
    *) die "usage: node I kill|stop|start|status" ;;
  esac
}

# infra.sh partitions TOPIC: one line per partition, "partition P leader L replicas A,B,C isr A,B"
# (node ids are the node indexes; leader -1: none). infra.sh leader TOPIC P: only L.
cmd_partitions() {
  local topic=${1:-}
  [[ -n $topic ]] || die "usage: partitions TOPIC"
  [[ -d $RUN_DIR ]] || die "$RUN_DIR does not exist: run 'up' first"
  RUN_DIR=$(cd "$RUN_DIR" && pwd -P)
  use_recorded_ports
  resolve_kafka_ports
  ensure_probe
  local bootstrap=$HOST:$KAFKA_PORT
  cluster_mode && bootstrap=$(cluster_bootstrap)
  java "${TOOL_JVM_OPTS[@]}" -Dlog4j2.level=OFF -cp "$PROBE_CLASSES:$KAFKA_LIBS/*" InfraProbe \
    partitions "$bootstrap" "$topic"
}

cmd_leader() {
  local topic=${1:-} partition=${2:-} out leader
  [[ -n $topic && $partition =~ ^[0-9]+$ ]] || die "usage: leader TOPIC PARTITION"
  out=$(cmd_partitions "$topic")
  leader=$(awk -v p="$partition" '$1 == "partition" && $2 == p { print $4 }' <<<"$out")
  [[ -n $leader ]] || die "topic $topic has no partition $partition"
  printf '%s\n' "$leader"
}

# ------------------------------------------------------------------ mongo

# Real MongoDB ping. pymongo (through $PYTHON) when it is importable, otherwise
# the JDK-only OP_MSG probe -- never a bare TCP connect: an open port says nothing
# about whether the server answers commands (an H2 file is still being opened, or
# another program holds the port).
mongo_probe() {
  local pid=$1 port=$2
  if "$PYTHON" -c 'import pymongo' >/dev/null 2>&1; then
    "$PYTHON" - "$HOST" "$port" "$pid" "$MONGO_READY_TIMEOUT" <<'PY'
import os, sys, time
import pymongo

host, port, pid, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
deadline = time.monotonic() + timeout
last = "no answer yet"

def alive():
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True

client = pymongo.MongoClient(host, port, serverSelectionTimeoutMS=1000,
                             connectTimeoutMS=500, directConnection=True)
while True:
    if not alive():
        sys.exit(f"mongo-compatible server process {pid} exited (last probe error: {last})")
    try:
        if client.admin.command("ping").get("ok") == 1:
            # Nothing to clean up: leave at once, without the driver's teardown.
            sys.stdout.flush()
            os._exit(0)
    except Exception as e:  # any driver error means "not ready yet"
        last = repr(e)
    if time.monotonic() > deadline:
        sys.exit(f"no MongoDB ping answer from {host}:{port}: {last}")
    time.sleep(0.2)
PY
  else
    java "${TOOL_JVM_OPTS[@]}" -cp "$PROBE_CLASSES" InfraProbe mongo "$HOST" "$port" "$pid" "$MONGO_READY_TIMEOUT"
  fi
}

# The server's own log: start, stop, and warnings. mongo-java-server logs every
# connection and every created database at INFO, which a test run does thousands of times.
MONGO_LOG_OPTS=(
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn
  -Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.MongoServer=info
  -Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.backend.h2.H2Backend=info
  -Dorg.slf4j.simpleLogger.showDateTime=true
  "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS"
)

mongo_up() {
  local t0 pid dir=$RUN_DIR/mongo store=()
  t0=$(now)
  if pid=$(running_pid mongo); then
    local port backend
    port=$(<"$RUN_DIR/mongo.port")
    backend=$(cat "$RUN_DIR/mongo.backend" 2>/dev/null || true)
    [[ $port == "$MONGO_PORT" ]] ||
      die "mongo is already running from $RUN_DIR on $HOST:$port (pid $pid); run 'down' first to change MONGO_PORT"
    [[ $backend == "$MONGO_BACKEND" ]] ||
      die "mongo is already running from $RUN_DIR with MONGO_BACKEND=$backend (pid $pid); run 'down' first to change MONGO_BACKEND"
    mongo_probe "$pid" "$port" || die "mongo (pid $pid) is running but does not answer a MongoDB ping on $HOST:$port"
    log "mongo already running ($backend), ready on $HOST:$port (pid $pid, checked in $(elapsed "$t0") s)"
    return 0
  fi
  rm -f "$RUN_DIR/mongo.pid"

  port_in_use "$MONGO_PORT" && die "port $MONGO_PORT is taken by another process; set MONGO_PORT to a free port"

  mkdir -p "$dir"
  [[ $MONGO_BACKEND == h2 ]] && store=("$dir/data.mv.db")
  printf '%s\n' "$MONGO_PORT" >"$RUN_DIR/mongo.port"
  printf '%s\n' "$MONGO_BACKEND" >"$RUN_DIR/mongo.backend"
  printf '\n===== %s starting mongo (%s) =====\n' "$(date '+%F %T')" "$MONGO_BACKEND" >>"$dir/mongo.log"
  # The -D property carries no setting: it is the tag that tells this RUN_DIR's
  # server from others (pid_is_ours).
  # shellcheck disable=SC2086  # MONGO_HEAP_OPTS is a list of JVM flags
  spawn "$RUN_DIR/mongo.pid" "$dir/mongo.log" "$dir" \
    java $MONGO_HEAP_OPTS -Djava.awt.headless=true \
    "-Dcivic146.run-dir=$dir" "${MONGO_LOG_OPTS[@]}" \
    -cp "$MONGO_CLASSES:$MONGO_LIBS/*" DocumentServer "$MONGO_BACKEND" "$MONGO_PORT" "${store[@]}"
  pid=$(<"$RUN_DIR/mongo.pid")

  if ! mongo_probe "$pid" "$MONGO_PORT"; then
    tail_log "$dir/mongo.log"
    if pid_is_ours "$pid" "$(tag_of mongo)"; then
      die "mongo (pid $pid) did not answer a ping within ${MONGO_READY_TIMEOUT} s; it is left running for inspection ('down' stops it)"
    fi
    rm -f "$RUN_DIR/mongo.pid"
    die "mongo exited during start-up; log: $dir/mongo.log"
  fi
  log "mongo ready ($MONGO_BACKEND) on $HOST:$MONGO_PORT ($(elapsed "$t0") s, pid $pid)"
}

# ------------------------------------------------------------------ commands

# Connection settings for tests and services: `source "$RUN_DIR/infra.env"`.
write_env_file() {
  cat >"$RUN_DIR/infra.env.tmp" <<EOF
# Written by deploy/local/infra.sh up
KAFKA_BOOTSTRAP_SERVERS=$(if cluster_mode; then cluster_bootstrap; else printf '%s' "$HOST:$(<"$RUN_DIR/kafka.port")"; fi)
MONGO_URI=mongodb://$HOST:$(<"$RUN_DIR/mongo.port")/
EOF
  mv "$RUN_DIR/infra.env.tmp" "$RUN_DIR/infra.env"
}

use_recorded_ports() {
  local f=$RUN_DIR
  [[ -n $KAFKA_PORT_GIVEN || ! -s $f/kafka.port ]] || KAFKA_PORT=$(<"$f/kafka.port")
  [[ -n $KAFKA_CONTROLLER_PORT_GIVEN || ! -s $f/kafka.controller.port ]] ||
    KAFKA_CONTROLLER_PORT=$(<"$f/kafka.controller.port")
  [[ -n $MONGO_PORT_GIVEN || ! -s $f/mongo.port ]] || MONGO_PORT=$(<"$f/mongo.port")
  [[ -n $MONGO_BACKEND_GIVEN || ! -s $f/mongo.backend ]] || MONGO_BACKEND=$(<"$f/mongo.backend")
  [[ -n $KAFKA_BROKERS_GIVEN || ! -s $f/kafka.brokers ]] || KAFKA_BROKERS=$(<"$f/kafka.brokers")
}

# The controller port's default depends on the node count: 19093 beside a single node, else the
# port right after the last broker's.
resolve_kafka_ports() {
  [[ $KAFKA_BROKERS =~ ^[1-9][0-9]*$ && $KAFKA_BROKERS != 2 ]] ||
    die "KAFKA_BROKERS must be 1 or at least 3 (replication factor 3), got '$KAFKA_BROKERS'"
  check_port_number KAFKA_PORT "$KAFKA_PORT"
  if [[ -z $KAFKA_CONTROLLER_PORT ]]; then
    if cluster_mode; then KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + KAFKA_BROKERS)); else KAFKA_CONTROLLER_PORT=19093; fi
  fi
}

cmd_up() {
  local t0
  t0=$(now)
  ensure_run_dir
  RUN_DIR=$(cd "$RUN_DIR" && pwd -P) # absolute: it ends up in configs and pid tags
  use_recorded_ports
  resolve_kafka_ports
  check_port_number KAFKA_PORT "$KAFKA_PORT"
  check_port_number KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
  check_port_number MONGO_PORT "$MONGO_PORT"
  [[ $KAFKA_PORT != "$KAFKA_CONTROLLER_PORT" && $KAFKA_PORT != "$MONGO_PORT" && $KAFKA_CONTROLLER_PORT != "$MONGO_PORT" ]] ||
    die "KAFKA_PORT, KAFKA_CONTROLLER_PORT and MONGO_PORT must differ"
  if cluster_mode; then
    check_cluster_ports
    running_pid kafka >/dev/null &&
      die "a single Kafka node is running from $RUN_DIR; run 'down' first to start a cluster"
  else
    ! any_alive $(recorded_nodes) || die "a Kafka cluster is running from $RUN_DIR; run 'down' first to start a single node"
  fi
  [[ $KAFKA_PARTITIONS =~ ^[1-9][0-9]*$ ]] || die "KAFKA_PARTITIONS must be a positive integer, got '$KAFKA_PARTITIONS'"
  check_mongo_backend

  # Fail fast on every missing tool before starting anything.
  require_java
  libs_current "$KAFKA_POM" "$KAFKA_LIBS" && libs_current "$MONGO_POM" "$MONGO_LIBS" || require_maven

  fetch_libs kafka "Kafka $KAFKA_VERSION" "$KAFKA_POM" "$KAFKA_LIBS"
  fetch_libs mongo "mongo-java-server $MONGO_SERVER_VERSION" "$MONGO_POM" "$MONGO_LIBS"
  ensure_probe
  ensure_mongo_launcher

  if cluster_mode; then
    printf '%s\n' "$KAFKA_BROKERS" >"$RUN_DIR/kafka.brokers"
    kafka_cluster_up
  else
    rm -f "$RUN_DIR/kafka.brokers"
    kafka_up
  fi
  mongo_up
  write_env_file
  log "infra up in $(elapsed "$t0") s (run dir $RUN_DIR)"
}

stop_one() {
  local name=$1 pidfile="$RUN_DIR/$1.pid" pid i
  if [[ ! -f $pidfile ]]; then
    log "$name not running"
    return 0
  fi
  pid=$(<"$pidfile")
  if ! pid_is_ours "$pid" "$(tag_of "$name")"; then
    rm -f "$pidfile"
    log "$name not running (removed stale pid file)"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  # Kafka flushes logs and closes the metadata log on SIGTERM; give it time.
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    pid_is_ours "$pid" "$(tag_of "$name")" || break
    sleep 0.1
  done
  if pid_is_ours "$pid" "$(tag_of "$name")"; then
    log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT} s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      pid_is_ours "$pid" "$(tag_of "$name")" || break
      sleep 0.1
    done
  fi
  rm -f "$pidfile"
  log "$name stopped (pid $pid)"
}

cmd_down() {
  local wipe=0
  case ${1:-} in
    "") ;;
    --wipe) wipe=1 ;;
    *) die "unknown option for down: $1 (only --wipe)" ;;
  esac
  if [[ ! -d $RUN_DIR ]]; then
    log "nothing to stop: $RUN_DIR does not exist"
    return 0
  fi
  RUN_DIR=$(cd "$RUN_DIR" && pwd -P)
  stop_one mongo
  local nodes
  nodes=$(recorded_nodes)
  if [[ -n $nodes ]]; then
    # shellcheck disable=SC2086  # node names have no spaces
    stop_together $nodes
  fi
  if [[ -z $nodes || -f $RUN_DIR/kafka.pid ]]; then
    stop_one kafka
  fi
  if ((wipe)); then
    # Refuse to delete anything this script did not create (e.g. RUN_DIR=$HOME).
    [[ -f $RUN_DIR/$RUN_MARKER_NAME ]] || die "refusing to delete $RUN_DIR: it has no $RUN_MARKER_NAME marker"
    rm -rf "$RUN_DIR"
    log "wiped $RUN_DIR"
  fi
}

cmd_status() {
  local name pid port extra rc=0 i
  if [[ -d $RUN_DIR ]]; then RUN_DIR=$(cd "$RUN_DIR" && pwd -P); fi
  log "run dir: $RUN_DIR"
  use_recorded_ports
  resolve_kafka_ports
  if cluster_mode; then
    for ((i = 1; i <= KAFKA_BROKERS; i++)); do
      if pid=$(running_pid "kafka-$i"); then
        printf '%-9s running  pid %-8s %s:%s  controller %s:%s  log %s\n' "kafka-$i" "$pid" "$HOST" \
          "$(node_port "$i")" "$HOST" "$(node_controller_port "$i")" "$RUN_DIR/kafka-$i/server.log"
      else
        printf '%-9s stopped\n' "kafka-$i"
        rc=3
      fi
    done
  fi
  for name in kafka mongo; do
    [[ $name == kafka ]] && cluster_mode && continue
    extra=
    port=$(cat "$RUN_DIR/$name.port" 2>/dev/null || true)
    if pid=$(running_pid "$name"); then
      if [[ $name == kafka ]]; then
        extra="  controller $HOST:$(cat "$RUN_DIR/kafka.controller.port" 2>/dev/null || true)"
        extra="$extra  log $RUN_DIR/kafka/server.log"
      else
        extra="  $(cat "$RUN_DIR/mongo.backend" 2>/dev/null || true)  log $RUN_DIR/mongo/mongo.log"
      fi
      printf '%-9s running  pid %-8s %s:%s%s\n' "$name" "$pid" "$HOST" "$port" "$extra"
    else
      printf '%-9s stopped\n' "$name"
      rc=3
    fi
  done
  return "$rc"
}

usage() {
  resolve_kafka_ports
  cat <<EOF
usage: $(basename "$0") up | down [--wipe] | wipe | status
       $(basename "$0") node I kill|stop|start|status | leader TOPIC PARTITION | partitions TOPIC

Starts Kafka $KAFKA_VERSION (KRaft, single node, or KAFKA_BROKERS nodes) and mongo-java-server
$MONGO_SERVER_VERSION on $HOST.
Environment: RUN_DIR ($RUN_DIR), KAFKA_BROKERS ($KAFKA_BROKERS), KAFKA_PORT ($KAFKA_PORT),
KAFKA_CONTROLLER_PORT ($KAFKA_CONTROLLER_PORT), MONGO_PORT ($MONGO_PORT),
MONGO_BACKEND ($MONGO_BACKEND; h2 keeps data in RUN_DIR, memory forgets it on down),
KAFKA_PARTITIONS ($KAFKA_PARTITIONS), KAFKA_TOPICS, PYTHON ($PYTHON),
CIVIC146_CACHE ($CIVIC146_CACHE). See deploy/local/README.md.
EOF
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    wipe) cmd_down --wipe ;;
    status) cmd_status ;;
    node) cmd_node "$@" ;;
    leader) cmd_leader "$@" ;;
    partitions) cmd_partitions "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
