"""Deliberation's topic list against the real mongo-java-server: pages with a cursor, the topic that
holds a given intake request, and a cursor the API never returned refused."""

from __future__ import annotations

import pytest

from deliberation import actions
from deliberation.service import SERVICE
from tests.fast.test_deliberation import routed
from tests.stories import flask, topics


@pytest.fixture
def app(service_app, service_settings):
    return service_app(SERVICE, service_settings(SERVICE))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff(mint):
    return mint("staff-1", "community_staff", communities=["huifeng"])


def topic(title: str) -> dict:
    return {
        "title": title,
        "description": f"{title}：居民反映的问题",
        "community": "huifeng",
        "category": "roads_and_facilities",
        "platform": "residents_council",
    }


def test_topics_page_with_a_cursor_and_are_found_by_request(app, client, staff, mongo_db):
    call = flask(client)
    made = [topics.create(call, staff, topic(f"议题{i}"))["id"] for i in range(5)]
    # The list's order: newest first, then the greater id (topics made within one millisecond share
    # their time).
    created = {d["_id"]: d["created_at"] for d in mongo_db.topics.find({"_id": {"$in": made}})}
    newest_first = sorted(made, key=lambda tid: (created[tid], tid), reverse=True)
    seen, cursor, pages = [], None, 0
    while True:
        query = "/v1/topics?community=huifeng&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = call("GET", query, staff)
        seen += [t["id"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and seen == newest_first  # each once

    ctx = app.extensions[SERVICE.name]
    with app.app_context():
        actions.take_up_request(
            ctx, routed("r-lookup", "乐福国际小区门口路灯不亮已经一周").model_dump(), "event-1"
        )
    [holding] = call("GET", "/v1/topics?community=huifeng&request_id=r-lookup", staff)["items"]
    assert [r["request_id"] for r in holding["requests"]] == ["r-lookup"]
    assert call("GET", "/v1/topics?community=huifeng&request_id=r-none", staff)["items"] == []

    bad = client.get("/v1/topics?community=huifeng&cursor=garbage", headers=staff)
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["field"] == "cursor"
