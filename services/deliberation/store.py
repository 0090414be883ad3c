"""Persistence of topics (with the outbox) and of the voter roll."""

from __future__ import annotations

import mongoengine
from mongoengine import fields
from pymongo.cursor import Cursor
from pymongo.errors import DuplicateKeyError

from civic146.errors import InvalidTransition
from civic146.outbox import AGGREGATE_INDEXES, AggregateStore, Outbox


class Topic(mongoengine.DynamicDocument):
    """Declares the collection and its indexes; documents are read and written as plain dicts so
    the domain stays free of the ODM."""

    id = fields.StringField(primary_key=True)
    version = fields.IntField(required=True)
    meta = {
        "collection": "topics",
        "indexes": [
            {"fields": ["community", "-created_at", "-_id"]},
            {"fields": ["community", "compound", "category", "step"]},
            {"fields": ["request_ids"]},
            {"fields": ["applied_events"]},
            {"fields": ["step", "platform"]},
            *AGGREGATE_INDEXES,
        ],
        "auto_create_index": False,
    }


AGGREGATE = AggregateStore(Topic, "topic")
collection = AGGREGATE.collection
get = AGGREGATE.get
insert = AGGREGATE.insert
apply = AGGREGATE.apply


class Voter(mongoengine.DynamicDocument):
    """The voter roll: residents registered by staff as eligible in a community (and compound).
    `_id` = "<community>:<resident id>": one entry per resident and community, so registering twice
    is harmless, and a second compound is noticed (see register_voters)."""

    id = fields.StringField(primary_key=True)
    meta = {
        "collection": "voters",
        "indexes": [{"fields": ["community", "compound"]}],
        "auto_create_index": False,
    }


def voters():
    return Voter._get_collection()


def holding(request_id: str) -> list[dict]:
    """Topics a request belongs to (one, except in the moment of a move)."""
    return list(collection().find({"request_ids": request_id}, {"outbox": 0}))


def open_candidates(community: str, compound: str | None, category: str | None, open_steps) -> list[dict]:
    return list(
        collection()
        .find(
            {
                "community": community,
                "compound": compound,
                "category": category,
                "step": {"$in": list(open_steps)},
                # a topic emptied by staff in step 1 takes no new request (domain.detach_request)
                "absorbs_requests": {"$ne": False},
            },
            {"outbox": 0},
        )
        .limit(200)
    )


def page(flt: dict, limit: int) -> list[dict]:
    """Up to `limit` topics matching `flt`, newest first (the list's order)."""
    return list(collection().find(flt, {"outbox": 0}).sort([("created_at", -1), ("_id", -1)]).limit(limit))


def published(community: str, what: str, limit: int = 200) -> list[dict]:
    """The community's topics with a public `what` ("notice" or "result"), last updated first."""
    return list(
        collection()
        .find({"community": community, what: {"$ne": None}}, {"outbox": 0})
        .sort("updated_at", -1)
        .limit(limit)
    )


def statistics_rows(flt: dict) -> list[dict]:
    """What the statistics are computed from, for the topics matching `flt`."""
    fields = ["step", "platform", "meetings", "votes", "declined", "steps"]
    return list(collection().find(flt, dict.fromkeys(fields, 1)))


def gauge_rows() -> Cursor:
    """Every topic's step, platform, community and votes (the gauges' job)."""
    return collection().find({}, {"step": 1, "platform": 1, "community": 1, "votes": 1})


def in_consultation() -> Cursor:
    """Topics in the consultation step: votes are open only then (the job closing due votes)."""
    return collection().find({"step": "consultation"}, {"outbox": 0})


class RegisteredElsewhere(InvalidTransition):
    code = "voter_registered_elsewhere"


def register_voters(
    outbox: Outbox, community: str, compound: str | None, resident_ids: list[str], registered_by: str, now
) -> int:
    """Add residents to the roll; returns how many were new. A resident has one roll entry per
    community: registering them again with the same compound is harmless; with another one (or
    with none instead of one, or the reverse) is refused, naming the current one, before anything
    is written. Roll entries carry no events."""
    ids = list(dict.fromkeys(resident_ids))
    current = {
        v["resident_id"]: v.get("compound")
        for v in voters().find(
            {"_id": {"$in": [f"{community}:{rid}" for rid in ids]}}, {"resident_id": 1, "compound": 1}
        )
    }
    _refuse_other_compound(compound, [(rid, current[rid]) for rid in ids if rid in current])
    added = 0
    for rid in ids:
        if rid in current:
            continue
        try:
            outbox.insert(
                voters(),
                {
                    "_id": f"{community}:{rid}",
                    "community": community,
                    "compound": compound,
                    "resident_id": rid,
                    "registered_by": registered_by,
                    "registered_at": now,
                },
                [],
            )
            added += 1
        except DuplicateKeyError:  # registered by someone else meanwhile
            existing = voters().find_one({"_id": f"{community}:{rid}"}, {"compound": 1}) or {}
            _refuse_other_compound(compound, [(rid, existing.get("compound"))])
    return added


def _refuse_other_compound(compound: str | None, entries: list[tuple[str, str | None]]) -> None:
    elsewhere = [{"resident_id": rid, "compound": c} for rid, c in entries if c != compound]
    if elsewhere:
        where = ", ".join(
            f"{e['resident_id']} in {e['compound'] or 'the whole community'}" for e in elsewhere
        )
        raise RegisteredElsewhere(
            f"already on the voter roll: {where}; a resident is registered once per community", elsewhere
        )


def on_roll(community: str, compound: str | None, resident_id: str) -> bool:
    """Whether the resident is on the roll of the compound (or, with None, of the community)."""
    flt = {"_id": f"{community}:{resident_id}", **({"compound": compound} if compound else {})}
    return voters().find_one(flt, {"_id": 1}) is not None


def roll(community: str, compound: str | None) -> list[str]:
    flt = {"community": community, **({"compound": compound} if compound else {})}
    return [v["resident_id"] for v in voters().find(flt, {"resident_id": 1})]
