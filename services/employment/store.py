"""Persistence: the four collections, their indexes, and atomic writes with the outbox.

Documents are read and written as plain dicts; the mongoengine classes only declare collections
and indexes. Every write to an existing document goes through Outbox.commit (one update guarded
by the document's version), so state and events change together.
"""

from __future__ import annotations

import mongoengine
from mongoengine import fields
from pymongo.errors import DuplicateKeyError

from civic146.outbox import AGGREGATE_INDEXES, Change, Outbox, load


def _declare(name: str, collection: str, indexes: list[dict]):
    meta = {"collection": collection, "indexes": [*indexes, *AGGREGATE_INDEXES], "auto_create_index": False}
    return type(
        name,
        (mongoengine.DynamicDocument,),
        {"id": fields.StringField(primary_key=True), "version": fields.IntField(required=True), "meta": meta},
    )


# `reservations.0`: the worker looks for hires reserved but not confirmed (workflows.hire)
Seeker = _declare(
    "Seeker",
    "seekers",
    [
        {"fields": ["community", "status"]},
        {"fields": ["request_id"]},
        {"fields": ["resident_id"]},
        {"fields": ["status", "consent.expires_at"]},
        {"fields": ["reservations.0"], "sparse": True},
    ],
)
Job = _declare(
    "Job",
    "jobs",
    [
        {"fields": ["community", "status"]},
        {"fields": ["status", "occupation"]},
        {"fields": ["request_id"]},
        {"fields": ["employer_id"]},
        {"fields": ["reservations.0"], "sparse": True},
    ],
)
Referral = _declare(
    "Referral",
    "referrals",
    [
        {"fields": ["seeker_id", "stage"]},
        {"fields": ["job_id", "stage"]},
        {"fields": ["community", "stage"]},
        {"fields": ["stage", "next_check_at"]},
        {"fields": ["placement_synced"]},
    ],
)
OutreachTask = _declare("OutreachTask", "outreach_tasks", [{"fields": ["community", "status"]}])

DOCUMENTS = {"seekers": Seeker, "jobs": Job, "referrals": Referral, "outreach_tasks": OutreachTask}
NAMES = {"seekers": "seeker", "jobs": "job", "referrals": "referral", "outreach_tasks": "outreach task"}


def collection(name: str):
    return DOCUMENTS[name]._get_collection()


def collections() -> list:
    return [collection(n) for n in DOCUMENTS]


def ensure_indexes() -> None:
    for doc in DOCUMENTS.values():
        doc.ensure_indexes()


def get(name: str, doc_id: str) -> dict:
    return load(collection(name), doc_id, NAMES[name])


def find(name: str, flt: dict, limit: int = 0, sort=None) -> list[dict]:
    cursor = collection(name).find(flt, {"outbox": 0})
    if sort:
        cursor = cursor.sort(sort)
    return list(cursor.limit(limit) if limit else cursor)


def insert(outbox: Outbox, name: str, doc: dict, change: Change) -> dict:
    return outbox.insert(collection(name), doc, change.outbox)


def insert_once(outbox: Outbox, name: str, doc: dict, change: Change) -> bool:
    """Insert a document whose id is derived from what it is about; False if it already exists."""
    try:
        insert(outbox, name, doc, change)
        return True
    except DuplicateKeyError:
        return False


def apply(outbox: Outbox, name: str, doc: dict, change: Change) -> dict:
    """Write the change atomically (guarded by version) and return the document as it now is."""
    return outbox.apply(collection(name), doc, change)
