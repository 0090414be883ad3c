"""The files of `make container-smoke` (deploy/container/), read as data; no engine needed.

The smoke itself needs root, a docker daemon and minutes, so it is not part of `make test`. These
checks keep its override honest: it may swap the third-party images, the network mode and the
ports, nothing else, and the compose file's healthchecks must hold under it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.request

import pytest
import yaml

from tests.helpers import ROOT
from tests.ops.promql import platform_services

COMPOSE = ROOT / "docker-compose.yml"
OVERRIDE = ROOT / "deploy" / "container" / "compose.smoke.yml"
ENV_EXAMPLE = ROOT / ".env.example"
THIRD_PARTY = {"kafka", "kafka-init", "mongo"}
APP_ENV = {
    "KAFKA_BOOTSTRAP",
    "MONGODB_URI",
    "API_METRICS_ADDR",
    "WORKER_METRICS_ADDR",
    "GUNICORN_BIND",
    "API_METRICS_PORT",
    "WORKER_METRICS_PORT",
}


@pytest.fixture(scope="module")
def merged() -> dict:
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is missing: `make test` installs it (apt-get install docker-compose)")
    env = dict(os.environ, JWT_SECRET="x" * 32, MONGO_ROOT_PASSWORD="x", GRAFANA_ADMIN_PASSWORD="x")
    done = subprocess.run(
        ["docker-compose", "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE), "-f", str(OVERRIDE), "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_the_override_swaps_only_images_network_and_ports():
    base = yaml.safe_load(COMPOSE.read_text())["services"]
    override = yaml.safe_load(OVERRIDE.read_text())["services"]
    expected = THIRD_PARTY | {f"{s}-{p}" for s in platform_services() for p in ("api", "worker")}
    assert set(override) == expected, "the smoke runs every service but Prometheus and Grafana"
    for name, svc in override.items():
        assert name in base
        assert set(svc) <= {"network_mode", "extra_hosts", "image", "environment", "healthcheck", "build"}, (
            name
        )
        assert svc["network_mode"] == "host", name
        if name in THIRD_PARTY:
            assert svc["image"] != base[name]["image"], name
            continue
        assert "image" not in svc and "healthcheck" not in svc, (
            f"{name}: the compose file's own image and check"
        )
        assert set(svc["environment"]) <= APP_ENV, f"{name}: {set(svc['environment']) - APP_ENV}"
        assert svc["build"] == {"network": "host"}


def test_every_container_listens_on_loopback_ports_of_its_own_in_the_smoke_range(merged):
    assert merged["networks"]["default"] == {"external": True, "name": "host"}, (
        "without it docker-compose creates a bridge network on a private range"
    )
    ports: list[int] = []
    for name, svc in merged["services"].items():
        if name in ("prometheus", "grafana"):
            continue
        assert svc["network_mode"] == "host", name
        assert all(v == "127.0.0.1" for v in svc["extra_hosts"].values()), name
        env = {k: str(v) for k, v in svc["environment"].items()}
        if name.endswith("-api"):
            host, port = env["GUNICORN_BIND"].rsplit(":", 1)
            assert host == "127.0.0.1" and env["API_METRICS_ADDR"] == "127.0.0.1"
            ports += [int(port), int(env["API_METRICS_PORT"])]
        elif name.endswith("-worker"):
            assert env["WORKER_METRICS_ADDR"] == "127.0.0.1"
            ports.append(int(env["WORKER_METRICS_PORT"]))
        elif name == "kafka":
            listeners = re.findall(r"//([^:,]+):(\d+)", env["KAFKA_LISTENERS"])
            assert {h for h, _ in listeners} == {"127.0.0.1"}
            ports += [int(p) for _, p in listeners]
        elif name == "mongo":
            ports.append(int(env["MONGO_PORT"]))
    assert len(ports) == len(set(ports)) == 3 * len(platform_services()) + 4
    assert all(41000 <= p <= 41999 for p in ports), ports


@pytest.mark.parametrize(
    ("service", "env", "url"),
    [
        ("intake-api", {}, "http://127.0.0.1:8000/readyz"),
        ("intake-api", {"GUNICORN_BIND": "0.0.0.0:8000"}, "http://127.0.0.1:8000/readyz"),
        ("intake-api", {"GUNICORN_BIND": "127.0.0.1:41001"}, "http://127.0.0.1:41001/readyz"),
        ("intake-worker", {}, "http://127.0.0.1:9100/metrics"),
        ("intake-worker", {"WORKER_METRICS_PORT": "41201"}, "http://127.0.0.1:41201/metrics"),
    ],
)
def test_the_healthchecks_ask_the_port_the_process_was_given(monkeypatch, service, env, url):
    test = yaml.safe_load(COMPOSE.read_text())["services"][service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    for key in ("GUNICORN_BIND", "WORKER_METRICS_PORT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    asked = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda u, timeout: asked.append(u))
    exec(test[3], {})
    assert asked == [url]
