"""Deliberation's use cases, handlers and jobs on the in-memory store: a topic through the six steps
with a meeting and a residents' vote closed by the job, requests taken up from intake's events,
refused steps, and the metrics the outbox counts from each commit."""

from datetime import timedelta

import pytest

from civic146.auth import Actor
from civic146.errors import InvalidInput, InvalidTransition
from civic146.events import RATED, ROUTED, MaskedPerson, Rated, Routed
from deliberation import actions, domain, scheduled, schemas, store
from deliberation import metrics as m
from deliberation.handlers import SUBSCRIPTIONS
from deliberation.service import SERVICE
from tests.fast.conftest import recorded

STAFF = Actor("staff-1", "community_staff")
VOTERS = ["v1", "v2", "v3", "v4"]
TOPIC = {
    "title": "北侧道路修复",
    "description": "乐福国际小区北侧道路因强降雨损毁",
    "community": "huifeng",
    "compound": "lefu-international",
    "category": "roads_and_facilities",
    "platform": "residents_council",
}
NOTICE = {"text": "关于乐福国际小区北侧道路修复的议题公示", "period_days": 5, "venue_id": "huifeng-yishiting"}
ROAD = "乐福国际小区北侧道路因强降雨损毁，坑洼严重"


@pytest.fixture
def ctx(memory_service):
    """Without the Party organisation's reviews (their own tests below turn them on)."""
    return memory_service(SERVICE, party_review_stages="")


def payload(model, **fields) -> dict:
    """What a view hands its action: the request body, validated and dumped."""
    return model.model_validate(fields).model_dump()


def counter(metric, *labels) -> float:
    return metric.labels(*labels)._value.get()


def kinds(doc_id) -> list[str]:
    return [t.split(".")[-2] for t in recorded(store.collection(), doc_id)]


def created(ctx) -> dict:
    return actions.create_topic(ctx, payload(schemas.CreateTopicIn, **TOPIC), "community_staff", STAFF)


def in_consultation(ctx, clock) -> dict:
    doc = actions.publish_notice(ctx, created(ctx), STAFF, payload(schemas.NoticeIn, **NOTICE))
    clock.advance(days=3)
    return actions.start_consultation(ctx, doc, STAFF)


def with_open_vote(ctx, clock) -> dict:
    actions.register_voters(ctx, "huifeng", "lefu-international", VOTERS, STAFF)
    doc = in_consultation(ctx, clock)
    vote = payload(
        schemas.VoteIn, question="是否同意修复方案", scope="compound", closes_at=clock() + timedelta(days=2)
    )
    return actions.open_vote(ctx, doc, STAFF, vote)


def routed(request_id: str, description: str) -> Routed:
    return Routed(
        request_id=request_id,
        community="huifeng",
        compound="lefu-international",
        category="roads_and_facilities",
        channel="opinion_express",
        status="routed",
        actor_role="community_staff",
        target="deliberation",
        description=description,
        submitter=MaskedPerson(name="王*", phone="138****1234"),
        submitter_ref=None,
        name_digests=[],
    )


def rated(request_id: str, satisfaction: int) -> Rated:
    return Rated(
        request_id=request_id,
        community="huifeng",
        compound="lefu-international",
        category="roads_and_facilities",
        channel="opinion_express",
        status="resolved",
        actor_role="resident",
        satisfaction=satisfaction,
    )


def handle(ctx, event_type, event_id: str, data) -> None:
    (subscription,) = [s for s in SUBSCRIPTIONS if s.event_type is event_type]
    subscription.handle(ctx, {"id": event_id}, data)


def test_a_topic_goes_through_the_six_steps_with_a_meeting_and_a_vote_closed_by_the_job(ctx, clock):
    before = {
        "created": counter(m.TOPICS_CREATED, "huifeng", "residents_council", "community_staff"),
        "closed": counter(m.STEP_TRANSITIONS, "huifeng", "residents_council", "closed"),
        "held": counter(m.CONSULTATIONS_HELD, "huifeng", "residents_council"),
        "participants": counter(m.PARTICIPANTS, "huifeng", "residents_council"),
        "ballots": counter(m.BALLOTS_CAST, "huifeng"),
        "passed": counter(m.VOTES_CLOSED, "huifeng", "passed"),
        "solved": counter(m.MATTERS_SOLVED, "huifeng"),
    }
    doc = with_open_vote(ctx, clock)
    meeting = payload(
        schemas.MeetingIn,
        venue_id="huifeng-yishiting",
        scheduled_at=clock(),
        participants={"party_members": 2, "resident_representatives": 8},
    )
    doc = actions.schedule_meeting(ctx, doc, STAFF, meeting)
    held = payload(schemas.MeetingHeldIn, attendance=10, minutes="会议讨论了道路修复方案", outcome="同意修复")
    doc = actions.hold_meeting(ctx, doc, STAFF, doc["meetings"][0]["id"], held)
    vote_id = doc["votes"][0]["id"]
    for voter in VOTERS[:3]:
        doc = actions.cast_ballot(ctx, doc, voter, vote_id, "approve")

    clock.advance(days=2, minutes=1)
    assert scheduled.close_due_votes(ctx, clock()) == 1
    assert scheduled.close_due_votes(ctx, clock()) == 0  # closed once
    doc = store.get(doc["_id"])
    assert (doc["votes"][0]["result"], doc["votes"][0]["turnout"]) == ("passed", 0.75)

    doc = actions.start_implementation(ctx, doc, STAFF, "修复北侧道路")
    task = payload(
        schemas.TaskIn, title="修复路面", owner="社区居委会", due_date=clock().date(), unit="m", target=230
    )
    doc = actions.add_task(ctx, doc, STAFF, task)
    doc = actions.progress_task(ctx, doc, STAFF, doc["tasks"][0]["id"], 230)
    doc = actions.publish_result(
        ctx, doc, STAFF, payload(schemas.NoticeIn, **{**NOTICE, "text": "道路已修复完成"})
    )
    doc = actions.open_feedback(ctx, doc, STAFF)
    doc = actions.give_feedback(ctx, doc, Actor("v1", "resident"), 5, "很满意")
    doc = actions.close(ctx, doc, STAFF, "已向居民反馈")

    assert doc["step"] == "closed" and [s["step"] for s in doc["steps"]] == [*domain.STEPS, "closed"]
    assert store.get(doc["_id"])["version"] == doc["version"]
    assert kinds(doc["_id"]) == [
        "created",
        "notice-published",
        "consultation-started",
        "vote-opened",
        "meeting-scheduled",
        "meeting-held",
        "vote-closed",
        "implementation-started",
        "task-added",
        "task-progressed",
        "result-published",
        "feedback-opened",
        "feedback-received",
        "closed",
    ]
    # The outbox counted every commit: no caller counts.
    assert (
        counter(m.TOPICS_CREATED, "huifeng", "residents_council", "community_staff") == before["created"] + 1
    )
    assert counter(m.STEP_TRANSITIONS, "huifeng", "residents_council", "closed") == before["closed"] + 1
    assert counter(m.CONSULTATIONS_HELD, "huifeng", "residents_council") == before["held"] + 1
    assert counter(m.PARTICIPANTS, "huifeng", "residents_council") == before["participants"] + 10
    assert counter(m.BALLOTS_CAST, "huifeng") == before["ballots"] + 3
    assert counter(m.VOTES_CLOSED, "huifeng", "passed") == before["passed"] + 1
    assert counter(m.MATTERS_SOLVED, "huifeng") == before["solved"] + 1


def test_a_write_after_the_window_closes_the_vote_in_its_own_commit_before_the_job_runs(ctx, clock):
    doc = with_open_vote(ctx, clock)
    vote_id = doc["votes"][0]["id"]
    for voter in VOTERS[:3]:
        doc = actions.cast_ballot(ctx, doc, voter, vote_id, "approve")
    clock.advance(days=2, minutes=1)
    version = store.get(doc["_id"])["version"]

    # What a read shows is computed, not written.
    shown = domain.with_due_votes_closed(store.get(doc["_id"]), clock())
    assert shown["votes"][0]["result"] == "passed"
    assert store.get(doc["_id"])["votes"][0]["status"] == "open"
    assert store.get(doc["_id"])["version"] == version

    # A ballot after the close is refused (and writes nothing); the vote opened next is the second.
    with pytest.raises(domain.VoteNotOpen):
        actions.cast_ballot(ctx, store.get(doc["_id"]), "v4", vote_id, "approve")
    assert store.get(doc["_id"])["version"] == version
    again = payload(
        schemas.VoteIn, question="再次表决修复方案", scope="compound", closes_at=clock() + timedelta(days=2)
    )
    doc = actions.open_vote(ctx, store.get(doc["_id"]), STAFF, again)
    assert [v["status"] for v in doc["votes"]] == ["closed", "open"]
    assert doc["version"] == version + 1  # the closing and the new vote: one commit
    assert kinds(doc["_id"])[-2:] == ["vote-closed", "vote-opened"]
    assert scheduled.close_due_votes(ctx, clock()) == 0  # nothing left for the job


def test_a_routed_request_is_taken_up_once_and_a_similar_one_joins_its_topic(ctx):
    for _ in range(2):  # a repeat (the consumer's record of it lost) changes nothing
        handle(ctx, ROUTED, "event-1", routed("r1", ROAD))
    (topic,) = store.holding("r1")
    assert topic["origin"] == "intake_request" and topic["version"] == 1
    assert kinds(topic["_id"]) == ["created", "request-attached", "progress"]

    handle(ctx, ROUTED, "event-2", routed("r2", "乐福国际小区北侧道路被暴雨冲坏，坑洼严重"))
    handle(ctx, ROUTED, "event-2", routed("r2", "乐福国际小区北侧道路被暴雨冲坏，坑洼严重"))
    topic = store.get(topic["_id"])
    assert topic["request_ids"] == ["r1", "r2"] and topic["version"] == 2

    for _ in range(2):
        handle(ctx, RATED, "event-3", rated("r1", 4))
    topic = store.get(topic["_id"])
    assert topic["request_ratings"][0]["satisfaction"] == 4 and topic["version"] == 3


def test_a_moved_request_tells_intake_where_it_went_and_an_emptied_topic_stops_absorbing(ctx):
    handle(ctx, ROUTED, "event-1", routed("r1", ROAD))
    (first,) = store.holding("r1")
    other = created(ctx)
    home = actions.attach_request(ctx, other, STAFF, "r1")
    assert home["_id"] == other["_id"] and home["request_ids"] == ["r1"]
    left = store.get(first["_id"])
    assert kinds(first["_id"])[-2:] == ["request-detached", "reassigned"]
    [moved] = [e for e in left_events(first["_id"]) if e["type"].startswith("civic146.request.reassigned")]
    assert (moved["data"]["reference"], moved["data"]["previous_reference"]) == (other["_id"], first["_id"])
    assert moved["data"]["summary"] == f"已从议题「{first['title']}」转入议题「{other['title']}」"
    assert left["absorbs_requests"] is False
    assert left["absorbing_stopped"]["reason"] == (
        f"left without requests: its last request r1 moved to topic {other['_id']}"
    )

    # A new request about the same road joins a topic that still has requests, never the emptied one.
    handle(ctx, ROUTED, "event-2", routed("r2", ROAD))
    assert [t["_id"] for t in store.holding("r2")] != [first["_id"]]
    assert store.get(first["_id"])["request_ids"] == []

    # Staff detach r1 into a topic of its own: intake is told of that move too.
    own = actions.detach_request(ctx, store.get(other["_id"]), STAFF, "r1")
    assert own["request_ids"] == ["r1"] and own["_id"] not in (first["_id"], other["_id"])
    [again] = [e for e in left_events(other["_id"]) if e["type"].startswith("civic146.request.reassigned")]
    assert again["data"]["reference"] == own["_id"]

    # Staff attaching a request revive the emptied topic.
    revived = actions.attach_request(ctx, store.get(first["_id"]), STAFF, "r1")
    assert revived["absorbs_requests"] is True and revived["absorbing_stopped"] is None


def left_events(doc_id) -> list[dict]:
    """The events the topic recorded (its outbox, in the in-memory store nothing relays them)."""
    return [item["event"] for item in store.collection().find_one({"_id": doc_id})["outbox"]]


def test_refused_steps_change_nothing(ctx, clock):
    doc = created(ctx)
    with pytest.raises(
        InvalidTransition, match="cannot start implementation while the topic is in step"
    ) as e:
        actions.start_implementation(ctx, doc, STAFF, "修复")
    assert e.value.details == {"step": "determine_topic", "allowed_from": ["consultation"]}
    with pytest.raises(InvalidTransition, match="cannot add an implementation task") as e:
        actions.add_task(
            ctx,
            doc,
            STAFF,
            payload(
                schemas.TaskIn, title="修复", owner="居委会", due_date=clock().date(), unit="m", target=1
            ),
        )
    assert e.value.details == {"step": "determine_topic", "allowed_in": ["implementation"]}
    with pytest.raises(InvalidInput):
        actions.publish_notice(
            ctx, doc, STAFF, payload(schemas.NoticeIn, **{**NOTICE, "venue_id": "nowhere"})
        )
    assert store.get(doc["_id"])["version"] == 1
    assert kinds(doc["_id"]) == ["created"]
