"""Persistence of outreach tasks: the `outreach_tasks` collection, its index, its query, and atomic
writes with the outbox (documents are read and written as plain dicts; the class only declares
the collection and its index)."""

from __future__ import annotations

import mongoengine
from mongoengine import fields
from pymongo.errors import DuplicateKeyError

from civic146.outbox import AGGREGATE_INDEXES, Change, Outbox, load


class OutreachTask(mongoengine.DynamicDocument):
    id = fields.StringField(primary_key=True)
    version = fields.IntField(required=True)
    meta = {
        "collection": "outreach_tasks",
        "indexes": [{"fields": ["community", "status"]}, *AGGREGATE_INDEXES],
        "auto_create_index": False,
    }


def collection():
    return OutreachTask._get_collection()


def get(task_id: str) -> dict:
    return load(collection(), task_id, "outreach task")


def insert_once(outbox: Outbox, doc: dict, change: Change) -> bool:
    """Insert a task (its id derives from seeker and job); False if it already exists."""
    try:
        outbox.insert(collection(), doc, change.outbox)
        return True
    except DuplicateKeyError:
        return False


def apply(outbox: Outbox, doc: dict, change: Change) -> dict:
    """Write the change atomically (guarded by version) and return the document as it now is."""
    return outbox.apply(collection(), doc, change)


def find(flt: dict, limit: int) -> list[dict]:
    """Tasks meeting `flt`, newest first, at most `limit`."""
    return list(collection().find(flt, {"outbox": 0}).sort("created_at", -1).limit(limit))
