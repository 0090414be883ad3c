"""Running one service's API under gunicorn for the security tests and `make fuzz`, the way
operators run it (tests/processes.py), and the tokens the tests present to it."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from tests.helpers import JWT_SECRET
from tests.processes import Proc, ServiceProcesses

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
        self.workers = workers
        self.database = database or f"sec_{name}_{uuid.uuid4().hex[:8]}"
        env = {
            "MONGODB_URI": mongo_uri,
            "MONGODB_DB": self.database,
            "KAFKA_BOOTSTRAP": kafka,
            "TOPIC_PREFIX": f"s{uuid.uuid4().hex[:8]}.",
            "JWT_SECRET": JWT_SECRET,
            "LOG_LEVEL": "WARNING",
        }
        # the API's metrics are served on a port of their own, never on the API's
        self.service = ServiceProcesses(name, env, log_dir)
        self.extra_env = extra_env

    @property
    def port(self) -> int:
        return self.service.api_port

    @property
    def url(self) -> str:
        return self.service.url

    @property
    def proc(self) -> Proc | None:
        return self.service.api

    @property
    def log_path(self) -> Path:
        return self.service.run_dir / f"{self.name}-api.log"

    def start(self) -> Api:
        self.service.start_api(workers=self.workers, **self.extra_env)
        return self

    def log_tail(self, chars: int = 4000) -> str:
        return self.proc.tail(chars) if self.proc else ""

    def log_size(self) -> int:
        return self.proc.log_size() if self.proc else 0

    def log_since(self, offset: int) -> str:
        return self.proc.log_since(offset)

    def stop(self) -> None:
        self.service.stop()


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
