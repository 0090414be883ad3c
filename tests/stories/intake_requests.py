"""Where the walks start: a resident's request submitted to intake, accepted and routed by staff,
and waited for while another service's progress reaches it."""

from __future__ import annotations

from tests.helpers import wait_until


def submit(call, resident: dict, body: dict) -> str:
    """The resident submits a request: its id."""
    return call("POST", "/v1/requests", resident, body, expect=201)["id"]


def route(call, staff: dict, request_id: str, note: str | None = None) -> dict:
    """Staff accept the request and route it (by its category): the routed request."""
    call("POST", f"/v1/requests/{request_id}/accept", staff, {})
    return call("POST", f"/v1/requests/{request_id}/route", staff, {"note": note} if note else {})


def wait_for_status(call, staff: dict, request_ids, status: str, timeout: float = 60) -> list[dict]:
    """The requests, once every one has `status`."""

    def all_there():
        docs = [call("GET", f"/v1/requests/{rid}", staff) for rid in request_ids]
        return docs if all(d["status"] == status for d in docs) else None

    return wait_until(all_there, timeout=timeout, message=f"intake requests {status}")
