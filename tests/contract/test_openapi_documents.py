"""Every service's OpenAPI document builds, with each payload model under a name of its own: the
kit's registry routes are in every document beside the service's own models."""

from __future__ import annotations

import importlib

import pytest

from civic146.contracts import SERVICES
from civic146.web import openapi_document


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_builds_and_names_each_model_once(service, monkeypatch):
    monkeypatch.setenv("JWT_SECRET", "x")
    app = importlib.import_module(f"{service}.service").SERVICE.create_app()  # no server is contacted
    with app.app_context():
        doc = openapi_document(app)
    assert {
        "/v1/communities",
        "/v1/communities/{community_id}",
        "/v1/people",
        "/v1/people/{person_id}",
    } <= set(doc["paths"])
    assert doc["paths"]["/v1/people"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RegistryPersonList"
    }


def test_two_models_of_one_name_are_refused(monkeypatch):
    from pydantic import BaseModel

    from civic146.web import ApiBlueprint, register_api

    monkeypatch.setenv("JWT_SECRET", "x")
    app = importlib.import_module("intake.service").SERVICE.create_app()

    def model(field: str) -> type[BaseModel]:
        return type("Clash", (BaseModel,), {"__annotations__": {field: int}})

    bp = ApiBlueprint("clash", __name__, url_prefix="/v1", tag="clash")

    def clash_a():
        return {}

    def clash_b():
        return {}

    bp.endpoint("/clash-a", "GET", summary="a", response=model("a"))(clash_a)
    bp.endpoint("/clash-b", "GET", summary="b", response=model("b"))(clash_b)
    register_api(app, bp)
    with app.app_context(), pytest.raises(RuntimeError, match="named Clash"):
        openapi_document(app)
