"""The worker process of a service: outbox relay, Kafka consumer loop, scheduled jobs, and a
metrics port. Same code and image as the API, different entry point.

A service describes its worker once (`WorkerSpec`: its settings, collections, what it publishes
and consumes, its jobs) and its `python -m <service>.worker` runs `serve(spec)`: every worker
starts the same way."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.collection import Collection

from . import metrics, mongo
from .clock import now
from .config import Settings, load_settings
from .consumer import Consumer, Subscription, worker_topics
from .events import EventType
from .kafka import ensure_topics
from .logs import configure_logging
from .outbox import Outbox, Relay, outbox_and_relay

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], int]  # given "now", returns how many items it acted on
    interval_seconds: float | None = None  # defaults to settings.scheduler_interval_seconds


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


@dataclass(frozen=True)
class WorkerSpec:
    """What a service's worker is, declared once in its worker module."""

    settings_class: type[Settings]
    collections: Callable[[], list[Collection]]
    ensure_indexes: Callable[[], None]
    published: Sequence[EventType]
    subscriptions: Sequence[Subscription]
    context: Callable[[Settings, Outbox], Any]  # the service's context.build
    jobs: Callable[[Any], list[Job]]  # given the context, the scheduled jobs


def serve(spec: WorkerSpec) -> None:
    """A worker's `main`: settings, database and indexes, outbox and relay, consumer, jobs; then
    run until SIGTERM."""
    settings = load_settings(spec.settings_class)
    db = mongo.connect(settings)
    spec.ensure_indexes()
    outbox, relay = outbox_and_relay(settings, spec.collections(), "worker")
    context = spec.context(settings, outbox)
    consumer = Consumer(settings, db, spec.subscriptions, context)
    run_worker(
        settings,
        relay=relay,
        consumer=consumer,
        jobs=spec.jobs(context),
        topics=worker_topics(settings.service_name, spec.published, spec.subscriptions),
    )
