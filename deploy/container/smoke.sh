#!/usr/bin/env bash
# make container-smoke: the operators' path (docker-compose.yml and the image) run for real.
#
#  1. a docker daemon (engine.sh: Debian's docker.io, started without a bridge, when none runs)
#  2. the base images (base-image.sh: Debian 12 from debootstrap when no registry is reachable)
#  3. stand-ins for apache/kafka and mongo:7 from the jars the project already fetches
#  4. the project image, built by docker-compose from the compose file's own `build:`
#  5. kafka, mongo, kafka-init and every <service>-api and <service>-worker, from the compose file's
#     definitions merged with compose.smoke.yml (host networking, loopback ports 41000-41999, the
#     stand-in images); waits until every healthcheck passes inside its container
#  6. one request from intake to deliberation and back (roundtrip.py, inside the intake-api
#     container, with a token minted by the command deploy/README.md gives operators)
#  7. the guide's dead-letter replay (dry run) through `docker-compose run` of a worker
#  8. every /metrics scraped; restarts counted; every container socket checked for loopback
#     (netwatch.py), the interfaces and networks compared with those before the run
#  9. everything it started is stopped (each within its stop_grace_period, no SIGKILL) and
#     removed: containers, volumes, the daemon if it started it. The images stay (docker image ls)
#     so that the next run starts in seconds.
# Prints each step with its duration; exits 1 on the first failure (after cleaning up).
#
# Needs root (apt, dockerd, debootstrap), a JDK 17+ and Maven (as `make dev` does).
# Files: .run/container-smoke/ (logs of every container, the merged compose file, build logs).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
export RUN_DIR=${RUN_DIR:-$REPO_ROOT/.run/container-smoke}
PROJECT=${SMOKE_PROJECT:-civic146smoke}
HEALTH_TIMEOUT=${SMOKE_HEALTH_TIMEOUT:-300}
KAFKA_IMAGE=civic146-smoke/kafka:4.1.1
MONGO_IMAGE=civic146-smoke/mongo:1.47.0
APPS=(intake deliberation employment mediation)
SERVICES=(kafka mongo kafka-init)
for s in "${APPS[@]}"; do SERVICES+=("$s-api" "$s-worker"); done

# Debian's python3: it has PyYAML (a dependency of Debian's docker-compose) and is where engine.sh
# installs docker-compose; only the standard library and yaml are used.
PY3=${SMOKE_PYTHON:-/usr/bin/python3}

cd "$REPO_ROOT"
mkdir -p "$RUN_DIR/logs"
rm -f "$RUN_DIR"/logs/*.log

# ------------------------------------------------------------------ reporting

now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T_ALL=$(now)
SUMMARY=()
T_STEP=$T_ALL
begin() { T_STEP=$(now); printf '\n== %s\n' "$1"; }
done_step() { # NAME DETAIL
  local line
  line=$(printf '  %-38s %6s s  %s' "$1" "$(since "$T_STEP")" "$2")
  SUMMARY+=("$line")
  printf '%s\n' "$line"
}
say() { printf '   %s\n' "$*"; }
fail() { printf '\ncontainer-smoke: FAILED: %s\n' "$*" >&2; exit 1; }

DC=(docker-compose -p "$PROJECT" -f "$RUN_DIR/compose.yml")
STARTED=0
NETWATCH_PID=
# The smoke's listeners (compose.smoke.yml) use fixed ports in SMOKE_PORT_RANGE, which lies inside
# the kernel's ephemeral range (32768-60999): any client connection on the machine may be given
# one of them as its local port, and a listener then fails to bind ("Address already in use"),
# for as long as that connection lasts and, on some network stacks, its TIME-WAIT too. So the
# range is reserved (net.ipv4.ip_local_reserved_ports) while the smoke runs, and restored after.
SMOKE_PORT_RANGE=${SMOKE_PORT_RANGE:-41000-41999}
RESERVED_PORTS_FILE=/proc/sys/net/ipv4/ip_local_reserved_ports
RESERVED_BEFORE=
RESERVED=0

cleanup() {
  local rc=$?
  set +e
  if [[ -n $NETWATCH_PID ]] && kill -0 "$NETWATCH_PID" 2>/dev/null; then
    kill -TERM "$NETWATCH_PID"; wait "$NETWATCH_PID" 2>/dev/null
  fi
  if ((STARTED)); then
    T_STEP=$(now)
    printf '\n== stop and remove what the smoke started\n'
    for s in "${SERVICES[@]}"; do "${DC[@]}" logs --no-color "$s" >"$RUN_DIR/logs/$s.log" 2>&1; done
    # A stop within each stop_grace_period: exit 0, or 143 for a JVM that ran its shutdown hooks
    # on SIGTERM; 137 means docker had to SIGKILL it.
    local killed stop_at slowest
    stop_at=$(date -u +%s.%N)
    "${DC[@]}" stop >"$RUN_DIR/stop.log" 2>&1
    killed=$(inspect_all | awk '$1 != "kafka-init" && $9 != 0 && $9 != 143 { printf "%s (exit %s) ", $1, $9 }')
    # How long each container took to exit after the stop began (State.FinishedAt).
    slowest=$(docker inspect $(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT") | "$PY3" -c '
import json, sys
from datetime import datetime
start = float(sys.argv[1])
took = []
for c in json.load(sys.stdin):
    name = c["Config"]["Labels"]["com.docker.compose.service"]
    if name == "kafka-init":
        continue
    end = datetime.fromisoformat(c["State"]["FinishedAt"][:26].rstrip("Z") + "+00:00").timestamp()
    took.append((end - start, name))
took.sort(reverse=True)
print(", ".join(f"{n} {t:.1f} s" for t, n in took[:3]))' "$stop_at")
    done_step "compose stop" "${killed:-every container exited on SIGTERM (0 or 143)}; slowest: $slowest"
    [[ -z $killed ]] || rc=1
    T_STEP=$(now)
    "${DC[@]}" down -v --remove-orphans >"$RUN_DIR/down.log" 2>&1
    local left left_volumes
    left=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
    left_volumes=$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
    done_step "compose down -v" "containers left: $left, volumes left: $left_volumes (logs kept in $RUN_DIR/logs)"
    ((left == 0 && left_volumes == 0)) || rc=1
  fi
  if ((RESERVED)); then
    printf '%s\n' "$RESERVED_BEFORE" >"$RESERVED_PORTS_FILE" &&
      printf '   reserved ports restored to "%s"\n' "$RESERVED_BEFORE"
  fi
  T_STEP=$(now)
  if [[ -f $RUN_DIR/dockerd.pid ]]; then
    "$SCRIPT_DIR/engine.sh" down >/dev/null && done_step "docker daemon stopped" "the one this run started"
  fi
  printf '\n== container smoke: %s in %s s\n' "$( ((rc == 0)) && echo PASSED || echo FAILED)" "$(since "$T_ALL")"
  printf '%s\n' "${SUMMARY[@]}"
  exit "$rc"
}
trap cleanup EXIT

# Prints one line per container of the project: service state health restarts network user
# passed-healthchecks last-health-exit-code.
inspect_all() {
  local ids
  ids=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
  [[ -n $ids ]] || return 0
  # shellcheck disable=SC2086
  docker inspect $ids | "$PY3" -c '
import json, sys
for c in json.load(sys.stdin):
    st, h = c["State"], c["State"].get("Health") or {}
    log = h.get("Log") or []
    print(c["Config"]["Labels"].get("com.docker.compose.service"), st["Status"], h.get("Status", "-"),
          c["RestartCount"], c["HostConfig"]["NetworkMode"], c["Config"].get("User") or "root",
          sum(1 for e in log if e["ExitCode"] == 0), log[-1]["ExitCode"] if log else "-", st["ExitCode"])'
}

# ------------------------------------------------------------------ 1. engine

begin "docker daemon"
[[ $(id -u) == 0 ]] || fail "run as root: the smoke installs packages and starts dockerd"
command -v java >/dev/null && command -v javac >/dev/null && command -v mvn >/dev/null ||
  fail "a JDK 17+ (java, javac) and Maven are needed for the Kafka and document-server images (apt-get install openjdk-17-jdk-headless maven)"
ip -o addr show | awk '{print $2, $4}' | sort >"$RUN_DIR/addresses.before"
if [[ -w $RESERVED_PORTS_FILE ]]; then
  RESERVED_BEFORE=$(<"$RESERVED_PORTS_FILE")
  printf '%s\n' "${RESERVED_BEFORE:+$RESERVED_BEFORE,}$SMOKE_PORT_RANGE" >"$RESERVED_PORTS_FILE"
  RESERVED=1
  say "ports $SMOKE_PORT_RANGE reserved (not handed out as ephemeral ports) until the smoke ends"
else
  say "cannot reserve $SMOKE_PORT_RANGE ($RESERVED_PORTS_FILE not writable): a listener may find its port taken"
fi
"$SCRIPT_DIR/engine.sh" up | sed 's/^/   /'
docker_version=$(docker version -f '{{.Server.Version}}')
bridges=$(docker network ls -q --filter driver=bridge | wc -l)
done_step "docker daemon" "dockerd $docker_version, $(docker info -f '{{.Driver}}') storage, bridge networks: $bridges"

# ------------------------------------------------------------------ 2. base images

begin "base images"
"$SCRIPT_DIR/base-image.sh" | sed 's/^/   /'
if [[ -n ${CIVIC146_BASE_IMAGE:-} ]]; then
  base=$CIVIC146_BASE_IMAGE
elif docker image inspect python:3.11-slim >/dev/null 2>&1 || timeout 60 docker pull -q python:3.11-slim >/dev/null 2>&1; then
  base=python:3.11-slim
else
  base=civic146-base/python:3.11
  say "python:3.11-slim cannot be pulled here: the project image builds on $base"
fi
export CIVIC146_BASE_IMAGE=$base
done_step "base images" "project base: $base"

# ------------------------------------------------------------------ 3. stand-in images

begin "Kafka and document-server images"
ctx=$RUN_DIR/images
rm -rf "$ctx" && mkdir -p "$ctx"
cp -r "$SCRIPT_DIR/kafka" "$ctx/kafka"
cp -r "$SCRIPT_DIR/mongo" "$ctx/mongo"
for what in kafka mongo; do
  mvn -q -B -Dstyle.color=never -f "deploy/local/$what/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$ctx/$what/libs" >"$RUN_DIR/mvn-$what.log" 2>&1 ||
    { cat "$RUN_DIR/mvn-$what.log" >&2; fail "Maven could not fetch the $what jars"; }
done
mkdir -p "$ctx/mongo/classes"
javac -nowarn -cp "$ctx/mongo/libs/*" -d "$ctx/mongo/classes" deploy/local/mongo/DocumentServer.java
# InfraProbe's mongo mode needs only the JDK at run time (the Kafka jars only to compile it).
javac -nowarn -cp "$ctx/kafka/libs/*" -d "$ctx/mongo/classes" deploy/local/probe/InfraProbe.java
docker build -q --force-rm --network host -t "$KAFKA_IMAGE" "$ctx/kafka" >"$RUN_DIR/build-kafka.log" 2>&1 ||
  { cat "$RUN_DIR/build-kafka.log" >&2; fail "building $KAFKA_IMAGE"; }
docker build -q --force-rm --network host -t "$MONGO_IMAGE" "$ctx/mongo" >"$RUN_DIR/build-mongo.log" 2>&1 ||
  { cat "$RUN_DIR/build-mongo.log" >&2; fail "building $MONGO_IMAGE"; }
done_step "Kafka and document-server images" "$KAFKA_IMAGE, $MONGO_IMAGE"

# ------------------------------------------------------------------ 4. compose file and image

begin "compose file and project image"
# Secrets as `make up` makes them: .env.example with every change-me replaced by a random value.
while IFS= read -r line; do
  case $line in
    *=change-me*) echo "${line%%=*}=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" ;;
    *) echo "$line" ;;
  esac
done <.env.example >"$RUN_DIR/env"
CIVIC146_VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -n1)
CIVIC146_REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
CIVIC146_SOURCE=$(git remote get-url origin 2>/dev/null || true)
SMOKE_HOSTNAME=$(hostname)
export CIVIC146_VERSION CIVIC146_REVISION CIVIC146_SOURCE SMOKE_HOSTNAME
# The compose file's services merged with the override, by docker-compose itself. Then the one
# thing an override cannot do in docker-compose 1.x: drop the published ports (host networking
# refuses port bindings; every listener is already on the host's loopback).
docker-compose -p "$PROJECT" --env-file "$RUN_DIR/env" -f docker-compose.yml -f "$SCRIPT_DIR/compose.smoke.yml" config |
  "$PY3" -c '
import sys, yaml
c = yaml.safe_load(sys.stdin)
for s in c["services"].values():
    if s.get("network_mode") == "host":
        s.pop("ports", None)
yaml.safe_dump(c, sys.stdout, sort_keys=False)' >"$RUN_DIR/compose.yml"
"${DC[@]}" build --force-rm intake-api >"$RUN_DIR/build-image.log" 2>&1 ||
  { tail -40 "$RUN_DIR/build-image.log" >&2; fail "docker-compose build"; }
image=$("$PY3" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["services"]["intake-api"]["image"])' "$RUN_DIR/compose.yml")
size=$(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }')
base_size=$(docker image inspect -f '{{.Size}}' "$base" | awk '{ printf "%.0f MB", $1 / 1e6 }')
user=$(docker image inspect -f '{{.Config.User}}' "$image")
revision=$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.revision"}}' "$image")
[[ $user != "" && $user != 0 && $user != root ]] || fail "$image runs as root"
done_step "project image" "$image: $size (base $base: $base_size), user $user, revision label ${revision:0:12}"

# Service -> port, from the merged configuration (what the containers are given).
declare -A API_PORT API_METRICS WORKER_METRICS
while read -r name api metrics worker; do
  API_PORT[$name]=$api API_METRICS[$name]=$metrics WORKER_METRICS[$name]=$worker
done < <("$PY3" -c '
import sys, yaml
s = yaml.safe_load(open(sys.argv[1]))["services"]
for name in sys.argv[2:]:
    api, worker = s[name + "-api"]["environment"], s[name + "-worker"]["environment"]
    print(name, api["GUNICORN_BIND"].rsplit(":", 1)[1], api["API_METRICS_PORT"], worker["WORKER_METRICS_PORT"])' \
  "$RUN_DIR/compose.yml" "${APPS[@]}")

# ------------------------------------------------------------------ 5. start and wait for health

begin "start the platform"
# Wait until no socket on the machine holds one of the smoke's ports (a connection made before
# the reservation, or its TIME-WAIT, which lasts a minute).
ports=(41017 41092 41093 41094)
for svc in "${APPS[@]}"; do ports+=("${API_PORT[$svc]}" "${API_METRICS[$svc]}" "${WORKER_METRICS[$svc]}"); done
waited=$SECONDS
while :; do
  busy=$(ss -tuanH | awk '{print $5}' | sed 's/.*://' | sort -u | grep -xF -f <(printf '%s\n' "${ports[@]}") | tr '\n' ' ' || true)
  busy=${busy% }
  [[ -n $busy ]] || break
  ((SECONDS - waited < 150)) || { ss -tuanp | grep -E ":(${busy// /|})\b" >&2; fail "ports still in use after 150 s: $busy"; }
  sleep 2
done
((SECONDS - waited == 0)) || say "waited $((SECONDS - waited)) s for ports to be free"
"$PY3" "$SCRIPT_DIR/netwatch.py" "$RUN_DIR/netwatch.json" 0.2 &
NETWATCH_PID=$!
STARTED=1
# `up` itself waits for each depends_on condition: kafka healthy -> kafka-init done -> the services.
"${DC[@]}" up -d --no-build "${SERVICES[@]}" >"$RUN_DIR/up.log" 2>&1 ||
  { cat "$RUN_DIR/up.log" >&2; inspect_all >&2; fail "docker-compose up"; }
done_step "compose up -d (dependencies healthy)" "${#SERVICES[@]} services"

begin "every healthcheck passing"
declare -A HEALTHY_AT
deadline=$((SECONDS + HEALTH_TIMEOUT))
while :; do
  pending=0
  while read -r svc status health restarts _mode _user _passes _last exit_code; do
    if [[ $svc == kafka-init ]]; then
      if [[ $status == exited ]]; then
        ((exit_code == 0)) || { "${DC[@]}" logs --no-color kafka-init | tail -20 >&2; fail "kafka-init exited $exit_code"; }
      else pending=1; fi
      continue
    fi
    ((restarts == 0)) || { "${DC[@]}" logs --no-color "$svc" | tail -30 >&2; fail "$svc restarted ($restarts)"; }
    [[ $status == running ]] || { "${DC[@]}" logs --no-color "$svc" | tail -30 >&2; fail "$svc is $status"; }
    if [[ $health == healthy ]]; then
      [[ -n ${HEALTHY_AT[$svc]:-} ]] || HEALTHY_AT[$svc]=$(since "$T_ALL")
    else
      pending=1
      [[ $health != unhealthy ]] || { "${DC[@]}" logs --no-color "$svc" | tail -30 >&2; fail "$svc is unhealthy"; }
    fi
  done < <(inspect_all)
  ((pending)) || break
  ((SECONDS < deadline)) || { inspect_all >&2; fail "not every container healthy within ${HEALTH_TIMEOUT} s"; }
  sleep 1
done
topics=$("${DC[@]}" logs --no-color kafka-init | grep -c 'topic .*: partitions' || true)
say "$(printf '%-20s %-8s %-9s %-8s %-5s %s' service state health restarts user 'healthchecks passed (s since start)')"
while read -r svc status health restarts mode user passes _last _exit; do
  say "$(printf '%-20s %-8s %-9s %-8s %-5s %s' "$svc" "$status" "$health" "$restarts" "$user" "$passes ${HEALTHY_AT[$svc]:+(healthy at ${HEALTHY_AT[$svc]} s)}")"
  [[ $mode == host ]] || fail "$svc runs with network mode $mode, not host"
done < <(inspect_all | sort)
done_step "every healthcheck passing" "$((${#SERVICES[@]} - 1)) containers healthy, kafka-init exit 0 ($topics topics)"

# ------------------------------------------------------------------ 6. image hygiene in a running container

begin "inside the image"
inside=$("${DC[@]}" exec -T intake-api sh -c 'echo "uid=$(id -u)"; echo "venv=$(du -sm /opt/venv | cut -f1)"; for t in pip pip3 gcc cc make; do command -v $t; done; true' 2>&1)
uid=$(sed -n 's/^uid=//p' <<<"$inside")
venv=$(sed -n 's/^venv=//p' <<<"$inside")
tools=$(grep -E '/(pip|pip3|gcc|cc|make)$' <<<"$inside" | tr '\n' ' ' || true)
[[ $uid == 10001 ]] || fail "intake-api runs as uid $uid, not 10001"
[[ -z $tools ]] || fail "build tools in the final image: $tools"
done_step "inside the image" "uid $uid; /opt/venv $venv MB; no pip, gcc, cc or make on PATH"

# ------------------------------------------------------------------ 7. a request's round trip

begin "round trip: intake -> deliberation -> intake"
staff=$("${DC[@]}" exec -T intake-api python -m civic146.auth --role community_staff --community huifeng --sub ops-1)
"${DC[@]}" exec -T -e STAFF_TOKEN="$staff" intake-api python - \
  "http://127.0.0.1:${API_PORT[intake]}" "http://127.0.0.1:${API_PORT[deliberation]}" \
  <"$SCRIPT_DIR/roundtrip.py" | tee "$RUN_DIR/roundtrip.jsonl" | sed 's/^/   /' ||
  fail "the round trip did not complete (logs: $RUN_DIR/logs after cleanup)"
trip=$("$PY3" -c 'import json, sys; r = [json.loads(l) for l in open(sys.argv[1])][-1]; print(r["step"], r["ms"], "ms", r["request_id"][:12], "->", r["topic_id"][:12])' "$RUN_DIR/roundtrip.jsonl")
done_step "round trip" "$trip"

# ------------------------------------------------------------------ 8. the guide's dead-letter replay

begin "dead-letter replay (dry run), as deploy/README.md gives it"
# The guide's `docker-compose run --rm --no-deps -T intake-worker ...` cannot run here: with host
# networking docker-compose 1.29 links a one-off container to its service's running containers,
# which docker refuses ("host type networking can't be used with links"). `exec` in the running
# worker runs the same script with the same image, environment and user.
replay=$("${DC[@]}" exec -T intake-worker python - intake.deadletter --dry-run \
  <deploy/kafka/replay_dead_letters.py 2>"$RUN_DIR/replay.log") ||
  { cat "$RUN_DIR/replay.log" >&2; fail "the dead-letter replay did not run"; }
done_step "dead-letter replay (dry run)" "$replay"

# ------------------------------------------------------------------ 9. metrics

begin "scrape every /metrics"
scraped=0
check_metric() { # URL FILE PATTERN WHAT
  grep -Eq "$3" "$2" || fail "$1 has no $4"
}
for s in "${APPS[@]}"; do
  for kind in api worker; do
    if [[ $kind == api ]]; then port=${API_METRICS[$s]}; else port=${WORKER_METRICS[$s]}; fi
    url=http://127.0.0.1:$port/metrics
    f=$RUN_DIR/logs/metrics-$s-$kind.txt
    curl -fsS --max-time 5 "$url" >"$f" || fail "$s-$kind: $url does not answer"
    n=$(grep -c '^civic146_' "$f" || true)
    ((n > 0)) || fail "$s-$kind: $url has no civic146_ samples"
    say "$(printf '%-20s %-32s %5d civic146_ samples' "$s-$kind" "$url" "$n")"
    scraped=$((scraped + 1))
  done
done
check_metric intake-api "$RUN_DIR/logs/metrics-intake-api.txt" \
  '^civic146_http_requests_total\{[^}]*route="/v1/requests"[^}]*status="201"[^}]*\} [1-9]' "count of the submitted request"
check_metric intake-worker "$RUN_DIR/logs/metrics-intake-worker.txt" \
  '^civic146_events_published_total\{[^}]*topic="intake.requests"[^}]*\} [1-9]' "published intake.requests events"
check_metric deliberation-worker "$RUN_DIR/logs/metrics-deliberation-worker.txt" \
  '^civic146_events_consumed_total\{[^}]*outcome="applied"[^}]*topic="intake.requests"[^}]*\} [1-9]|^civic146_events_consumed_total\{[^}]*topic="intake.requests"[^}]*outcome="applied"[^}]*\} [1-9]' \
  "applied intake.requests events"
check_metric deliberation-worker "$RUN_DIR/logs/metrics-deliberation-worker.txt" \
  '^civic146_events_published_total\{[^}]*topic="deliberation.topics"[^}]*\} [1-9]' "published deliberation.topics events"
done_step "scrape every /metrics" "$scraped endpoints; the round trip is counted on intake's API and both workers"

# ------------------------------------------------------------------ 10. loopback only

begin "loopback only"
restarted=$(inspect_all | awk '$1 != "kafka-init" && $4 != 0' | wc -l)
((restarted == 0)) || fail "$restarted containers restarted during the run"
kill -TERM "$NETWATCH_PID"; wait "$NETWATCH_PID" || true
NETWATCH_PID=
read -r samples sockets bad containers < <("$PY3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["samples"], len(r["sockets"]), len(r["not_loopback"]), len({s["container"] for s in r["sockets"]}))
for s in r["not_loopback"]:
    print("NOT LOOPBACK", s, file=sys.stderr)' "$RUN_DIR/netwatch.json")
((bad == 0)) || fail "$bad container sockets on a non-loopback address ($RUN_DIR/netwatch.json)"
((containers >= ${#SERVICES[@]} - 1)) || fail "netwatch saw sockets of $containers containers only"
ip -o addr show | awk '{print $2, $4}' | sort >"$RUN_DIR/addresses.during"
new_addresses=$(comm -13 "$RUN_DIR/addresses.before" "$RUN_DIR/addresses.during" | tr '\n' ' ')
[[ -z $new_addresses ]] || fail "interfaces or addresses appeared during the run: $new_addresses"
bridges=$(docker network ls -q --filter driver=bridge | wc -l)
((bridges == 0)) || fail "the daemon has $bridges bridge networks"
# Every name a container looks up is in its /etc/hosts, on 127.0.0.1, so none needs a DNS query
# (a lookup that goes to the DNS server is a packet off the host: netwatch caught the JVMs' lookup
# of the host name before the override added it).
unresolved=
for id in $(docker ps -q --filter "label=com.docker.compose.project=$PROJECT"); do
  svc=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$id")
  hosts=$(docker exec "$id" cat /etc/hosts)
  for name in localhost kafka mongo "$SMOKE_HOSTNAME"; do
    awk -v n="$name" '$1 == "127.0.0.1" { for (i = 2; i <= NF; i++) if ($i == n) found = 1 } END { exit !found }' \
      <<<"$hosts" || unresolved+="$svc:$name "
  done
done
[[ -z $unresolved ]] || fail "names not in /etc/hosts on 127.0.0.1 (they would go to the DNS server): $unresolved"
listeners=$("$PY3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(" ".join(sorted({s["local"].rsplit(":", 1)[1] for s in r["sockets"] if s["state"] == "LISTEN"}, key=int)))' "$RUN_DIR/netwatch.json")
say "listening ports of the containers, all on 127.0.0.1: $listeners"
done_step "loopback only" "$sockets distinct sockets of $containers containers in $samples samples: all loopback; localhost, kafka, mongo, $SMOKE_HOSTNAME in every /etc/hosts; no new interface, no bridge network"
