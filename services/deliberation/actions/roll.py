"""Use cases of the voter roll: residents registered, a resident taken off with the reason."""

from __future__ import annotations

from datetime import datetime

from civic146.auth import Actor

from .. import domain, store
from ..context import Deliberation


def register_voters(
    ctx: Deliberation,
    community: str,
    compound: str | None,
    resident_ids: list[str],
    actor: Actor,
    registered_at: datetime | None = None,
) -> int:
    """Add residents to the community's (or compound's) roll; returns how many were new."""
    now = ctx.now()
    since = domain.happened(registered_at, "registered_at", now=now, policy=ctx.policy)
    return store.register_voters(ctx.outbox, community, compound, resident_ids, actor.id, now, since)


def remove_voter(
    ctx: Deliberation,
    community: str,
    resident_id: str,
    actor: Actor,
    reason: str,
    removed_at: datetime | None = None,
) -> dict:
    """Take a resident off the roll with the reason (moved away, deceased); audited in the entry."""
    now = ctx.now()
    when = domain.happened(removed_at, "removed_at", now=now, policy=ctx.policy)
    return store.remove_voter(
        community, resident_id, domain.scrub({}, reason, ctx.policy), actor.id, now, when
    )
