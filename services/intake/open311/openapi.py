"""The door's OpenAPI entries: the kit's generic ones describe JSON bodies and its own error format,
these the spec's XML or JSON answers, its error list and the form a POST reads."""

from __future__ import annotations

from .payloads import ErrorOut

ERROR_SCHEMA = {"type": "array", "items": ErrorOut.model_json_schema()}


def _param(name: str, where: str, description: str, required: bool = False) -> dict:
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


FMT = _param("fmt", "path", "xml or json", required=True)
JURISDICTION = _param("jurisdiction_id", "query", "optional: this endpoint serves one jurisdiction")
API_KEY = _param("api_key", "query", "optional: the system that posted a request also reads its text")


def openapi(
    model: str, many: bool, parameters: list[dict], form: dict | None = None, errors: str = ""
) -> dict:
    """The operation's entry: `model` (a component the kit registered from `response=`) as XML or
    JSON, the spec's error list, and the form a POST reads."""
    schema = {"$ref": f"#/components/schemas/{model}"}
    schema = {"type": "array", "items": schema} if many else schema
    content = {"text/xml": {"schema": schema}, "application/json": {"schema": schema}}
    failed = {"text/xml": {"schema": ERROR_SCHEMA}, "application/json": {"schema": ERROR_SCHEMA}}
    entry = {
        "parameters": [FMT, *parameters],
        "responses": {
            "200": {"description": "success, in the format of the extension", "content": content},
            "4XX": {"description": f"the spec's errors list{errors}", "content": failed},
            "429": {"description": "too many requests; retry after `Retry-After` seconds", "content": failed},
            "503": {
                "description": "the database is unavailable: nothing was changed; retry after `Retry-After`",
                "content": failed,
            },
        },
    }
    if form is not None:
        entry["requestBody"] = {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": form}},
        }
    return entry


def _form() -> dict:
    text = {"type": "string"}
    described = {
        "api_key": "the external system's key (403 without a known one)",
        "jurisdiction_id": "optional: one jurisdiction is served",
        "service_code": "a category id from services.xml",
        "lat": "WGS84 latitude (with long; checked, not kept)",
        "long": "WGS84 longitude (with lat; checked, not kept)",
        "address_string": "where, in words (the request's location)",
        "address_id": "a compound's (or community's) key from the service definition",
        "email": "read and kept nowhere",
        "device_id": "read and kept nowhere",
        "account_id": "read and kept nowhere",
        "first_name": "given name (with last_name: the submitter's name)",
        "last_name": "family name",
        "phone": "the submitter's mainland mobile number",
        "description": "5-2000 characters (intake's limit)",
        "media_url": "one attachment URL",
    }
    properties = {name: {**text, "description": d} for name, d in described.items()}
    properties["attribute[community]"] = {**text, "description": "a community key (or give address_id)"}
    properties["attribute[compound]"] = {**text, "description": "a compound key in that community"}
    return {"type": "object", "required": ["api_key", "service_code"], "properties": properties}
