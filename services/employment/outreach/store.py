"""Persistence of outreach tasks: the `outreach_tasks` collection, its index, its query, and atomic
writes with the outbox (documents are read and written as plain dicts; the class only declares
the collection and its index)."""

from __future__ import annotations

import mongoengine
from mongoengine import fields

from civic146.outbox import AGGREGATE_INDEXES, AggregateStore


class OutreachTask(mongoengine.DynamicDocument):
    id = fields.StringField(primary_key=True)
    version = fields.IntField(required=True)
    meta = {
        "collection": "outreach_tasks",
        "indexes": [{"fields": ["community", "status"]}, *AGGREGATE_INDEXES],
        "auto_create_index": False,
    }


AGGREGATE = AggregateStore(OutreachTask, "outreach task")
collection = AGGREGATE.collection
get = AGGREGATE.get
insert_once = AGGREGATE.insert_once
apply = AGGREGATE.apply


def find(flt: dict, limit: int) -> list[dict]:
    """Tasks meeting `flt`, newest first, at most `limit`."""
    return list(collection().find(flt, {"outbox": 0}).sort("created_at", -1).limit(limit))
