#!/usr/bin/env bash
# Runs the platform's services locally, as operators run them in containers: each service's
# API under gunicorn and its worker process, against the infrastructure of infra.sh.
#
#   deploy/local/services.sh up      start every service (API + worker), wait until ready
#   deploy/local/services.sh down    stop them (SIGTERM, by pid)
#   deploy/local/services.sh status
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
RUN_DIR=${RUN_DIR:-$REPO_ROOT/.run/dev}
VENV=${VENV:-$REPO_ROOT/.venv}

# name  api-port  worker-metrics-port  api-metrics-port; SERVICE_PORT_OFFSET (default 0) is added
# to every port, so that a second copy of the platform on the same machine keeps out of the way.
OFFSET=${SERVICE_PORT_OFFSET:-0}
SERVICES=()
for s in "intake 8001 9101 9201" "deliberation 8002 9102 9202" "employment 8003 9103 9203" "mediation 8004 9104 9204"; do
  read -r name api metrics api_metrics <<<"$s"
  SERVICES+=("$name $((api + OFFSET)) $((metrics + OFFSET)) $((api_metrics + OFFSET))")
done

# infra.sh writes the addresses of the servers it started.
[[ -f $RUN_DIR/infra.env ]] || { echo "services.sh: no $RUN_DIR/infra.env: run 'make infra-up' first" >&2; exit 1; }
# shellcheck disable=SC1091
source "$RUN_DIR/infra.env"
export KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP_SERVERS MONGODB_URI=$MONGO_URI
export JWT_SECRET=${JWT_SECRET:-dev-secret-change-me} LOG_LEVEL=${LOG_LEVEL:-INFO}

alive() { [[ -f $1 ]] && kill -0 "$(<"$1")" 2>/dev/null; }

up_one() {
  local name=$1 api_port=$2 metrics_port=$3 api_metrics_port=$4 dir=$RUN_DIR/services/$1
  mkdir -p "$dir"
  if ! alive "$dir/api.pid"; then
    (GUNICORN_BIND=127.0.0.1:$api_port API_METRICS_PORT=$api_metrics_port PROMETHEUS_MULTIPROC_DIR=$dir/prometheus \
      nohup "$VENV/bin/gunicorn" -c python:civic146.gunicorn_conf "$name.api:create_app()" \
      >>"$dir/api.log" 2>&1 </dev/null & echo $! >"$dir/api.pid")
  fi
  if ! alive "$dir/worker.pid"; then
    (WORKER_METRICS_PORT=$metrics_port nohup "$VENV/bin/python" -m "$name.worker" \
      >>"$dir/worker.log" 2>&1 </dev/null & echo $! >"$dir/worker.pid")
  fi
  # Ready means the API answers /readyz (MongoDB and Kafka reachable) and the worker serves metrics.
  for _ in $(seq 1 150); do
    alive "$dir/api.pid" || { tail -20 "$dir/api.log" >&2; echo "services.sh: $name API exited" >&2; exit 1; }
    alive "$dir/worker.pid" || { tail -20 "$dir/worker.log" >&2; echo "services.sh: $name worker exited" >&2; exit 1; }
    if curl -fsS "http://127.0.0.1:$api_port/readyz" >/dev/null 2>&1 &&
       curl -fsS "http://127.0.0.1:$metrics_port/metrics" >/dev/null 2>&1; then
      printf '%-13s API http://127.0.0.1:%s  (openapi: /openapi.json)  metrics: API http://127.0.0.1:%s/metrics, worker http://127.0.0.1:%s/metrics\n' \
        "$name" "$api_port" "$api_metrics_port" "$metrics_port"
      return 0
    fi
    sleep 0.2
  done
  echo "services.sh: $name did not become ready; logs in $dir" >&2
  exit 1
}

down_one() {
  local dir=$RUN_DIR/services/$1 f pid
  for f in "$dir/api.pid" "$dir/worker.pid"; do
    if alive "$f"; then
      pid=$(<"$f")
      kill -TERM "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$f"
  done
  echo "$1 stopped"
}

case ${1:-} in
  up) for s in "${SERVICES[@]}"; do up_one $s; done ;;
  down) for s in "${SERVICES[@]}"; do down_one ${s%% *}; done ;;
  status)
    for s in "${SERVICES[@]}"; do
      name=${s%% *}
      for p in api worker; do
        f=$RUN_DIR/services/$name/$p.pid
        if alive "$f"; then echo "$name $p running (pid $(<"$f"))"; else echo "$name $p stopped"; fi
      done
    done ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
