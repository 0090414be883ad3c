"""Persistence of job postings: the `jobs` collection, its indexes, its queries, and atomic writes
with the outbox (documents are read and written as plain dicts; the class only declares the
collection and its indexes)."""

from __future__ import annotations

from datetime import datetime

import mongoengine
from mongoengine import fields
from pymongo.cursor import Cursor
from pymongo.errors import DuplicateKeyError

from civic146.outbox import AGGREGATE_INDEXES, Change, Outbox, load


class Job(mongoengine.DynamicDocument):
    id = fields.StringField(primary_key=True)
    version = fields.IntField(required=True)
    meta = {
        "collection": "jobs",
        "indexes": [
            {"fields": ["community", "status"]},
            {"fields": ["status", "occupation"]},
            {"fields": ["request_id"]},
            {"fields": ["employer_id"]},
            # the worker looks for hires reserved but not confirmed (actions.hire)
            {"fields": ["reservations.0"], "sparse": True},
            *AGGREGATE_INDEXES,
        ],
        "auto_create_index": False,
    }


def collection():
    return Job._get_collection()


def get(job_id: str) -> dict:
    return load(collection(), job_id, "job")


def insert(outbox: Outbox, doc: dict, change: Change) -> dict:
    return outbox.insert(collection(), doc, change.outbox)


def insert_once(outbox: Outbox, doc: dict, change: Change) -> bool:
    """Insert a posting whose id is derived from what it is about; False if it already exists."""
    try:
        insert(outbox, doc, change)
        return True
    except DuplicateKeyError:
        return False


def apply(outbox: Outbox, doc: dict, change: Change) -> dict:
    """Write the change atomically (guarded by version) and return the document as it now is."""
    return outbox.apply(collection(), doc, change)


def find(flt: dict, limit: int = 0) -> list[dict]:
    """Postings meeting `flt`, newest first (the list's order), at most `limit` (0: all)."""
    cursor = collection().find(flt, {"outbox": 0}).sort("created_at", -1)
    return list(cursor.limit(limit) if limit else cursor)


def of_request(request_id: str) -> dict | None:
    """The posting drafted from an intake request."""
    return collection().find_one({"request_id": request_id}, {"outbox": 0})


def open_jobs(community: str | None = None) -> list[dict]:
    """Open postings (what matching ranks, the gauges, the statistics), of one community or all."""
    flt = {"status": "open", **({"community": community} if community else {})}
    return list(collection().find(flt, {"outbox": 0}))


def open_in(scope: dict) -> list[dict]:
    """Open postings within a community scope (civic146.auth.community_scope)."""
    return list(collection().find({**scope, "status": "open"}, {"outbox": 0}))


def with_reservations() -> Cursor:
    """Postings holding an opening a hire reserved and has not confirmed yet (the repair job)."""
    return collection().find({"reservations.0": {"$exists": True}}, {"outbox": 0})


def expired(now: datetime) -> Cursor:
    """Open postings past their `valid_until` (the expiry job)."""
    return collection().find({"status": "open", "valid_until": {"$lte": now}}, {"outbox": 0})
