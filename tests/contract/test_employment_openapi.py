"""The employment API's OpenAPI document is valid and lists its operations."""

from openapi_spec_validator import validate as validate_openapi


def test_employment_openapi_document_is_valid(monkeypatch):
    from employment.api import create_app

    monkeypatch.setenv("JWT_SECRET", "x")
    spec = create_app().test_client().get("/openapi.json").json  # no server is contacted for this
    validate_openapi(spec)
    ops = {(m, p) for p, item in spec["paths"].items() for m in item}
    assert {
        ("post", "/v1/seekers/{seeker_id}/complete"),
        ("get", "/v1/seekers/{seeker_id}/matches"),
        ("post", "/v1/referrals/{referral_id}/retention-checks"),
        ("post", "/v1/job-fair-rounds"),
    } <= ops
