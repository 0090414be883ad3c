"""Flask app factory pieces every service shares: JSON errors, request ids, JSON access logs,
RED metrics per route template, security headers, throttling, /healthz, /readyz, and
/openapi.json built from the same pydantic models that validate the payloads.

The API's metrics are not served here: gunicorn's master serves them on their own port
(`civic146.gunicorn_conf`), so the public port never shows them.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from pydantic import BaseModel, ValidationError
from pymongo.errors import PyMongoError
from werkzeug.exceptions import HTTPException

from . import metrics, mongo, throttle
from .auth import requires
from .config import Settings
from .errors import DomainError, InvalidInput, MalformedRequest, Unavailable, http_status
from .logs import configure_logging
from .reference import COMMUNITIES
from .registry import REGISTRY

log = logging.getLogger("civic146.http")


def error_body(code: str, message: str, details: object = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details}}


def validation_details(exc: ValidationError) -> list[dict]:
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "(body)", "message": e["msg"]} for e in exc.errors()
    ]


# --- app factory steps ---------------------------------------------------------------------------


def create_base_app(settings: Settings, title: str, description: str) -> Flask:
    configure_logging(settings.service_name, settings.log_level)
    app = Flask(settings.service_name)
    app.config.update(SETTINGS=settings, MAX_CONTENT_LENGTH=settings.max_body_bytes, JSON_AS_ASCII=False)
    app.json.ensure_ascii = False
    app.extensions["civic146.openapi"] = {"title": title, "description": description, "blueprints": []}
    app.extensions["civic146.ready_checks"] = {}
    register_error_handlers(app)
    register_request_context(app)
    register_ops_routes(app)
    throttle.init_app(app, settings)
    return app


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        return jsonify(error_body(exc.code, exc.message, exc.details)), http_status(exc), headers

    @app.errorhandler(PyMongoError)
    def database_error(exc: PyMongoError):
        return database_unavailable(exc) if mongo.database_away(exc) else unexpected(exc)

    def database_unavailable(exc: PyMongoError):
        # The database is down, unreachable or frozen (an operation took over MONGODB_TIMEOUT_MS in
        # all): the caller may try again; /readyz
        # fails meanwhile, so balancers look away. A write that timed out waiting for its reply may
        # still be applied when a frozen server wakes: a retried transition then finds it done
        # (409) instead of applying it twice; a retried create makes a second document.
        log.warning("database unavailable", extra={"request_id": g.get("request_id"), "error": str(exc)})
        return domain_error(Unavailable("the database is unavailable; try again shortly", retry_after=5))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = re.sub(r"[^a-z]+", "_", (exc.name or "error").lower()).strip("_")
        return jsonify(error_body(code, exc.description or exc.name)), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error", extra={"request_id": g.get("request_id")})
        return jsonify(
            error_body(
                "internal_error",
                "unexpected error; see the logs for this request id",
                {"request_id": g.get("request_id")},
            )
        ), 500


def register_request_context(app: Flask) -> None:
    @app.before_request
    def start():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if re.fullmatch(r"[A-Za-z0-9._-]{1,64}", incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response):
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.HTTP_DURATION.labels(request.method, route).observe(elapsed)
        response.headers["X-Request-Id"] = g.get("request_id", "")
        add_security_headers(response)
        if route != "/healthz":
            log.info(
                "request",
                extra={
                    "request_id": g.get("request_id"),
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
        return response


# Every response is JSON (or the OpenAPI document): nothing is to be sniffed as another type,
# framed, or given a referrer; a browser that opens one runs nothing.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def add_security_headers(response: Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if "Authorization" in request.headers:
        # A response to a credential may carry a resident's name, phone or ID number: no shared
        # cache and no browser cache may keep it, and a cache must not give it to another caller.
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Authorization")


def register_ops_routes(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        return {"status": "alive"}

    @app.get("/readyz")
    def readyz():
        results, ok = {}, True
        for name, check in current_app.extensions["civic146.ready_checks"].items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:
                results[name], ok = f"unavailable: {exc}", False
        return {"status": "ready" if ok else "not_ready", "checks": results}, 200 if ok else 503

    @app.get("/openapi.json")
    def openapi():
        return openapi_document(current_app)


def create_service_app(
    settings: Settings,
    title: str,
    description: str,
    blueprints: list[ApiBlueprint],
    context: Callable[[Settings], object],
) -> Flask:
    """A service's API app, built the same way for every service (`Service.create_app` calls it):
    the base app, MongoDB (clients made here, after gunicorn's fork), the communities register its
    payloads are validated against, the service's context (what its views need, see
    `service_context`) with an outbox whose events the worker's relay publishes, its blueprints,
    and a readiness check of MongoDB."""
    app = create_base_app(settings, title, description)
    mongo.connect(settings)
    # The registers are read and checked now: a missing file or a dangling id fails the start, not
    # the first request.
    COMMUNITIES.use(settings.reference_dir)
    REGISTRY.use(settings.reference_dir)
    app.extensions[settings.service_name] = context(settings)
    for bp in blueprints:
        register_api(app, bp)
    add_ready_check(app, "mongodb", mongo.ping)
    return app


def service_context():
    """The context `create_service_app` built for the service answering this request."""
    return current_app.extensions[current_app.config["SETTINGS"].service_name]


def add_ready_check(app: Flask, name: str, check: Callable[[], None]) -> None:
    app.extensions["civic146.ready_checks"][name] = check


# --- endpoints described once: validation and OpenAPI from the same models -------------------------


@dataclass
class Operation:
    rule: str
    method: str
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    roles: tuple[str, ...] | None  # None: public; () any authenticated caller
    tags: list[str] = field(default_factory=list)
    throttled: str | None = None  # name of the limit in civic146.throttle.LIMITS
    # Replaces parts of the generated OpenAPI operation (e.g. requestBody, responses), for a route
    # whose formats the models above cannot describe (a form body, XML responses).
    openapi: dict | None = None
    body_required: bool = True


class ApiBlueprint(Blueprint):
    """A blueprint whose routes carry their OpenAPI description."""

    def __init__(self, *args, tag: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.tag = tag
        self.operations: list[Operation] = []

    def endpoint(
        self,
        rule: str,
        method: str,
        *,
        summary: str,
        body=None,
        query=None,
        response=None,
        status: int = 200,
        roles: tuple[str, ...] | None = (),
        throttled: str | None = None,
        openapi: dict | None = None,
        body_required: bool = True,
        max_body_bytes: int | None = None,
    ):
        """Register a view. `roles`: None for a public route, () for any authenticated caller, else
        the roles allowed. `body`/`query` models are validated and passed as keyword arguments;
        the view returns a model (or dict) that is serialised with `status`. `throttled` names a
        limit of `civic146.throttle.LIMITS` ("guess" for a route that answers whether a guess of
        personal data is right); public routes get the "public" limit unless they name another.
        `openapi` replaces keys of the operation's generated OpenAPI entry (a view that reads a form
        or answers XML describes its body and responses itself). `body_required=False`: a request
        without a body is read as `{}` (a body added to an operation that had none, so that its
        earlier callers keep working). `max_body_bytes`: this operation's limit instead of
        MAX_BODY_BYTES (a bulk import)."""
        throttled = throttled or ("public" if roles is None else None)

        def decorator(view):
            @wraps(view)
            def wrapped(*args, **kwargs):
                if max_body_bytes is not None:
                    request.max_content_length = max_body_bytes
                if body is not None:
                    sent = body_required or request.content_length or request.get_data(cache=True)
                    kwargs["body"] = _parse(body, _json_body() if sent else {}, "body")
                if query is not None:
                    kwargs["query"] = _parse(query, request.args.to_dict(), "query")
                result = view(*args, **kwargs)
                if isinstance(result, Response):
                    return result
                payload = (
                    result.model_dump(mode="json", by_alias=True) if isinstance(result, BaseModel) else result
                )
                return jsonify(payload), status

            # Throttled after authentication: an authenticated caller is counted by who they are,
            # not by an address a carrier's NAT may share with thousands of residents.
            counted = throttle.limited(throttled)(wrapped) if throttled else wrapped
            guarded = counted if roles is None else requires(*roles)(counted)
            self.operations.append(
                Operation(
                    rule,
                    method.lower(),
                    summary,
                    body,
                    query,
                    response,
                    status,
                    roles,
                    [self.tag],
                    throttled,
                    openapi,
                    body_required,
                )
            )
            self.add_url_rule(rule, view.__name__, guarded, methods=[method])
            return guarded

        return decorator


MAX_JSON_DEPTH = 32  # the deepest body any operation accepts is 4 levels; the parser's own limit is ~1,000

# Scans of the raw body in C (re, bytes.translate), so that a common body costs microseconds:
# escapes are dropped, everything but quotes and brackets is deleted (braces become brackets),
# strings are cut out, then innermost pairs are removed once per level (at most MAX_JSON_DEPTH
# passes; bytes.replace does not re-scan the pairs its removals create, so one pass is one level).
# Only a body with a \uD800-\uDFFF escape (the only way JSON can carry a surrogate) is walked
# string by string.
_ESCAPE = re.compile(rb"\\.")
_NOT_QUOTE_OR_BRACKET = bytes(set(range(256)) - set(b'"[]{}'))
_OBJECTS_AS_ARRAYS = bytes.maketrans(b"{}", b"[]")  # one kind of pair: one bytes.replace per level
_STRING = re.compile(rb'"[^"]*"')
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _json_body() -> object:
    if not request.is_json:
        raise MalformedRequest("send the body as application/json", code="invalid_content_type")
    return read_json(request.get_data(cache=True))


def read_json(raw: bytes) -> object:
    """A request body as data, or MalformedRequest/InvalidInput saying why not."""
    try:
        text = raw.decode("utf-8")  # RFC 8259: JSON between systems is UTF-8
    except UnicodeDecodeError:
        raise MalformedRequest("the body is not UTF-8", code="invalid_json") from None
    too_deep = MalformedRequest(f"the body nests deeper than {MAX_JSON_DEPTH} levels", code="json_too_deep")
    if nests_deeper_than(raw, MAX_JSON_DEPTH):
        raise too_deep
    try:
        data = json.loads(text)
    except RecursionError:  # nesting the scan above could not pair up (the body is not JSON either)
        raise too_deep from None
    except ValueError:
        raise MalformedRequest("the body is not valid JSON", code="invalid_json") from None
    if _SURROGATE_ESCAPE.search(raw):
        check_strings(data)
    return data


def nests_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether the JSON text has arrays/objects nested more than `limit` deep (checked before
    parsing: the parser would raise RecursionError at about 1,000 levels)."""
    quotes_and_brackets = _ESCAPE.sub(b"", raw).translate(_OBJECTS_AS_ARRAYS, _NOT_QUOTE_OR_BRACKET)
    # Most strings are now "" (they held no bracket): dropping every "" leaves what is outside
    # strings as it was (it removes an empty string or joins two neighbours) and is much cheaper
    # than a regex match per string.
    brackets = _STRING.sub(b"", quotes_and_brackets.replace(b'""', b""))
    for _ in range(limit):
        inner = brackets.replace(b"[]", b"")
        if inner == brackets:  # all pairs gone, or unbalanced: the parser will say it is not JSON
            return False
        brackets = inner
    return b"[]" in brackets


def check_strings(data: object) -> None:
    """Refuse strings (keys and values) that JSON can carry but nothing can store: a lone
    surrogate such as "\\ud800" is not Unicode, and BSON cannot encode it (a NUL character can be
    stored in a value, and keys are never free: every payload model forbids unknown fields)."""
    stack: list[tuple[object, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, (dict, list)):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                # The path is shown in the error: written so that it can be encoded itself.
                child = (f"{path}.{key}" if path else str(key)).encode("utf-8", "backslashreplace").decode()
                if isinstance(key, str):
                    _check_string(key, child)
                stack.append((item, child))
        elif isinstance(value, str):
            _check_string(value, path or "(body)")


def _check_string(value: str, field_name: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            "invalid body", [{"field": field_name, "message": "is not valid Unicode (a lone surrogate)"}]
        ) from None


def _parse(model: type[BaseModel], data: object, where: str):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"invalid {where}", validation_details(exc)) from None


def openapi_document(app: Flask) -> dict:
    spec = app.extensions["civic146.openapi"]
    paths: dict = {}
    schemas: dict = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
                }
            },
        }
    }

    def add(name: str, schema: dict) -> None:
        # Components are named by model: two different models of one name (a service's and the
        # kit's) would silently describe one with the other's schema.
        if schemas.get(name, schema) != schema:
            raise RuntimeError(f"two different payload models are named {name} in one OpenAPI document")
        schemas[name] = schema

    def ref(model: type[BaseModel], mode: str = "validation") -> dict:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
        for name, nested in schema.pop("$defs", {}).items():
            add(name, nested)
        add(model.__name__, schema)
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    service = app.config["SETTINGS"].service_name  # operation ids are the service's, whichever blueprint
    for bp in spec["blueprints"]:
        for op in bp.operations:
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", (bp.url_prefix or "") + op.rule)
            item = {
                "summary": op.summary,
                "tags": op.tags,
                "operationId": f"{service}_{op.method}_{path}",
                "responses": {
                    str(op.status): {
                        "description": "success",
                        **(
                            {"content": {"application/json": {"schema": ref(op.response, "serialization")}}}
                            if op.response
                            else {}
                        ),
                    },
                    "4XX": {"description": "client error", **error},
                    "503": {
                        "description": "the database is unavailable: nothing was changed; retry after the "
                        "`Retry-After` seconds",
                        **error,
                    },
                },
            }
            params = [
                {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                for n in re.findall(r"{([a-z_]+)}", path)
            ]
            if op.query is not None:
                qs = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(qs.pop("$defs", {}))
                required = set(qs.get("required", []))
                params += [
                    {"name": n, "in": "query", "required": n in required, "schema": s}
                    for n, s in qs.get("properties", {}).items()
                ]
            if params:
                item["parameters"] = params
            if op.body is not None:
                item["requestBody"] = {
                    "required": op.body_required,
                    "content": {"application/json": {"schema": ref(op.body)}},
                }
            notes = []
            if op.roles is not None:
                item["security"] = [{"bearerAuth": []}]
                if op.roles:
                    item["x-roles"] = list(op.roles)  # the same, for generated clients and tests
                    notes.append("Roles: " + ", ".join(op.roles))
            if op.throttled:
                item["responses"]["429"] = {
                    "description": "too many requests; retry after the `Retry-After` seconds",
                    **error,
                }
                notes.append(f"Throttled ({throttle.describe(app, op.throttled)}): 429 with `Retry-After`")
            if notes:
                item["description"] = ". ".join(notes)
            item.update(op.openapi or {})
            paths.setdefault(path, {})[op.method] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": spec["title"], "version": "1.0.0", "description": spec["description"]},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def register_api(app: Flask, bp: ApiBlueprint) -> None:
    app.register_blueprint(bp)
    app.extensions["civic146.openapi"]["blueprints"].append(bp)
