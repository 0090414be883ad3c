"""Persistence of mediation cases: the collection, its indexes, every query, and atomic writes with
the outbox."""

from __future__ import annotations

from datetime import datetime

import mongoengine
from mongoengine import fields
from pymongo.cursor import Cursor

from civic146.outbox import AGGREGATE_INDEXES, AggregateStore

from .domain.statistics import average_days_pipeline


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


AGGREGATE = AggregateStore(MediationCase, "case")
collection = AGGREGATE.collection
get = AGGREGATE.get
insert = AGGREGATE.insert
apply = AGGREGATE.apply


def overdue(now: datetime) -> Cursor:
    """Cases past their time limit and not yet flagged (the overdue job)."""
    return collection().find(
        {"status": {"$in": ["accepted", "mediating"]}, "due_at": {"$lte": now}, "overdue": {"$ne": True}},
        {"outbox": 0},
    )


def agreements_in_force() -> Cursor:
    """Cases whose agreement is being fulfilled (the overdue terms job reads their terms)."""
    return collection().find({"status": "agreement_reached"}, {"outbox": 0})


def confirmation_reminders_due(now: datetime) -> Cursor:
    """Agreements whose court-confirmation reminder is due and not sent (the reminders job)."""
    return collection().find(
        {"agreement.remind_at": {"$lte": now}, "agreement.reminder_sent": False}, {"outbox": 0}
    )


def statuses() -> Cursor:
    """Every case's community and status (the open-cases gauge)."""
    return collection().find({}, {"community": 1, "status": 1})


def page(flt: dict, limit: int) -> list[dict]:
    """Up to `limit` cases matching `flt`, newest first (the list's order)."""
    return list(collection().find(flt, {"outbox": 0}).sort([("opened_at", -1), ("_id", -1)]).limit(limit))


STATISTICS_FIELDS = ("community", "case_type", "status", "outcome", "agreement", "overdue")


def statistics_rows(flt: dict) -> list[dict]:
    """The cases matching `flt`, with the fields the statistics are computed from."""
    return list(collection().find(flt, dict.fromkeys(STATISTICS_FIELDS, 1)))


def average_days(flt: dict) -> dict:
    """The database's averages of days to close and to outcome (domain.statistics.average_days_pipeline)."""
    # one document; mongo-java-server answers none when no case matches
    return next(iter(collection().aggregate(average_days_pipeline(flt))), {"overall": [], "communities": []})
