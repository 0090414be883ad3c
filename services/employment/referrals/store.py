"""Persistence of referrals: the `referrals` collection, its indexes, its queries, and atomic
writes with the outbox (documents are read and written as plain dicts; the class only declares
the collection and its indexes)."""

from __future__ import annotations

from datetime import datetime

import mongoengine
from mongoengine import fields
from pymongo.cursor import Cursor

from civic146.outbox import AGGREGATE_INDEXES, AggregateStore


class Referral(mongoengine.DynamicDocument):
    id = fields.StringField(primary_key=True)
    version = fields.IntField(required=True)
    meta = {
        "collection": "referrals",
        "indexes": [
            {"fields": ["seeker_id", "stage"]},
            {"fields": ["job_id", "stage"]},
            {"fields": ["community", "stage"]},
            {"fields": ["stage", "next_check_at"]},
            {"fields": ["placement_synced"]},
            *AGGREGATE_INDEXES,
        ],
        "auto_create_index": False,
    }


AGGREGATE = AggregateStore(Referral, "referral")
collection = AGGREGATE.collection
get = AGGREGATE.get
insert = AGGREGATE.insert
insert_once = AGGREGATE.insert_once
apply = AGGREGATE.apply


def find_one(referral_id: str) -> dict | None:
    return collection().find_one({"_id": referral_id}, {"outbox": 0})


def find(flt: dict, limit: int = 0) -> list[dict]:
    """Referrals meeting `flt`, newest first (the list's order), at most `limit` (0: all)."""
    cursor = collection().find(flt, {"outbox": 0}).sort("created_at", -1)
    return list(cursor.limit(limit) if limit else cursor)


def of_ids(referral_ids: list[str]) -> list[dict]:
    return list(collection().find({"_id": {"$in": referral_ids}}, {"outbox": 0})) if referral_ids else []


def of_seeker(seeker_id: str) -> list[dict]:
    """A seeker's referrals (the support they received)."""
    return list(collection().find({"seeker_id": seeker_id}, {"outbox": 0, "history": 0, "reasons": 0}))


def in_scope(scope: dict) -> list[dict]:
    """Referrals within a community scope, of every stage (the tracking statistics and gauges)."""
    return list(collection().find(scope, {"outbox": 0, "history": 0, "reasons": 0}))


def hired_in(scope: dict) -> list[dict]:
    """Referrals that were hired, within a community scope (the statistics)."""
    return list(collection().find({**scope, "hired_at": {"$ne": None}}, {"outbox": 0}))


def retention_checks_due(now: datetime) -> Cursor:
    """Held placements whose next retention check is due (the retention job)."""
    return collection().find(
        {"stage": {"$in": ["hired", "retained"]}, "next_check_at": {"$lte": now}}, {"outbox": 0}
    )


def placements_unsynced() -> list[dict]:
    """Hires and departures whose placement bookkeeping is not finished (the repair job)."""
    return list(collection().find({"placement_synced": False}, {"outbox": 0}))
