"""System tests run services the way operators do: the API under gunicorn with several workers,
and the worker process, against the real Kafka and mongo-java-server."""

from __future__ import annotations

import pytest
import requests

from tests.processes import ServiceProcesses, stop_services


@pytest.fixture
def service_factory(base_env, tmp_path, mongo_db):
    """Start services by name (tests/processes.py: `svc.start_api(workers=2)`, `svc.start_worker()`,
    `svc.kill_worker()`, `svc.url`, `svc.api_metrics_url`, `svc.worker_metrics_url`); each gets its
    own database (as in production), shared topics. At the end every process of every service is
    stopped at once, then the databases are dropped."""
    started: list[ServiceProcesses] = []

    def make(name: str, **env: str) -> ServiceProcesses:
        db = f"{base_env['MONGODB_DB']}_{name}"
        svc = ServiceProcesses(name, {**base_env, "MONGODB_DB": db, **env}, tmp_path)
        started.append(svc)
        return svc

    yield make
    stop_services(started)
    for svc in started:
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
