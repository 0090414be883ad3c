"""The mediation API's OpenAPI document is valid and lists its routes."""

from openapi_spec_validator import validate as validate_openapi


def test_mediation_openapi_document_is_valid(monkeypatch):
    from mediation.api import create_app

    monkeypatch.setenv("JWT_SECRET", "x")
    spec = create_app().test_client().get("/openapi.json").json  # no server is contacted for this
    validate_openapi(spec)
    ops = {(m, p) for p, item in spec["paths"].items() for m in item}
    assert {
        ("post", "/v1/cases"),
        ("get", "/v1/cases/{case_id}"),
        ("post", "/v1/cases/{case_id}/consent"),
        ("post", "/v1/cases/{case_id}/escalation"),
        ("get", "/v1/statistics"),
    } <= ops
