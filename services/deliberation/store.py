"""Persistence of topics (with the outbox) and of the voter roll."""

from __future__ import annotations

from datetime import datetime

import mongoengine
from mongoengine import fields
from pymongo.cursor import Cursor
from pymongo.errors import DuplicateKeyError

from civic146.errors import InvalidInput, InvalidTransition, NotFound
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


# A topic is public once its notice is up or its result published; only what its public views
# (routes/public.py: public_topic, public_result) are made of is read, so nothing else can reach a page.
PUBLIC = {"$or": [{"notice": {"$ne": None}}, {"result": {"$ne": None}}]}
PUBLIC_FIELDS = dict.fromkeys(
    (
        "title", "community", "compound", "platform", "step", "steps", "notice", "meetings", "votes",
        "tasks", "progress", "result", "feedback", "request_ratings", "updated_at", "version",
    ),
    1,
)  # fmt: skip
# What the sub-district's colour map and counts need, of every public topic (no limit).
MAP_FIELDS = dict.fromkeys(("community", "compound", "step", "tasks", "result", "meetings", "updated_at"), 1)


def _public(community: str | None) -> dict:
    return {**PUBLIC, **({"community": community} if community else {})}


def public_topic(topic_id: str) -> dict | None:
    return collection().find_one({"_id": topic_id, **PUBLIC}, PUBLIC_FIELDS)


def public_community_of(topic_id: str) -> str | None:
    """The community of a public topic (None: no such public topic), read before the topic itself."""
    found = collection().find_one({"_id": topic_id, **PUBLIC}, {"community": 1})
    return found["community"] if found else None


def public_topics(community: str, limit: int = 1000) -> list[dict]:
    """A community's public topics, last updated first."""
    return list(collection().find(_public(community), PUBLIC_FIELDS).sort("updated_at", -1).limit(limit))


def public_map_rows() -> list[dict]:
    """Every public topic of the sub-district as its colour map and counts need it."""
    return list(collection().find(PUBLIC, MAP_FIELDS))


def public_versions(community: str | None = None) -> list[dict]:
    """Id, version and last update of those topics: what the board's validators are computed from,
    so that a screen revalidating its page costs one small read and no rendering."""
    return list(collection().find(_public(community), {"version": 1, "updated_at": 1}))


def statistics_rows(flt: dict) -> list[dict]:
    """What the statistics are computed from, for the topics matching `flt`."""
    fields = ["step", "platform", "meetings", "votes", "declined", "steps", "imported"]
    return list(collection().find(flt, dict.fromkeys(fields, 1)))


def evaluation_rows(flt: dict) -> list[dict]:
    """What the evaluation summaries are computed from: the topics matching `flt` that involved a
    deputy or a CPPCC member."""
    fields = ["community", "step", "deputies", "claims", "evaluations"]
    involved = {"$or": [{"deputies.0": {"$exists": True}}, {"claims.0": {"$exists": True}}]}
    return list(collection().find({**flt, **involved}, dict.fromkeys(fields, 1)))


def imported(topic_ids: list[str]) -> set[str]:
    """Which of these topic ids exist already (a past matter imported before)."""
    return {d["_id"] for d in collection().find({"_id": {"$in": topic_ids}}, {"_id": 1})}


def gauge_rows() -> Cursor:
    """Every topic's step, platform, community and votes (the gauges' job)."""
    return collection().find({}, {"step": 1, "platform": 1, "community": 1, "votes": 1})


def in_consultation() -> Cursor:
    """Topics in the consultation step: votes are open only then (the job closing due votes)."""
    return collection().find({"step": "consultation"}, {"outbox": 0})


class RegisteredElsewhere(InvalidTransition):
    code = "voter_registered_elsewhere"


def _periods(v: dict) -> list[dict]:
    """The times a roll entry was on the roll: {"from", "to" (None: still on it)}. Entries written
    before removals existed have only `registered_at`."""
    return v.get("periods") or [{"from": v["registered_at"], "to": v.get("removed_at")}]


def _on_roll_at(v: dict, at: datetime | None) -> bool:
    periods = _periods(v)
    if at is None:
        return periods[-1]["to"] is None
    return any(p["from"] <= at and (p["to"] is None or p["to"] > at) for p in periods)


def register_voters(
    outbox: Outbox,
    community: str,
    compound: str | None,
    resident_ids: list[str],
    registered_by: str,
    now: datetime,
    registered_at: datetime | None = None,
) -> int:
    """Add residents to the roll; returns how many were new. A resident has one roll entry per
    community: registering them again with the same compound is harmless (one who was removed is
    on the roll again from `registered_at`); with another one (or with none instead of one, or the
    reverse) is refused, naming the current one, before anything is written. `registered_at`: since
    when they are on it (a roll taken from the compound's register), default now. Roll entries
    carry no events; each keeps its history (who added or removed it, when, why)."""
    since = registered_at or now
    ids = list(dict.fromkeys(resident_ids))
    current = {
        v["resident_id"]: v
        for v in voters().find({"_id": {"$in": [f"{community}:{rid}" for rid in ids]}}, {"history": 0})
    }
    _refuse_other_compound(compound, [(rid, current[rid].get("compound")) for rid in ids if rid in current])
    added = 0
    for rid in ids:
        if rid in current:
            if not _on_roll_at(current[rid], None):
                added += _register_again(current[rid], since, registered_by, now)
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
                    "registered_at": since,
                    "removed_at": None,
                    "periods": [{"from": since, "to": None}],
                    "history": [
                        {"action": "registered", "at": since, "recorded_at": now, "by": registered_by}
                    ],
                },
                [],
            )
            added += 1
        except DuplicateKeyError:  # registered by someone else meanwhile
            existing = voters().find_one({"_id": f"{community}:{rid}"}, {"compound": 1}) or {}
            _refuse_other_compound(compound, [(rid, existing.get("compound"))])
    return added


def _register_again(entry: dict, since: datetime, by: str, now: datetime) -> int:
    periods = _periods(entry)
    if since < periods[-1]["to"]:
        raise InvalidInput(
            "registered again before they were removed",
            [{"field": "registered_at", "message": f"not before {periods[-1]['to'].isoformat()}"}],
        )
    done = voters().update_one(
        {"_id": entry["_id"], "removed_at": entry["removed_at"]},
        {
            "$set": {
                "periods": [*periods, {"from": since, "to": None}],
                "removed_at": None,
                "registered_at": since,
            },
            "$push": {"history": {"action": "registered", "at": since, "recorded_at": now, "by": by}},
        },
    )
    return done.modified_count


def remove_voter(
    community: str, resident_id: str, reason: str, removed_by: str, now: datetime, removed_at: datetime
) -> dict:
    """Take a resident off the roll (moved away, deceased), with the reason, who and when, kept in
    the entry's history. A vote keeps the roll it was opened with: its quorum does not drift."""
    entry = voters().find_one({"_id": f"{community}:{resident_id}"})
    if entry is None or not _on_roll_at(entry, None):
        raise NotFound(f"{resident_id} is not on the voter roll of {community}")
    periods = _periods(entry)
    if removed_at < periods[-1]["from"]:
        message = (
            f"{removed_at.isoformat()} is before they were registered ({periods[-1]['from'].isoformat()})"
        )
        raise InvalidInput(f"removed_at: {message}", [{"field": "removed_at", "message": message}])
    periods[-1] = {**periods[-1], "to": removed_at}
    done = voters().update_one(
        {"_id": entry["_id"], "removed_at": None},
        {
            "$set": {"periods": periods, "removed_at": removed_at},
            "$push": {
                "history": {
                    "action": "removed",
                    "at": removed_at,
                    "recorded_at": now,
                    "by": removed_by,
                    "reason": reason,
                }
            },
        },
    )
    if not done.modified_count:
        raise NotFound(f"{resident_id} is not on the voter roll of {community}")
    return voters().find_one({"_id": entry["_id"]})


def voter_history(community: str, resident_id: str) -> dict:
    entry = voters().find_one({"_id": f"{community}:{resident_id}"})
    if entry is None:
        raise NotFound(f"{resident_id} has never been on the voter roll of {community}")
    return entry


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
    """Whether the resident is on the roll of the compound (or, with None, of the community) now."""
    flt = {
        "_id": f"{community}:{resident_id}",
        "removed_at": None,
        **({"compound": compound} if compound else {}),
    }
    return voters().find_one(flt, {"_id": 1}) is not None


def roll(community: str, compound: str | None, as_of: datetime | None = None) -> list[str]:
    """The roll of the compound (or the community) now, or as it was at `as_of` (a vote that opened
    then: its quorum is computed on that roll)."""
    flt = {"community": community, **({"compound": compound} if compound else {})}
    if as_of is None:
        flt["removed_at"] = None
    fields = {"resident_id": 1, "registered_at": 1, "removed_at": 1, "periods": 1}
    return [v["resident_id"] for v in voters().find(flt, fields) if _on_roll_at(v, as_of)]


def rolls_at_opening(doc: dict, votes: list[dict]) -> dict[str, list[str]]:
    """For each of these votes of the topic, the roll of its scope as it was when it opened."""
    return {
        v["id"]: roll(
            doc["community"], doc.get("compound") if v["scope"] == "compound" else None, v["opens_at"]
        )
        for v in votes
    }
