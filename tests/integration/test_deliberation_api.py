"""The deliberation API and consumer against the real mongo-java-server and Kafka (Flask test client,
the worker's relay on a thread of the test; the consumer driven by hand)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from kafka import KafkaProducer

from civic146.events import CASE_ESCALATED, ROUTED, CaseEscalatedData, Routed, encode, new_event
from deliberation.service import SERVICE
from tests.fast.test_deliberation import TOPIC, routed
from tests.helpers import KAFKA
from tests.stories import topics, votes

HUIFENG = ["huifeng"]
NOTICE = {
    "text": "关于乐福国际小区北侧道路修复的议题公示",
    "period_days": 5,
    "venue_id": "huifeng-yishiting",
    "online": True,
}


@pytest.fixture
def clock_file(tmp_path):
    path = tmp_path / "clock-offset"
    path.write_text("0")
    return path


def shift_clock(path, days: float) -> None:
    path.write_text(str(float(path.read_text()) + days * 86400))


@pytest.fixture
def settings(service_settings, clock_file):
    # The Party organisation's reviews have their own tests (tests/system/test_recorded_afterwards.py)
    return service_settings(SERVICE, CLOCK_OFFSET_FILE=str(clock_file), PARTY_REVIEW_STAGES="")


@pytest.fixture
def app(service_app, settings):
    return service_app(SERVICE, settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff(mint):
    return mint("staff-1", "community_staff", communities=HUIFENG)


def in_consultation(call, staff, clock_file) -> str:
    """A new topic in consultation, its notice period over (the clock 3 days on): its id."""
    tid = topics.create(call, staff, TOPIC)["id"]
    topics.publish_notice(call, staff, tid, NOTICE)
    shift_clock(clock_file, 3)
    topics.start_consultation(call, staff, tid)
    return tid


def stored(mongo_db, topic_id):
    return mongo_db.topics.find_one({"_id": topic_id})


def test_public_notices_need_no_token_and_everything_else_needs_the_right_role_and_community(
    client, call, staff, mint
):
    tid = topics.create(call, staff, TOPIC)["id"]
    topics.publish_notice(call, staff, tid, NOTICE)
    public = client.get("/v1/public/communities/huifeng/notices")
    assert public.status_code == 200
    assert [(n["topic_id"], n["kind"]) for n in public.json["items"]] == [(tid, "topic")]
    assert client.get("/v1/public/communities/huifeng/results").json == {"items": []}
    assert client.get("/v1/public/communities/nowhere/notices").status_code == 404

    assert client.get(f"/v1/topics/{tid}").status_code == 401
    assert client.get("/v1/topics?community=huifeng").status_code == 401
    other_staff = mint("staff-2", "community_staff", communities=["ruyijie"])
    assert client.get(f"/v1/topics/{tid}", headers=other_staff).status_code == 403
    assert (
        client.post(f"/v1/topics/{tid}/decline", json={"reason": "不归我管"}, headers=other_staff).status_code
        == 403
    )
    resident = mint("res-1", "resident")
    assert client.post("/v1/topics", json={}, headers=resident).status_code == 403
    assert (
        client.post(f"/v1/topics/{tid}/decline", json={"reason": "我说了算"}, headers=resident).status_code
        == 403
    )
    # deputies and CPPCC members are scoped by the registry (their station's area, their communities)
    assert client.get(f"/v1/topics/{tid}", headers=mint("deputy-01", "deputy")).status_code == 200
    assert client.get(f"/v1/topics/{tid}", headers=mint("deputy-02", "deputy")).status_code == 403
    assert (
        client.post(
            f"/v1/topics/{tid}/claim",
            json={"resources": ["协调区住建局资金"]},
            headers=mint("cppcc-03", "cppcc_member"),
        ).status_code
        == 403
    )
    claimed = topics.claim(call, mint("cppcc-02", "cppcc_member"), tid, ["协调区住建局资金"])
    assert claimed["claims"][0]["member_id"] == "cppcc-02"
    # a resident the topic does not concern (no community in the token, not on the roll) reads the public
    # parts only
    assert client.get(f"/v1/topics/{tid}", headers=resident).status_code == 403


@pytest.mark.parametrize(
    "path,body,status,code",
    [
        ("consultation", None, 409, "invalid_transition"),
        ("implementation", {"decision": "修复北侧道路"}, 409, "invalid_transition"),
        ("result", NOTICE, 409, "invalid_transition"),
        ("feedback/open", None, 409, "invalid_transition"),
        ("close", {"summary": "结束"}, 409, "invalid_transition"),
        ("notice", {**NOTICE, "venue_id": "venue-ruyijie-1"}, 422, "invalid_input"),
        ("notice", {"text": "公示内容很长", "period_days": 5}, 422, "invalid_input"),
    ],
)
def test_illegal_steps_and_bad_input_get_4xx_and_change_nothing(
    client, call, staff, mongo_db, path, body, status, code
):
    tid = topics.create(call, staff, TOPIC)["id"]
    before = stored(mongo_db, tid)["version"]
    resp = client.post(
        f"/v1/topics/{tid}/{path}", **({"json": body} if body is not None else {}), headers=staff
    )
    assert resp.status_code == status, resp.json
    assert resp.json["error"]["code"] == code
    after = stored(mongo_db, tid)
    assert after["version"] == before and after["step"] == "determine_topic"


def test_consultation_waits_for_the_notice_period_and_meetings_need_minutes(
    client, call, staff, mongo_db, clock_file
):
    tid = topics.create(call, staff, TOPIC)["id"]
    topics.publish_notice(call, staff, tid, NOTICE)
    shift_clock(clock_file, 2.9)
    early = client.post(f"/v1/topics/{tid}/consultation", headers=staff)
    assert early.status_code == 409 and early.json["error"]["code"] == "notice_period_not_elapsed"
    shift_clock(clock_file, 0.2)
    assert topics.start_consultation(call, staff, tid)["step"] == "consultation"

    participants = {"party_members": 2, "resident_representatives": 8}
    scheduled_at = "2026-04-01T19:00:00+08:00"
    mid = topics.schedule_meeting(call, staff, tid, "huifeng-yishiting", scheduled_at, participants)["id"]
    version = stored(mongo_db, tid)["version"]
    no_minutes = client.post(
        f"/v1/topics/{tid}/meetings/{mid}/held", json={"attendance": 10, "outcome": "同意"}, headers=staff
    )
    assert no_minutes.status_code == 422 and no_minutes.json["error"]["details"][0]["field"] == "minutes"
    no_attendance = client.post(
        f"/v1/topics/{tid}/meetings/{mid}/held",
        json={"minutes": "会议讨论了道路修复方案", "outcome": "同意"},
        headers=staff,
    )
    assert (
        no_attendance.status_code == 422
        and no_attendance.json["error"]["details"][0]["field"] == "attendance"
    )
    assert stored(mongo_db, tid)["version"] == version
    held = {"attendance": 10, "minutes": "会议讨论了道路修复方案", "outcome": "同意"}
    assert topics.hold_meeting(call, staff, tid, mid, held)["meetings"][0]["status"] == "held"


def test_ballot_errors_are_clear_and_change_nothing_and_totals_show_only_after_closing(
    client, call, staff, mint, mongo_db, clock_file
):
    roll = votes.register(call, staff, "huifeng", ["v1", "v2", "v3", "v4"], compound="lefu-international")
    assert roll["count"] == 4
    tid = in_consultation(call, staff, clock_file)
    closes = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    vote = {"question": "是否同意修复方案", "scope": "compound", "closes_at": closes}
    vid = votes.open_vote(call, staff, tid, vote)["id"]

    first = votes.ballot(call, mint("v1", "resident"), tid, vid, "approve")
    assert first == {"vote_id": vid, "recorded": True, "ballots_cast": 1}
    version = stored(mongo_db, tid)["version"]
    errors = [
        (mint("v1", "resident"), "oppose", 409, "already_voted"),
        (mint("outsider", "resident"), "approve", 403, "not_eligible"),
        (mint("v2", "resident"), "perhaps", 422, "invalid_input"),
        (staff, "approve", 403, "forbidden"),
    ]
    for voter, choice, status, code in errors:
        refused = votes.ballot(call, voter, tid, vid, choice, expect=status)
        assert refused["error"]["code"] == code, refused
    assert stored(mongo_db, tid)["version"] == version

    open_view = call("GET", topics.path(tid), staff)["votes"][0]
    assert open_view["counts"] is None and open_view["ballots_cast"] == 1  # no running totals while open
    votes.ballot(call, mint("v2", "resident"), tid, vid, "approve")
    shift_clock(clock_file, 6)
    late = votes.ballot(call, mint("v3", "resident"), tid, vid, "approve", expect=409)
    assert late["error"]["code"] == "vote_not_open"
    closed = call("GET", topics.path(tid), staff)["votes"][0]  # shown closed on read
    assert closed["status"] == "closed" and closed["result"] == "passed" and closed["turnout"] == 0.5
    assert closed["counts"] == [
        {"option": "approve", "count": 2},
        {"option": "oppose", "count": 0},
        {"option": "abstain", "count": 0},
    ]
    body = json.dumps(call("GET", topics.path(tid), staff))
    assert '"v1"' not in body and '"v2"' not in body  # voters are never exposed


def test_a_read_after_the_window_shows_the_result_and_writes_nothing_until_the_job_closes_it(
    app, call, staff, mint, mongo_db, clock_file, settings, topic_reader
):
    from deliberation import scheduled

    votes.register(call, staff, "huifeng", ["v1", "v2"], compound="lefu-international")
    tid = in_consultation(call, staff, clock_file)
    closes = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    vote = {"question": "是否同意修复方案", "scope": "compound", "closes_at": closes}
    vid = votes.open_vote(call, staff, tid, vote)["id"]
    votes.ballot(call, mint("v1", "resident"), tid, vid, "approve")
    shift_clock(clock_file, 6)
    before = stored(mongo_db, tid)

    shown = [call("GET", topics.path(tid), staff)["votes"][0] for _ in range(2)]
    listed = call("GET", "/v1/topics?community=huifeng", staff)["items"][0]["votes"][0]
    assert shown[0] == shown[1] == listed
    assert (shown[0]["status"], shown[0]["result"], shown[0]["turnout"]) == ("closed", "passed", 0.5)
    after = stored(mongo_db, tid)
    assert after["version"] == before["version"] and after["votes"][0]["status"] == "open"
    events = [
        json.loads(r.value)
        for r in topic_reader(settings.topic("deliberation.topics")).read_published(mongo_db)
    ]
    kinds = [e["type"].split(".")[-2] for e in events if e["subject"] == tid]
    assert "vote-opened" in kinds and "vote-closed" not in kinds

    # The worker's job closes it, with the result the reads showed.
    ctx = app.extensions["deliberation"]
    assert scheduled.close_due_votes(ctx, ctx.now()) == 1
    assert stored(mongo_db, tid)["version"] == before["version"] + 1
    assert call("GET", topics.path(tid), staff)["votes"][0] == shown[0]


def _produce(settings, topic: str, key: str, event: dict) -> None:
    producer = KafkaProducer(bootstrap_servers=KAFKA)
    producer.send(settings.topic(topic), key=key.encode(), value=encode(event)).get(timeout=10)
    producer.close()


def _routed(
    request_id: str,
    description: str,
    compound="lefu-international",
    community="huifeng",
    submitter_ref: str | None = None,
) -> dict:
    """Intake's routed event as deliberation reads it (the kit's cross-service contract); no
    submitter_ref = a request staff entered for the resident."""
    fields = {"compound": compound, "community": community, "submitter_ref": submitter_ref}
    data = Routed.model_validate({**routed(request_id, description).model_dump(), **fields})
    return new_event(ROUTED, "/civic146/intake", request_id, community, data, datetime.now(UTC))


@pytest.fixture
def consumer(service_consumer, app, settings):
    return service_consumer(SERVICE, app, settings)


def consume(consumer, expected: int) -> int:
    seen = 0
    for _ in range(60):
        seen += consumer.poll_once(timeout_ms=250)
        if seen >= expected:
            break
    return seen


def test_staff_attach_a_request_to_another_topic_and_detach_it_into_its_own(
    consumer, client, staff, settings, mongo_db, topic_reader
):
    _produce(settings, "intake.requests", "r1", _routed("r1", "乐福国际小区北侧道路因强降雨损毁，坑洼严重"))
    _produce(settings, "intake.requests", "r2", _routed("r2", "小区东门路灯不亮，晚上看不见"))
    assert consume(consumer, 2) == 2
    by_request = {t["request_ids"][0]: t["_id"] for t in mongo_db.topics.find()}
    road, lamp = by_request["r1"], by_request["r2"]

    moved = client.post(f"/v1/topics/{road}/requests", json={"request_id": "r2"}, headers=staff)
    assert moved.status_code == 200 and [r["request_id"] for r in moved.json["requests"]] == ["r1", "r2"]
    assert mongo_db.topics.find_one({"_id": lamp})["request_ids"] == []
    again = client.post(f"/v1/topics/{road}/requests", json={"request_id": "r2"}, headers=staff)
    assert again.status_code == 404  # not on any other topic
    unknown = client.post(f"/v1/topics/{road}/requests", json={"request_id": "never-routed"}, headers=staff)
    assert unknown.status_code == 404

    own = client.post(f"/v1/topics/{road}/requests/r2/detach", headers=staff)
    assert (
        own.status_code == 201
        and [r["request_id"] for r in own.json["requests"]] == ["r2"]
        and own.json["id"] not in (road, lamp)
    )
    assert mongo_db.topics.find_one({"_id": road})["request_ids"] == ["r1"]

    events = [
        json.loads(r.value)
        for r in topic_reader(settings.topic("deliberation.topics")).read_published(mongo_db)
    ]
    # One relay per service and no fault here: every event is on the topic exactly once.
    assert len({e["id"] for e in events}) == len(events)
    moves = [
        (e["subject"], e["type"].split(".")[-2], e["data"]["request_id"])
        for e in events
        if e["data"].get("request_id") == "r2" and e["type"] != "civic146.request.progress.v2"
    ]
    # Each topic's events are in order (one key, one partition); across topics there is no order.
    per_topic = {}
    for subject, kind, _ in moves:
        per_topic.setdefault(subject, []).append(kind)
    # The topic a request leaves tells intake where it went (civic146.request.reassigned.v1).
    assert per_topic == {
        lamp: ["request-attached", "request-detached", "reassigned"],
        road: ["request-attached", "request-detached", "reassigned"],
        own.json["id"]: ["request-attached"],
    }
    reassigned = [e["data"] for e in events if e["type"] == "civic146.request.reassigned.v1"]
    assert {(d["previous_reference"], d["reference"]) for d in reassigned if d["request_id"] == "r2"} == {
        (lamp, road),
        (road, own.json["id"]),
    }


def test_the_consumer_groups_requests_and_takes_up_escalations_and_a_replay_changes_nothing(
    consumer, settings, mongo_db
):
    events = [
        ("intake.requests", _routed("r1", "乐福国际小区北侧道路因强降雨损毁，坑洼严重")),
        ("intake.requests", _routed("r2", "乐福国际小区北侧道路被暴雨冲坏，老人出行不便")),
        ("intake.requests", _routed("r3", "乐福国际小区北侧道路损毁，单元口台阶也坏了")),
        ("intake.requests", _routed("r4", "小区东门路灯不亮，晚上看不见")),
        (
            "mediation.cases",
            new_event(
                CASE_ESCALATED,
                "/civic146/mediation",
                "case-7",
                "huifeng",
                CaseEscalatedData(
                    case_id="case-7",
                    community="huifeng",
                    compound="huifeng-2",
                    case_type="property_management",
                    cause="涉及全楼院物业费标准",
                    summary="多户居民与物业公司就物业费上涨发生纠纷",
                    parties_count=12,
                    request_ids=["r9"],
                    name_digests=[],
                ),
                datetime.now(UTC),
            ),
        ),
    ]
    for topic, event in events:
        _produce(settings, topic, event["subject"], event)
    assert consume(consumer, len(events)) == len(events)
    topics = {frozenset(t["request_ids"]): t for t in mongo_db.topics.find()}  # partitions: any order
    assert set(topics) == {frozenset({"r1", "r2", "r3"}), frozenset({"r4"}), frozenset({"r9"})}
    escalated = topics[frozenset({"r9"})]
    assert escalated["origin"] == "mediation_case" and escalated["origin_ref"] == "case-7"
    snapshot = {t["_id"]: t["version"] for t in mongo_db.topics.find()}

    # Replay everything, even with the processed-events record lost: the topics remember.
    mongo_db.processed_events.delete_many({})
    for topic, event in events:
        _produce(settings, topic, event["subject"], event)
    assert consume(consumer, len(events)) == len(events)
    assert {t["_id"]: t["version"] for t in mongo_db.topics.find()} == snapshot


def test_staff_cannot_move_a_request_off_a_topic_of_another_community(
    consumer, client, staff, mint, settings, mongo_db
):
    _produce(settings, "intake.requests", "r1", _routed("r1", "乐福国际小区北侧道路因强降雨损毁，坑洼严重"))
    _produce(
        settings,
        "intake.requests",
        "r5",
        _routed("r5", "如意街二号院路面塌陷", compound="ruyijie-2", community="ruyijie"),
    )
    assert consume(consumer, 2) == 2
    road = mongo_db.topics.find_one({"request_ids": "r1"})["_id"]
    foreign = mongo_db.topics.find_one({"request_ids": "r5"})
    before = {t["_id"]: t["version"] for t in mongo_db.topics.find()}

    moved = client.post(f"/v1/topics/{road}/requests", json={"request_id": "r5"}, headers=staff)
    assert moved.status_code == 422, moved.json
    assert moved.json["error"]["details"][0]["field"] == "request_id"
    assert {t["_id"]: t["version"] for t in mongo_db.topics.find()} == before
    assert mongo_db.topics.find_one({"_id": foreign["_id"]})["request_ids"] == ["r5"]
    # Not even an admin joins requests of different communities.
    admin = client.post(
        f"/v1/topics/{road}/requests", json={"request_id": "r5"}, headers=mint("admin-1", "subdistrict_admin")
    )
    assert admin.status_code == 422 and {t["_id"]: t["version"] for t in mongo_db.topics.find()} == before


def meets_the_step_rules(call, resident: dict, topic_id: str) -> None:
    """A resident the topic concerns passes the scope check and meets the step rules instead: no
    feedback nor evaluation before the result (409)."""
    url = topics.path(topic_id)
    call("POST", f"{url}/feedback", resident, {"satisfaction": 5}, expect=409)
    call("POST", f"{url}/evaluations", resident, {"deputy_id": "deputy-01", "score": 5}, expect=409)


def test_residents_read_rate_and_evaluate_only_topics_of_their_community_they_are_on_the_roll_for(
    consumer, client, call, staff, mint, settings, mongo_db, clock_file
):
    text = "乐福国际小区北侧道路因强降雨损毁，坑洼严重"
    _produce(settings, "intake.requests", "r1", _routed("r1", text))
    assert consume(consumer, 1) == 1
    tid = mongo_db.topics.find_one({"request_ids": "r1"})["_id"]
    votes.register(call, staff, "huifeng", ["res-roll"], compound="lefu-international")
    votes.register(call, staff, "huifeng", ["res-near"], compound="huifeng-1")
    votes.register(call, staff, "huifeng", ["res-hf"])

    assert client.get(f"/v1/topics/{tid}", headers=staff).json["requests"][0]["description"] == text
    linked = mint("res-roll", "resident", communities=HUIFENG)
    seen = client.get(f"/v1/topics/{tid}", headers=linked)
    assert seen.status_code == 200, seen.json
    assert [(r["request_id"], r["description"]) for r in seen.json["requests"]] == [
        ("r1", None)
    ]  # staff only
    unlinked = {
        "no community in the token": mint("res-roll", "resident"),
        "another community": mint("res-roll", "resident", communities=["ruyijie"]),
        "not on the roll": mint("res-x", "resident", communities=HUIFENG),
        "on another compound's roll": mint("res-near", "resident", communities=HUIFENG),
        "on the community roll, no vote of the topic": mint("res-hf", "resident", communities=HUIFENG),
    }
    version = stored(mongo_db, tid)["version"]
    for why, headers in unlinked.items():
        assert client.get(f"/v1/topics/{tid}", headers=headers).status_code == 403, why
        feedback = client.post(f"/v1/topics/{tid}/feedback", json={"satisfaction": 1}, headers=headers)
        assert feedback.status_code == 403, (why, feedback.json)
        evaluation = client.post(
            f"/v1/topics/{tid}/evaluations", json={"deputy_id": "deputy-01", "score": 1}, headers=headers
        )
        assert evaluation.status_code == 403, (why, evaluation.json)
    meets_the_step_rules(call, linked, tid)
    assert stored(mongo_db, tid)["version"] == version

    # A community-wide vote on the topic calls the community's roll: those residents are concerned too.
    topics.publish_notice(call, staff, tid, NOTICE)
    shift_clock(clock_file, 3)
    topics.start_consultation(call, staff, tid)
    closes = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    votes.open_vote(
        call, staff, tid, {"question": "是否同意修复方案", "scope": "community", "closes_at": closes}
    )
    assert (
        client.get(
            f"/v1/topics/{tid}", headers=unlinked["on the community roll, no vote of the topic"]
        ).status_code
        == 200
    )
    assert client.get(f"/v1/topics/{tid}", headers=unlinked["not on the roll"]).status_code == 403


def test_the_resident_who_raised_a_linked_request_is_concerned_without_roll_or_community_claim(
    consumer, client, call, staff, mint, settings, mongo_db, topic_reader
):
    from civic146.auth import pseudonym
    from tests.helpers import JWT_SECRET

    ref = pseudonym(JWT_SECRET, "res-asker")
    _produce(
        settings,
        "intake.requests",
        "r1",
        _routed("r1", "乐福国际小区北侧道路因强降雨损毁，坑洼严重", submitter_ref=ref),
    )
    assert consume(consumer, 1) == 1
    tid = mongo_db.topics.find_one({"request_ids": "r1"})["_id"]
    asker, other = mint("res-asker", "resident"), mint("res-other", "resident")
    version = stored(mongo_db, tid)["version"]

    seen = client.get(f"/v1/topics/{tid}", headers=asker)
    assert seen.status_code == 200, seen.json
    assert [(r["request_id"], r["description"]) for r in seen.json["requests"]] == [("r1", None)]
    meets_the_step_rules(call, asker, tid)
    assert client.get(f"/v1/topics/{tid}", headers=other).status_code == 403
    assert (
        client.post(f"/v1/topics/{tid}/feedback", json={"satisfaction": 1}, headers=other).status_code == 403
    )
    assert stored(mongo_db, tid)["version"] == version

    # The pseudonym is never shown or published.
    assert ref not in json.dumps(client.get(f"/v1/topics/{tid}", headers=staff).json) + json.dumps(seen.json)
    events = [
        r.value.decode() for r in topic_reader(settings.topic("deliberation.topics")).read_published(mongo_db)
    ]
    assert events and not any(ref in e or "res-asker" in e for e in events)

    # Moved off the topic, the request takes its resident along.
    assert client.post(f"/v1/topics/{tid}/requests/r1/detach", headers=staff).status_code == 201
    assert client.get(f"/v1/topics/{tid}", headers=asker).status_code == 403


@pytest.mark.parametrize("field", ["title", "description", "platform", "vote_required"])
def test_null_for_a_field_that_cannot_be_empty_is_a_422_naming_it(client, call, staff, mongo_db, field):
    tid = topics.create(call, staff, TOPIC)["id"]
    before = stored(mongo_db, tid)["version"]
    resp = client.patch(f"/v1/topics/{tid}", json={field: None}, headers=staff)
    assert resp.status_code == 422, resp.json
    assert [d["field"] for d in resp.json["error"]["details"]] == [field]
    assert stored(mongo_db, tid)["version"] == before
    assert topics.settle(call, staff, tid, category=None)["category"] is None  # a category is optional


def test_registering_a_voter_again_with_another_compound_is_a_409_naming_the_current_one(call, staff):
    assert votes.register(call, staff, "huifeng", ["v1"], compound="lefu-international")["added"] == 1
    again = votes.register(call, staff, "huifeng", ["v1"], compound="lefu-international")
    assert (again["added"], again["count"]) == (0, 1)  # harmless repeat
    moved = votes.register(call, staff, "huifeng", ["v9", "v1"], expect=409, compound="huifeng-1")
    assert moved["error"]["details"] == [{"resident_id": "v1", "compound": "lefu-international"}]
    assert "lefu-international" in moved["error"]["message"]
    votes.register(call, staff, "huifeng", ["v1"], expect=409)  # the whole community
    roll = "/v1/communities/huifeng/voters"
    assert call("GET", f"{roll}?compound=huifeng-1", staff)["count"] == 0
    assert call("GET", f"{roll}?compound=lefu-international", staff)["resident_ids"] == ["v1"]


def test_a_voting_window_must_close_in_the_future_and_after_it_opens(
    client, call, staff, mongo_db, clock_file
):
    votes.register(call, staff, "huifeng", ["v1", "v2"])
    tid = in_consultation(call, staff, clock_file)  # the service's clock is now 3 days ahead
    version = stored(mongo_db, tid)["version"]
    real = datetime.now(UTC)
    for window in (
        {"opens_at": real - timedelta(days=1), "closes_at": real + timedelta(days=1)},  # closed already
        {"opens_at": real + timedelta(days=6), "closes_at": real + timedelta(days=5)},
        {"opens_at": real + timedelta(days=5), "closes_at": real + timedelta(days=5)},
    ):
        resp = client.post(
            f"/v1/topics/{tid}/votes",
            headers=staff,
            json={
                "question": "是否同意修复方案",
                "scope": "community",
                **{k: v.isoformat() for k, v in window.items()},
            },
        )
        assert resp.status_code == 422, (window, resp.json)
        assert [d["field"] for d in resp.json["error"]["details"]] == ["closes_at"]
    assert stored(mongo_db, tid)["version"] == version
