"""Cursor pagination, the same for every list that is sorted newest first by a time and then by id:
a cursor is the position of the last item returned ([time, id], base64 JSON), and the next page is
what comes after it. A cursor the API did not return is refused (422 naming `cursor`), never
queried with."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime

from .errors import InvalidInput

HEX_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex and uuid5().hex: requests' and topics' ids


def encode_cursor(doc: dict, time_field: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([doc[time_field].isoformat(), doc["_id"]]).encode()).decode()


def decode_cursor(cursor: str, id_pattern: re.Pattern = HEX_ID) -> tuple[datetime, str]:
    """The position a cursor this API returned stands for: [ISO time, id]. Anything else (other
    JSON, an object where the id belongs) is refused."""
    invalid = InvalidInput(
        "invalid cursor", [{"field": "cursor", "message": "not a cursor this API returned"}]
    )
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeError, TypeError):  # binascii.Error is a ValueError
        raise invalid from None
    if not (
        isinstance(position, list)
        and len(position) == 2
        and all(isinstance(v, str) for v in position)
        and id_pattern.fullmatch(position[1])
    ):
        raise invalid
    try:
        at = datetime.fromisoformat(position[0])
    except ValueError:
        raise invalid from None
    return at, position[1]


def after(cursor: str, time_field: str) -> dict:
    """The query condition of what comes after the cursor's position (newest first)."""
    at, doc_id = decode_cursor(cursor)
    return {"$or": [{time_field: {"$lt": at}}, {time_field: at, "_id": {"$lt": doc_id}}]}


def page_of(docs: list[dict], limit: int, time_field: str) -> tuple[list[dict], str | None]:
    """`docs` fetched with limit + 1: the page and the cursor of the next one (None: the last)."""
    more = len(docs) > limit
    docs = docs[:limit]
    return docs, encode_cursor(docs[-1], time_field) if more else None
