"""The docker-compose file, checked by Debian's docker-compose (no engine needed) and read as data:
every long-running service has a healthcheck, every platform service has its API and worker."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.helpers import ROOT
from tests.ops.promql import PROMETHEUS_CONFIG, platform_services

COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
SECRETS = ("JWT_SECRET", "MONGO_ROOT_PASSWORD", "GRAFANA_ADMIN_PASSWORD")


def compose_config(env_file, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is missing: `make test` installs it (apt-get install docker-compose)")
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env.update(extra_env or {})
    return subprocess.run(
        ["docker-compose", "--env-file", str(env_file), "-f", str(COMPOSE), "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def compose() -> dict:
    result = compose_config(ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def one_shot(compose: dict) -> set[str]:
    """Services others wait for to *finish* (e.g. topic creation): they exit, so no healthcheck."""
    return {
        dep
        for svc in compose["services"].values()
        for dep, cond in (svc.get("depends_on") or {}).items()
        if cond.get("condition") == "service_completed_successfully"
    }


def test_docker_compose_accepts_the_file(compose):
    assert {"kafka", "kafka-init", "mongo", "prometheus", "grafana"} <= set(compose["services"])


def test_a_missing_secret_is_refused_by_name(tmp_path):
    env = tmp_path / ".env"
    env.write_text(
        "\n".join(line for line in ENV_EXAMPLE.read_text().splitlines() if not line.startswith("JWT_SECRET="))
        + "\n"
    )
    result = compose_config(env)
    assert result.returncode != 0 and "JWT_SECRET" in result.stderr


def test_every_long_running_service_has_a_healthcheck_and_a_restart_policy(compose):
    finishing = one_shot(compose)
    assert finishing == {"kafka-init"}
    for name, svc in compose["services"].items():
        if name in finishing:
            assert svc.get("restart") in (None, "no"), f"{name} runs once and must not restart"
            continue
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert not svc["healthcheck"].get("disable"), f"{name} disables its healthcheck"
        assert svc.get("restart") in ("unless-stopped", "always", "on-failure"), (
            f"{name}: restart {svc.get('restart')}"
        )


def test_dependencies_wait_for_health_not_just_for_start(compose):
    services = compose["services"]
    finishing = one_shot(compose)
    for name, svc in services.items():
        for dep, cond in (svc.get("depends_on") or {}).items():
            expected = "service_completed_successfully" if dep in finishing else "service_healthy"
            assert cond.get("condition") == expected, f"{name} -> {dep}: {cond}"
            assert dep in finishing or "healthcheck" in services[dep], (
                f"{name} waits for {dep}, which has no healthcheck"
            )


def test_every_platform_service_has_its_api_and_worker(compose):
    services = compose["services"]
    expected = platform_services()
    assert "intake" in expected
    for name in expected:
        api, worker = services.get(f"{name}-api"), services.get(f"{name}-worker")
        assert api is not None and worker is not None, (
            f"{name}: add {name}-api and {name}-worker to docker-compose.yml"
        )
        assert api["command"] == [
            "gunicorn",
            "-c",
            "python:civic146.gunicorn_conf",
            f"{name}.api:create_app()",
        ]
        assert worker["command"] == ["python", "-m", f"{name}.worker"]
        for svc in (api, worker):
            assert svc["environment"]["SERVICE_NAME"] == name
            assert svc["environment"]["KAFKA_BOOTSTRAP"] == "kafka:9092"
            assert set(svc["depends_on"]) == {"kafka-init", "mongo"}
        assert "8000" in api["healthcheck"]["test"][-1] and "9100" in worker["healthcheck"]["test"][-1]
        # Metrics stay on the compose network: only the API's own port is published.
        assert [str(p).rsplit(":", 1)[-1].removesuffix("/tcp") for p in api.get("ports", [])] == ["8000"], (
            api.get("ports")
        )
        assert not worker.get("ports"), f"{name}-worker publishes {worker.get('ports')}"


def test_every_platform_service_is_scraped(compose):
    scrape = {job["job_name"]: job for job in yaml.safe_load(PROMETHEUS_CONFIG.read_text())["scrape_configs"]}
    for process, port in (("api", 9101), ("worker", 9100)):
        [sd] = scrape[process]["dns_sd_configs"]
        assert sd["port"] == port
        for name in platform_services():
            assert f"{name}-{process}" in sd["names"], (
                f"prometheus.yml: add {name}-{process} to job {process}"
            )
            assert f"{name}-{process}" in compose["services"]


def test_state_lives_in_named_volumes(compose):
    declared = set(compose.get("volumes", {}))
    for name in ("kafka", "mongo", "prometheus", "grafana"):
        # docker-compose v1 prints short syntax: "source:target:mode"; a named source has no "/".
        sources = [v.split(":")[0] for v in compose["services"][name].get("volumes", [])]
        assert any(s in declared for s in sources), f"{name} keeps its data in no named volume: {sources}"


def test_compose_creates_the_same_topics_as_the_local_platform(compose):
    from civic146 import contracts

    created = compose["services"]["kafka-init"]["environment"]["KAFKA_TOPICS"].split(",")
    assert created == contracts.topics()  # infra.sh reads the same list (civic146.contracts topics)


def test_the_image_is_multi_stage_slim_and_runs_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    # Every stage starts from BASE_IMAGE, whose default is the official slim image (a local base
    # from Debian packages where no registry is reachable: deploy/container/base-image.sh).
    assert re.findall(r"^ARG\s+BASE_IMAGE=(\S+)", dockerfile, re.M) == ["python:3.11-slim"]
    stages = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
    assert len(stages) >= 2 and all(s == "${BASE_IMAGE}" for s in stages), stages
    final = dockerfile[dockerfile.rindex("\nFROM ") :]
    users = re.findall(r"^USER\s+(\S+)", final, re.M)
    assert users and users[-1] not in ("root", "0"), "the final stage must switch to a non-root user"
    assert not re.search(r"apt-get|gcc|build-essential|pip install", final), (
        "no build tools in the final image"
    )
    build = dockerfile[: dockerfile.rindex("\nFROM ")]
    assert re.search(r"pip uninstall -y pip setuptools", build), "the virtualenv leaves its installer behind"
    for label in ("source", "version", "revision"):
        assert f"org.opencontainers.image.{label}=" in final, f"OCI label {label} missing"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ignored[ignored.index("*") + 1 :].count("!services/") == 1, ".dockerignore lets in services/ only"
    assert not [p for p in ignored if p.startswith("!") and p not in ("!pyproject.toml", "!services/")]


def test_a_worker_starts_with_the_environment_the_image_gives_it(tmp_path):
    """Workers and APIs share the image's environment. A PROMETHEUS_MULTIPROC_DIR there (set
    for the API's multiprocess metrics) would make every worker fail at import on a folder
    nobody created; gunicorn's config sets it for the API alone."""
    env_lines = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if "=" in line]
    assert not any("PROMETHEUS_MULTIPROC_DIR" in line for line in env_lines)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMETHEUS_")}
    for service in sorted(p.parent.name for p in (ROOT / "services").glob("*/worker.py")):
        done = subprocess.run(
            [sys.executable, "-c", f"import {service}.worker"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
