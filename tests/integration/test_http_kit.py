"""What the kit's HTTP layer does for every service, shown on intake's app against the real
document server: bodies no handler should see, security headers, strict cursors, throttling,
and no metrics on the public port."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.test_intake_api import GOOD as VALID

pytestmark = pytest.mark.usefixtures("mongo_db")


def nested(levels: int) -> str:
    return '{"description": ' + "[" * levels + "]" * levels + "}"


@pytest.mark.parametrize("levels", [33, 1000, 100_000])
def test_a_deeply_nested_body_is_400_and_changes_nothing(client, mint, mongo_db, levels):
    staff = mint("res-1", "resident")
    r = client.post("/v1/requests", data=nested(levels), content_type="application/json", headers=staff)
    assert r.status_code in (400, 413), r.json  # 100,000 levels is also over the size limit
    if r.status_code == 400:
        assert r.json["error"]["code"] == "json_too_deep"
    assert mongo_db["requests"].find_one({}) is None


def test_a_body_at_the_depth_limit_reaches_validation(client, mint):
    staff = mint("res-1", "resident")
    r = client.post("/v1/requests", data=nested(31), content_type="application/json", headers=staff)
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_input"


@pytest.mark.parametrize(
    "raw, field",
    [
        ('"description": "\\ud800 lone surrogate"', "description"),
        ('"description": "a \\udc00 low one alone"', "description"),
        ('"\\udfff": 1', "\\udfff"),  # in a key: the error names it escaped
    ],
)
def test_strings_that_cannot_be_stored_are_422_naming_the_field(client, mint, mongo_db, raw, field):
    staff = mint("res-1", "resident")
    body = json.dumps({k: v for k, v in VALID.items() if k != "description"})[:-1] + ", " + raw + "}"
    r = client.post("/v1/requests", data=body, content_type="application/json", headers=staff)
    assert r.status_code == 422, r.json
    [detail] = r.json["error"]["details"]
    assert detail["field"] == field and "surrogate" in detail["message"]
    assert mongo_db["requests"].find_one({}) is None


def test_every_response_carries_the_security_headers(client, mint):
    staff = mint("res-1", "resident")
    for path, headers in (
        ("/v1/categories", {}),
        ("/healthz", {}),
        ("/v1/requests", staff),
        ("/v1/requests/nope", staff),
        ("/v1/requests", {}),
    ):
        r = client.get(path, headers=headers)
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert (
            r.headers["X-Frame-Options"] == "DENY"
            and "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        )


def test_answers_to_a_credential_are_never_stored(client, mint):
    staff = mint("res-1", "resident")
    created = client.post("/v1/requests", json=VALID, headers=staff)
    assert created.status_code == 201
    for r in (
        created,
        client.get(f"/v1/requests/{created.json['id']}", headers=staff),
        client.get("/v1/requests/nope", headers=staff),
    ):
        assert r.headers["Cache-Control"] == "no-store" and "Authorization" in r.headers["Vary"]
    assert "no-store" not in client.get("/v1/categories").headers.get("Cache-Control", "")


def test_metrics_are_not_served_on_the_api_port(client):
    assert client.get("/metrics").status_code == 404


def cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "value",
    [
        ["2026-01-01T00:00:00+00:00", {"$gt": ""}],  # the probe's operator as the id
        [{"$gt": ""}, "0" * 32],
        ["2026-01-01T00:00:00+00:00", "not-a-request-id"],
        ["yesterday", "0" * 32],
        ["2026-01-01T00:00:00+00:00", "0" * 32, "extra"],
        {"at": "2026-01-01T00:00:00+00:00"},
    ],
)
def test_a_cursor_the_api_did_not_return_is_422(client, mint, value):
    staff = mint("res-1", "resident")
    r = client.get("/v1/requests", query_string={"cursor": cursor(value)}, headers=staff)
    assert r.status_code == 422 and r.json["error"]["details"][0]["field"] == "cursor"


def test_a_cursor_the_api_returned_pages_on(client, mint):
    staff = mint("res-1", "resident")
    for _ in range(3):
        assert client.post("/v1/requests", json=VALID, headers=staff).status_code == 201
    first = client.get("/v1/requests", query_string={"limit": 2}, headers=staff).json
    rest = client.get(
        "/v1/requests", query_string={"limit": 2, "cursor": first["next_cursor"]}, headers=staff
    ).json
    assert len(first["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None


@pytest.fixture
def throttled_client(intake_settings, mongo_db):
    """Intake with a public limit of 3 per minute, in the real document server."""
    from intake.api import create_app

    app = create_app(intake_settings.model_copy(update={"throttle_public": "3/minute"}))
    return app.test_client()


@pytest.mark.server  # the throttle's windows live in the document server
def test_a_public_route_answers_429_with_retry_after_once_its_limit_is_spent(throttled_client):
    from civic146 import metrics

    before = metrics.THROTTLED.labels("/v1/categories", "public")._value.get()
    answers = [throttled_client.get("/v1/categories") for _ in range(5)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    refused = answers[-1]
    assert refused.json["error"]["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert metrics.THROTTLED.labels("/v1/categories", "public")._value.get() == before + 2
    # another client address has its own window
    assert throttled_client.get("/v1/categories", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


@pytest.mark.server  # the throttle's windows live in the document server
def test_the_window_is_shared_by_every_process_of_the_service(intake_settings, mongo_db):
    """Two apps (two gunicorn workers, or two replicas) count against one window in MongoDB."""
    from intake.api import create_app

    settings = intake_settings.model_copy(update={"throttle_public": "4/minute"})
    one, two = create_app(settings).test_client(), create_app(settings).test_client()
    codes = [c.get("/v1/categories").status_code for c in (one, two, one, two, one, two)]
    assert codes == [200, 200, 200, 200, 429, 429]
    assert mongo_db["throttle_windows"].find_one({}) is not None


def test_throttled_routes_say_so_in_the_openapi_document(client):
    spec = client.get("/openapi.json").json
    categories = spec["paths"]["/v1/categories"]["get"]
    assert (
        "429" in categories["responses"]
        and "Throttled (300 per 1 minute per caller)" in categories["description"]
    )
    assert "429" not in spec["paths"]["/v1/requests"]["post"]["responses"]


def test_a_malformed_limit_stops_the_service_at_start(monkeypatch, base_env):
    from civic146.config import load_settings
    from intake.settings import IntakeSettings

    for k, v in {**base_env, "THROTTLE_GUESS": "ten a minute"}.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SystemExit):
        load_settings(IntakeSettings)


@pytest.mark.parametrize("value", ["0.5", "1700000000", "-3"])
def test_a_time_filter_is_a_date_time_not_a_number(client, mint, value):
    staff = mint("staff-1", "community_staff", communities=["huifeng"])
    r = client.get("/v1/requests", query_string={"to": value}, headers=staff)
    assert r.status_code == 422 and r.json["error"]["details"][0]["field"] == "to"
    assert (
        client.get(
            "/v1/requests", query_string={"to": "2026-05-01T00:00:00+08:00"}, headers=staff
        ).status_code
        == 200
    )
