"""How every use case on a topic commits: `_decide` makes the decision on the topic as it stands
now and commits it in one write with what `now` brings (the rolls of votes that opened, the
closing of votes due), so starting the implementation sees a vote's result and a ballot after the
close is refused, whether or not the worker's job has closed it yet. Also `_check_venue`, a
venue checked against the registry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from civic146.errors import InvalidInput
from civic146.outbox import Change

from .. import domain, store
from ..context import Deliberation


def _decide(
    ctx: Deliberation, doc: dict, decide: Callable[[dict, datetime], Change], now: datetime | None = None
) -> dict:
    """Commit `decide(topic as it stands now, now)`, in the same write as what `now` brings: the
    lists of eligible voters of votes that opened since they were set up, and the closing of the
    votes due by then."""
    now = now or ctx.now()
    due = _due_by(ctx, doc, now)
    if due is None:
        return store.apply(ctx.outbox, doc, decide(doc, now))
    change, standing = due
    return store.apply(ctx.outbox, doc, change.followed_by(decide(standing, now)))


def _due_by(ctx: Deliberation, doc: dict, now: datetime) -> tuple[Change, dict] | None:
    """What `now` changes in the topic without anyone acting (the rolls of votes that opened, the
    results of votes whose window passed), and the topic as it then stands; None if nothing."""
    rolls = store.rolls_at_opening(doc, domain.awaiting_roll(doc, now))
    taking = domain.take_rolls(doc, rolls, now)
    opened = domain.with_rolls(doc, rolls)
    closing = domain.close_due_votes(opened, now)
    if taking is None and closing is None:
        return None
    change = taking.followed_by(closing) if taking and closing else taking or closing
    return change, domain.with_due_votes_closed(opened, now)


def _check_venue(ctx: Deliberation, venue_id: str | None, community: str) -> None:
    if venue_id is None:
        return
    venue = ctx.registries.venues.get(venue_id)
    if venue is None or not venue.serves(community):
        raise InvalidInput(
            "unknown venue",
            [{"field": "venue_id", "message": f"{venue_id!r} is not a venue of {community}; see /v1/venues"}],
        )
