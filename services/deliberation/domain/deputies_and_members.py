"""The people's representatives a topic involves: CPPCC members claim it and link resources,
deputies of the liaison station covering its community are assigned to it."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidTransition

from .. import events as ev
from .steps import OPEN_STEPS, TOPIC, Policy, Topic, _facts, _record, happened, scrub


def claim(
    doc: Topic,
    *,
    member_id: str,
    resources: list[str],
    actor: Actor,
    now: datetime,
    policy: Policy,
    claimed_at: datetime | None = None,
) -> Change:
    """A CPPCC member claims the topic (委员认领); claiming again adds the newly linked resources.
    `claimed_at`: a claim made off the platform (a past matter), not before the topic was raised."""
    TOPIC.require(doc, OPEN_STEPS, "claim a topic")
    when = happened(
        claimed_at,
        "claimed_at",
        now=now,
        policy=policy,
        since=doc["created_at"],
        since_what="the topic was raised",
    )
    resources = [scrub(doc, r, policy) for r in resources]
    existing = next((c for c in doc["claims"] if c["member_id"] == member_id), None)
    if existing:
        updated = {**existing, "resources": [*existing["resources"], *resources]}
        claims = [updated if c["member_id"] == member_id else c for c in doc["claims"]]
    else:
        claims = [*doc["claims"], {"member_id": member_id, "claimed_at": when, "resources": resources}]
    change = Change(set={"claims": claims, "updated_at": now})
    _record(
        change,
        ev.CLAIMED,
        doc,
        ev.Claimed(**_facts(doc, doc["step"], actor, when), member_id=member_id, resources=resources),
        now,
    )
    return change


def assign_deputy(
    doc: Topic,
    *,
    deputy_id: str,
    station: str,
    actor: Actor,
    now: datetime,
    policy: Policy = Policy(),
    assigned_at: datetime | None = None,
) -> Change:
    TOPIC.require(doc, OPEN_STEPS, "assign a deputy")
    if any(d["deputy_id"] == deputy_id for d in doc["deputies"]):
        raise InvalidTransition("this deputy is already assigned", {"deputy_id": deputy_id})
    when = happened(
        assigned_at,
        "assigned_at",
        now=now,
        policy=policy,
        since=doc["created_at"],
        since_what="the topic was raised",
    )
    change = Change(
        set={
            "deputies": [
                *doc["deputies"],
                {
                    "deputy_id": deputy_id,
                    "station": station,
                    "assigned_at": when,
                    "assigned_by": actor.id,
                    "recorded_at": now,
                },
            ],
            "updated_at": now,
        }
    )
    _record(
        change,
        ev.DEPUTY_ASSIGNED,
        doc,
        ev.DeputyAssigned(**_facts(doc, doc["step"], actor, when), deputy_id=deputy_id, station=station),
        now,
    )
    return change
