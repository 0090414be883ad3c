"""Persistence of mediation cases: the collection, its indexes, and atomic writes with the outbox."""

from __future__ import annotations

import mongoengine
from mongoengine import fields

from civic146.outbox import AGGREGATE_INDEXES, Change, Outbox, load


class MediationCase(mongoengine.DynamicDocument):
    """Declares the collection and its indexes; documents are read and written as plain dicts."""

    id = fields.StringField(primary_key=True)
    version = fields.IntField(required=True)
    meta = {
        "collection": "cases",
        "indexes": [
            {"fields": ["community", "-opened_at"]},
            {"fields": ["party_user_ids"]},
            {"fields": ["mediator_user_ids"]},
            {"fields": ["request_ids"]},
            {"fields": ["status", "due_at"]},
            {"fields": ["agreement.remind_at"]},
            *AGGREGATE_INDEXES,
        ],
        "auto_create_index": False,
    }


def collection():
    return MediationCase._get_collection()


def ensure_indexes() -> None:
    MediationCase.ensure_indexes()


def aggregate(pipeline: list[dict]) -> list[dict]:
    return list(collection().aggregate(pipeline))


def get(case_id: str) -> dict:
    return load(collection(), case_id, "case")


def insert(outbox: Outbox, doc: dict, change: Change) -> dict:
    return outbox.insert(collection(), doc, change.outbox)


def apply(outbox: Outbox, doc: dict, change: Change) -> dict:
    """Write the change atomically (guarded by version) and return the document as it now is."""
    return outbox.apply(collection(), doc, change)
