"""Guessing the name and phone of someone else's draft profile is throttled (the probe's 60 guesses
in 0.4 s were all answered), per caller and per draft, in the real document server."""

from __future__ import annotations

import pytest

from tests.integration.test_employment_api import PERSON, consume_routed, routed


@pytest.fixture
def employment(service_settings, service_app, mongo_db):
    from employment.service import SERVICE

    settings = service_settings(SERVICE, THROTTLE_GUESS="10/minute", THROTTLE_GUESS_PER_TARGET="15/day")
    return service_app(SERVICE, settings).test_client(), settings


def guess(client, headers, i: int):
    return client.post(
        "/v1/seekers/by-request/req-1/lookup",
        headers=headers,
        json={"name": PERSON["name"], "phone": f"1390000{i:04d}"},
    )


@pytest.mark.server  # the throttle's windows live in the document server
def test_guesses_at_a_draft_are_throttled_per_caller_and_per_draft(employment, mint):
    from civic146 import metrics

    client, _ = employment
    consume_routed(client, routed("req-1"))
    route = "/v1/seekers/by-request/<request_id>/lookup"
    before = metrics.THROTTLED.labels(route, "guess")._value.get()

    first = mint("res-1", "resident")
    answers = [guess(client, first, i).status_code for i in range(60)]
    assert answers[:10] == [403] * 10 and set(answers[10:]) == {429}
    refused = guess(client, first, 99)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json["error"]["details"]["per"] == "caller"

    # A second account gets its own ten, then the draft's own limit (15 a day from everyone) holds.
    second = mint("res-2", "resident")
    answers = [guess(client, second, i) for i in range(10)]
    assert [r.status_code for r in answers] == [403] * 5 + [429] * 5
    assert {r.json["error"]["details"]["per"] for r in answers[5:]} == {"target"}
    # Even the right answer is not given once the draft's limit is spent: guessing must not pay.
    right = client.post(
        "/v1/seekers/by-request/req-1/lookup",
        headers=mint("res-3", "resident"),
        json={"name": PERSON["name"], "phone": PERSON["phone"]},
    )
    assert right.status_code == 429
    assert metrics.THROTTLED.labels(route, "guess")._value.get() - before == 50 + 1 + 5 + 1


def test_the_limit_is_in_the_openapi_document(employment):
    client, _ = employment
    op = client.get("/openapi.json").json["paths"]["/v1/seekers/by-request/{request_id}/lookup"]["post"]
    assert "429" in op["responses"]
    assert "10 per 1 minute per caller; 15 per 1 day per target" in op["description"]
