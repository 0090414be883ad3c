"""References follow the request, with intake and deliberation running as operators run them
(gunicorn APIs + workers, real Kafka and mongo-java-server): staff move a resident's request to
another topic, then detach it into a topic of its own; each time intake shows the new reference and
a history entry saying where it went, and the topic left without requests in step 1 stops
absorbing new ones and says why."""

from __future__ import annotations

import time

from tests.helpers import wait_until
from tests.stories import http

ROAD = {
    "category": "roads_and_facilities",
    "community": "huifeng",
    "compound": "lefu-international",
    "channel": "opinion_express",
    "submitter": {"name": "王小明", "phone": "13812341234"},
}
TOPIC = {
    "title": "乐福国际小区北侧道路修复",
    "description": "乐福国际小区北侧道路因强降雨损毁，坑洼严重，居民出行不便",
    "community": "huifeng",
    "compound": "lefu-international",
    "category": "roads_and_facilities",
    "platform": "residents_council",
}


def submit_and_route(intake, resident: dict, staff: dict, description: str) -> str:
    rid = http(intake)("POST", "/v1/requests", resident, {**ROAD, "description": description}, 201)["id"]
    http(intake)("POST", f"/v1/requests/{rid}/accept", staff)
    assert http(intake)("POST", f"/v1/requests/{rid}/route", staff, {})["route_target"] == "deliberation"
    return rid


def topics_holding(delib, staff: dict, request_id: str) -> list[dict]:
    items = http(delib)("GET", "/v1/topics?community=huifeng&limit=100", staff)["items"]
    return [t for t in items if request_id in {r["request_id"] for r in t["requests"]}]


def intake_points_at(intake, staff: dict, request_id: str, topic_id: str) -> tuple[dict, float]:
    """The request as intake shows it once its reference is `topic_id`, and how long that took."""
    started = time.monotonic()

    def there():
        doc = http(intake)("GET", f"/v1/requests/{request_id}", staff)
        return doc if doc["reference"] == topic_id else None

    doc = wait_until(there, timeout=60, message=f"intake's reference of {request_id} to become {topic_id}")
    return doc, time.monotonic() - started


def test_moving_or_detaching_a_request_moves_intakes_reference_and_empties_stop_absorbing(
    service_factory, mint
):
    intake, delib = service_factory("intake"), service_factory("deliberation")
    for svc in (intake, delib):
        svc.start_api(workers=2)
        svc.start_worker()
    staff = mint("staff-1", "community_staff", communities=["huifeng"])
    resident = mint("res-1", "resident", communities=["huifeng"])

    rid = submit_and_route(intake, resident, staff, "乐福国际小区北侧道路因强降雨损毁，坑洼严重")
    [first] = wait_until(lambda: topics_holding(delib, staff, rid), timeout=60, message="the request's topic")
    intake_points_at(intake, staff, rid, first["id"])

    # Staff move it to a topic they raised about the same road.
    other = http(delib)("POST", "/v1/topics", staff, TOPIC, 201)
    http(delib)("POST", f"/v1/topics/{other['id']}/requests", staff, {"request_id": rid})
    doc, move_hop = intake_points_at(intake, staff, rid, other["id"])
    moves = [h for h in doc["history"] if h.get("reference")]
    assert [(h["from"], h["to"], h["reference"]) for h in moves] == [
        ("in_progress", "in_progress", other["id"])
    ]
    assert moves[0]["reason"] == f"已从议题「{first['title']}」转入议题「{other['title']}」"
    assert doc["status"] == "in_progress" and doc["handled_by"] == "deliberation"

    emptied = http(delib)("GET", f"/v1/topics/{first['id']}", staff)
    assert emptied["requests"] == [] and emptied["absorbs_requests"] is False
    assert emptied["absorbing_stopped"]["reason"] == (
        f"left without requests: its last request {rid} moved to topic {other['id']}"
    )

    # A new request about the same road never lands on the emptied topic.
    again = submit_and_route(intake, resident, staff, "乐福国际小区北侧道路被暴雨冲坏，坑洼严重")
    [joined] = wait_until(lambda: topics_holding(delib, staff, again), timeout=60, message="the new request")
    assert joined["id"] != first["id"]
    assert http(delib)("GET", f"/v1/topics/{first['id']}", staff)["requests"] == []

    # Staff detach the first request into a topic of its own: intake follows again.
    own = http(delib)("POST", f"/v1/topics/{other['id']}/requests/{rid}/detach", staff, expect=201)
    doc, hop = intake_points_at(intake, staff, rid, own["id"])
    assert [h["reference"] for h in doc["history"] if h.get("reference")] == [other["id"], own["id"]]
    print(f"after the API answered, intake's reference followed: move {move_hop:.2f} s, detach {hop:.2f} s")
