"""The door's blueprint (`/open311/v2/`): the service list and definitions, posting a request through
the same action as `POST /v1/requests`, reading requests and tokens; and its error handlers, which
answer in the spec's error format."""

from __future__ import annotations

import logging

from flask import Response, g, request
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import HTTPException

from civic146.auth import EXTERNAL_SYSTEM, Principal, actor_of
from civic146.errors import DomainError, NotFound, Unavailable, http_status
from civic146.web import ApiBlueprint, service_context

from .. import actions, store
from ..context import Intake
from .arguments import (
    MAX_RESULTS,
    POST_ARGUMENTS,
    REQUEST_ID,
    category_of,
    check_jurisdiction,
    check_known,
    external_system,
    native_request,
    one,
    requests_query,
)
from .formats import Open311Error, error_format, output_format, render
from .openapi import API_KEY, JURISDICTION, _form, _param, openapi
from .payloads import (
    CreatedOut,
    ErrorOut,
    ServiceDefinitionOut,
    ServiceOut,
    ServiceRequestOut,
    TokenOut,
    definition,
    notice,
    present,
)

log = logging.getLogger(__name__)

bp = ApiBlueprint("open311", __name__, url_prefix="/open311/v2", tag="open311")


def ctx() -> Intake:
    return service_context()


@bp.errorhandler(Open311Error)
def open311_error(exc: Open311Error):
    errors = [ErrorOut(code=exc.status, description=d) for d in exc.descriptions]
    response = render(error_format(), "errors", errors, exc.status)
    if exc.retry_after:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    # The spec's codes: 403 for the key, 404 for what does not exist, 400 for any other refusal;
    # a dependency away and a throttled caller keep 503/429 and their Retry-After.
    status = http_status(exc)
    if status not in (403, 404, 429, 503):
        status = 400
    return open311_error(Open311Error(status, exc.message, retry_after=getattr(exc, "retry_after", None)))


@bp.errorhandler(ConnectionFailure)
def database_unavailable(exc: ConnectionFailure):
    return domain_error(
        Unavailable("the database is unavailable; nothing was changed, try again shortly", retry_after=5)
    )


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return open311_error(Open311Error(exc.code or 400, exc.description or exc.name))


@bp.errorhandler(Exception)
def unexpected(exc: Exception):
    log.exception("unhandled error", extra={"request_id": g.get("request_id")})
    return open311_error(Open311Error(500, f"unexpected error; request id {g.get('request_id')}"))


@bp.endpoint(
    "/services.<fmt>",
    "GET",
    summary="Open311: the service list (the category catalogue)",
    roles=None,
    response=ServiceOut,
    openapi=openapi("ServiceOut", True, [JURISDICTION, API_KEY]),
)
def service_list(fmt: str):
    fmt = output_format(fmt)
    check_known(request.args, ("jurisdiction_id", "api_key"), "GET services")
    check_jurisdiction(request.args)
    return render(
        fmt,
        "services",
        [
            ServiceOut(
                service_code=c.id,
                service_name=c.label_zh,
                description=f"{c.label_en}. {notice(c)}",
                metadata=True,
                type="realtime",
                keywords=", ".join(c.keywords),
                group=c.route_to,
            )
            for c in ctx().categories.values()
        ],
    )


@bp.endpoint(
    "/services/<service_code>.<fmt>",
    "GET",
    summary="Open311: a service definition (its attributes)",
    roles=None,
    response=ServiceDefinitionOut,
    openapi=openapi(
        "ServiceDefinitionOut",
        False,
        [_param("service_code", "path", "a category id", True), JURISDICTION, API_KEY],
        errors=" (404: no such service_code)",
    ),
)
def service_definition(service_code: str, fmt: str):
    fmt = output_format(fmt)
    check_known(request.args, ("jurisdiction_id", "api_key"), "GET service definition")
    check_jurisdiction(request.args)
    return render(fmt, "service_definition", definition(category_of(service_code)))


@bp.endpoint(
    "/requests.<fmt>",
    "POST",
    summary="Open311: post a service request (api_key of an external system)",
    roles=None,
    response=CreatedOut,
    openapi=openapi(
        "CreatedOut",
        True,
        [],
        form=_form(),
        errors=" (403: api_key missing or unknown; 404: service_code or jurisdiction_id not found;"
        " 400: anything else, one entry per problem; nothing is stored)",
    ),
)
def post_request(fmt: str):
    fmt = output_format(fmt)
    form = request.form
    system = external_system(one(form, "api_key"), "create_request")
    if system is None:
        raise Open311Error(403, "api_key is required -- can't proceed with create_request.")
    check_known(form, POST_ARGUMENTS, "POST requests")
    check_jurisdiction(form)
    category = category_of(one(form, "service_code"))
    body = native_request(form, category)
    caller = Principal(system, frozenset({EXTERNAL_SYSTEM}), frozenset())
    doc = actions.submit(ctx(), body.model_dump(mode="json"), actor_of(caller))
    return render(
        fmt,
        "service_requests",
        [CreatedOut(service_request_id=doc["_id"], service_notice=notice(category), account_id=None)],
    )


def reader() -> str | None:
    return external_system(one(request.args, "api_key"), "the query")


def private(response: Response, system: str | None) -> Response:
    if system is not None:  # shows a system its own requests' text: no cache may keep it
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.endpoint(
    "/requests.<fmt>",
    "GET",
    summary="Open311: service requests (the spec's filters)",
    roles=None,
    response=ServiceRequestOut,
    openapi=openapi(
        "ServiceRequestOut",
        True,
        [
            JURISDICTION,
            API_KEY,
            _param("service_request_id", "query", "comma-separated ids; overrides the other filters"),
            _param("service_code", "query", "comma-separated"),
            _param(
                "start_date", "query", "W3C date-time with zone; window at most 90 days (default: last 90)"
            ),
            _param("end_date", "query", "W3C date-time with zone"),
            _param("status", "query", "open, closed or both (comma-separated)"),
        ],
        errors=" (at most 1000 requests, newest first)",
    ),
)
def list_requests(fmt: str):
    fmt = output_format(fmt)
    check_known(
        request.args,
        (
            "jurisdiction_id",
            "api_key",
            "service_request_id",
            "service_code",
            "start_date",
            "end_date",
            "status",
        ),
        "GET requests",
    )
    check_jurisdiction(request.args)
    system = reader()
    docs = store.page(requests_query(request.args), MAX_RESULTS)
    return private(render(fmt, "service_requests", [present(d, system) for d in docs]), system)


@bp.endpoint(
    "/requests/<service_request_id>.<fmt>",
    "GET",
    summary="Open311: one service request",
    roles=None,
    response=ServiceRequestOut,
    openapi=openapi(
        "ServiceRequestOut",
        True,
        [_param("service_request_id", "path", "the request's id", True), JURISDICTION, API_KEY],
        errors=" (404: no such request)",
    ),
)
def get_request(service_request_id: str, fmt: str):
    fmt = output_format(fmt)
    check_known(request.args, ("jurisdiction_id", "api_key"), "GET request")
    check_jurisdiction(request.args)
    system = reader()
    if not REQUEST_ID.fullmatch(service_request_id):
        raise NotFound(f"service_request_id {service_request_id[:40]!r} not found")
    doc = store.get(service_request_id)
    return private(render(fmt, "service_requests", [present(doc, system)]), system)


@bp.endpoint(
    "/tokens/<token>.<fmt>",
    "GET",
    summary="Open311: service_request_id from a token (none are issued: every service is realtime)",
    roles=None,
    response=TokenOut,
    openapi=openapi(
        "TokenOut",
        True,
        [_param("token", "path", "a token", True), JURISDICTION, API_KEY],
        errors=" (404: every token)",
    ),
)
def token(token: str, fmt: str):
    output_format(fmt)
    check_known(request.args, ("jurisdiction_id", "api_key"), "GET tokens")
    check_jurisdiction(request.args)
    raise Open311Error(
        404,
        f"token {token[:40]!r} not found: every service here is realtime, "
        "and a posted request gets its service_request_id at once",
    )
