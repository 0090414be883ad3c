"""The door's formats: XML or JSON by the resource's extension (the spec's mapping of one to the
other), times as the spec writes them, and its error format (`Open311Error`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from xml.etree import ElementTree

from flask import Response, request
from pydantic import BaseModel

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}


# XML: the root element of each answer and the element of each item of a list.
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error"}
XML_LIST_ITEMS = {"attributes": "attribute", "values": "value"}


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
