"""System tests run services the way operators do: the API under gunicorn with several workers,
and the worker process, against the real Kafka and mongo-java-server."""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.helpers import ROOT, free_port, spawn, wait_until

BIN = Path(sys.executable).parent


@dataclass
class Service:
    name: str
    env: dict[str, str]
    tmp: Path
    api_port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    api_metrics_port: int = field(default_factory=free_port)
    api: object = None
    worker: object = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def api_metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.api_metrics_port}/metrics"

    @property
    def worker_metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def start_api(self, workers: int = 2, **extra_env: str) -> None:
        env = {
            **self.env,
            "GUNICORN_BIND": f"127.0.0.1:{self.api_port}",
            "GUNICORN_WORKERS": str(workers),
            "API_METRICS_PORT": str(self.api_metrics_port),
            "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / f"{self.name}-prom"),
            **extra_env,
        }
        self.api = spawn(
            [str(BIN / "gunicorn"), "-c", "python:civic146.gunicorn_conf", f"{self.name}.api:create_app()"],
            env,
            self.tmp / f"{self.name}-api.log",
        )
        wait_until(lambda: self._ready(), timeout=60, message=f"{self.name} API ready (log: {self.tmp})")

    def _ready(self) -> bool:
        if self.api.poll() is not None:
            raise AssertionError(
                f"{self.name} API exited: {(self.tmp / f'{self.name}-api.log').read_text()[-3000:]}"
            )
        try:
            return requests.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except requests.RequestException:  # not listening yet, or slow to answer while starting
            return False

    def start_worker(self, **extra_env: str) -> None:
        env = {**self.env, "WORKER_METRICS_PORT": str(self.metrics_port), **extra_env}
        self.worker = spawn(
            [sys.executable, "-m", f"{self.name}.worker"], env, self.tmp / f"{self.name}-worker.log"
        )

        def up() -> bool:
            if self.worker.poll() is not None:
                raise AssertionError(
                    f"{self.name} worker exited: {(self.tmp / f'{self.name}-worker.log').read_text()[-3000:]}"
                )
            try:
                return requests.get(self.worker_metrics_url, timeout=2).status_code == 200
            except requests.RequestException:  # not listening yet, or slow to answer while starting
                return False

        wait_until(up, timeout=60, message=f"{self.name} worker metrics port")

    def kill_worker(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(10)

    def stop(self) -> None:
        for proc in (self.api, self.worker):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(20)
                except Exception:
                    os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def service_factory(base_env, tmp_path, mongo_db):
    """Start services by name; each gets its own database (as in production), shared topics."""
    started: list[Service] = []

    def make(name: str, **env: str) -> Service:
        db = f"{base_env['MONGODB_DB']}_{name}"
        svc = Service(
            name, {**base_env, "MONGODB_DB": db, "PYTHONPATH": str(ROOT / "services"), **env}, tmp_path
        )
        started.append(svc)
        return svc

    yield make
    for svc in started:
        svc.stop()
        mongo_db.client.drop_database(svc.env["MONGODB_DB"])


def scrape(url: str) -> dict[tuple, float]:
    """Parse a Prometheus text exposition into {(name, frozenset(labels)): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    out = {}
    for family in text_string_to_metric_families(requests.get(url, timeout=5).text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def metric(samples: dict, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)
