"""Views of the voter roll: register, read (as it was), take a resident off, one entry's history."""

from __future__ import annotations

from civic146.auth import (
    STAFF_ROLES,
    actor_of,
    principal,
)

from .. import actions, schemas, store
from .scope import bp, check_place, check_serves, ctx


@bp.endpoint(
    "/communities/<community>/voters",
    "POST",
    summary="Register residents as eligible voters",
    body=schemas.VotersIn,
    response=schemas.VoterRollOut,
    status=201,
    roles=STAFF_ROLES,
)
def register_voters(community: str, body: schemas.VotersIn):
    p = principal()
    check_place(community, body.compound)
    check_serves(p, community)
    added = actions.register_voters(
        ctx(), community, body.compound, body.resident_ids, actor_of(p), body.registered_at
    )
    ids = store.roll(community, body.compound)
    return schemas.VoterRollOut(
        community=community, compound=body.compound, count=len(ids), added=added, resident_ids=sorted(ids)
    )


@bp.endpoint(
    "/communities/<community>/voters",
    "GET",
    summary="The voter roll of a community or compound",
    query=schemas.VotersQuery,
    response=schemas.VoterRollOut,
    roles=STAFF_ROLES,
)
def voter_roll(community: str, query: schemas.VotersQuery):
    check_serves(principal(), community)
    ids = store.roll(community, query.compound, query.as_of)
    return schemas.VoterRollOut(
        community=community, compound=query.compound, count=len(ids), resident_ids=sorted(ids)
    )


def present_voter(entry: dict) -> schemas.VoterEntryOut:
    return schemas.VoterEntryOut(
        community=entry["community"],
        compound=entry.get("compound"),
        resident_id=entry["resident_id"],
        on_roll=entry.get("removed_at") is None,
        history=[
            schemas.VoterEventOut(**h)
            for h in entry.get("history")
            or [{"action": "registered", "at": entry["registered_at"], "recorded_at": entry["registered_at"]}]
        ],
    )


@bp.endpoint(
    "/communities/<community>/voters/<resident_id>/removal",
    "POST",
    summary="Take a resident off the voter roll, with the reason (kept in the entry's history)",
    body=schemas.VoterRemovalIn,
    response=schemas.VoterEntryOut,
    roles=STAFF_ROLES,
)
def remove_voter(community: str, resident_id: str, body: schemas.VoterRemovalIn):
    p = principal()
    check_place(community, None)
    check_serves(p, community)
    entry = actions.remove_voter(ctx(), community, resident_id, actor_of(p), body.reason, body.removed_at)
    return present_voter(entry)


@bp.endpoint(
    "/communities/<community>/voters/<resident_id>",
    "GET",
    summary="A resident's roll entry with its history (registered, removed: when, why)",
    response=schemas.VoterEntryOut,
    roles=STAFF_ROLES,
)
def voter_entry(community: str, resident_id: str):
    check_serves(principal(), community)
    return present_voter(store.voter_history(community, resident_id))
