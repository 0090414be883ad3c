"""The spec's payloads (services, service definitions, service requests, tokens, errors) and how
intake's categories and requests become them: GeoReport's two statuses and the notes that say more,
and what a request shows to everyone and to the system that posted it."""

from __future__ import annotations

from pydantic import BaseModel

from civic146.auth import EXTERNAL_SYSTEM
from civic146.reference import COMMUNITIES
from civic146.web import service_context

from .. import domain
from ..context import Intake
from ..reference import Category
from .formats import w3


def ctx() -> Intake:
    return service_context()


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
