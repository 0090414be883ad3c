"""The voter roll's corrections against the real mongo-java-server: a removal keeps its reason and
time in the entry's history, the roll can be read as it was, a resident removed can be registered
again, and a vote keeps the roll it opened with."""

from datetime import UTC, datetime, timedelta

import pytest

from deliberation.service import SERVICE


@pytest.fixture
def client(service_settings, service_app):
    return service_app(SERVICE, service_settings(SERVICE, PARTY_REVIEW_STAGES="")).test_client()


def test_a_removal_is_audited_and_the_roll_can_be_read_as_it_was(client, mint):
    staff = mint("staff-1", "community_staff", communities=["ruyijie"])
    roll = "/v1/communities/ruyijie/voters"
    registered = (datetime.now(UTC) - timedelta(days=60)).isoformat()
    body = {"resident_ids": ["r1", "r2", "r3"], "compound": "ruyijie-2", "registered_at": registered}
    assert client.post(roll, headers=staff, json=body).status_code == 201

    too_early = client.post(
        f"{roll}/r3/removal",
        headers=staff,
        json={"reason": "已搬离", "removed_at": (datetime.now(UTC) - timedelta(days=90)).isoformat()},
    )
    assert too_early.status_code == 422 and too_early.json["error"]["details"][0]["field"] == "removed_at"
    future = client.post(
        f"{roll}/r3/removal",
        headers=staff,
        json={"reason": "已搬离", "removed_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
    )
    assert future.status_code == 422 and future.json["error"]["details"][0]["field"] == "removed_at"
    assert client.get(f"{roll}/r3", headers=staff).json["on_roll"] is True  # neither changed anything

    removed_at = datetime.now(UTC) - timedelta(days=10)
    entry = client.post(
        f"{roll}/r3/removal",
        headers=staff,
        json={"reason": "已搬离如意街", "removed_at": removed_at.isoformat()},
    )
    assert entry.status_code == 200, entry.json
    assert [(h["action"], h.get("reason")) for h in entry.json["history"]] == [
        ("registered", None),
        ("removed", "已搬离如意街"),
    ]
    assert client.post(f"{roll}/r3/removal", headers=staff, json={"reason": "重复"}).status_code == 404
    assert client.post(f"{roll}/nobody/removal", headers=staff, json={"reason": "不存在"}).status_code == 404
    assert client.get(roll, headers=staff, query_string={"compound": "ruyijie-2"}).json["count"] == 2
    before = (removed_at - timedelta(days=1)).isoformat()
    assert (
        client.get(roll, headers=staff, query_string={"compound": "ruyijie-2", "as_of": before}).json["count"]
        == 3
    )

    again = client.post(roll, headers=staff, json={"resident_ids": ["r3"], "compound": "ruyijie-2"})
    assert again.status_code == 201 and again.json["added"] == 1 and again.json["count"] == 3
    history = client.get(f"{roll}/r3", headers=staff).json["history"]
    assert [h["action"] for h in history] == ["registered", "removed", "registered"]
    # between the removal and the new registration they were not on it
    gap = (removed_at + timedelta(days=1)).isoformat()
    assert (
        client.get(roll, headers=staff, query_string={"compound": "ruyijie-2", "as_of": gap}).json["count"]
        == 2
    )


def test_a_vote_that_opens_later_takes_the_roll_as_it_is_when_it_opens(
    service_settings, service_app, mint, tmp_path
):
    clock = tmp_path / "clock-offset"
    clock.write_text("0")
    settings = service_settings(SERVICE, PARTY_REVIEW_STAGES="", CLOCK_OFFSET_FILE=str(clock))
    client = service_app(SERVICE, settings).test_client()
    staff = mint("staff-1", "community_staff", communities=["ruyijie"])
    roll = "/v1/communities/ruyijie/voters"
    now = datetime.now(UTC)
    earlier = (now - timedelta(days=30)).isoformat()
    body = {"resident_ids": ["r1", "r2", "r3"], "compound": "ruyijie-2", "registered_at": earlier}
    assert client.post(roll, headers=staff, json=body).status_code == 201
    topic = client.post(
        "/v1/topics",
        headers=staff,
        json={
            "title": "水改表决",
            "description": "如意街二号院水改方案交居民表决",
            "community": "ruyijie",
            "compound": "ruyijie-2",
            "platform": "residents_council",
            "raised_at": (now - timedelta(days=20)).isoformat(),
        },
    ).json
    url = f"/v1/topics/{topic['id']}"
    notice = {
        "text": "水改议题公示",
        "period_days": 3,
        "online": True,
        "posted_at": (now - timedelta(days=10)).isoformat(),
    }
    assert client.post(f"{url}/notice", headers=staff, json=notice).status_code == 200
    assert client.post(f"{url}/consultation", headers=staff).status_code == 200
    vote = {
        "question": "是否同意水改方案",
        "scope": "compound",
        "opens_at": (now + timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(days=2)).isoformat(),
    }
    [opened] = client.post(f"{url}/votes", headers=staff, json=vote).json["votes"]
    assert opened["eligible_count"] == 3
    # Before it opens, r3 moves away and r4 moves in: the vote is theirs as the roll is at its opening.
    assert client.post(f"{roll}/r3/removal", headers=staff, json={"reason": "已搬离"}).status_code == 200
    assert (
        client.post(roll, headers=staff, json={"resident_ids": ["r4"], "compound": "ruyijie-2"}).status_code
        == 201
    )
    clock.write_text(str(2 * 3600))
    assert (
        client.get(url, headers=staff).json["votes"][0]["eligible_count"] == 3
    )  # r1, r2, r4: shown as it opened

    def ballot(voter: str):
        return client.post(
            f"{url}/votes/{opened['id']}/ballots", headers=mint(voter, "resident"), json={"choice": "approve"}
        )

    assert ballot("r3").status_code == 403
    assert ballot("r4").status_code == 201
    assert ballot("r1").status_code == 201
    # r1 removed after the vote opened: the vote keeps its list and its quorum
    assert client.post(f"{roll}/r1/removal", headers=staff, json={"reason": "已搬离"}).status_code == 200
    clock.write_text(str(3 * 86400))
    [closed] = client.get(url, headers=staff).json["votes"]
    assert (closed["status"], closed["eligible_count"], closed["ballots_cast"], closed["result"]) == (
        "closed",
        3,
        2,
        "passed",
    )
