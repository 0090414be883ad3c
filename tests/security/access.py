"""Authorisation matrix over a service's OpenAPI document.

Each service's test module keeps an explicit table: every operation of its OpenAPI document with
the roles allowed on it (function level), and the checks of its object-level scope (a resource of
community A, or of resident A, acted on by someone else). The tables are written by hand from the
intent in the service's routes (`routes.py`; employment's `<aggregate>/routes.py`; deliberation's
`routes/`), not read from the code under test: a route whose roles change, or a new route, fails
here until its entry says what is meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import requests

from civic146.auth import ROLES
from tests.security.apis import COMMUNITY_A, COMMUNITY_B, bearer

PUBLIC = None  # no token needed
ANY_ROLE = ()  # any valid token
ROLE_GATE = "requires one of the roles"
MISSING = "nonexistent-0"


def operations(api) -> dict[tuple[str, str], dict]:
    """{(METHOD, path template): operation} of the running API's /openapi.json."""
    doc = requests.get(f"{api.url}/openapi.json", timeout=10).json()
    return {(method.upper(), path): op for path, item in doc["paths"].items() for method, op in item.items()}


def documented_roles(op: dict) -> tuple[str, ...] | None:
    if "security" not in op:
        return PUBLIC
    return tuple(op["x-roles"]) if "x-roles" in op else ANY_ROLE


def normalised(table: dict) -> dict:
    """Role tables compared without regard to order."""
    return {k: v if v is PUBLIC else frozenset(v) for k, v in table.items()}


def check_table(api, table: dict) -> None:
    """The table names exactly the operations of the OpenAPI document, with their documented roles."""
    ops = operations(api)
    assert sorted(set(ops) - set(table)) == [], "operations without an entry in the table"
    assert sorted(set(table) - set(ops)) == [], "entries for operations the API no longer has"
    assert normalised({k: documented_roles(op) for k, op in ops.items()}) == normalised(table)


def fill(path: str, values: dict[str, str] | None = None) -> str:
    values = values or {}
    return re.sub(r"{([a-z_]+)}", lambda m: values.get(m.group(1), MISSING), path)


def call(
    api, method: str, path: str, headers: dict | None = None, body: object = None, query: dict | None = None
):
    kwargs = {"json": body} if body is not None else {}
    if body is None and method in ("POST", "PUT", "PATCH"):
        kwargs = {"json": {}}
    return requests.request(method, api.url + path, headers=headers or {}, params=query, timeout=15, **kwargs)


def error(resp) -> dict:
    try:
        return resp.json().get("error") or {}
    except ValueError:
        return {}


def role_tokens() -> dict[str, dict[str, str]]:
    """One token per role (serving community A), staff of community B, and none."""
    tokens = {role: bearer(f"{role}-a", [role], [COMMUNITY_A]) for role in ROLES}
    tokens["community_staff of B"] = bearer("staff-b", ["community_staff"], [COMMUNITY_B])
    return tokens


def check_function_level(api, method: str, path: str, allowed: tuple[str, ...] | None) -> list[str]:
    """Call the operation (unknown ids, empty body) with no token, a malformed one, every role and
    staff of another community; return what differs from `allowed`."""
    problems = []
    url_path = fill(path)

    resp = call(api, method, url_path)
    if allowed is PUBLIC:
        if resp.status_code in (401, 403):
            problems.append(f"no token: {resp.status_code}, expected a public answer")
    elif resp.status_code != 401 or error(resp).get("code") != "unauthorized":
        problems.append(f"no token: {resp.status_code} {error(resp)}, expected 401")

    if allowed is not PUBLIC:
        resp = call(api, method, url_path, {"Authorization": "Bearer not-a-jwt"})
        if resp.status_code != 401:
            problems.append(f"malformed token: {resp.status_code}, expected 401")

    for who, headers in role_tokens().items():
        role = who.split()[0]
        resp = call(api, method, url_path, headers)
        err = error(resp)
        gated = resp.status_code == 403 and err.get("message", "").startswith(ROLE_GATE)
        if allowed is PUBLIC or allowed == ANY_ROLE or role in allowed:
            if resp.status_code == 401 or gated or resp.status_code >= 500:
                problems.append(f"{who}: {resp.status_code} {err}, expected to pass the role check")
        elif not gated:
            problems.append(f"{who}: {resp.status_code} {err}, expected 403 from the role check")
    return problems


@dataclass
class ObjectCase:
    """Someone acting on a resource that is not theirs: `expect` maps a principal's name (see the
    module's principals) to the status (or statuses) the API intends; `resource` names the document
    that must stay unchanged."""

    method: str
    path: str
    expect: dict[str, int | set[int]]
    resource: str | None = None
    body: object = None
    query: dict | None = None
    params: dict[str, str] = field(default_factory=dict)
    absent_from_items: str | None = None  # a list answer must not contain this resource


def check_object_case(
    api, case: ObjectCase, principals: dict[str, dict], resources: dict[str, tuple[str, str]], db
) -> list[str]:
    values = {k: resources[v][1] if v in resources else v for k, v in case.params.items()}
    url_path = fill(case.path, values)
    problems = []
    before = None
    if case.resource:
        coll, rid = resources[case.resource]
        before = db[coll].find_one({"_id": rid}, {"outbox": 0})
        assert before is not None, f"resource {case.resource} missing"
    for who, expected in case.expect.items():
        resp = call(api, case.method, url_path, principals[who], case.body, case.query)
        allowed = expected if isinstance(expected, set) else {expected}
        if resp.status_code not in allowed:
            problems.append(
                f"{who}: {resp.status_code} {error(resp) or resp.text[:300]}, expected {sorted(allowed)}"
            )
        if case.absent_from_items and resp.status_code == 200:
            ids = [i.get("id") for i in resp.json().get("items", [])]
            if resources[case.absent_from_items][1] in ids:
                problems.append(f"{who}: the list shows {case.absent_from_items}")
    if case.resource:
        after = db[coll].find_one({"_id": rid}, {"outbox": 0})
        if after != before:
            problems.append(
                f"{case.resource} changed: version {before.get('version')} -> {after.get('version')}"
            )
    return problems


# The shared registry of places and people: on every service, read by any signed-in caller.
REGISTRY_OPERATIONS = {
    ("GET", "/v1/communities"): ANY_ROLE,
    ("GET", "/v1/communities/{community_id}"): ANY_ROLE,
    ("GET", "/v1/people"): ANY_ROLE,
    ("GET", "/v1/people/{person_id}"): ANY_ROLE,
    ("GET", "/v1/stations"): ANY_ROLE,
}


def registry_object_cases(principals: dict) -> list[ObjectCase]:
    """The register is public within the platform: whoever is signed in, of whichever community,
    reads community A and a person serving it."""
    everyone = dict.fromkeys(principals, 200)
    return [
        ObjectCase("GET", "/v1/communities/{community_id}", everyone, params={"community_id": COMMUNITY_A}),
        ObjectCase("GET", "/v1/people/{person_id}", everyone, params={"person_id": "deputy-01"}),
    ]
