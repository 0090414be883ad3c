"""Every community a request names, in a body or a query, is an id of the communities register,
and each service's OpenAPI document says so with the register's ids as an `enum`."""

import importlib

import pytest

from civic146.reference import communities

SERVICES = ("intake", "deliberation", "employment", "mediation")
SCOPING = ("community", "communities")


def document(service: str, monkeypatch) -> dict:
    monkeypatch.setenv("JWT_SECRET", "x")
    app = importlib.import_module(f"{service}.api").create_app()
    return app.test_client().get("/openapi.json").json  # no server is contacted for this


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def scoping_schemas(spec: dict, schema: dict, where: str, seen: frozenset = frozenset()):
    """(where, schema) of every property named in SCOPING, however deep in `schema`."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen = seen | {schema["$ref"]}
        schema = resolve(spec, schema)
    for name, prop in schema.get("properties", {}).items():
        if name in SCOPING:
            yield f"{where}.{name}", prop
        yield from scoping_schemas(spec, prop, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from scoping_schemas(spec, schema[key], f"{where}[]", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            yield from scoping_schemas(spec, branch, where, seen)


def enums(spec: dict, schema: dict) -> list[list]:
    """The enums a value (or each item of a list) may take; None where some branch has none."""
    schema = resolve(spec, schema)
    if "enum" in schema:
        return [schema["enum"]]
    if "const" in schema:
        return [[schema["const"]]]
    if schema.get("type") == "array":
        return enums(spec, schema["items"])
    if schema.get("type") == "null":
        return []
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        return [e for b in branches for e in enums(spec, b)]
    return [None]


@pytest.mark.parametrize("service", SERVICES)
def test_every_community_in_a_request_is_an_id_of_the_register(service, monkeypatch):
    spec = document(service, monkeypatch)
    register = sorted(communities())
    found, loose = [], []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            label = f"{method.upper()} {path}"
            named = [
                (f"{label} {p['in']} {p['name']}", p["schema"])
                for p in op.get("parameters", [])
                if p["name"] in SCOPING and p["in"] == "query"
            ]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is not None:
                named += [(f"{label} body{w}", s) for w, s in scoping_schemas(spec, body, "")]
            for where, schema in named:
                found.append(where)
                values = enums(spec, schema)
                # a branch naming one community (which compounds go with it) is a part of the register;
                # the property itself lists all of it
                whole = "const" in schema or sorted({x for v in values if v for x in v}) == register
                if not values or any(v is None or not set(v) <= set(register) for v in values) or not whole:
                    loose.append((where, schema))
    assert found, f"{service}: no request names a community; has the document changed?"
    assert not loose, f"{service}: community ids without the register's enum: {loose}"
