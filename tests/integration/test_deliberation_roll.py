"""The voter roll's corrections against the real mongo-java-server: a removal keeps its reason and
time in the entry's history, the roll can be read as it was, a resident removed can be registered
again, and a vote keeps the roll it opened with."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from deliberation.service import SERVICE
from tests.stories import flask, topics, votes


@pytest.fixture
def client(service_settings, service_app):
    return service_app(SERVICE, service_settings(SERVICE, PARTY_REVIEW_STAGES="")).test_client()


def test_a_removal_is_audited_and_the_roll_can_be_read_as_it_was(client, mint):
    call = flask(client)
    staff = mint("staff-1", "community_staff", communities=["ruyijie"])
    roll = "/v1/communities/ruyijie/voters"
    registered = (datetime.now(UTC) - timedelta(days=60)).isoformat()
    votes.register(call, staff, "ruyijie", ["r1", "r2", "r3"], compound="ruyijie-2", registered_at=registered)

    for days, why in ((-90, "before the registration"), (2, "in the future")):
        when = (datetime.now(UTC) + timedelta(days=days)).isoformat()
        refused = call(
            "POST", f"{roll}/r3/removal", staff, {"reason": "已搬离", "removed_at": when}, expect=422
        )
        assert refused["error"]["details"][0]["field"] == "removed_at", why
    assert call("GET", f"{roll}/r3", staff)["on_roll"] is True  # neither changed anything

    removed_at = datetime.now(UTC) - timedelta(days=10)
    entry = votes.remove(call, staff, "ruyijie", "r3", "已搬离如意街", removed_at=removed_at.isoformat())
    assert [(h["action"], h.get("reason")) for h in entry["history"]] == [
        ("registered", None),
        ("removed", "已搬离如意街"),
    ]
    call("POST", f"{roll}/r3/removal", staff, {"reason": "重复"}, expect=404)
    call("POST", f"{roll}/nobody/removal", staff, {"reason": "不存在"}, expect=404)

    def count(**as_of) -> int:
        return call("GET", f"{roll}?{urlencode({'compound': 'ruyijie-2', **as_of})}", staff)["count"]

    assert count() == 2
    assert count(as_of=(removed_at - timedelta(days=1)).isoformat()) == 3

    again = votes.register(call, staff, "ruyijie", ["r3"], compound="ruyijie-2")
    assert again["added"] == 1 and again["count"] == 3
    history = call("GET", f"{roll}/r3", staff)["history"]
    assert [h["action"] for h in history] == ["registered", "removed", "registered"]
    # between the removal and the new registration they were not on it
    assert count(as_of=(removed_at + timedelta(days=1)).isoformat()) == 2


def test_a_vote_that_opens_later_takes_the_roll_as_it_is_when_it_opens(
    service_settings, service_app, mint, tmp_path
):
    clock = tmp_path / "clock-offset"
    clock.write_text("0")
    settings = service_settings(SERVICE, PARTY_REVIEW_STAGES="", CLOCK_OFFSET_FILE=str(clock))
    call = flask(service_app(SERVICE, settings).test_client())
    staff = mint("staff-1", "community_staff", communities=["ruyijie"])
    now = datetime.now(UTC)
    earlier = (now - timedelta(days=30)).isoformat()
    votes.register(call, staff, "ruyijie", ["r1", "r2", "r3"], compound="ruyijie-2", registered_at=earlier)
    topic = {
        "title": "水改表决",
        "description": "如意街二号院水改方案交居民表决",
        "community": "ruyijie",
        "compound": "ruyijie-2",
        "platform": "residents_council",
        "raised_at": (now - timedelta(days=20)).isoformat(),
    }
    tid = topics.create(call, staff, topic)["id"]
    notice = {
        "text": "水改议题公示",
        "period_days": 3,
        "online": True,
        "posted_at": (now - timedelta(days=10)).isoformat(),
    }
    topics.publish_notice(call, staff, tid, notice)
    topics.start_consultation(call, staff, tid)
    vote = {
        "question": "是否同意水改方案",
        "scope": "compound",
        "opens_at": (now + timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(days=2)).isoformat(),
    }
    opened = votes.open_vote(call, staff, tid, vote)
    assert opened["eligible_count"] == 3
    # Before it opens, r3 moves away and r4 moves in: the vote is theirs as the roll is at its opening.
    votes.remove(call, staff, "ruyijie", "r3", "已搬离")
    votes.register(call, staff, "ruyijie", ["r4"], compound="ruyijie-2")
    clock.write_text(str(2 * 3600))
    [shown] = call("GET", topics.path(tid), staff)["votes"]
    assert shown["eligible_count"] == 3  # r1, r2, r4: shown as it opened

    def ballot(voter: str, expect: int = 201):
        votes.ballot(call, mint(voter, "resident"), tid, opened["id"], "approve", expect=expect)

    ballot("r3", expect=403)
    ballot("r4")
    ballot("r1")
    # r1 removed after the vote opened: the vote keeps its list and its quorum
    votes.remove(call, staff, "ruyijie", "r1", "已搬离")
    clock.write_text(str(3 * 86400))
    [closed] = call("GET", topics.path(tid), staff)["votes"]
    assert (closed["status"], closed["eligible_count"], closed["ballots_cast"], closed["result"]) == (
        "closed",
        3,
        2,
        "passed",
    )
