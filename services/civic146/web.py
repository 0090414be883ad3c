"""Flask app factory pieces every service shares: JSON errors, request ids, JSON access logs,
RED metrics per route template, /healthz, /readyz, /metrics, and /openapi.json built from the
same pydantic models that validate the payloads.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from functools import wraps
from typing import Callable

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from . import metrics
from .config import Settings
from .auth import requires
from .errors import DomainError, InvalidInput, MalformedRequest, http_status
from .logs import configure_logging

log = logging.getLogger("civic146.http")


def error_body(code: str, message: str, details: object = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details}}


def validation_details(exc: ValidationError) -> list[dict]:
    return [{"field": ".".join(str(p) for p in e["loc"]) or "(body)", "message": e["msg"]} for e in exc.errors()]


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
    return app


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return jsonify(error_body(exc.code, exc.message, exc.details)), http_status(exc)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = re.sub(r"[^a-z]+", "_", (exc.name or "error").lower()).strip("_")
        return jsonify(error_body(code, exc.description or exc.name)), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error", extra={"request_id": g.get("request_id")})
        return jsonify(error_body("internal_error", "unexpected error; see the logs for this request id",
                                  {"request_id": g.get("request_id")})), 500


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
        if route not in ("/metrics", "/healthz"):
            log.info("request", extra={"request_id": g.get("request_id"), "method": request.method,
                                       "route": route, "status": response.status_code,
                                       "duration_ms": round(elapsed * 1000, 2)})
        return response


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

    @app.get("/metrics")
    def metrics_endpoint():
        body, content_type = metrics.exposition()
        return Response(body, content_type=content_type)

    @app.get("/openapi.json")
    def openapi():
        return openapi_document(current_app)


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


class ApiBlueprint(Blueprint):
    """A blueprint whose routes carry their OpenAPI description."""

    def __init__(self, *args, tag: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.tag = tag
        self.operations: list[Operation] = []

    def endpoint(self, rule: str, method: str, *, summary: str, body=None, query=None, response=None,
                 status: int = 200, roles: tuple[str, ...] | None = ()):
        """Register a view. `roles`: None for a public route, () for any authenticated caller, else
        the roles allowed. `body`/`query` models are validated and passed as keyword arguments;
        the view returns a model (or dict) that is serialised with `status`."""
        def decorator(view):
            @wraps(view)
            def wrapped(*args, **kwargs):
                if body is not None:
                    kwargs["body"] = _parse(body, _json_body(), "body")
                if query is not None:
                    kwargs["query"] = _parse(query, request.args.to_dict(), "query")
                result = view(*args, **kwargs)
                if isinstance(result, Response):
                    return result
                payload = result.model_dump(mode="json", by_alias=True) if isinstance(result, BaseModel) else result
                return jsonify(payload), status

            guarded = wrapped if roles is None else requires(*roles)(wrapped)
            self.operations.append(Operation(rule, method.lower(), summary, body, query, response, status,
                                             roles, [self.tag]))
            self.add_url_rule(rule, view.__name__, guarded, methods=[method])
            return guarded
        return decorator


def _json_body() -> object:
    if not request.is_json:
        raise MalformedRequest("send the body as application/json", code="invalid_content_type")
    data = request.get_json(silent=True)
    if data is None:
        raise MalformedRequest("the body is not valid JSON", code="invalid_json")
    return data


def _parse(model: type[BaseModel], data: object, where: str):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"invalid {where}", validation_details(exc)) from None


def openapi_document(app: Flask) -> dict:
    spec = app.extensions["civic146.openapi"]
    paths: dict = {}
    schemas: dict = {"Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}}}}

    def ref(model: type[BaseModel], mode: str = "validation") -> dict:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for bp in spec["blueprints"]:
        for op in bp.operations:
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", (bp.url_prefix or "") + op.rule)
            item = {"summary": op.summary, "tags": op.tags, "operationId": f"{bp.name}_{op.method}_{path}",
                    "responses": {str(op.status): {"description": "success", **(
                        {"content": {"application/json": {"schema": ref(op.response, "serialization")}}} if op.response else {})},
                        "4XX": {"description": "client error", **error}}}
            params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                      for n in re.findall(r"{([a-z_]+)}", path)]
            if op.query is not None:
                qs = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(qs.pop("$defs", {}))
                required = set(qs.get("required", []))
                params += [{"name": n, "in": "query", "required": n in required, "schema": s}
                           for n, s in qs.get("properties", {}).items()]
            if params:
                item["parameters"] = params
            if op.body is not None:
                item["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(op.body)}}}
            if op.roles is not None:
                item["security"] = [{"bearerAuth": []}]
                if op.roles:
                    item["description"] = "Roles: " + ", ".join(op.roles)
            paths.setdefault(path, {})[op.method] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": spec["title"], "version": "1.0.0", "description": spec["description"]},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


def register_api(app: Flask, bp: ApiBlueprint) -> None:
    app.register_blueprint(bp)
    app.extensions["civic146.openapi"]["blueprints"].append(bp)
