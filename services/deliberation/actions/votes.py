"""Use cases of residents' votes: a vote opened on the roll (as it is, or as it was when it
opened), one counted on paper, a ballot, and the job closing the votes whose window has passed."""

from __future__ import annotations

from datetime import datetime

from civic146.auth import Actor
from civic146.errors import InvalidInput

from .. import domain, store
from ..context import Deliberation
from .decide import _decide, _due_by


def _eligible(doc: dict, fields: dict, as_of: datetime | None) -> list[str]:
    """The vote's eligible voters: the compound's or the community's roll as it is now (a vote that
    opens now or later), or as it was when a vote that opened earlier opened."""
    if fields["scope"] == "compound" and not doc.get("compound"):
        raise InvalidInput(
            "this topic concerns a whole community", [{"field": "scope", "message": "use community"}]
        )
    compound = doc.get("compound") if fields["scope"] == "compound" else None
    return store.roll(doc["community"], compound, as_of)


def open_vote(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    """A vote of the compound's or the community's residents on the platform."""
    opens_at = fields.get("opens_at")
    eligible = _eligible(doc, fields, opens_at if opens_at is not None and opens_at <= ctx.now() else None)
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.open_vote(
            d, fields=fields, eligible=eligible, actor=actor, now=now, policy=ctx.policy
        )[1],
    )


def record_paper_vote(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    """A vote counted on paper, recorded after it closed: the quorum is computed on the roll as it
    was when it opened."""
    eligible = _eligible(doc, fields, fields["opens_at"])
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.record_paper_vote(
            d, fields=fields, eligible=eligible, actor=actor, now=now, policy=ctx.policy
        )[1],
    )


def cast_ballot(ctx: Deliberation, doc: dict, voter_id: str, vote_id: str, choice: str) -> dict:
    return _decide(
        ctx, doc, lambda d, now: domain.cast_ballot(d, vote_id, voter_id=voter_id, choice=choice, now=now)
    )


def close_due_votes(ctx: Deliberation, doc: dict, now: datetime) -> bool:
    """Take the rolls of the topic's votes that opened and close those whose window has passed (the
    results are computed at the windows' ends); False when nothing was due."""
    due = _due_by(ctx, doc, now)
    if due is None:
        return False
    store.apply(ctx.outbox, doc, due[0])
    return True
