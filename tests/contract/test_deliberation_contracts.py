"""Deliberation contracts: its OpenAPI document is valid, every event type it publishes has a
committed (released) schema, and the public routes are the only ones without a token."""

from openapi_spec_validator import validate as validate_openapi

from civic146 import contracts
from deliberation import events as ev


def test_every_published_type_has_a_committed_released_schema():
    released = contracts.released()
    for t in ev.PUBLISHED:
        path = contracts.EVENTS_DIR / f"{t.name}.json"
        assert path.read_text(encoding="utf-8") == contracts.render(t.schema()), f"regenerate {path.name}"
        assert path.name in released, f"{path.name} is not released"


def test_openapi_document_is_valid_and_only_the_public_notices_results_and_board_are_public(monkeypatch):
    from deliberation.api import create_app

    monkeypatch.setenv("JWT_SECRET", "x")
    spec = create_app().test_client().get("/openapi.json").json  # no server is contacted for this
    validate_openapi(spec)
    public = sorted(
        f"{m} {p}" for p, item in spec["paths"].items() for m, op in item.items() if "security" not in op
    )
    assert public == [
        "get /board/",
        "get /board/communities/{community}",
        "get /board/topics/{topic_id}",
        "get /v1/public/communities/{community}/notices",
        "get /v1/public/communities/{community}/results",
        "get /v1/public/topics/{topic_id}",
    ]
