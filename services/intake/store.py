"""Persistence of intake requests: the collection, its indexes, and atomic writes with the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

import mongoengine
from mongoengine import fields
from pymongo.cursor import Cursor

from civic146.outbox import AGGREGATE_INDEXES, AggregateStore

from .domain import OPEN_STATUSES


class IntakeRequest(mongoengine.DynamicDocument):
    """Declares the collection and its indexes; documents are read and written as plain dicts
    (see module doc) so the domain stays free of the ODM."""

    id = fields.StringField(primary_key=True)
    version = fields.IntField(required=True)
    meta = {
        "collection": "requests",
        "indexes": [
            {"fields": ["community", "-submitted_at", "-_id"]},
            {"fields": ["submitted_by", "-submitted_at"]},
            {"fields": ["community", "compound", "category", "-submitted_at"]},
            {"fields": ["status", "response_due_at"]},
            {"fields": ["status", "resolution_due_at"]},
            {"fields": ["status", "feedback_due_at"]},
            *AGGREGATE_INDEXES,
        ],
        "auto_create_index": False,
    }


AGGREGATE = AggregateStore(IntakeRequest, "request")
collection = AGGREGATE.collection
get = AGGREGATE.get
insert = AGGREGATE.insert
apply = AGGREGATE.apply


DUPLICATE_CANDIDATES = 200  # the newest of the window compared with a request (stated in the answer)


def duplicate_candidates(doc: dict, window: timedelta, limit: int = DUPLICATE_CANDIDATES) -> list[dict]:
    return list(
        collection()
        .find(
            {
                "community": doc["community"],
                "compound": doc.get("compound"),
                "category": doc["category"],
                "status": {"$nin": ["rejected", "duplicate"]},
                "_id": {"$ne": doc["_id"]},
                "submitted_at": {"$gte": doc["submitted_at"] - window, "$lte": doc["submitted_at"] + window},
            },
            {"description": 1, "status": 1, "submitted_at": 1, "submitter.name": 1},
        )
        .sort("submitted_at", -1)
        .limit(limit)
    )


def overdue(now: datetime) -> Cursor:
    """Requests with a deadline passed and not yet flagged (the overdue job)."""
    return collection().find(
        {
            "$or": [
                {"status": "submitted", "response_due_at": {"$lte": now}, "response_overdue": {"$ne": True}},
                {
                    "status": {"$in": list(OPEN_STATUSES)},
                    "resolution_due_at": {"$lte": now},
                    "resolution_overdue": {"$ne": True},
                },
            ]
        },
        {"outbox": 0},
    )


def follow_ups_due(now: datetime) -> Cursor:
    """Resolved requests still without a rating when the feedback is due (the follow-up job)."""
    return collection().find(
        {
            "status": "resolved",
            "rating": None,
            "follow_up_sent": {"$ne": True},
            "feedback_due_at": {"$lte": now},
        },
        {"outbox": 0},
    )


# What the indicators are computed from (statistics and the worker's gauges).
INDICATOR_FIELDS = (
    "community",
    "status",
    "channel",
    "category",
    "submitted_at",
    "responded_at",
    "response_due_at",
    "routed_at",
    "resolved_at",
    "rating",
    "response_overdue",
    "resolution_overdue",
)


def indicator_rows(now: datetime) -> list[dict]:
    """The last 30 days' requests, with the indicators' fields only (the gauges' job)."""
    return statistics_rows({"submitted_at": {"$gte": now - timedelta(days=30)}})


def statistics_rows(flt: dict) -> list[dict]:
    return list(collection().find(flt, dict.fromkeys(INDICATOR_FIELDS, 1)))


def page(conditions: list[dict], limit: int) -> list[dict]:
    """Up to `limit` requests meeting every condition, newest first (the list's order and cursor)."""
    return list(
        collection()
        .find({"$and": conditions}, {"outbox": 0})
        .sort([("submitted_at", -1), ("_id", -1)])
        .limit(limit)
    )
