#!/usr/bin/env bash
# Local infrastructure for Civic146: a single-node Apache Kafka (KRaft) broker and
# mongo-java-server (MongoDB wire protocol; in memory, or kept in an H2 file), run as
# plain processes on 127.0.0.1 -- no Docker, no internet beyond Maven Central.
#
#   deploy/local/infra.sh up       start both (idempotent), wait until they answer
#   deploy/local/infra.sh down     stop both, keep data     (down --wipe: delete RUN_DIR too)
#   deploy/local/infra.sh wipe     stop both and delete RUN_DIR
#   deploy/local/infra.sh status   show pid and address of each server
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
KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
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
    args=$(ps -p "$pid" -o args= 2>/dev/null) || return 1
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
    kafka) printf '%s' "kafka.Kafka $RUN_DIR/kafka/server.properties" ;;
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
kafka_probe() {
  local pid=$1 topics
  if [[ -n $KAFKA_TOPICS_GIVEN ]]; then
    topics=$KAFKA_TOPICS
  else
    topics=$(PYTHONPATH="$REPO_ROOT/services${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m civic146.contracts topics) ||
      die "could not read the platform's topics with $PYTHON (set PYTHON to the project's virtualenv)"
  fi
  topics=${topics// /}
  [[ -n $topics ]] || topics=-
  java "${TOOL_JVM_OPTS[@]}" -Dlog4j2.level=OFF \
    -cp "$PROBE_CLASSES:$KAFKA_LIBS/*" InfraProbe \
    kafka "$HOST:$(<"$RUN_DIR/kafka.port")" "$pid" "$KAFKA_READY_TIMEOUT" "$KAFKA_PARTITIONS" "$topics"
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
KAFKA_BOOTSTRAP_SERVERS=$HOST:$(<"$RUN_DIR/kafka.port")
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
}

cmd_up() {
  local t0
  t0=$(now)
  ensure_run_dir
  RUN_DIR=$(cd "$RUN_DIR" && pwd -P) # absolute: it ends up in configs and pid tags
  use_recorded_ports
  check_port_number KAFKA_PORT "$KAFKA_PORT"
  check_port_number KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
  check_port_number MONGO_PORT "$MONGO_PORT"
  [[ $KAFKA_PORT != "$KAFKA_CONTROLLER_PORT" && $KAFKA_PORT != "$MONGO_PORT" && $KAFKA_CONTROLLER_PORT != "$MONGO_PORT" ]] ||
    die "KAFKA_PORT, KAFKA_CONTROLLER_PORT and MONGO_PORT must differ"
  [[ $KAFKA_PARTITIONS =~ ^[1-9][0-9]*$ ]] || die "KAFKA_PARTITIONS must be a positive integer, got '$KAFKA_PARTITIONS'"
  check_mongo_backend

  # Fail fast on every missing tool before starting anything.
  require_java
  libs_current "$KAFKA_POM" "$KAFKA_LIBS" && libs_current "$MONGO_POM" "$MONGO_LIBS" || require_maven

  fetch_libs kafka "Kafka $KAFKA_VERSION" "$KAFKA_POM" "$KAFKA_LIBS"
  fetch_libs mongo "mongo-java-server $MONGO_SERVER_VERSION" "$MONGO_POM" "$MONGO_LIBS"
  ensure_probe
  ensure_mongo_launcher

  kafka_up
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
  stop_one kafka
  if ((wipe)); then
    # Refuse to delete anything this script did not create (e.g. RUN_DIR=$HOME).
    [[ -f $RUN_DIR/$RUN_MARKER_NAME ]] || die "refusing to delete $RUN_DIR: it has no $RUN_MARKER_NAME marker"
    rm -rf "$RUN_DIR"
    log "wiped $RUN_DIR"
  fi
}

cmd_status() {
  local name pid port extra rc=0
  if [[ -d $RUN_DIR ]]; then RUN_DIR=$(cd "$RUN_DIR" && pwd -P); fi
  log "run dir: $RUN_DIR"
  for name in kafka mongo; do
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
  cat <<EOF
usage: $(basename "$0") up | down [--wipe] | wipe | status

Starts Kafka $KAFKA_VERSION (KRaft, single node) and mongo-java-server $MONGO_SERVER_VERSION on $HOST.
Environment: RUN_DIR ($RUN_DIR), KAFKA_PORT ($KAFKA_PORT),
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
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
