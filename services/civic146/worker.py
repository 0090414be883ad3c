"""The worker process of a service: outbox relay, Kafka consumer loop, scheduled jobs, and a
metrics port. Same code and image as the API, different entry point: `Service.serve`
(civic146.service) builds it from the service's declaration."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from . import metrics
from .clock import now
from .config import Settings
from .consumer import Consumer
from .errors import ConcurrencyConflict
from .kafka import ensure_topics
from .logs import configure_logging
from .outbox import Relay

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], int]  # given "now", returns how many items it acted on
    interval_seconds: float | None = None  # defaults to settings.scheduler_interval_seconds


def act_on_each(docs: Iterable[dict], act: Callable[[dict], bool], job: str) -> int:
    """A job's pass over the documents it found: `act` decides and commits for one (True when it
    changed it). The same conflict behaviour in every job: a document another writer changed
    meanwhile is left to the next run (it is still due, so the next run finds it again), and one
    that fails otherwise is logged and skipped, so one bad document never stops the others."""
    acted = 0
    for doc in docs:
        try:
            acted += bool(act(doc))
        except ConcurrencyConflict:
            continue
        except Exception:
            metrics.JOB_SKIPPED_DOCUMENTS.labels(job).inc()
            log.exception("job skipped a document", extra={"job": job, "doc": doc.get("_id")})
    return acted


def run_jobs(settings: Settings, jobs: list[Job], stop: threading.Event) -> None:
    next_run = {job.name: 0.0 for job in jobs}
    while not stop.is_set():
        for job in jobs:
            if time.monotonic() < next_run[job.name]:
                continue
            try:
                acted = job.run(now(settings.clock_offset_file))
                metrics.JOB_RUNS.labels(job.name, "ok").inc()
                if acted:
                    log.info("job ran", extra={"job": job.name, "acted_on": acted})
            except Exception:
                metrics.JOB_RUNS.labels(job.name, "error").inc()
                log.exception("job failed", extra={"job": job.name})
            next_run[job.name] = time.monotonic() + (
                job.interval_seconds or settings.scheduler_interval_seconds
            )
        stop.wait(0.5)


def run_worker(
    settings: Settings, *, relay: Relay, consumer: Consumer | None, jobs: list[Job], topics: list[str]
) -> None:
    """Run until SIGTERM/SIGINT. Each loop is a thread; a failure in one is logged, not fatal."""
    configure_logging(settings.service_name, settings.log_level)
    metrics.serve_worker_metrics(settings.worker_metrics_addr, settings.worker_metrics_port)
    ensure_topics(settings, [settings.topic(t) for t in topics])
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    loops = [("outbox-relay", lambda: relay.run(stop)), ("scheduler", lambda: run_jobs(settings, jobs, stop))]
    if consumer is not None:
        loops.append(("consumer", lambda: consumer.run(stop)))
    threads = [threading.Thread(target=fn, name=name, daemon=True) for name, fn in loops]
    for t in threads:
        t.start()
    log.info(
        "worker started", extra={"loops": [n for n, _ in loops], "metrics_port": settings.worker_metrics_port}
    )
    stop.wait()
    for t in threads:
        t.join(timeout=10)
    relay.close()
    log.info("worker stopped")
