"""Past matters: a register of matters settled before the platform, imported whole. Every matter
goes through the same decisions as a live topic at the times it happened; the whole file is
checked before anything is written, and importing it again changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from civic146.auth import Actor
from civic146.errors import InvalidInput, InvalidTransition, NotFound
from civic146.outbox import Change, applied

from .. import domain, store
from ..context import Deliberation


class _RowProblem(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def _registered(ctx: Deliberation, row: dict) -> None:
    """The venues, deputies and CPPCC members a past matter names are in the registries."""
    community = row["community"]
    venues = [
        ("notice.venue_id", row["notice"].get("venue_id")),
        ("result.venue_id", row["result"].get("venue_id")),
    ]
    venues += [(f"meetings.{i}.venue_id", m["venue_id"]) for i, m in enumerate(row["meetings"])]
    for field, venue_id in venues:
        venue = ctx.registries.venues.get(venue_id) if venue_id else None
        if venue_id and (venue is None or not venue.serves(community)):
            raise _RowProblem(field, f"{venue_id!r} is not a venue of {community}; see /v1/venues")
    for i, d in enumerate(row["deputies"]):
        deputy = ctx.registries.deputies.get(d["deputy_id"])
        if deputy is None or community not in deputy.communities:
            raise _RowProblem(
                f"deputies.{i}.deputy_id", f"{d['deputy_id']!r} is not a deputy serving {community}"
            )
    for i, c in enumerate(row["claims"]):
        member = ctx.registries.cppcc_members.get(c["member_id"])
        if member is None or community not in member.communities:
            raise _RowProblem(
                f"claims.{i}.member_id", f"{c['member_id']!r} is not a CPPCC member serving {community}"
            )


class _Replay:
    """One past matter's topic as its decisions build it, step after step: each decision is taken on
    the topic as the previous ones left it, and a refused one names the row's field."""

    def __init__(self, doc: dict, created: Change):
        self.doc, self.changes = doc, [created]

    def step(self, where: str, decide: Callable[[dict], Change]) -> None:
        try:
            change = decide(self.doc)
        except InvalidInput as e:
            detail = (e.details or [{}])[0]
            inner = detail.get("field")
            raise _RowProblem(
                f"{where}.{inner}" if inner and where else inner or where, detail.get("message", str(e))
            ) from None
        except (InvalidTransition, NotFound) as e:
            raise _RowProblem(where, e.message) from None
        self.changes.append(change)
        self.doc = applied(self.doc, change)

    def step_with_id(self, where: str, decide: Callable[[dict], tuple[str, Change]]) -> str:
        """A decision that names what it made (a meeting, a task): its id, for the next step."""
        made: list[str] = []

        def take(t: dict) -> Change:
            made_id, change = decide(t)
            made.append(made_id)
            return change

        self.step(where, take)
        return made[0]


def past_matter(
    ctx: Deliberation, row: dict, source: str, actor: Actor, now: datetime
) -> tuple[dict, Change]:
    """A matter settled before the platform as one new topic: its steps decided one after the other
    by the same decisions as a live topic's, each at the time it happened, every event recorded now
    (with its occurred_at). A broken rule is a _RowProblem naming the row's field."""
    _registered(ctx, row)
    policy = ctx.policy
    raised = _checked_time(row["raised_at"], "raised_at", now, policy)
    fields = {
        k: row.get(k)
        for k in ("title", "description", "community", "compound", "category", "platform", "vote_required")
    }
    replay = _Replay(
        *domain.new_topic(
            fields,
            origin=row["origin"],
            actor=actor,
            now=now,
            policy=policy,
            topic_id=domain.derived_id(f"past-matter:{row['external_id']}"),
            raised_at=raised,
        )
    )
    _people_and_notice(ctx, replay, row, actor, now)
    _consultation(replay, row, actor, now, policy)
    _implementation_and_result(replay, row, actor, now, policy)
    doc = {k: v for k, v in replay.doc.items() if k != "version"}
    doc["imported"] = {
        "external_id": row["external_id"],
        "source": source,
        "imported_at": now,
        "imported_by": actor.id,
    }
    return doc, Change(set=doc, outbox=[e for c in replay.changes for e in c.outbox])


def _people_and_notice(ctx: Deliberation, replay: _Replay, row: dict, actor: Actor, now: datetime) -> None:
    """Steps 1 and 2: the deputies and CPPCC members on the matter, the topic's review, the notice."""
    policy = ctx.policy
    for i, d in enumerate(row["deputies"]):
        deputy = ctx.registries.deputies[d["deputy_id"]]
        replay.step(
            f"deputies.{i}",
            lambda t, d=d, deputy=deputy: domain.assign_deputy(
                t,
                deputy_id=deputy.id,
                station=deputy.station,
                actor=actor,
                now=now,
                policy=policy,
                assigned_at=d["assigned_at"],
            ),
        )
    for i, c in enumerate(row["claims"]):
        replay.step(
            f"claims.{i}",
            lambda t, c=c: domain.claim(
                t,
                member_id=c["member_id"],
                resources=c["resources"],
                actor=actor,
                now=now,
                policy=policy,
                claimed_at=c["claimed_at"],
            ),
        )
    if row.get("topic_review"):
        review_fields = {**row["topic_review"], "approved": True}
        replay.step(
            "topic_review",
            lambda t: domain.review(
                t, stage="topic", fields=review_fields, actor=actor, now=now, policy=policy
            ),
        )
    replay.step(
        "notice",
        lambda t: domain.publish_notice(t, fields=row["notice"], actor=actor, now=now, policy=policy),
    )


def _consultation(replay: _Replay, row: dict, actor: Actor, now: datetime, policy: domain.Policy) -> None:
    """Step 3: the consultation, its meetings held, the paper votes, the decision's review."""
    replay.step(
        "consultation_started_at",
        lambda t: domain.start_consultation(
            t, actor=actor, now=now, policy=policy, started_at=row["consultation_started_at"]
        ),
    )
    for i, m in enumerate(row["meetings"]):
        meeting_id = replay.step_with_id(
            f"meetings.{i}",
            lambda t, m=m: domain.schedule_meeting(t, {**m, "scheduled_at": m["held_at"]}, actor, now),
        )
        replay.step(
            f"meetings.{i}",
            lambda t, m=m, meeting_id=meeting_id: domain.hold_meeting(
                t, meeting_id, fields=m, actor=actor, now=now, policy=policy
            ),
        )
    for i, v in enumerate(row["votes"]):
        replay.step(
            f"votes.{i}",
            lambda t, v=v: domain.record_paper_vote(
                t,
                fields=v,
                eligible=[],
                actor=actor,
                now=now,
                policy=policy,
                past_roll_size=v["eligible_count"],
            )[1],
        )
    if row.get("decision_review"):
        review_fields = {**row["decision_review"], "approved": True}
        replay.step(
            "decision_review",
            lambda t: domain.review(
                t, stage="decision", fields=review_fields, actor=actor, now=now, policy=policy
            ),
        )


def _implementation_and_result(
    replay: _Replay, row: dict, actor: Actor, now: datetime, policy: domain.Policy
) -> None:
    """Steps 4 to 6: the implementation and its tasks, the result, the feedback and the closing."""
    replay.step(
        "implementation_started_at",
        lambda t: domain.start_implementation(
            t,
            decision=row["decision"],
            actor=actor,
            now=now,
            policy=policy,
            started_at=row["implementation_started_at"],
        ),
    )
    for i, task in enumerate(row["tasks"]):
        task_id = replay.step_with_id(
            f"tasks.{i}",
            lambda t, task=task: domain.add_task(t, fields=task, actor=actor, now=now, policy=policy),
        )
        replay.step(
            f"tasks.{i}",
            lambda t, task=task, task_id=task_id: domain.progress_task(
                t,
                task_id,
                done=task["done"],
                actor=actor,
                now=now,
                policy=policy,
                reported_at=task["reported_at"],
            ),
        )
    replay.step(
        "result",
        lambda t: domain.publish_result(t, fields=row["result"], actor=actor, now=now, policy=policy),
    )
    if row.get("closing"):
        closing = row["closing"]
        replay.step(
            "closing.feedback_opened_at",
            lambda t: domain.open_feedback(
                t, actor=actor, now=now, policy=policy, opened_at=closing["feedback_opened_at"]
            ),
        )
        replay.step(
            "closing",
            lambda t: domain.close(
                t,
                summary=closing["summary"],
                actor=actor,
                now=now,
                policy=policy,
                closed_at=closing["closed_at"],
            ),
        )


def _checked_time(given: datetime, field: str, now: datetime, policy: domain.Policy) -> datetime:
    try:
        return domain.happened(given, field, now=now, policy=policy)
    except InvalidInput as e:
        raise _RowProblem(field, e.details[0]["message"]) from None


def import_past_matters(ctx: Deliberation, rows: list[dict], source: str, actor: Actor) -> dict:
    """Enter matters settled before the platform. The whole file is checked first, every row by
    the rules of the six steps: one bad row rejects the file (422 naming each bad row's index,
    external id and field) and nothing is written. Idempotent by external id: a matter imported
    before is left as it is (its topic id is derived from the external id), so importing the same
    file again changes nothing, and a file cut short by a crash can be imported again."""
    now = ctx.now()
    problems: list[dict] = []
    built: list[tuple[dict, Change]] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        if row["external_id"] in seen:
            problems.append(
                {
                    "field": f"matters.{i}.external_id",
                    "message": f"{row['external_id']}: also row {seen[row['external_id']]}",
                }
            )
            continue
        seen[row["external_id"]] = i
        try:
            built.append(past_matter(ctx, row, source, actor, now))
        except _RowProblem as p:
            problems.append(
                {"field": f"matters.{i}.{p.field}", "message": f"{row['external_id']}: {p.message}"}
            )
    if problems:
        raise InvalidInput(
            f"{len(problems)} of {len(rows)} matters cannot be imported; nothing was imported", problems
        )
    existing = store.imported([doc["_id"] for doc, _ in built])
    written = [
        doc["_id"]
        for doc, change in built
        if doc["_id"] not in existing and store.AGGREGATE.insert_once(ctx.outbox, doc, change)
    ]
    return {
        "received": len(rows),
        "imported": len(written),
        "already_imported": len(rows) - len(written),
        "topic_ids": [doc["_id"] for doc, _ in built],
    }
