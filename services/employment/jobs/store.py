"""Persistence of job postings: the `jobs` collection, its indexes, its queries, and atomic writes
with the outbox (documents are read and written as plain dicts; the class only declares the
collection and its indexes)."""

from __future__ import annotations

from datetime import datetime

import mongoengine
from mongoengine import fields
from pymongo.cursor import Cursor

from civic146.outbox import AGGREGATE_INDEXES, AggregateStore


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
            # the worker looks for hires reserved but not confirmed (hiring.hire)
            {"fields": ["reservations.0"], "sparse": True},
            *AGGREGATE_INDEXES,
        ],
        "auto_create_index": False,
    }


AGGREGATE = AggregateStore(Job, "job")
collection = AGGREGATE.collection
get = AGGREGATE.get
insert = AGGREGATE.insert
insert_once = AGGREGATE.insert_once
apply = AGGREGATE.apply


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
