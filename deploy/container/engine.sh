#!/usr/bin/env bash
# The container engine for `make container-smoke`, on a Debian machine without one.
#
#   deploy/container/engine.sh up      a docker daemon answers (installs and starts one if needed)
#   deploy/container/engine.sh down    stops the daemon `up` started (by its pid); one that was
#                                      already running is left alone
#   deploy/container/engine.sh status
#
# `up` installs Debian's docker.io (Docker 20.10) and docker-compose (1.29) when they are missing,
# and starts dockerd with the settings of $RUN_DIR/daemon.json: no default bridge, no iptables
# rules, no IP forwarding. Containers then have the host's network only (the smoke runs them with
# host networking), so no container gets an address in a private range.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
RUN_DIR=${RUN_DIR:-$REPO_ROOT/.run/container-smoke}
PIDFILE=$RUN_DIR/dockerd.pid

log() { printf 'engine: %s\n' "$*"; }
die() { printf 'engine: error: %s\n' "$*" >&2; exit 1; }
answers() { docker info >/dev/null 2>&1; }

ours() { [[ -f $PIDFILE ]] && kill -0 "$(<"$PIDFILE")" 2>/dev/null; }

cmd_up() {
  mkdir -p "$RUN_DIR"
  if answers; then
    ours && log "dockerd running (pid $(<"$PIDFILE"), started by this script)" ||
      log "a docker daemon is already running; using it as it is (it is not stopped afterwards)"
    return 0
  fi
  [[ $(id -u) == 0 ]] || die "starting the docker daemon needs root"
  if ! command -v dockerd >/dev/null || ! command -v docker-compose >/dev/null || ! command -v docker >/dev/null; then
    log "installing Debian's docker.io and docker-compose ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io docker-compose >/dev/null
  fi
  cat >"$RUN_DIR/daemon.json" <<JSON
{
  "bridge": "none",
  "iptables": false,
  "ip-forward": false,
  "ip-masq": false
}
JSON
  (nohup dockerd --config-file "$RUN_DIR/daemon.json" >>"$RUN_DIR/dockerd.log" 2>&1 </dev/null &
    echo $! >"$PIDFILE")
  for _ in $(seq 1 150); do
    answers && break
    ours || { tail -20 "$RUN_DIR/dockerd.log" >&2; die "dockerd exited (log: $RUN_DIR/dockerd.log)"; }
    sleep 0.2
  done
  answers || die "dockerd (pid $(<"$PIDFILE")) does not answer after 30 s (log: $RUN_DIR/dockerd.log)"
  log "dockerd $(docker version -f '{{.Server.Version}}') started (pid $(<"$PIDFILE"), no bridge, no iptables; log $RUN_DIR/dockerd.log)"
}

cmd_down() {
  if ! ours; then
    rm -f "$PIDFILE"
    log "no dockerd started by this script is running"
    return 0
  fi
  local pid
  pid=$(<"$PIDFILE")
  kill -TERM "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "dockerd (pid $pid) still running after 30 s; sending SIGKILL"
    kill -KILL "$pid"
  fi
  rm -f "$PIDFILE"
  log "dockerd stopped (pid $pid)"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status)
    if ours; then log "dockerd running, pid $(<"$PIDFILE") (started by this script)"
    elif answers; then log "a docker daemon runs (not started by this script)"
    else log "no docker daemon answers"; exit 3; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
