"""Every API answer says nosniff, answers to authenticated requests are never cached, and the
API's own metrics are not served on the public API port (they have a port of their own)."""

from __future__ import annotations

import requests

from tests.security.access import operations
from tests.security.apis import bearer

ADMIN = bearer("admin-1", ["subdistrict_admin"], [])


def sample_responses(api) -> dict[str, requests.Response]:
    """Answers of every kind: ops routes, the OpenAPI document, an unknown route, a public
    operation, and authenticated successes and refusals."""
    ops = operations(api)
    public_get = next(
        (p for (m, p), op in ops.items() if m == "GET" and "security" not in op and "{" not in p), "/healthz"
    )  # mediation has no public operation
    secured_get = next(
        p
        for (m, p), op in ops.items()
        if m == "GET" and "security" in op and "{" not in p and "statistics" not in p
    )
    get = lambda path, **kw: requests.get(api.url + path, timeout=10, **kw)  # noqa: E731
    return {
        "healthz": get("/healthz"),
        "openapi": get("/openapi.json"),
        "unknown route": get("/v1/nowhere"),
        "public operation": get(public_get),
        "no token": get(secured_get),
        "authenticated 200": get(secured_get, headers=ADMIN),
        "authenticated 404": get(secured_get + "/nonexistent-0/nothing", headers=ADMIN),
        "authenticated 403": get(
            secured_get, headers=bearer("x", ["external_system" if api.name != "intake" else "employer"], [])
        ),
        "authenticated 422": get(secured_get, params={"unknown_parameter": "1"}, headers=ADMIN),
    }


def test_every_response_says_nosniff(any_api):
    for name, resp in sample_responses(any_api).items():
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", (
            f"{name}: {resp.status_code} {resp.headers}"
        )


def test_answers_to_authenticated_requests_are_not_cached(any_api):
    for name, resp in sample_responses(any_api).items():
        if name.startswith("authenticated"):
            assert "no-store" in resp.headers.get("Cache-Control", ""), (
                f"{name}: {resp.status_code} {resp.headers}"
            )


def test_metrics_are_not_served_on_the_api_port(any_api):
    resp = requests.get(f"{any_api.url}/metrics", timeout=10)
    assert resp.status_code == 404
    assert "http_requests" not in resp.text
