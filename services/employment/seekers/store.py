"""Persistence of seeker profiles: the `seekers` collection, its indexes, its queries, and atomic
writes with the outbox (documents are read and written as plain dicts; the class only declares
the collection and its indexes)."""

from __future__ import annotations

from datetime import datetime

import mongoengine
from mongoengine import fields
from pymongo.cursor import Cursor

from civic146.outbox import AGGREGATE_INDEXES, AggregateStore


class Seeker(mongoengine.DynamicDocument):
    id = fields.StringField(primary_key=True)
    version = fields.IntField(required=True)
    meta = {
        "collection": "seekers",
        "indexes": [
            {"fields": ["community", "status"]},
            {"fields": ["request_id"]},
            {"fields": ["resident_id"]},
            {"fields": ["status", "consent.expires_at"]},
            {"fields": ["status", "support.next_due_at"]},
            # the worker looks for hires reserved but not confirmed (hiring.hire)
            {"fields": ["reservations.0"], "sparse": True},
            *AGGREGATE_INDEXES,
        ],
        "auto_create_index": False,
    }


AGGREGATE = AggregateStore(Seeker, "seeker")
collection = AGGREGATE.collection
get = AGGREGATE.get
insert = AGGREGATE.insert
insert_once = AGGREGATE.insert_once
apply = AGGREGATE.apply


def find(flt: dict, limit: int = 0) -> list[dict]:
    """Profiles meeting `flt`, newest first (the list's order), at most `limit` (0: all)."""
    cursor = collection().find(flt, {"outbox": 0}).sort("created_at", -1)
    return list(cursor.limit(limit) if limit else cursor)


def in_scope(scope: dict) -> list[dict]:
    """Profiles within a community scope (civic146.auth.community_scope; the statistics)."""
    return list(collection().find(scope, {"outbox": 0}))


def open_in(scope: dict) -> list[dict]:
    """Profiles not closed within a community scope (the unmet needs)."""
    return list(
        collection().find({**scope, "status": {"$ne": "closed"}}, {"outbox": 0, "history": 0, "person": 0})
    )


def open_phones(community: str) -> set[str]:
    """The phones of the profiles not closed in a community (a survey row for one of them is refused)."""
    return {
        s["person"]["phone"]
        for s in collection().find({"community": community, "status": {"$ne": "closed"}}, {"person.phone": 1})
        if (s.get("person") or {}).get("phone")
    }


def of_resident(resident_id: str) -> list[dict]:
    return list(collection().find({"resident_id": resident_id}, {"outbox": 0}))


def of_request(request_id: str) -> dict | None:
    """The profile drafted from an intake request."""
    return collection().find_one({"request_id": request_id}, {"outbox": 0})


def matchable(community: str | None = None) -> list[dict]:
    """Complete profiles without a placement (what matching ranks), of one community or all."""
    return list(
        collection().find(
            {"status": "active", **({"community": community} if community else {})}, {"outbox": 0}
        )
    )


def with_reservations() -> Cursor:
    """Profiles holding a placement a hire reserved and has not confirmed yet (the repair job)."""
    return collection().find({"reservations.0": {"$exists": True}}, {"outbox": 0})


def consents_due(now: datetime) -> Cursor:
    """Open profiles whose consent's retention period is over (the expiry job)."""
    return collection().find(
        {"status": {"$ne": "closed"}, "consent.expires_at": {"$lte": now}}, {"outbox": 0}
    )


def pathways_due(now: datetime) -> Cursor:
    """Active profiles whose pathway has a contact attempt past its grace (the pathway job)."""
    return collection().find({"status": "active", "support.next_due_at": {"$lte": now}}, {"outbox": 0})


def active_communities() -> list[str]:
    """The community of each active profile (the gauges' job)."""
    return [s["community"] for s in collection().find({"status": "active"}, {"community": 1})]
