"""Two-way evaluation (双评议): residents rate the deputies and CPPCC members a matter involved,
and those rate how the matter was handled, from the time its result is published."""

from __future__ import annotations

from datetime import datetime

from civic146.actor import Actor
from civic146.change import Change
from civic146.errors import Forbidden, InvalidInput, InvalidTransition

from .. import events as ev
from .steps import TOPIC, Policy, Topic, _facts, _record, scrub

EVALUATION_STEPS = ("publish_result", "feedback", "closed")


HANDLING = "handling"


def involved(doc: Topic) -> dict[str, str]:
    """The people the matter involved, by registry id: its assigned deputies and the CPPCC members
    who claimed it -> their role."""
    people = {c["member_id"]: "cppcc_member" for c in doc["claims"]}
    people.update({d["deputy_id"]: "deputy" for d in doc["deputies"]})
    return people


def evaluate(
    doc: Topic,
    *,
    actor: Actor,
    target: str | None,
    score: int,
    comment: str | None,
    now: datetime,
    policy: Policy,
) -> Change:
    """Two-way evaluation, from the time the result is published: a resident rates one of the
    deputies or CPPCC members the matter involved; a deputy or CPPCC member it involved rates how
    the matter was handled (target "handling"). Once per person and target."""
    TOPIC.require(doc, EVALUATION_STEPS, "evaluate")
    people = involved(doc)
    if actor.role in ("deputy", "cppcc_member"):
        if people.get(actor.id) != actor.role:
            raise Forbidden(f"only a {actor.role} involved in this matter evaluates how it was handled")
        target, target_role = HANDLING, HANDLING
    else:
        if target not in people:
            raise InvalidInput(
                "evaluate a deputy or CPPCC member involved in this matter",
                [{"field": "person_id", "message": f"one of {sorted(people) or 'none involved'}"}],
            )
        target_role = people[target]
    if any(e["by_id"] == actor.id and e["target"] == target for e in doc["evaluations"]):
        raise InvalidTransition("you have already given this evaluation")
    entry = {
        "by_id": actor.id,
        "by_role": actor.role,
        "target": target,
        "target_role": target_role,
        "score": score,
        "comment": scrub(doc, comment, policy),
        "at": now,
    }
    change = Change(set={"updated_at": now}, push={"evaluations": entry})
    _record(
        change,
        ev.EVALUATED,
        doc,
        ev.Evaluated(
            **_facts(doc, doc["step"], actor, now),
            by_role=actor.role,
            target=target,
            target_role=target_role,
            score=score,
            comment=entry["comment"],
        ),
        now,
    )
    return change
