"""Contracts: committed event schemas match the models, are never edited once released, and the
AsyncAPI and OpenAPI documents are valid."""

import json

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

from civic146 import contracts


def test_committed_contracts_match_the_models():
    assert contracts.check() == [], "run `make contracts` and commit, or add a new event version"


def test_the_check_generates_the_schemas_once(monkeypatch):
    """Generating every model's schema is the check's whole cost: once per file made it quadratic."""
    calls = []
    generate = contracts.schema_files

    def counted():
        calls.append(1)
        return generate()

    monkeypatch.setattr(contracts, "schema_files", counted)
    contracts.check()
    assert len(calls) == 1


@pytest.mark.parametrize("path", sorted(contracts.EVENTS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_each_schema_is_valid_json_schema_named_after_its_versioned_type(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert path.stem == schema["title"] == schema["properties"]["type"]["const"]
    assert path.stem.rsplit(".", 1)[-1].startswith("v")


def test_released_schemas_are_never_edited():
    assert contracts.released(), "no schema has been released"
    assert contracts.changed_after_release() == [], "add a new version instead of editing a released schema"


def test_asyncapi_document_references_every_schema_and_topic():
    doc = json.loads(contracts.ASYNCAPI.read_text(encoding="utf-8"))
    assert doc["asyncapi"] == "3.0.0"
    addresses = {c["address"] for c in doc["channels"].values()}
    assert {"intake.requests", "intake.deadletter", "deliberation.topics"} <= addresses
    for message in doc["components"]["messages"].values():
        assert (contracts.CONTRACTS / message["payload"]["$ref"]).exists()
    for op in doc["operations"].values():
        channel = op["channel"]["$ref"].split("/")[-1]
        for m in op["messages"]:
            assert m["$ref"].split("/")[-1] in doc["channels"][channel]["messages"]


def test_openapi_document_is_valid(monkeypatch):
    from intake.api import create_app

    monkeypatch.setenv("JWT_SECRET", "x")
    spec = create_app().test_client().get("/openapi.json").json  # no server is contacted for this
    validate_openapi(spec)
    ops = {(m, p) for p, item in spec["paths"].items() for m in item}
    assert ("post", "/v1/requests") in ops and ("get", "/v1/statistics") in ops
