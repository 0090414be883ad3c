"""Deliberation's use cases, called by the API, the consumer's handlers and the jobs alike: each
decides (domain) and commits the change with its events (store, through the outbox, which also
counts the domain metrics). Callers load and authorise; a conflict is retried where the caller is a
machine (handlers), left to the next run by a job, and reported by the API (409: the client retries).

Every decision on a topic is made on the topic as it stands now: a vote whose window has passed is
closed in the same commit (see `_decide`), so starting the implementation sees its result and a
ballot after the close is refused, whether or not the worker's job has closed it yet."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from civic146.auth import Actor
from civic146.errors import InvalidInput, InvalidTransition, NotFound
from civic146.events import CaseEscalatedData
from civic146.outbox import Change, applied, retry_on_conflict

from . import domain, store
from .context import Deliberation


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


# --- step 1 -------------------------------------------------------------------------------------------


def create_topic(ctx: Deliberation, fields: dict, origin: str, actor: Actor) -> dict:
    """`raised_at`: when the matter was raised, if before it is recorded (at a talk, on paper)."""
    now, fields = ctx.now(), dict(fields)
    raised = domain.happened(fields.pop("raised_at", None), "raised_at", now, ctx.policy)
    doc, change = domain.new_topic(fields, origin, actor, now, ctx.policy, raised_at=raised)
    return store.insert(ctx.outbox, doc, change)


def update(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    return _decide(ctx, doc, lambda d, now: domain.update(d, fields, actor, now, ctx.policy))


def attach_request(ctx: Deliberation, doc: dict, actor: Actor, request_id: str) -> dict:
    """Staff attach a request to this topic, moving it from the one it is on."""
    return _move_request(ctx, request_id, doc, actor)


def detach_request(ctx: Deliberation, doc: dict, actor: Actor, request_id: str) -> dict:
    """Staff give a request of this topic a topic of its own (returned)."""
    if request_id not in doc["request_ids"]:
        raise NotFound(f"request {request_id} does not belong to this topic")
    return _move_request(ctx, request_id, None, actor)


def _move_request(ctx: Deliberation, request_id: str, target: dict | None, actor: Actor) -> dict:
    """Attach a request to `target` (or, with None, detach it into a topic of its own).
    The new home is written first: a crash in between leaves the request on two topics (visible,
    fixable), never on none. A request stays in its own community: the caller is checked against
    the target's community only, so a move from another community is refused outright."""
    now = ctx.now()
    sources = [t for t in store.holding(request_id) if target is None or t["_id"] != target["_id"]]
    if not sources:
        raise NotFound(
            f"request {request_id} is not on any other topic; deliberation knows only requests routed to it"
        )
    if target is not None and any(s["community"] != target["community"] for s in sources):
        raise InvalidInput(
            "a request joins topics of its own community only",
            [{"field": "request_id", "message": f"request {request_id} belongs to another community"}],
        )
    source = sources[0]
    entry = next(r for r in source["requests"] if r["request_id"] == request_id)
    for s in sources:
        domain.detach_request(s, request_id, actor, now, None)  # validate before writing anything
    moved = {**entry, "via": "staff", "attached_at": now}
    if target is None:
        doc, change = domain.new_topic(
            {
                "title": domain.title_from(entry.get("description") or source["title"]),
                "description": entry.get("description") or source["description"],
                "community": source["community"],
                "compound": entry.get("compound"),
                "category": entry.get("category"),
            },
            "community_staff",
            actor,
            now,
            ctx.policy,
            origin_ref=request_id,
            requests=[moved],
        )
        home = store.insert(ctx.outbox, doc, change)
    else:
        home = _decide(ctx, target, lambda d, at: domain.attach_request(d, moved, actor, at), now)
    for s in sources:
        _decide(
            ctx,
            s,
            lambda d, at: domain.detach_request(d, request_id, actor, at, home["_id"], home["title"]),
            now,
        )
    return home


# --- steps 2 to 6 ----------------------------------------------------------------------------------


def publish_notice(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    _check_venue(ctx, fields.get("venue_id"), doc["community"])
    return _decide(ctx, doc, lambda d, now: domain.publish_notice(d, fields, actor, now, ctx.policy))


def start_consultation(
    ctx: Deliberation, doc: dict, actor: Actor, started_at: datetime | None = None
) -> dict:
    return _decide(ctx, doc, lambda d, now: domain.start_consultation(d, actor, now, ctx.policy, started_at))


def schedule_meeting(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    _check_venue(ctx, fields.get("venue_id"), doc["community"])
    return _decide(ctx, doc, lambda d, now: domain.schedule_meeting(d, fields, actor, now)[1])


def hold_meeting(ctx: Deliberation, doc: dict, actor: Actor, meeting_id: str, fields: dict) -> dict:
    return _decide(
        ctx, doc, lambda d, now: domain.hold_meeting(d, meeting_id, fields, actor, now, ctx.policy)
    )


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
    return _decide(ctx, doc, lambda d, now: domain.open_vote(d, fields, eligible, actor, now, ctx.policy)[1])


def record_paper_vote(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    """A vote counted on paper, recorded after it closed: the quorum is computed on the roll as it
    was when it opened."""
    eligible = _eligible(doc, fields, fields["opens_at"])
    return _decide(
        ctx, doc, lambda d, now: domain.record_paper_vote(d, fields, eligible, actor, now, ctx.policy)[1]
    )


def review(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    """The Party organisation's review of the topic (step 1) or of the decision (consultation)."""
    return _decide(ctx, doc, lambda d, now: domain.review(d, fields["stage"], fields, actor, now, ctx.policy))


def cast_ballot(ctx: Deliberation, doc: dict, voter_id: str, vote_id: str, choice: str) -> dict:
    return _decide(ctx, doc, lambda d, now: domain.cast_ballot(d, vote_id, voter_id, choice, now))


def claim(
    ctx: Deliberation, doc: dict, actor: Actor, resources: list[str], claimed_at: datetime | None = None
) -> dict:
    """A CPPCC member (the caller has checked they serve the community) claims the topic."""
    return _decide(
        ctx, doc, lambda d, now: domain.claim(d, actor.id, resources, actor, now, ctx.policy, claimed_at)
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
            d, deputy.id, deputy.station, actor, now, ctx.policy, assigned_at
        ),
    )


def start_implementation(
    ctx: Deliberation, doc: dict, actor: Actor, decision: str, started_at: datetime | None = None
) -> dict:
    return _decide(
        ctx, doc, lambda d, now: domain.start_implementation(d, decision, actor, now, ctx.policy, started_at)
    )


def add_task(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    return _decide(ctx, doc, lambda d, now: domain.add_task(d, fields, actor, now, ctx.policy)[1])


def progress_task(
    ctx: Deliberation,
    doc: dict,
    actor: Actor,
    task_id: str,
    done: float,
    reported_at: datetime | None = None,
) -> dict:
    return _decide(
        ctx, doc, lambda d, now: domain.progress_task(d, task_id, done, actor, now, ctx.policy, reported_at)
    )


def publish_result(ctx: Deliberation, doc: dict, actor: Actor, fields: dict) -> dict:
    _check_venue(ctx, fields.get("venue_id"), doc["community"])
    return _decide(ctx, doc, lambda d, now: domain.publish_result(d, fields, actor, now, ctx.policy))


def open_feedback(ctx: Deliberation, doc: dict, actor: Actor, opened_at: datetime | None = None) -> dict:
    return _decide(ctx, doc, lambda d, now: domain.open_feedback(d, actor, now, ctx.policy, opened_at))


def give_feedback(ctx: Deliberation, doc: dict, actor: Actor, satisfaction: int, comment: str | None) -> dict:
    return _decide(
        ctx, doc, lambda d, now: domain.give_feedback(d, actor, satisfaction, comment, now, ctx.policy)
    )


def close(
    ctx: Deliberation, doc: dict, actor: Actor, summary: str, closed_at: datetime | None = None
) -> dict:
    return _decide(ctx, doc, lambda d, now: domain.close(d, summary, actor, now, ctx.policy, closed_at))


def decline(
    ctx: Deliberation, doc: dict, actor: Actor, reason: str, declined_at: datetime | None = None
) -> dict:
    return _decide(ctx, doc, lambda d, now: domain.decline(d, reason, actor, now, ctx.policy, declined_at))


def evaluate(
    ctx: Deliberation, doc: dict, actor: Actor, person_id: str | None, score: int, comment: str | None
) -> dict:
    return _decide(
        ctx, doc, lambda d, now: domain.evaluate(d, actor, person_id, score, comment, now, ctx.policy)
    )


# --- the voter roll ----------------------------------------------------------------------------------


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
    since = domain.happened(registered_at, "registered_at", now, ctx.policy)
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
    when = domain.happened(removed_at, "removed_at", now, ctx.policy)
    return store.remove_voter(
        community, resident_id, domain.scrub({}, reason, ctx.policy), actor.id, now, when
    )


# --- what the consumer and the jobs do ------------------------------------------------------------------


def take_up_request(ctx: Deliberation, request: dict, via_event: str) -> dict:
    """A request routed to deliberation joins the open topic about the same matter, or becomes a
    new topic candidate (step 1). Idempotent: a request already on a topic changes nothing (a
    request never leaves every topic: a detach moves it), and a topic made from this event has an
    id derived from it. The consumer drops repeated events before they get here, so no separate
    "event applied?" lookup (a collection scan on the test server, a third of the handler's time)."""
    now = ctx.now()

    def entry(via: str) -> dict:
        return domain.request_entry(
            request["request_id"],
            request.get("compound"),
            request.get("category"),
            request["description"],
            via,
            now,
            request.get("submitter_ref"),
            request.get("name_digests"),
        )

    def once() -> dict:
        if store.holding(request["request_id"]):
            return {}
        found = domain.matching_topic(
            request,
            store.open_candidates(
                request["community"], request.get("compound"), request.get("category"), domain.OPEN_STEPS
            ),
            ctx.policy.attach_similarity,
        )
        if found is not None:
            joined = entry("similarity")
            return _decide(
                ctx,
                found[0],
                lambda d, at: domain.attach_request(d, joined, domain.SYSTEM, at, via_event),
                now,
            )
        doc, change = domain.new_topic(
            {
                "title": domain.title_from(request["description"]),
                "description": request["description"],
                "community": request["community"],
                "compound": request.get("compound"),
                "category": request.get("category"),
            },
            "intake_request",
            domain.SYSTEM,
            now,
            ctx.policy,
            topic_id=domain.derived_id(via_event),
            origin_ref=request["request_id"],
            requests=[entry("new_topic")],
        )
        doc["applied_events"] = [via_event]
        try:
            return store.insert(ctx.outbox, doc, change)
        except DuplicateKeyError:
            return {}  # the same event created it before

    return retry_on_conflict(once, f"the topic for request {request['request_id']}")


def record_rating(ctx: Deliberation, request_id: str, satisfaction: int, event_id: str) -> None:
    """A linked request's resident rated its outcome in intake: it counts in the topic's feedback,
    once (the event id is kept in the same write)."""

    def once() -> None:
        topics = [t for t in store.holding(request_id) if event_id not in t.get("applied_events", [])]
        if not topics:
            return  # not ours, or already recorded
        _decide(
            ctx,
            topics[0],
            lambda d, now: domain.record_request_rating(d, request_id, satisfaction, event_id, now),
        )

    retry_on_conflict(once, f"the topic of request {request_id}")


def take_up_escalation(ctx: Deliberation, data: CaseEscalatedData, event_id: str) -> None:
    """Mediation escalated a case with a community-wide cause: it becomes a topic, with the case's
    requests deliberation does not hold yet. Its id is derived from the case: once only."""
    now = ctx.now()
    requests = [
        domain.request_entry(rid, data.compound, None, None, "mediation_case", now)
        for rid in data.request_ids
        if not store.holding(rid)
    ]
    doc, change = domain.new_topic(
        {
            "title": domain.title_from(data.summary),
            "description": f"{data.summary}\n（调解转议题：{data.cause}）",
            "community": data.community,
            "compound": data.compound,
            "category": data.case_type,
        },
        "mediation_case",
        domain.SYSTEM,
        now,
        ctx.policy,
        topic_id=domain.derived_id(f"mediation_case:{data.case_id}"),
        origin_ref=data.case_id,
        requests=requests,
        name_digests=data.name_digests,
    )
    doc["applied_events"] = [event_id]
    try:
        store.insert(ctx.outbox, doc, change)
    except DuplicateKeyError:
        pass  # this case already became a topic


def close_due_votes(ctx: Deliberation, doc: dict, now: datetime) -> bool:
    """Take the rolls of the topic's votes that opened and close those whose window has passed (the
    results are computed at the windows' ends); False when nothing was due."""
    due = _due_by(ctx, doc, now)
    if due is None:
        return False
    store.apply(ctx.outbox, doc, due[0])
    return True


# --- past matters -------------------------------------------------------------------------------------


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


def past_matter(
    ctx: Deliberation, row: dict, source: str, actor: Actor, now: datetime
) -> tuple[dict, Change]:
    """A matter settled before the platform as one new topic: its steps decided one after the other
    by the same decisions as a live topic's, each at the time it happened, every event recorded now
    (with its occurred_at). A broken rule is a _RowProblem naming the row's field."""
    _registered(ctx, row)
    policy = ctx.policy
    changes: list[Change] = []

    def step(where: str, decide: Callable[[dict], Change]) -> None:
        nonlocal doc
        try:
            change = decide(doc)
        except InvalidInput as e:
            detail = (e.details or [{}])[0]
            inner = detail.get("field")
            raise _RowProblem(
                f"{where}.{inner}" if inner and where else inner or where, detail.get("message", str(e))
            ) from None
        except (InvalidTransition, NotFound) as e:
            raise _RowProblem(where, e.message) from None
        changes.append(change)
        doc = applied(doc, change)

    raised = _checked_time(row["raised_at"], "raised_at", now, policy)
    fields = {
        k: row.get(k)
        for k in ("title", "description", "community", "compound", "category", "platform", "vote_required")
    }
    doc, created = domain.new_topic(
        fields,
        row["origin"],
        actor,
        now,
        policy,
        topic_id=domain.derived_id(f"past-matter:{row['external_id']}"),
        raised_at=raised,
    )
    changes.append(created)
    for i, d in enumerate(row["deputies"]):
        deputy = ctx.registries.deputies[d["deputy_id"]]
        step(
            f"deputies.{i}",
            lambda t, d=d, deputy=deputy: domain.assign_deputy(
                t, deputy.id, deputy.station, actor, now, policy, d["assigned_at"]
            ),
        )
    for i, c in enumerate(row["claims"]):
        step(
            f"claims.{i}",
            lambda t, c=c: domain.claim(
                t, c["member_id"], c["resources"], actor, now, policy, c["claimed_at"]
            ),
        )
    if row.get("topic_review"):
        review_fields = {**row["topic_review"], "approved": True}
        step("topic_review", lambda t: domain.review(t, "topic", review_fields, actor, now, policy))
    step("notice", lambda t: domain.publish_notice(t, row["notice"], actor, now, policy))
    step(
        "consultation_started_at",
        lambda t: domain.start_consultation(t, actor, now, policy, row["consultation_started_at"]),
    )
    for i, m in enumerate(row["meetings"]):
        meeting_id: list[str] = []

        def schedule(t, m=m, meeting_id=meeting_id):
            mid, change = domain.schedule_meeting(t, {**m, "scheduled_at": m["held_at"]}, actor, now)
            meeting_id.append(mid)
            return change

        step(f"meetings.{i}", schedule)
        step(
            f"meetings.{i}",
            lambda t, m=m, meeting_id=meeting_id: domain.hold_meeting(
                t, meeting_id[0], m, actor, now, policy
            ),
        )
    for i, v in enumerate(row["votes"]):
        step(
            f"votes.{i}",
            lambda t, v=v: domain.record_paper_vote(
                t, v, [], actor, now, policy, past_roll_size=v["eligible_count"]
            )[1],
        )
    if row.get("decision_review"):
        review_fields = {**row["decision_review"], "approved": True}
        step("decision_review", lambda t: domain.review(t, "decision", review_fields, actor, now, policy))
    step(
        "implementation_started_at",
        lambda t: domain.start_implementation(
            t, row["decision"], actor, now, policy, row["implementation_started_at"]
        ),
    )
    for i, task in enumerate(row["tasks"]):
        task_id: list[str] = []

        def add(t, task=task, task_id=task_id):
            tid, change = domain.add_task(t, task, actor, now, policy)
            task_id.append(tid)
            return change

        step(f"tasks.{i}", add)
        step(
            f"tasks.{i}",
            lambda t, task=task, task_id=task_id: domain.progress_task(
                t, task_id[0], task["done"], actor, now, policy, task["reported_at"]
            ),
        )
    step("result", lambda t: domain.publish_result(t, row["result"], actor, now, policy))
    if row.get("closing"):
        closing = row["closing"]
        step(
            "closing.feedback_opened_at",
            lambda t: domain.open_feedback(t, actor, now, policy, closing["feedback_opened_at"]),
        )
        step(
            "closing", lambda t: domain.close(t, closing["summary"], actor, now, policy, closing["closed_at"])
        )
    doc = {k: v for k, v in doc.items() if k != "version"}
    doc["imported"] = {
        "external_id": row["external_id"],
        "source": source,
        "imported_at": now,
        "imported_by": actor.id,
    }
    return doc, Change(set=doc, outbox=[e for c in changes for e in c.outbox])


def _checked_time(given: datetime, field: str, now: datetime, policy: domain.Policy) -> datetime:
    try:
        return domain.happened(given, field, now, policy)
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
