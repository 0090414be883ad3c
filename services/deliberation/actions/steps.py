"""Use cases of steps 2 to 6 and what happens in them: the notice, the consultation and its
meetings, the Party organisation's reviews, claims and deputies, the implementation and its tasks,
the result, feedback, closing, declining and evaluations."""

from __future__ import annotations

from datetime import datetime

from civic146.auth import Actor
from civic146.errors import InvalidInput

from .. import domain
from ..context import Deliberation
from .decide import _check_venue, _decide


def publish_notice(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    _check_venue(ctx, fields.get("venue_id"), doc["community"])
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.publish_notice(d, fields=fields, actor=actor, now=now, policy=ctx.policy),
    )


def start_consultation(
    ctx: Deliberation, doc: dict, actor: Actor, started_at: datetime | None = None
) -> dict:
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.start_consultation(
            d, actor=actor, now=now, policy=ctx.policy, started_at=started_at
        ),
    )


def schedule_meeting(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    _check_venue(ctx, fields.get("venue_id"), doc["community"])
    return _decide(ctx, doc, lambda d, now: domain.schedule_meeting(d, fields, actor, now)[1])


def hold_meeting(ctx: Deliberation, doc: dict, actor: Actor, meeting_id: str, fields: dict) -> dict:
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.hold_meeting(
            d, meeting_id, fields=fields, actor=actor, now=now, policy=ctx.policy
        ),
    )


def review(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    """The Party organisation's review of the topic (step 1) or of the decision (consultation)."""
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.review(
            d, stage=fields["stage"], fields=fields, actor=actor, now=now, policy=ctx.policy
        ),
    )


def claim(
    ctx: Deliberation, doc: dict, actor: Actor, resources: list[str], claimed_at: datetime | None = None
) -> dict:
    """A CPPCC member (the caller has checked they serve the community) claims the topic."""
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.claim(
            d,
            member_id=actor.id,
            resources=resources,
            actor=actor,
            now=now,
            policy=ctx.policy,
            claimed_at=claimed_at,
        ),
    )


def assign_deputy(
    ctx: Deliberation, doc: dict, actor: Actor, deputy_id: str, assigned_at: datetime | None = None
) -> dict:
    deputy = ctx.registries.deputies.get(deputy_id)
    if deputy is None or doc["community"] not in deputy.communities:
        raise InvalidInput(
            "not a deputy of this area",
            [
                {
                    "field": "deputy_id",
                    "message": f"{deputy_id!r} is not a deputy whose liaison station serves "
                    f"{doc['community']}",
                }
            ],
        )
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.assign_deputy(
            d,
            deputy_id=deputy.id,
            station=deputy.station,
            actor=actor,
            now=now,
            policy=ctx.policy,
            assigned_at=assigned_at,
        ),
    )


def start_implementation(
    ctx: Deliberation, doc: dict, actor: Actor, decision: str, started_at: datetime | None = None
) -> dict:
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.start_implementation(
            d, decision=decision, actor=actor, now=now, policy=ctx.policy, started_at=started_at
        ),
    )


def add_task(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    return _decide(
        ctx, doc, lambda d, now: domain.add_task(d, fields=fields, actor=actor, now=now, policy=ctx.policy)[1]
    )


def progress_task(
    ctx: Deliberation,
    doc: dict,
    actor: Actor,
    task_id: str,
    done: float,
    reported_at: datetime | None = None,
) -> dict:
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.progress_task(
            d, task_id, done=done, actor=actor, now=now, policy=ctx.policy, reported_at=reported_at
        ),
    )


def publish_result(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    _check_venue(ctx, fields.get("venue_id"), doc["community"])
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.publish_result(d, fields=fields, actor=actor, now=now, policy=ctx.policy),
    )


def open_feedback(ctx: Deliberation, doc: dict, actor: Actor, opened_at: datetime | None = None) -> dict:
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.open_feedback(d, actor=actor, now=now, policy=ctx.policy, opened_at=opened_at),
    )


def give_feedback(ctx: Deliberation, doc: dict, actor: Actor, satisfaction: int, comment: str | None) -> dict:
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.give_feedback(
            d, actor=actor, satisfaction=satisfaction, comment=comment, now=now, policy=ctx.policy
        ),
    )


def close(
    ctx: Deliberation, doc: dict, actor: Actor, summary: str, closed_at: datetime | None = None
) -> dict:
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.close(
            d, summary=summary, actor=actor, now=now, policy=ctx.policy, closed_at=closed_at
        ),
    )


def decline(
    ctx: Deliberation, doc: dict, actor: Actor, reason: str, declined_at: datetime | None = None
) -> dict:
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.decline(
            d, reason=reason, actor=actor, now=now, policy=ctx.policy, declined_at=declined_at
        ),
    )


def evaluate(
    ctx: Deliberation, doc: dict, actor: Actor, person_id: str | None, score: int, comment: str | None
) -> dict:
    return _decide(
        ctx,
        doc,
        lambda d, now: domain.evaluate(
            d, actor=actor, target=person_id, score=score, comment=comment, now=now, policy=ctx.policy
        ),
    )
