"""Running one service's API under gunicorn for the security tests and `make fuzz`, the way
operators run it (tests/system/conftest.py), and the tokens the tests present to it."""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from pathlib import Path

import requests

from tests.helpers import JWT_SECRET, ROOT, free_port, spawn, wait_until

BIN = Path(sys.executable).parent
SERVICES = ("intake", "deliberation", "employment", "mediation")
COMMUNITY_A = "huifeng"
COMMUNITY_B = "jiangnan-xiaozhen"


class Api:
    """One service's API (gunicorn, its own database and topic prefix) on a free port."""

    def __init__(
        self,
        name: str,
        mongo_uri: str,
        kafka: str,
        log_dir: Path,
        workers: int = 2,
        database: str | None = None,
        **extra_env: str,
    ):
        self.name = name
        self.port = free_port()
        self.database = database or f"sec_{name}_{uuid.uuid4().hex[:8]}"
        self.log_path = log_dir / f"{name}-api.log"
        self.env = {
            "MONGODB_URI": mongo_uri,
            "MONGODB_DB": self.database,
            "KAFKA_BOOTSTRAP": kafka,
            "TOPIC_PREFIX": f"s{uuid.uuid4().hex[:8]}.",
            "JWT_SECRET": JWT_SECRET,
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": f"{ROOT / 'services'}{os.pathsep}{ROOT}",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(workers),
            "PROMETHEUS_MULTIPROC_DIR": str(log_dir / f"{name}-prom"),
            # the API's metrics are served on a port of their own, never on the API's
            "API_METRICS_PORT": str(free_port()),
            **extra_env,
        }
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Api:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = spawn(
            [str(BIN / "gunicorn"), "-c", "python:civic146.gunicorn_conf", f"{self.name}.api:create_app()"],
            self.env,
            self.log_path,
        )
        wait_until(self._ready, timeout=60, message=f"{self.name} API ready (log: {self.log_path})")
        return self

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} API exited: {self.log_tail(3000)}")
        try:
            return requests.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except requests.RequestException:  # not listening yet
            return False

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except Exception:
                os.killpg(self.proc.pid, signal.SIGKILL)


def token(sub: str, roles: list[str], communities: list[str] | None = None, **claims) -> str:
    """A valid token of the test secret; `claims` override or add claims (None removes one)."""
    import jwt

    now = int(time.time())
    body = {
        "sub": sub,
        "roles": roles,
        "communities": communities or [],
        "iss": "civic146",
        "aud": "civic146-api",
        "iat": now,
        # The modules mint their principals when they are collected, at the start of the run: a
        # token lives as long as a whole `make test` may take (under JWT_MAX_LIFETIME_SECONDS).
        "exp": now + 2 * 3600,
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, JWT_SECRET, algorithm="HS256")


def bearer(sub: str, roles: list[str], communities: list[str] | None = None, **claims) -> dict[str, str]:
    return {"Authorization": "Bearer " + token(sub, roles, communities, **claims)}
