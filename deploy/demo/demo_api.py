"""What the demo's stories share: where the services answer (the `make dev` ports plus
SERVICE_PORT_OFFSET, or *_URL), the tokens they act with, and one way to call an API."""

from __future__ import annotations

import os
import time

import requests

from civic146.auth import mint

OFFSET = int(os.environ.get("SERVICE_PORT_OFFSET", "0"))
DELIBERATION = os.environ.get("DELIBERATION_URL", f"http://127.0.0.1:{8002 + OFFSET}")
EMPLOYMENT = os.environ.get("EMPLOYMENT_URL", f"http://127.0.0.1:{8003 + OFFSET}")
MEDIATION = os.environ.get("MEDIATION_URL", f"http://127.0.0.1:{8004 + OFFSET}")
SECRET = os.environ.get("JWT_SECRET", "dev-secret-change-me")
CST = "+08:00"
COMMUNITIES = ["huifeng", "ruyijie", "jiangnan-xiaozhen", "shengshi", "yiyuan"]


def token(sub: str, role: str, communities: list[str] | None = None) -> dict:
    return {"Authorization": "Bearer " + mint(SECRET, sub, [role], communities, ttl_seconds=3600)}


STAFF = token("demo-staff", "community_staff", COMMUNITIES)
ADMIN = token("demo-admin", "subdistrict_admin")


def at(day: str, time: str = "10:00") -> str:
    return f"{day}T{time}:00{CST}"


class DemoError(SystemExit):
    pass


class Busy(DemoError):
    """The service answered that someone changed the document meanwhile (its worker, acting on the
    events of the demo's own last step): the story is read again and carried on."""


def client(base: str):
    """`call(method, path, headers, body, ok, **params)` against one service: its JSON, or the demo
    stops saying what the service answered."""

    def call(
        method: str, path: str, headers: dict, body: dict | None = None, ok=(200, 201), **params
    ) -> dict:
        resp = requests.request(
            method, base + path, json=body, headers=headers, params=params or None, timeout=30
        )
        if resp.status_code not in ok:
            error = Busy if resp.status_code == 409 and "concurrent" in resp.text else DemoError
            raise error(f"demo: {method} {base}{path} answered {resp.status_code}: {resp.text[:600]}")
        return resp.json() if resp.content else {}

    return call


def retried(load, story: dict, attempts: int = 3):
    """Load a story, reading it again when a write met a concurrent one (load carries on from
    wherever the story is)."""
    for _ in range(attempts - 1):
        try:
            return load(story)
        except Busy:
            time.sleep(1)
    return load(story)  # the last attempt: a Busy now stops the demo


def wait_for(what, timeout: float = 20.0, every: float = 0.5):
    """What the service's worker does after an event (a suggestion, a push, a topic taken up) comes a
    moment later: `what()` until it answers something, or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = what()
        if found or time.monotonic() > deadline:
            return found or None
        time.sleep(every)


def ready(name: str, base: str) -> str | None:
    """None when the service answers /readyz, else why not."""
    try:
        requests.get(f"{base}/readyz", timeout=5).raise_for_status()
        return None
    except requests.RequestException as exc:
        return f"{name} is not answering at {base} ({exc})"
