"""The walks the tests share: a deliberation topic's six steps (`topics`), a residents' vote
(`votes`), a hire (`hiring`), a mediated case (`mediation`), and the intake requests they start
from (`intake_requests`).

A walk is a sequence of small functions, one per step; a test calls as many as it needs and
asserts between them. Each step takes a transport first, `call(method, path, headers, body=None,
expect=200)`, which checks the status and returns the JSON body: `http(service)` drives a running
service over HTTP, `flask(client)` a Flask test client; paths start at `/v1`. A step asserts only
what holds on every use; the tests keep their own checks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

CST = "+08:00"


class Transport:
    """`call(method, path, headers, body=None, expect=200)`: the JSON of an answer that must have
    status `expect`; `call.status(...)`: the status and the JSON, unchecked."""

    def __call__(
        self, method: str, path: str, headers: dict | None = None, body=None, expect: int = 200
    ) -> dict:
        status, answer, text = self._send(method, path, headers or {}, body)
        assert status == expect, f"{method} {path}: {status} {text[:800]}"
        return answer

    def status(self, method: str, path: str, headers: dict | None = None, body=None) -> tuple[int, dict]:
        status, answer, _ = self._send(method, path, headers or {}, body)
        return status, answer

    def _send(self, method: str, path: str, headers: dict, body) -> tuple[int, dict | None, str]:
        raise NotImplementedError


class Http(Transport):
    """A running service over HTTP."""

    def __init__(self, url: str, timeout: float = 15):
        self.url = url
        self.timeout = timeout

    def _send(self, method, path, headers, body):
        import requests

        resp = requests.request(method, self.url + path, json=body, headers=headers, timeout=self.timeout)
        try:
            answer = resp.json()
        except ValueError:
            answer = None
        return resp.status_code, answer, resp.text


class Flask(Transport):
    """A Flask test client, in-process."""

    def __init__(self, client):
        self.client = client

    def _send(self, method, path, headers, body):
        resp = self.client.open(path, method=method, json=body, headers=headers)
        return resp.status_code, resp.json, resp.get_data(as_text=True)


def http(service) -> Http:
    """The transport to a running service: anything with a `url` (tests/processes.py), or the URL."""
    return Http(service if isinstance(service, str) else service.url)


def flask(client) -> Flask:
    """The transport to a Flask test client."""
    return Flask(client)


def at(day: str, time: str = "10:00") -> str:
    """A moment in Beijing time, as the bulletin dates things."""
    return f"{day}T{time}:00{CST}"


class Clock:
    """The offset file the services under test read their clock from (CLOCK_OFFSET_FILE)."""

    def __init__(self, path: Path):
        self.path = path
        path.write_text("0")

    def advance(self, **delta) -> None:
        self.path.write_text(str(float(self.path.read_text()) + timedelta(**delta).total_seconds()))

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=float(self.path.read_text()))
