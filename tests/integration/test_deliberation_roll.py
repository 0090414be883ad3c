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
