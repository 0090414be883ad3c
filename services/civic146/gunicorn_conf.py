"""Gunicorn settings shared by every service's API: `gunicorn -c python:civic146.gunicorn_conf`.

Prometheus multiprocess mode: the metrics folder is wiped when the master starts (stale files of
a previous run would be summed in), and dead workers are marked so their live gauges vanish.
The master serves the summed metrics on API_METRICS_ADDR:API_METRICS_PORT (default
127.0.0.1:9101), apart from the public port, so that callers of the API never see them.
Apps are built in each worker (no preload), so Mongo and Kafka clients are made after the fork.
"""

import os
import shutil
import tempfile

# The API always runs in multiprocess mode; the folder defaults to one of its own. It is set
# here, in the master, so that every forked worker inherits it (and never in the image, where
# the worker process would inherit it too and fail on a folder nobody created).
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"civic146-metrics-{os.getpid()}")
)

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
metrics_addr = os.environ.get("API_METRICS_ADDR", "127.0.0.1")
try:
    metrics_port = int(os.environ.get("API_METRICS_PORT", "9101"))
except ValueError:
    raise SystemExit(  # noqa: B904 - the one-line message is the whole report, as load_settings gives
        f"configuration error:\n  API_METRICS_PORT: not a port number: {os.environ['API_METRICS_PORT']!r}"
    )
_metrics_server = None
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
accesslog = None  # the app logs one JSON line per request itself
preload_app = False


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)


def when_ready(server):
    # Only prometheus_client here: importing civic146.metrics would give the master metric files
    # of its own, summed into every scrape.
    global _metrics_server
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    _metrics_server, _thread = start_http_server(metrics_port, addr=metrics_addr, registry=registry)


def post_fork(server, worker):
    # The worker inherits the master's metrics socket; only the master answers on it.
    if _metrics_server is not None:
        _metrics_server.socket.close()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
