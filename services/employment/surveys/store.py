"""Persistence of needs surveys: the `needs_surveys` collection, its indexes, its queries, and atomic
writes with the outbox (documents are read and written as plain dicts; the class only declares the
collection and its indexes)."""

from __future__ import annotations

from datetime import datetime

import mongoengine
from mongoengine import fields
from pymongo.cursor import Cursor

from civic146.outbox import AGGREGATE_INDEXES, AggregateStore


class NeedsSurvey(mongoengine.DynamicDocument):
    id = fields.StringField(primary_key=True)
    version = fields.IntField(required=True)
    meta = {
        "collection": "needs_surveys",
        "indexes": [
            {"fields": ["community", "created_at"]},
            {"fields": ["drafts_created"]},
            *AGGREGATE_INDEXES,
        ],
        "auto_create_index": False,
    }


AGGREGATE = AggregateStore(NeedsSurvey, "needs survey")
collection = AGGREGATE.collection
get = AGGREGATE.get
insert = AGGREGATE.insert
apply = AGGREGATE.apply


def unfinished(before: datetime) -> Cursor:
    """Surveys recorded before `before` whose drafts were not all made (the API died in between)."""
    return collection().find({"drafts_created": False, "created_at": {"$lte": before}}, {"outbox": 0})
