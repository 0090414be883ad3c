"""The intake worker's scheduled jobs against the real document server: overdue, follow-ups, indicators."""

from datetime import timedelta

from civic146.events import utcnow
from intake import events as ev
from intake import metrics as intake_metrics
from intake import scheduled

REQUEST = {
    "category": "sanitation",
    "description": "垃圾清运不及时，楼下有异味",
    "community": "yiyuan",
    "channel": "hotline",
    "submitter": {"name": "钱七", "phone": "13600002222"},
}


def event_types(mongo_db, rid):
    return [i["event"]["type"] for i in mongo_db.requests.find_one({"_id": rid})["outbox"]]


def test_overdue_is_flagged_once_per_deadline(client, mint, mongo_db, intake_app):
    ctx = intake_app.extensions["intake"]
    rid = client.post("/v1/requests", json=REQUEST, headers=mint("r1", "resident")).json["id"]
    now = utcnow()
    assert scheduled.flag_overdue(ctx, now) == 0
    assert scheduled.flag_overdue(ctx, now + timedelta(hours=49)) == 1  # sanitation: 24 h to respond
    assert scheduled.flag_overdue(ctx, now + timedelta(hours=50)) == 0
    assert event_types(mongo_db, rid) == [ev.SUBMITTED.name, ev.OVERDUE.name]
    assert scheduled.flag_overdue(ctx, now + timedelta(days=8)) == 1  # 7 days to resolve
    doc = mongo_db.requests.find_one({"_id": rid})
    assert doc["response_overdue"] and doc["resolution_overdue"]
    listed = client.get(
        "/v1/requests?overdue=true&community=yiyuan",
        headers=mint("s1", "community_staff", communities=["yiyuan"]),
    ).json["items"]
    assert [r["id"] for r in listed] == [rid]


def test_follow_up_when_the_resident_does_not_rate(client, mint, mongo_db, intake_app):
    ctx = intake_app.extensions["intake"]
    staff = mint("s1", "community_staff", communities=["yiyuan"])
    rid = client.post("/v1/requests", json=REQUEST, headers=mint("r1", "resident")).json["id"]
    for action, body in (("accept", None), ("route", {}), ("resolve", {"outcome": "已清运"})):
        assert client.post(f"/v1/requests/{rid}/{action}", json=body, headers=staff).status_code == 200
    now = utcnow()
    assert scheduled.send_follow_ups(ctx, now + timedelta(days=1)) == 0
    assert scheduled.send_follow_ups(ctx, now + timedelta(days=4)) == 1
    assert scheduled.send_follow_ups(ctx, now + timedelta(days=5)) == 0
    assert ev.FOLLOW_UP_DUE.name in event_types(mongo_db, rid)


def test_indicator_gauges_come_from_the_database(client, mint, intake_app):
    staff = mint("s1", "community_staff", communities=["yiyuan"])
    resident = mint("r1", "resident")
    first = client.post("/v1/requests", json=REQUEST, headers=resident).json["id"]
    client.post("/v1/requests", json=REQUEST, headers=resident)
    for action, body in (("accept", None), ("route", {}), ("resolve", {"outcome": "已清运"})):
        client.post(f"/v1/requests/{first}/{action}", json=body, headers=staff)
    client.post(f"/v1/requests/{first}/rating", json={"satisfaction": 4}, headers=resident)
    scheduled.refresh_indicators(utcnow())
    assert intake_metrics.RESPONSE_RATE.labels("yiyuan")._value.get() == 0.5
    assert intake_metrics.RESOLUTION_RATE.labels("yiyuan")._value.get() == 0.5
    assert intake_metrics.SATISFACTION_RATE.labels("yiyuan")._value.get() == 1.0
