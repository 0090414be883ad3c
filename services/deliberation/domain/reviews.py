"""The "1 core": the Party organisation's reviews of the topic (step 1, before its notice) and
of the decision (during the consultation, before its implementation), and the check that a step
waits for them where the policy requires them."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import InvalidTransition

from .. import events as ev
from .steps import TOPIC, Policy, Topic, _facts, _history, _record, happened, scrub, step_began

# stage -> the step it is done in, and what it opens
REVIEW_STAGES = {"topic": "determine_topic", "decision": "consultation"}


def review(doc: Topic, *, stage: str, fields: dict, actor: Actor, now: datetime, policy: Policy) -> Change:
    """The community Party committee (or the sub-district's Party working committee) reviews the
    topic in step 1, before its notice, and the decision during the consultation, before its
    implementation. Kept in `reviews` and in the step trail (an entry with `review`, the step
    unchanged); a refusal is kept too, and the step waits for an approval."""
    TOPIC.require(doc, (REVIEW_STAGES[stage],), f"review the {stage}")
    when = happened(
        fields.get("reviewed_at"),
        "reviewed_at",
        now=now,
        policy=policy,
        since=step_began(doc),
        since_what=f"step {doc['step']} began",
    )
    entry = {
        "stage": stage,
        "approved": fields["approved"],
        "organisation": fields["organisation"],
        "comment": scrub(doc, fields.get("comment"), policy),
        "at": when,
        "recorded_at": now,
        "actor_id": actor.id,
        "actor_role": actor.role,
    }
    trail = {
        **_history(doc, doc["step"], actor, when, now),
        "review": {k: entry[k] for k in ("stage", "approved", "organisation")},
    }
    change = Change(
        set={"reviews": [*doc.get("reviews", []), entry], "updated_at": now}, push={"steps": trail}
    )
    _record(
        change,
        ev.REVIEWED,
        doc,
        ev.Reviewed(
            **_facts(doc, doc["step"], actor, when),
            stage=stage,
            approved=entry["approved"],
            organisation=entry["organisation"],
            comment=entry["comment"],
        ),
        now,
    )
    return change


class ReviewRequired(InvalidTransition):
    code = "party_review_required"


def _require_review(doc: Topic, stage: str, before: datetime, policy: Policy) -> None:
    """Where the policy asks for it, the last review of `stage` approved, no later than `before`."""
    if stage not in policy.party_review:
        return
    done = [r for r in doc.get("reviews", []) if r["stage"] == stage and r["at"] <= before]
    if not done or not done[-1]["approved"]:
        raise ReviewRequired(
            f"the Party organisation reviews the {stage} first: POST /v1/topics/{doc['_id']}/reviews",
            {"stage": stage, "last_review_approved": done[-1]["approved"] if done else None},
        )
