"""The deliberation domain without servers: steps, rules, votes, attaching requests, events."""

from datetime import UTC, date, datetime, timedelta

import jsonschema
import pytest

from civic146 import pii
from civic146.auth import Actor
from civic146.errors import Forbidden, InvalidInput, InvalidTransition
from civic146.outbox import Change, applied, stamped
from deliberation import domain
from deliberation import events as ev

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
STAFF = Actor("staff-1", "community_staff")
POLICY = domain.Policy(name_key=pii.name_key("test-secret"))
SCHEMAS = {t.name: t.schema() for t in ev.PUBLISHED}
ROAD = "乐福国际小区北侧道路因强降雨损毁，坑洼严重，老人出行不便"


def checked(change: Change) -> Change:
    """The change, once every event it records, as published, is shown to match its contract."""
    for item in stamped(change.outbox, 2):
        jsonschema.validate(item["event"], SCHEMAS[item["event"]["type"]])
    return change


def types(change: Change) -> list[str]:
    return [i["event"]["type"].split(".")[-2] for i in change.outbox]


def new_topic(platform="small_bench_talk", requests=("r1",)):
    entries = [
        domain.request_entry(
            r,
            compound="lefu-international",
            category="roads_and_facilities",
            description=ROAD,
            via="new_topic",
            now=T0,
        )
        for r in requests
    ]
    doc, change = domain.new_topic(
        {
            "title": "北侧道路修复",
            "description": ROAD,
            "community": "huifeng",
            "compound": "lefu-international",
            "category": "roads_and_facilities",
            "platform": platform,
        },
        origin="intake_request",
        actor=domain.SYSTEM,
        now=T0,
        policy=POLICY,
        requests=entries,
    )
    return applied({**doc, "version": 1}, checked(change)), change


NOTICE = {
    "text": "关于北侧道路修复的议题公示",
    "period_days": 5,
    "venue_id": "huifeng-yishiting",
    "online": True,
}
MEETING = {
    "venue_id": "huifeng-yishiting",
    "scheduled_at": T0 + timedelta(days=4),
    "participants": {"party_members": 3, "resident_representatives": 6, "compound_heads": 3, "volunteers": 2},
}
HELD = {
    "attendance": 14,
    "minutes": "讨论道路修复方案，确定先修复路面再修台阶",
    "opinions": ["先修路面"],
    "outcome": "同意修复",
}


def in_consultation(**kw):
    doc, _ = new_topic(**kw)
    doc = applied(doc, checked(domain.publish_notice(doc, fields=NOTICE, actor=STAFF, now=T0, policy=POLICY)))
    return applied(
        doc, checked(domain.start_consultation(doc, actor=STAFF, now=T0 + timedelta(days=3), policy=POLICY))
    )


def with_held_meeting(doc):
    mid, change = domain.schedule_meeting(doc, MEETING, STAFF, T0)
    doc = applied(doc, checked(change))
    return applied(
        doc,
        checked(
            domain.hold_meeting(doc, mid, fields=HELD, actor=STAFF, now=T0 + timedelta(days=4), policy=POLICY)
        ),
    )


def test_a_new_topic_records_its_requests_and_tells_intake_they_are_in_progress():
    doc, change = new_topic(requests=("r1", "r2"))
    assert doc["step"] == "determine_topic" and doc["request_ids"] == ["r1", "r2"]
    assert types(change) == ["created", "request-attached", "progress", "request-attached", "progress"]
    progress = [i["event"]["data"] for i in change.outbox if i["event"]["type"] == ev.REQUEST_PROGRESS.name]
    assert [(p["request_id"], p["state"], p["reference"]) for p in progress] == [
        ("r1", "in_progress", doc["_id"]),
        ("r2", "in_progress", doc["_id"]),
    ]
    assert all(i["topic"] == "deliberation.topics" and i["key"] == doc["_id"] for i in change.outbox)


def test_the_six_steps_in_order_with_time_and_actor():
    doc = with_held_meeting(in_consultation())
    doc = applied(
        doc,
        checked(
            domain.start_implementation(
                doc,
                decision="修复路面230米，台阶12处",
                actor=STAFF,
                now=T0 + timedelta(days=5),
                policy=POLICY,
            )
        ),
    )
    for title, unit, target in (
        ("修复硬化路面", "m", 230),
        ("修复单元口台阶", "处", 12),
        ("增设充电桩", "个", 22),
    ):
        tid, change = domain.add_task(
            doc,
            fields={
                "title": title,
                "owner": "社区与物业公司",
                "due_date": date(2026, 5, 1),
                "unit": unit,
                "target": target,
            },
            actor=STAFF,
            now=T0 + timedelta(days=6),
            policy=POLICY,
        )
        doc = applied(doc, checked(change))
        doc = applied(
            doc,
            checked(
                domain.progress_task(doc, tid, done=target / 2, actor=STAFF, now=T0 + timedelta(days=20))
            ),
        )
    assert doc["progress"] == 50.0
    for t in doc["tasks"]:
        doc = applied(
            doc,
            checked(
                domain.progress_task(doc, t["id"], done=t["target"], actor=STAFF, now=T0 + timedelta(days=60))
            ),
        )
    assert doc["progress"] == 100.0
    change = domain.publish_result(
        doc,
        fields={**NOTICE, "text": "完成修复硬化路面230米"},
        actor=STAFF,
        now=T0 + timedelta(days=61),
        policy=POLICY,
    )
    resolved = [i["event"]["data"] for i in change.outbox if i["event"]["type"] == ev.REQUEST_PROGRESS.name]
    assert [(r["request_id"], r["state"], r["summary"]) for r in resolved] == [
        ("r1", "resolved", "完成修复硬化路面230米")
    ]
    doc = applied(doc, checked(change))
    doc = applied(doc, checked(domain.open_feedback(doc, actor=STAFF, now=T0 + timedelta(days=62))))
    doc = applied(
        doc,
        checked(
            domain.give_feedback(
                doc,
                actor=Actor("res-1", "resident"),
                satisfaction=5,
                comment="满意",
                now=T0 + timedelta(days=63),
                policy=POLICY,
            )
        ),
    )
    doc = applied(
        doc,
        checked(
            domain.record_request_rating(
                doc, "r1", satisfaction=4, event_id="evt-1", now=T0 + timedelta(days=63)
            )
        ),
    )
    doc = applied(
        doc,
        checked(
            domain.close(doc, summary="已向居民反馈", actor=STAFF, now=T0 + timedelta(days=64), policy=POLICY)
        ),
    )
    assert [s["step"] for s in doc["steps"]] == [
        "determine_topic",
        "public_notice",
        "consultation",
        "implementation",
        "publish_result",
        "feedback",
        "closed",
    ]
    assert all(s["actor_role"] in ("system", "community_staff") and s["at"] for s in doc["steps"])
    assert doc["closing"]["mean_satisfaction"] == 4.5
    hours = domain.step_hours(doc, T0 + timedelta(days=100))
    assert hours["consultation"] == 48 and hours["implementation"] == 56 * 24


@pytest.mark.parametrize(
    "action",
    [
        lambda d: domain.start_consultation(d, actor=STAFF, now=T0 + timedelta(days=9), policy=POLICY),
        lambda d: domain.start_implementation(d, decision="决定", actor=STAFF, now=T0, policy=POLICY),
        lambda d: domain.publish_result(d, fields=NOTICE, actor=STAFF, now=T0, policy=POLICY),
        lambda d: domain.open_feedback(d, actor=STAFF, now=T0),
        lambda d: domain.close(d, summary="x", actor=STAFF, now=T0, policy=POLICY),
    ],
)
def test_steps_cannot_be_skipped(action):
    doc, _ = new_topic()
    with pytest.raises(InvalidTransition):
        action(doc)


def test_the_notice_must_be_up_for_the_minimum_period():
    doc, _ = new_topic()
    doc = applied(doc, checked(domain.publish_notice(doc, fields=NOTICE, actor=STAFF, now=T0, policy=POLICY)))
    with pytest.raises(domain.NoticePeriodNotElapsed) as err:
        domain.start_consultation(doc, actor=STAFF, now=T0 + timedelta(days=2, hours=23), policy=POLICY)
    assert err.value.code == "notice_period_not_elapsed"
    assert (
        domain.start_consultation(doc, actor=STAFF, now=T0 + timedelta(days=3), policy=POLICY).set["step"]
        == "consultation"
    )


def test_no_implementation_without_a_held_meeting_and_no_result_before_it_is_complete():
    doc = in_consultation()
    with pytest.raises(InvalidTransition, match="meeting"):
        domain.start_implementation(
            doc, decision="决定修路", actor=STAFF, now=T0 + timedelta(days=5), policy=POLICY
        )
    doc = with_held_meeting(doc)
    doc = applied(
        doc,
        checked(
            domain.start_implementation(
                doc, decision="决定修路", actor=STAFF, now=T0 + timedelta(days=5), policy=POLICY
            )
        ),
    )
    tid, change = domain.add_task(
        doc,
        fields={"title": "路面", "owner": "物业", "due_date": date(2026, 5, 1), "unit": "m", "target": 230},
        actor=STAFF,
        now=T0,
        policy=POLICY,
    )
    doc = applied(doc, checked(change))
    doc = applied(doc, checked(domain.progress_task(doc, tid, done=229, actor=STAFF, now=T0)))
    with pytest.raises(InvalidTransition, match="not complete"):
        domain.publish_result(doc, fields=NOTICE, actor=STAFF, now=T0, policy=POLICY)
    with pytest.raises(InvalidInput):
        domain.progress_task(doc, tid, done=231, actor=STAFF, now=T0)


def test_a_meeting_cannot_be_closed_without_minutes_and_attendance():
    doc = in_consultation()
    mid, change = domain.schedule_meeting(doc, MEETING, STAFF, T0)
    doc = applied(doc, checked(change))
    with pytest.raises(InvalidInput) as err:
        domain.hold_meeting(
            doc, mid, fields={**HELD, "minutes": "", "attendance": None}, actor=STAFF, now=T0, policy=POLICY
        )
    assert {d["field"] for d in err.value.details} == {"minutes", "attendance"}


def test_decline_only_in_steps_one_to_three_then_the_result_can_be_published():
    doc, _ = new_topic()
    doc = applied(
        doc, checked(domain.decline(doc, reason="不属于社区议事范围", actor=STAFF, now=T0, policy=POLICY))
    )
    assert doc["step"] == "declined"
    doc = applied(
        doc,
        checked(
            domain.publish_result(
                doc, fields={**NOTICE, "text": "经研究不予立项"}, actor=STAFF, now=T0, policy=POLICY
            )
        ),
    )
    assert doc["result"]["outcome"] == "declined"
    with pytest.raises(InvalidTransition):
        domain.decline(doc, reason="again", actor=STAFF, now=T0, policy=POLICY)


# --- votes ---------------------------------------------------------------------------------------

VOTERS = [f"res-{i}" for i in range(10)]


def open_vote(doc, **fields):
    vid, change = domain.open_vote(
        doc,
        fields={
            "question": "是否同意实施水改工程",
            "scope": "compound",
            "closes_at": T0 + timedelta(days=10),
            **fields,
        },
        eligible=VOTERS,
        actor=STAFF,
        now=T0 + timedelta(days=5),
        policy=POLICY,
    )
    return vid, applied(doc, checked(change))


def cast(doc, vid, ballots: dict[str, str], at=T0 + timedelta(days=6)):
    for voter, choice in ballots.items():
        change = domain.cast_ballot(doc, vid, voter_id=voter, choice=choice, now=at)
        assert change.outbox == []  # a ballot records no event
        doc = applied(doc, checked(change))
    return doc


def test_ballots_are_secret_one_per_voter_and_only_in_the_window():
    doc = in_consultation(platform="residents_council")
    vid, doc = open_vote(doc)
    doc = cast(doc, vid, {"res-1": "approve", "res-2": "oppose"})
    [vote] = doc["votes"]
    assert vote["voters"] == ["res-1", "res-2"] and vote["counts"] == [1, 1, 0]
    assert set(vote) >= {"voters", "counts"} and not any(
        isinstance(v, dict) and "res-1" in v for v in vote.values()
    )
    with pytest.raises(domain.AlreadyVoted):
        domain.cast_ballot(doc, vid, voter_id="res-1", choice="oppose", now=T0 + timedelta(days=6))
    with pytest.raises(domain.NotEligible):
        domain.cast_ballot(doc, vid, voter_id="outsider", choice="approve", now=T0 + timedelta(days=6))
    with pytest.raises(domain.VoteNotOpen):
        domain.cast_ballot(doc, vid, voter_id="res-3", choice="approve", now=T0 + timedelta(days=10))
    with pytest.raises(domain.VoteNotOpen):
        domain.cast_ballot(doc, vid, voter_id="res-3", choice="approve", now=T0 + timedelta(days=4))
    with pytest.raises(InvalidInput):
        domain.cast_ballot(doc, vid, voter_id="res-3", choice="maybe", now=T0 + timedelta(days=6))


@pytest.mark.parametrize(
    "window",
    [
        {"opens_at": T0, "closes_at": T0 + timedelta(days=5)},  # closes when the vote is opened (day 5)
        {"opens_at": T0, "closes_at": T0 + timedelta(days=4)},  # already closed
        {"opens_at": T0 + timedelta(days=8), "closes_at": T0 + timedelta(days=7)},
    ],
)
def test_a_vote_window_must_close_in_the_future_and_after_it_opens(window):
    doc = in_consultation(platform="residents_council")
    with pytest.raises(InvalidInput) as raised:
        open_vote(doc, **window)
    assert [d["field"] for d in raised.value.details] == ["closes_at"]


def test_a_failed_quorum_blocks_implementation_until_a_re_vote_passes():
    doc = with_held_meeting(in_consultation(platform="residents_council"))
    assert doc["vote_required"]
    vid, doc = open_vote(doc, threshold="two_thirds")
    doc = cast(doc, vid, {"res-1": "approve", "res-2": "approve", "res-3": "approve"})
    assert domain.close_due_votes(doc, T0 + timedelta(days=9)) is None  # the window is still open
    change = domain.close_due_votes(doc, T0 + timedelta(days=11))
    doc = applied(doc, checked(change))
    closed = change.outbox[0]["event"]["data"]
    assert closed["result"] == "quorum_not_met" and closed["turnout"] == 0.3 and closed["ballots_cast"] == 3
    with pytest.raises(InvalidTransition, match="vote"):
        domain.start_implementation(
            doc, decision="实施水改", actor=STAFF, now=T0 + timedelta(days=11), policy=POLICY
        )

    vid2, change = domain.open_vote(
        doc,
        fields={
            "question": "再次表决：是否同意实施水改工程",
            "scope": "compound",
            "opens_at": T0 + timedelta(days=12),
            "closes_at": T0 + timedelta(days=15),
            "threshold": "two_thirds",
        },
        eligible=VOTERS,
        actor=STAFF,
        now=T0 + timedelta(days=11),
        policy=POLICY,
    )
    doc = applied(doc, checked(change))
    doc = cast(
        doc,
        vid2,
        {**{f"res-{i}": "approve" for i in range(6)}, "res-6": "oppose", "res-7": "abstain"},
        at=T0 + timedelta(days=13),
    )
    doc = applied(doc, checked(domain.close_due_votes(doc, T0 + timedelta(days=15))))
    assert [(v["result"], v["turnout"]) for v in doc["votes"]] == [("quorum_not_met", 0.3), ("passed", 0.8)]
    assert (
        domain.start_implementation(
            doc, decision="实施水改", actor=STAFF, now=T0 + timedelta(days=16), policy=POLICY
        ).set["step"]
        == "implementation"
    )


def test_a_read_shows_the_result_of_a_passed_window_as_closing_it_would_and_changes_nothing_else():
    doc = with_held_meeting(in_consultation(platform="residents_council"))
    vid, doc = open_vote(doc)
    doc = cast(doc, vid, {f"res-{i}": "approve" for i in range(6)})
    assert domain.with_due_votes_closed(doc, T0 + timedelta(days=9)) is doc  # still open: as stored
    later = T0 + timedelta(days=11)
    shown = domain.with_due_votes_closed(doc, later)
    closing = domain.close_due_votes(doc, later)
    assert shown["votes"] == applied(doc, closing)["votes"]
    assert shown["votes"][0]["status"] == "closed" and shown["votes"][0]["result"] == "passed"
    assert (shown["version"], shown["updated_at"]) == (doc["version"], doc["updated_at"])
    assert doc["votes"][0]["status"] == "open"  # the stored document is left as it is

    # A write decides on the topic as it stands and closes the vote in the same commit.
    change = closing.followed_by(
        domain.start_implementation(shown, decision="实施水改", actor=STAFF, now=later, policy=POLICY)
    )
    assert types(change) == ["vote-closed", "implementation-started"]
    assert applied(doc, checked(change))["step"] == "implementation"


@pytest.mark.parametrize(
    "counts,threshold,expected",
    [
        ([5, 4, 1], "simple_majority", ("rejected", None)),  # 5 of 10 cast is not more than half
        ([6, 4, 0], "simple_majority", ("passed", "approve")),
        ([6, 3, 1], "two_thirds", ("rejected", None)),
        ([7, 3, 0], "two_thirds", ("passed", "approve")),
    ],
)
def test_thresholds_count_over_the_ballots_cast(counts, threshold, expected):
    vote = {
        "kind": "approval",
        "options": domain.APPROVAL_OPTIONS,
        "counts": counts,
        "eligible": VOTERS * 1,
        "quorum": 0.5,
        "threshold": threshold,
    }
    assert domain.tally(vote)[:2] == expected


def test_a_choice_vote_needs_a_clear_winner():
    vote = {
        "kind": "choice",
        "options": ["A", "B", "C"],
        "eligible": VOTERS,
        "quorum": 0.5,
        "threshold": "simple_majority",
        "counts": [3, 3, 0],
    }
    assert domain.tally(vote)[0] == "rejected"
    assert domain.tally({**vote, "counts": [5, 1, 0]})[:2] == ("passed", "A")


# --- requests about the same matter ------------------------------------------------------------------


def test_similar_requests_on_the_same_compound_and_category_join_one_topic():
    doc, _ = new_topic()
    same = {
        "community": "huifeng",
        "compound": "lefu-international",
        "category": "roads_and_facilities",
        "description": "乐福国际小区北侧道路被暴雨冲坏了，坑洼很多，请修复",
    }
    assert domain.matching_topic(same, [doc], POLICY.attach_similarity)[0] is doc
    unrelated = {**same, "description": "楼下垃圾桶太少，每天满溢"}
    assert domain.matching_topic(unrelated, [doc], POLICY.attach_similarity) is None
    assert domain.matching_topic({**same, "compound": "huifeng-1"}, [doc], POLICY.attach_similarity) is None
    assert domain.matching_topic(same, [{**doc, "step": "publish_result"}], POLICY.attach_similarity) is None


def test_attaching_and_detaching_requests():
    doc, _ = new_topic()
    entry = domain.request_entry(
        "r2",
        compound="lefu-international",
        category="roads_and_facilities",
        description="台阶也坏了",
        via="staff",
        now=T0,
    )
    change = domain.attach_request(doc, entry=entry, actor=STAFF, now=T0)
    assert types(change) == ["request-attached", "progress"]
    doc = applied(doc, checked(change))
    with pytest.raises(InvalidTransition):
        domain.attach_request(doc, entry=entry, actor=STAFF, now=T0)
    doc = applied(doc, checked(domain.detach_request(doc, "r2", actor=STAFF, now=T0, moved_to="other-topic")))
    assert doc["request_ids"] == ["r1"]


def test_two_way_evaluation_from_the_published_result():
    doc = {**new_topic()[0], "deputies": [{"deputy_id": "deputy-01", "station": "station-1"}]}
    with pytest.raises(InvalidTransition):
        domain.evaluate(
            doc,
            actor=Actor("res-1", "resident"),
            target="deputy-01",
            score=5,
            comment=None,
            now=T0,
            policy=POLICY,
        )
    doc["step"] = "publish_result"
    doc = applied(
        doc,
        checked(
            domain.evaluate(
                doc,
                actor=Actor("res-1", "resident"),
                target="deputy-01",
                score=5,
                comment="代表很尽责",
                now=T0,
                policy=POLICY,
            )
        ),
    )
    doc = applied(
        doc,
        checked(
            domain.evaluate(
                doc,
                actor=Actor("deputy-01", "deputy"),
                target=None,
                score=4,
                comment="居民参与积极",
                now=T0,
                policy=POLICY,
            )
        ),
    )
    assert [(e["by_role"], e["target"], e["target_role"]) for e in doc["evaluations"]] == [
        ("resident", "deputy-01", "deputy"),
        ("deputy", "handling", "handling"),
    ]
    with pytest.raises(InvalidInput):
        domain.evaluate(
            doc,
            actor=Actor("res-2", "resident"),
            target="deputy-99",
            score=3,
            comment=None,
            now=T0,
            policy=POLICY,
        )
    with pytest.raises(Forbidden):  # a deputy the matter did not involve
        domain.evaluate(
            doc, actor=Actor("deputy-02", "deputy"), target=None, score=3, comment=None, now=T0, policy=POLICY
        )


def test_names_of_the_linked_requests_submitters_are_masked_by_digest_in_everything_published():
    digests = pii.name_digests(POLICY.name_key, ["王建国"])
    entry = domain.request_entry(
        "r1",
        compound="lefu-international",
        category="roads_and_facilities",
        description=ROAD,
        via="new_topic",
        now=T0,
        name_digests=digests,
    )
    doc, change = domain.new_topic(
        {
            "title": "王建国反映北侧道路损毁",
            "description": "王建国：" + ROAD,
            "community": "huifeng",
            "compound": "lefu-international",
            "category": "roads_and_facilities",
        },
        origin="intake_request",
        actor=domain.SYSTEM,
        now=T0,
        policy=POLICY,
        requests=[entry],
        name_digests=pii.name_digests(POLICY.name_key, ["李秀兰"]),
    )
    doc = applied({**doc, "version": 1}, checked(change))
    notice = domain.publish_notice(
        doc,
        fields={**NOTICE, "text": "王建国和李秀兰反映的道路问题，联系电话１３９ ８７６５ ４３２１"},
        actor=STAFF,
        now=T0,
        policy=POLICY,
    )
    published = [i["event"] for i in change.outbox + notice.outbox]
    text = repr(published)
    assert "王建国" not in text and "李秀兰" not in text and "8765" not in text and "139****4321" in text
    assert notice.set["notice"]["text"] == "王**和李**反映的道路问题，联系电话139****4321"
    assert doc["title"] == "王**反映北侧道路损毁"
    assert "name_digests" not in repr([e["data"] for e in published])  # kept internal


# --- facts recorded after the fact, the Party organisation's reviews, the period's evaluation --------


@pytest.mark.parametrize(
    "given,since,words",
    [
        (T0 + timedelta(minutes=6), None, "in the future"),
        (T0 - timedelta(days=3651), None, "older than 3650 days"),
        (T0 - timedelta(days=2), T0 - timedelta(days=1), "before the step began"),
    ],
)
def test_a_time_out_of_bounds_is_refused_naming_its_field(given, since, words):
    with pytest.raises(InvalidInput) as raised:
        domain.happened(given, "held_at", now=T0, policy=POLICY, since=since, since_what="the step began")
    assert [d["field"] for d in raised.value.details] == ["held_at"]
    assert words in raised.value.details[0]["message"]


def test_a_time_within_bounds_is_kept_and_none_is_now():
    assert domain.happened(T0 - timedelta(days=400), "held_at", now=T0, policy=POLICY) == T0 - timedelta(
        days=400
    )
    assert domain.happened(T0 + timedelta(minutes=4), "held_at", now=T0, policy=POLICY) == T0 + timedelta(
        minutes=4
    )
    assert domain.happened(None, "held_at", now=T0, policy=POLICY) == T0


def test_the_notice_period_counts_from_when_the_notice_really_went_up():
    doc, _ = new_topic()
    posted = T0 - timedelta(days=10)
    doc["steps"][0]["at"] = doc["created_at"] = T0 - timedelta(days=20)
    doc = applied(
        doc,
        checked(
            domain.publish_notice(
                doc, fields={**NOTICE, "posted_at": posted}, actor=STAFF, now=T0, policy=POLICY
            )
        ),
    )
    assert (doc["notice"]["starts_at"], doc["notice"]["recorded_at"]) == (posted, T0)
    assert (doc["steps"][-1]["at"], doc["steps"][-1]["recorded_at"]) == (posted, T0)
    with pytest.raises(domain.NoticePeriodNotElapsed):
        domain.start_consultation(
            doc, actor=STAFF, now=T0, policy=POLICY, started_at=posted + timedelta(days=2)
        )
    change = checked(
        domain.start_consultation(
            doc, actor=STAFF, now=T0, policy=POLICY, started_at=posted + timedelta(days=3)
        )
    )
    assert change.push["steps"]["at"] == posted + timedelta(days=3)
    occurred = change.outbox[0]["event"]["data"]["occurred_at"]
    assert occurred.startswith((posted + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    assert change.outbox[0]["event"]["time"].startswith(T0.strftime("%Y-%m-%dT%H:%M"))  # recorded now


def test_the_party_organisation_reviews_the_topic_and_the_decision_where_the_policy_asks():
    policy = domain.Policy(name_key=POLICY.name_key, party_review=frozenset({"topic", "decision"}))
    party = Actor("party-1", "party_organisation")
    doc, _ = new_topic()
    with pytest.raises(domain.ReviewRequired):
        domain.publish_notice(doc, fields=NOTICE, actor=STAFF, now=T0, policy=policy)
    refusal = {"approved": False, "organisation": "community_party_committee", "comment": "先补充材料"}
    doc = applied(
        doc, checked(domain.review(doc, stage="topic", fields=refusal, actor=party, now=T0, policy=policy))
    )
    with pytest.raises(domain.ReviewRequired) as raised:
        domain.publish_notice(doc, fields=NOTICE, actor=STAFF, now=T0, policy=policy)
    assert raised.value.details["last_review_approved"] is False
    doc = applied(
        doc,
        checked(
            domain.review(
                doc, stage="topic", fields={**refusal, "approved": True}, actor=party, now=T0, policy=policy
            )
        ),
    )
    doc = applied(doc, checked(domain.publish_notice(doc, fields=NOTICE, actor=STAFF, now=T0, policy=policy)))
    assert [(s["step"], (s.get("review") or {}).get("approved")) for s in doc["steps"]] == [
        ("determine_topic", None),
        ("determine_topic", False),
        ("determine_topic", True),
        ("public_notice", None),
    ]
    with pytest.raises(InvalidTransition):  # the decision is reviewed during the consultation
        domain.review(
            doc, stage="decision", fields={**refusal, "approved": True}, actor=party, now=T0, policy=policy
        )
    assert domain.step_began(doc) == T0


def test_the_period_summary_counts_people_and_stations_and_reads_the_older_evaluations():
    docs = [
        {
            "_id": "t1",
            "deputies": [{"deputy_id": "deputy-01", "assigned_at": T0}],
            "claims": [{"member_id": "cppcc-02", "claimed_at": T0, "resources": ["资金", "施工队"]}],
            "evaluations": [
                {
                    "by_id": "r1",
                    "by_role": "resident",
                    "target": "deputy-01",
                    "target_role": "deputy",
                    "score": 4,
                    "at": T0,
                },
                {
                    "by_id": "r1",
                    "by_role": "resident",
                    "target": "cppcc-02",
                    "target_role": "cppcc_member",
                    "score": 5,
                    "at": T0,
                },
                {"by_id": "deputy-01", "by_role": "deputy", "target": "residents", "score": 3, "at": T0},
            ],
        },
        {
            "_id": "t2",
            "deputies": [{"deputy_id": "deputy-01", "assigned_at": T0 - timedelta(days=400)}],
            "claims": [],
            "evaluations": [
                {"by_id": "r2", "by_role": "resident", "target": "deputy-01", "score": 2, "at": T0}
            ],
        },
    ]
    out = domain.evaluation_summary(
        docs, T0 - timedelta(days=30), T0 + timedelta(days=1), {"deputy-01": "station-1"}
    )
    rows = {p["person_id"]: p for p in out["people"]}
    assert (
        rows["deputy-01"]["matters"],
        rows["deputy-01"]["evaluations"],
        rows["deputy-01"]["mean_score"],
    ) == (1, 2, 3.0)
    assert rows["deputy-01"]["mean_handling_score"] == 3.0
    assert (rows["cppcc-02"]["claims"], rows["cppcc-02"]["resources_linked"]) == (1, 2)
    assert out["stations"] == [
        {"station": "station-1", "deputies": 1, "matters": 1, "evaluations": 2, "mean_score": 3.0}
    ]
