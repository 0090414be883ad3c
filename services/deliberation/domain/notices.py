"""Step 2, the public notice: what is posted, where and for how long."""

from __future__ import annotations

from datetime import datetime, timedelta

from civic146.actor import Actor
from civic146.change import Change

from .. import events as ev
from .reviews import _require_review
from .steps import Policy, Topic, _facts, _record, scrub, transition


def _notice(doc: Topic, fields: dict, at: datetime, now: datetime, actor: Actor, policy: Policy) -> dict:
    return {
        "text": scrub(doc, fields["text"], policy),
        "period_days": fields["period_days"],
        "venue_id": fields.get("venue_id"),
        "online": fields["online"],
        "starts_at": at,
        "ends_at": at + timedelta(days=fields["period_days"]),
        "recorded_at": now,
        "recorded_by": actor.id,
    }


def publish_notice(doc: Topic, *, fields: dict, actor: Actor, now: datetime, policy: Policy) -> Change:
    """Step 2. `posted_at`: when the notice really went up (on the compound's board, online); the
    notice period counts from then."""
    when, change = transition(
        doc,
        "publish_notice",
        actor=actor,
        now=now,
        policy=policy,
        at=fields.get("posted_at"),
        field="posted_at",
    )
    _require_review(doc, "topic", when, policy)
    notice = _notice(doc, fields, when, now, actor, policy)
    change.set["notice"] = notice
    _record(
        change,
        ev.NOTICE_PUBLISHED,
        doc,
        ev.NoticePublished(
            **_facts(doc, "public_notice", actor, when),
            notice=ev.Notice(**{k: notice[k] for k in ev.Notice.model_fields}),
        ),
        now,
    )
    return change
