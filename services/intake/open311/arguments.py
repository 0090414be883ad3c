"""The spec's arguments read into intake's terms: arguments given once, the jurisdiction, the api_key of
an external system, a service code; a posted form as intake's own payload (attributes, place, name);
and the filters of a request search as one query."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from civic146.reference import COMMUNITIES, community_of_compound
from civic146.web import service_context

from .. import domain
from ..context import Intake
from ..reference import Category
from ..schemas import SubmitRequestIn
from .formats import Open311Error
from .payloads import CLOSED, OPEN

MAX_RESULTS = 1000  # the spec's response volume: 90 days or the first 1000 requests
MAX_SPAN = timedelta(days=90)
REQUEST_ID = re.compile(r"[0-9a-f]{32}")  # domain.new_request_id


def ctx() -> Intake:
    return service_context()


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
