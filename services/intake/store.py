"""Persistence of intake requests: the collection, its indexes, and atomic writes with the outbox."""

from __future__ import annotations

from datetime import timedelta

import mongoengine
from mongoengine import fields

from civic146.outbox import AGGREGATE_INDEXES, Change, Outbox, load


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


def collection():
    return IntakeRequest._get_collection()


def ensure_indexes() -> None:
    IntakeRequest.ensure_indexes()


def get(request_id: str) -> dict:
    return load(collection(), request_id, "request")


def insert(outbox: Outbox, doc: dict, change: Change) -> dict:
    return outbox.insert(collection(), doc, change.outbox)


def apply(outbox: Outbox, doc: dict, change: Change) -> dict:
    """Write the change atomically (guarded by version) and return the document as it now is."""
    return outbox.apply(collection(), doc, change)


def duplicate_candidates(doc: dict, window: timedelta, limit: int = 200) -> list[dict]:
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
