"""Open311 GeoReport v2 on intake (https://wiki.open311.org/GeoReport_v2), for the reporting
platforms residents already use elsewhere: the service list and definitions come from the category
catalogue and the communities register, a posted request is submitted through the same action as
`POST /v1/requests` (same validation, same events, same masking), and its status is read from
intake's status machine. Responses are XML or JSON by the resource's extension; errors are the
spec's `errors` list with the spec's HTTP codes (403 api_key, 404 not found, 400 the rest; 503 while
the database is away, with Retry-After).

Who posts: an external system, known by its api_key (IntakeSettings.open311_api_keys maps each key's
sha256 digest to the system's id; the request's actor is that id with the role external_system).
What anyone may read (the spec's reads need no key): a request's service, status, dates, the
agency it went to and its place as the register names it, never the submitter's data nor free
text. The system that posted a request also gets its description, location and media back,
scrubbed as intake's masked responses are.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from flask import Response, g, request
from pydantic import BaseModel, ValidationError
from pymongo.errors import ConnectionFailure
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from civic146.auth import EXTERNAL_SYSTEM, Principal, actor_of
from civic146.errors import DomainError, NotFound, Unavailable, http_status
from civic146.reference import COMMUNITIES, community_of_compound
from civic146.web import ApiBlueprint, service_context

from . import actions, domain, store
from .context import Intake
from .reference import Category
from .schemas import SubmitRequestIn

log = logging.getLogger(__name__)

bp = ApiBlueprint("open311", __name__, url_prefix="/open311/v2", tag="open311")

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
MAX_RESULTS = 1000  # the spec's response volume: 90 days or the first 1000 requests
MAX_SPAN = timedelta(days=90)
REQUEST_ID = re.compile(r"[0-9a-f]{32}")  # domain.new_request_id

# Intake's statuses as GeoReport's two, and the words that say more (status_notes).
OPEN, CLOSED = "open", "closed"
STATUS_NOTES = {
    "submitted": "已提交，待受理 / submitted, awaiting acceptance",
    "accepted": "已受理 / accepted",
    "routed": "已转办 / routed to {target}",
    "in_progress": "办理中 / being handled",
    "reopened": "已重新办理 / reopened",
    "resolved": "已办结 / resolved",
    "closed": "已关闭 / closed",
    "rejected": "不予受理 / rejected",
    "duplicate": "重复诉求，并入 {duplicate_of} / duplicate of request {duplicate_of}",
}


def ctx() -> Intake:
    return service_context()


# --- the spec's payloads -------------------------------------------------------------------------


class ServiceOut(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class AttributeValueOut(BaseModel):
    key: str
    name: str


class AttributeOut(BaseModel):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValueOut]


class ServiceDefinitionOut(BaseModel):
    service_code: str
    attributes: list[AttributeOut]


class CreatedOut(BaseModel):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class ServiceRequestOut(BaseModel):
    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class TokenOut(BaseModel):
    service_request_id: str
    token: str


class ErrorOut(BaseModel):
    code: int
    description: str


# XML: the root element of each answer and the element of each item of a list.
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error"}
XML_LIST_ITEMS = {"attributes": "attribute", "values": "value"}


# --- the OpenAPI entries (the kit's generic ones describe JSON bodies and its own error format) -----

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


# --- formats --------------------------------------------------------------------------------------


class Open311Error(Exception):
    """An answer in the spec's error format: HTTP `status` and one entry per problem."""

    def __init__(self, status: int, *descriptions: str, retry_after: int | None = None):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions
        self.retry_after = retry_after


def output_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"format {fmt!r} is not served: use .xml or .json")
    return fmt


def w3(at: datetime | None) -> str | None:
    """A time as the spec writes it (W3C profile of ISO 8601, with its zone)."""
    if at is None:
        return None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _xml_value(parent: ElementTree.Element, name: str, value: object) -> None:
    element = ElementTree.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(element, key, inner)
    elif isinstance(value, list):
        for item in value:
            _xml_value(element, XML_LIST_ITEMS[name], item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def render(fmt: str, root: str, payload: BaseModel | list[BaseModel], status: int = 200) -> Response:
    """The answer in `fmt`: a list becomes <root><item/>...</root> in XML and an array in JSON
    (the spec's mapping of one to the other); a single model becomes <root>...</root> or an object."""
    data = (
        [p.model_dump(mode="json") for p in payload]
        if isinstance(payload, list)
        else payload.model_dump(mode="json")
    )
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False)
    else:
        element = ElementTree.Element(root)
        for item in data if isinstance(data, list) else [data]:
            parent = ElementTree.SubElement(element, XML_ITEMS[root]) if isinstance(data, list) else element
            for key, value in item.items():
                _xml_value(parent, key, value)
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(element, encoding="unicode")
    return Response(body, status=status, content_type=FORMATS[fmt])


def error_format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    return fmt if fmt in FORMATS else "xml"  # XML is the format every GeoReport client reads


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


# --- arguments --------------------------------------------------------------------------------------


def one(args: MultiDict, name: str) -> str | None:
    """An argument given at most once; empty is the same as absent (the spec's optional arguments)."""
    values = [v.strip() for v in args.getlist(name)]
    if len(values) > 1:
        raise Open311Error(400, f"{name}: given {len(values)} times; give it once")
    return values[0] if values and values[0] else None


def check_jurisdiction(args: MultiDict) -> None:
    given = one(args, "jurisdiction_id")
    if given is not None and given != ctx().settings.open311_jurisdiction_id:
        raise Open311Error(404, f"jurisdiction_id {given!r} not found: this endpoint serves one jurisdiction")


def check_known(args: MultiDict, known: Iterable[str], what: str) -> None:
    unknown = sorted({k for k in args if k not in known and not k.startswith("attribute[")})
    if unknown:
        raise Open311Error(400, *(f"{k}: not an argument of {what}" for k in unknown))


def external_system(api_key: str | None, doing: str) -> str | None:
    """The id of the system whose key this is (None without a key); a wrong key is refused."""
    if api_key is None:
        return None
    digest = hashlib.sha256(api_key.encode("utf-8")).hexdigest()
    for known, system in ctx().settings.open311_api_keys.items():
        if hmac.compare_digest(known, digest):
            return system
    raise Open311Error(403, f"Invalid api_key received -- can't proceed with {doing}.")


def category_of(code: str | None) -> Category:
    if code is None:
        raise Open311Error(400, "service_code was not provided")
    category = ctx().categories.get(code)
    if category is None:
        raise Open311Error(404, f"service_code {code!r} not found; see services.xml")
    return category


def parse_time(args: MultiDict, name: str) -> datetime | None:
    value = one(args, name)
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise Open311Error(
            400, f"{name}: {value!r} is not a W3C date-time with its zone, e.g. 2010-01-01T00:00:00Z"
        )
    return at


def comma_list(args: MultiDict, name: str) -> list[str]:
    return [v.strip() for value in args.getlist(name) for v in value.split(",") if v.strip()]


# --- services ---------------------------------------------------------------------------------------


def notice(category: Category) -> str:
    return (
        f"{category.response_hours} 小时内受理，{category.resolution_days} 天内办结 / "
        f"accepted or refused within {category.response_hours} hours, "
        f"resolved within {category.resolution_days} days"
    )


def definition(category: Category) -> ServiceDefinitionOut:
    """What a request of this service needs besides the spec's own fields: the place, as the
    communities register names it (a compound id as address_id stands for both)."""
    register = COMMUNITIES()
    return ServiceDefinitionOut(
        service_code=category.id,
        attributes=[
            AttributeOut(
                variable=True,
                code="community",
                datatype="singlevaluelist",
                required=True,
                datatype_description="社区 / community (or a compound's key as address_id)",
                order=1,
                description="所在社区 / the community the request is about",
                values=[AttributeValueOut(key=c.id, name=c.name_zh) for c in register.values()],
            ),
            AttributeOut(
                variable=True,
                code="compound",
                datatype="singlevaluelist",
                required=False,
                datatype_description="小区 / compound, in the community above",
                order=2,
                description="所在小区（可不填）/ the compound, if the matter belongs to one",
                values=[
                    AttributeValueOut(key=k, name=f"{c.name_zh} {name}")
                    for c in register.values()
                    for k, name in c.compounds.items()
                ],
            ),
        ],
    )


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


# --- posting a request --------------------------------------------------------------------------------

POST_ARGUMENTS = (
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
)
ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")
ATTRIBUTES = ("community", "compound")

# Where the native payload's fields came from, for errors in the client's terms.
NATIVE_TO_OPEN311 = {
    "category": "service_code",
    "description": "description",
    "community": "attribute[community]",
    "compound": "attribute[compound]",
    "location": "address_string",
    "submitter.name": "first_name/last_name",
    "submitter.phone": "phone",
    "submitter": "first_name/last_name/phone",
    "attachments": "media_url",
    "attachments.0": "media_url",
}


def attributes(form: MultiDict) -> dict[str, str]:
    found: dict[str, str] = {}
    problems = []
    for key in form:
        if not key.startswith("attribute["):
            continue
        match = ATTRIBUTE.fullmatch(key)
        values = [v.strip() for v in form.getlist(key) if v.strip()]
        if match is None or match.group(1) not in ATTRIBUTES:
            problems.append(f"{key}: not an attribute of this service; see its definition")
        elif match.group(2) or len(values) > 1:
            problems.append(f"attribute[{match.group(1)}]: a singlevaluelist takes one value")
        elif values:
            found[match.group(1)] = values[0]
    if problems:
        raise Open311Error(400, *problems)
    return found


def place(form: MultiDict, given: dict[str, str]) -> dict[str, str]:
    """community and compound from the attributes, or from address_id (a compound's or community's key)."""
    lat, long = one(form, "lat"), one(form, "long")
    address_id, address = one(form, "address_id"), one(form, "address_string")
    problems = []
    if (lat is None) != (long is None):
        problems.append("lat and long: give both or neither")
    for name, value, bound in (("lat", lat, 90), ("long", long, 180)):
        try:
            if value is not None and not -bound <= float(value) <= bound:
                raise ValueError
        except ValueError:
            problems.append(f"{name}: {value!r} is not a WGS84 coordinate (-{bound} to {bound})")
    if lat is None and address is None and address_id is None:
        problems.append("a location is required: lat and long, address_string or address_id")
    found = dict(given)
    if address_id is not None:
        if address_id in community_of_compound():
            implied = {"community": community_of_compound()[address_id], "compound": address_id}
        elif address_id in COMMUNITIES():
            implied = {"community": address_id}
        else:
            implied = {}
            problems.append(f"address_id: {address_id!r} is no community or compound of this jurisdiction")
        for key, value in implied.items():
            if found.setdefault(key, value) != value:
                problems.append(f"address_id: {address_id!r} is not in attribute[{key}] {found[key]!r}")
    if problems:
        raise Open311Error(400, *problems)
    return found


def full_name(first: str | None, last: str | None) -> str | None:
    """Family name first and without a space for Chinese names (张 + 三 = 张三), else "first last"."""
    parts = [p for p in (last, first) if p]
    if not parts:
        return None
    if all(re.fullmatch(r"[\u3400-\u9fff·]+", p) for p in parts):
        return "".join(parts)
    return " ".join(p for p in (first, last) if p)


def native_request(form: MultiDict, category: Category) -> SubmitRequestIn:
    """The posted request as intake's own payload, validated by the same model as POST /v1/requests.
    email, device_id and account_id are read and kept nowhere: intake keeps a name and a phone only."""
    where = place(form, attributes(form))
    media = one(form, "media_url")
    fields = {
        "category": category.id,
        "description": one(form, "description"),
        **where,
        "location": one(form, "address_string"),
        "channel": ctx().settings.open311_channel,
        "submitter": {
            "name": full_name(one(form, "first_name"), one(form, "last_name")),
            "phone": one(form, "phone"),
        },
        "attachments": [media] if media else [],
    }
    fields["submitter"] = {k: v for k, v in fields["submitter"].items() if v is not None}
    fields = {k: v for k, v in fields.items() if v is not None}
    try:
        return SubmitRequestIn.model_validate(fields)
    except ValidationError as exc:
        raise Open311Error(
            400,
            *(
                f"{NATIVE_TO_OPEN311.get(path, path)}: {e['msg']}"
                for e in exc.errors()
                for path in [".".join(str(p) for p in e["loc"])]
            ),
        ) from None


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


# --- reading requests ----------------------------------------------------------------------------------


def present(doc: dict, system: str | None) -> ServiceRequestOut:
    """A request as GeoReport shows it. Everyone: service, status, times, agency, the place as the
    register names it. The system that posted it: also its description, location and media, with
    the numbers and the name intake knows scrubbed out (as in intake's masked responses)."""
    own = (
        system is not None
        and doc["submitted_by"] == system
        and doc["history"][0]["actor_role"] == EXTERNAL_SYSTEM
    )
    category = ctx().categories.get(doc["category"])
    community = COMMUNITIES().get(doc["community"])
    place_name = None
    if community is not None:
        compound = community.compounds.get(doc.get("compound") or "")
        place_name = " ".join(n for n in (community.name_zh, compound) if n)
    location = domain.scrub(doc, doc.get("location")) if own else None
    status = doc["status"]
    return ServiceRequestOut(
        service_request_id=doc["_id"],
        status=OPEN if status in domain.OPEN_STATUSES else CLOSED,
        status_notes=STATUS_NOTES[status].format(
            target=doc.get("route_target") or "", duplicate_of=doc.get("duplicate_of") or ""
        ),
        service_name=category.label_zh if category else doc["category"],
        service_code=doc["category"],
        description=domain.scrub(doc, doc["description"]) if own else None,
        agency_responsible=doc.get("department") or doc.get("route_target"),
        service_notice=notice(category) if category else None,
        requested_datetime=w3(doc["submitted_at"]),
        updated_datetime=w3(doc.get("updated_at") or doc["submitted_at"]),
        expected_datetime=w3(doc.get("resolution_due_at")),
        address=", ".join(p for p in (location, place_name) if p) or None,
        address_id=doc.get("compound") or doc["community"],
        zipcode=None,
        lat=None,
        long=None,
        media_url=(doc.get("attachments") or [None])[0] if own else None,
    )


def reader() -> str | None:
    return external_system(one(request.args, "api_key"), "the query")


def private(response: Response, system: str | None) -> Response:
    if system is not None:  # shows a system its own requests' text: no cache may keep it
        response.headers["Cache-Control"] = "no-store"
    return response


def requests_query(args: MultiDict) -> list[dict]:
    """The spec's filters as one query: service_request_id (comma-separated; overrides the rest), or
    service_code, status and a requested_datetime window of at most 90 days (the last 90 by default)."""
    ids = comma_list(args, "service_request_id")
    if ids:
        bad = [i for i in ids if not REQUEST_ID.fullmatch(i)]
        if bad:
            raise Open311Error(
                400, *(f"service_request_id: {i[:40]!r} is not a request id of this server" for i in bad)
            )
        if len(ids) > MAX_RESULTS:
            raise Open311Error(400, f"service_request_id: at most {MAX_RESULTS} at once")
        return [{"_id": {"$in": ids}}]
    codes = comma_list(args, "service_code")
    if any(len(c) > 64 for c in codes):
        raise Open311Error(400, "service_code: a code has at most 64 characters")
    statuses = comma_list(args, "status")
    wrong = [s for s in statuses if s not in (OPEN, CLOSED)]
    if wrong:
        raise Open311Error(400, *(f"status: {s[:40]!r} is not open or closed" for s in wrong))
    start, end = parse_time(args, "start_date"), parse_time(args, "end_date")
    if start is None and end is None:
        end = ctx().now()
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if end < start:
        raise Open311Error(400, "end_date: before start_date")
    if end - start > MAX_SPAN:
        raise Open311Error(400, "start_date and end_date: may not span more than 90 days")
    conditions: list[dict] = [{"submitted_at": {"$gte": start, "$lte": end}}]
    if codes:
        conditions.append({"category": {"$in": codes}})
    if set(statuses) == {OPEN}:
        conditions.append({"status": {"$in": list(domain.OPEN_STATUSES)}})
    elif set(statuses) == {CLOSED}:
        conditions.append({"status": {"$nin": list(domain.OPEN_STATUSES)}})
    return conditions


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
