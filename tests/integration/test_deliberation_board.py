"""The public notice board's pages (deliberation's board.py) and the public JSON of one matter, against
the real mongo-java-server (Flask test client): what they show, what they never show, their
validators (ETag, Last-Modified, 304), the language switch, and the colour map's states."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from deliberation.service import SERVICE
from tests.stories import at, topics

ROAD = {
    "title": "乐福国际小区北侧道路修复",
    "description": "乐福国际小区北侧道路因强降雨损毁，住户张三丰（电话13812345678）反映台阶损坏",
    "community": "huifeng",
    "compound": "lefu-international",
    "category": "roads_and_facilities",
    "platform": "small_bench_talk",
}
STAFF_ONLY_MINUTES = "会议记录：联系人13987654321，住户意见分歧"
STAFF_ONLY_DECISION = "内部决定：先由物业垫付"
FEEDBACK_COMMENT = "施工队很负责，私下评论"
NOTICE = {
    "text": "关于乐福国际小区北侧道路修复的议题公示，欢迎居民提出意见。",
    "period_days": 5,
    "venue_id": "huifeng-yishiting",
    "online": True,
}


@pytest.fixture
def settings(service_settings):
    return service_settings(SERVICE, PARTY_REVIEW_STAGES="")


@pytest.fixture
def client(service_app, settings):
    return service_app(SERVICE, settings).test_client()


@pytest.fixture
def staff(mint):
    return mint("staff-board-1", "community_staff", communities=["huifeng"])


def road_until_implementation(call, staff, days_ago: int | None = None) -> str:
    """The road story up to its four tasks in progress; back-dated to 2023, or `days_ago` days ago."""
    if days_ago is None:
        day = dict(
            raised="2023-08-21",
            notice="2023-08-25",
            consult="2023-08-29",
            held="2023-08-31",
            impl="2023-10-23",
        )
        due = "2023-11-20"
    else:
        base = datetime.now(UTC) - timedelta(days=days_ago)
        offsets = {"raised": 0, "notice": 1, "consult": 5, "held": 6, "impl": 7}  # days after `base`
        day = {k: (base + timedelta(days=n)).date().isoformat() for k, n in offsets.items()}
        due = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    tid = topics.create(call, staff, {**ROAD, "raised_at": at(day["raised"])})["id"]
    topics.publish_notice(call, staff, tid, {**NOTICE, "posted_at": at(day["notice"], "08:00")})
    topics.start_consultation(call, staff, tid, started_at=at(day["consult"]))
    participants = {"resident_representatives": 8, "compound_heads": 3}
    talk = topics.schedule_meeting(
        call, staff, tid, "huifeng-yishiting", at(day["held"], "19:00"), participants
    )
    held = {
        "attendance": 18,
        "minutes": STAFF_ONLY_MINUTES,
        "outcome": "通过方案",
        "held_at": at(day["held"], "21:00"),
    }
    topics.hold_meeting(call, staff, tid, talk["id"], held)
    topics.implement(call, staff, tid, STAFF_ONLY_DECISION, started_at=at(day["impl"]))
    topics.add_tasks(call, staff, tid, topics.ROAD_WORKS, "物业公司", due)
    return tid


def finish(call, staff, topic_id: str, day: str | None) -> None:
    """Every task done and the result posted, on `day` (or now)."""
    topics.complete_tasks(call, staff, topic_id, **({"reported_at": at(day, "09:00")} if day else {}))
    result = {
        **NOTICE,
        "text": "完成修复硬化路面230米、单元口台阶12处，整合空地1处，增设充电桩22个。",
        "period_days": 7,
        **({"posted_at": at(day, "10:00")} if day else {}),
    }
    topics.publish_result(call, staff, topic_id, result)


def cell_state(html: str, compound: str) -> str:
    found = re.search(rf'data-compound="{compound}" data-state="([a-z_]+)"', html)
    assert found, f"no cell for {compound}"
    return found.group(1)


def test_the_board_shows_the_road_story_and_its_colour_map_follows_it(client, call, staff):
    # Before anything is public: quiet, and the topic in step 1 is on no page.
    page = client.get("/board/communities/huifeng")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert cell_state(page.get_data(as_text=True), "lefu-international") == "quiet"
    hidden = topics.create(call, staff, {**ROAD, "title": "尚未公示的议题"})
    assert client.get(f"/board/topics/{hidden['id']}").status_code == 404
    assert client.get(f"/v1/public/topics/{hidden['id']}").status_code == 404

    topic_id = road_until_implementation(call, staff)
    html = client.get("/board/communities/huifeng").get_data(as_text=True)
    # the notice, the talk (date, venue, platform), in the step it is in
    assert "乐福国际小区北侧道路修复" in html and "关于乐福国际小区北侧道路修复的议题公示" in html
    assert "2023-08-31 21:00" in html and "汇丰社区居民议事亭" in html and "小板凳恳谈会" in html
    # tasks due in 2023 and not done: overdue on the map
    assert cell_state(html, "lefu-international") == "overdue"

    finish(call, staff, topic_id, "2023-11-22")
    html = client.get("/board/communities/huifeng").get_data(as_text=True)
    assert cell_state(html, "lefu-international") == "solved"  # solved, in 2023: not recently
    figures = re.findall(r'<span class="figure">([^<]+)</span>', html)
    assert [f.strip() for f in figures] == ["230 m", "12 处", "1 处", "22 个"]
    assert "完成修复硬化路面230米" in html
    # the sub-district's map shows the same, and links to the community
    whole = client.get("/board/").get_data(as_text=True)
    assert cell_state(whole, "lefu-international") == "solved"
    assert 'href="/board/communities/huifeng?lang=zh"' in whole

    topic_page = client.get(f"/board/topics/{topic_id}").get_data(as_text=True)
    assert 'aria-current="step"' in topic_page and "公示结果" in topic_page
    for step in ("确定议题", "公示告知", "开展协商", "组织实施"):
        assert step in topic_page
    public = call("GET", f"/v1/public/topics/{topic_id}")
    assert public["step"] == "publish_result" and [t["done"] for t in public["tasks"]] == [230, 12, 1, 22]
    assert [s["step"] for s in public["steps"]][:2] == ["determine_topic", "public_notice"]


def test_a_result_published_now_is_solved_recently(client, call, staff):
    topic_id = road_until_implementation(call, staff, days_ago=20)
    html = client.get("/board/communities/huifeng").get_data(as_text=True)
    assert cell_state(html, "lefu-international") == "open"  # tasks due in a month
    finish(call, staff, topic_id, None)
    html = client.get("/board/communities/huifeng").get_data(as_text=True)
    assert cell_state(html, "lefu-international") == "solved_recently"


def test_the_pages_carry_nothing_the_public_json_does_not_show(client, call, staff, mint):
    topic_id = road_until_implementation(call, staff)
    finish(call, staff, topic_id, "2023-11-22")
    topics.give_feedback(call, staff, topic_id, {"satisfaction": 5, "comment": FEEDBACK_COMMENT})
    # one rating's mean would be that person's score: the board shows a mean from three on
    assert "5.0 / 5" not in client.get("/board/communities/huifeng").get_data(as_text=True)
    for n, score in ((2, 4), (3, 5)):
        other = mint(f"staff-board-{n}", "community_staff", communities=["huifeng"])
        topics.give_feedback(call, other, topic_id, {"satisfaction": score})
    pages = "".join(
        client.get(path).get_data(as_text=True)
        for path in (
            "/board/",
            "/board/communities/huifeng",
            f"/board/topics/{topic_id}",
            "/board/communities/huifeng?lang=en",
            f"/board/topics/{topic_id}?lang=en",
        )
    )
    public = client.get(f"/v1/public/topics/{topic_id}").get_data(as_text=True)
    for secret in (
        ROAD["description"],
        "张三丰",
        "13812345678",
        STAFF_ONLY_MINUTES,
        "13987654321",
        STAFF_ONLY_DECISION,
        FEEDBACK_COMMENT,
        "staff-board-1",
    ):
        assert secret not in pages and secret not in public, secret
    assert "4.7 / 5" in pages  # the score is public, the comments are not


def test_the_pages_are_validated_by_etag_and_last_modified(client, call, staff):
    first = client.get("/board/communities/huifeng")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert "script-src" not in first.headers["Content-Security-Policy"]
    again = client.get("/board/communities/huifeng", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert (
        client.get("/board/communities/huifeng", headers={"If-Modified-Since": modified}).status_code == 304
    )
    # another language is another page
    assert client.get("/board/communities/huifeng?lang=en").headers["ETag"] != etag

    road_until_implementation(call, staff)  # the community's public topics changed
    changed = client.get("/board/communities/huifeng", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    # another community's page did not change
    other = client.get("/board/communities/ruyijie")
    assert (
        client.get("/board/communities/ruyijie", headers={"If-None-Match": other.headers["ETag"]}).status_code
        == 304
    )


def test_the_english_switch_and_bad_input(client):
    zh = client.get("/board/communities/huifeng").get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh and 'href="/board/communities/huifeng?lang=en"' in zh
    en = client.get("/board/communities/huifeng?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en and "Current notices" in en and "Huifeng" in en
    assert client.get("/board/communities/nowhere").status_code == 404
    bad = client.get("/board/communities/huifeng?lang=fr")
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["field"] == "lang"
    assert client.get("/board/?refresh=5").status_code == 422
    screen = client.get("/board/communities/huifeng?refresh=60").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="60">' in screen


def test_a_matters_page_is_validated_before_it_is_read_and_changes_with_it(client, call, staff):
    topic_id = road_until_implementation(call, staff)
    first = client.get(f"/board/topics/{topic_id}")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get(f"/board/topics/{topic_id}", headers={"If-None-Match": etag}).status_code == 304
    finish(call, staff, topic_id, "2023-11-22")
    again = client.get(
        f"/board/topics/{topic_id}", headers={"If-None-Match": etag, "If-Modified-Since": modified}
    )
    assert again.status_code == 200 and "完成修复硬化路面230米" in again.get_data(as_text=True)
    # what the page says its data is as of is when the matter last changed, not the time it was drawn
    # (every process draws the same page for one ETag); Last-Modified is that or later (a restart)
    as_of = re.search(r'数据更新于 <time datetime="([^"]+)"', again.get_data(as_text=True)).group(1)
    updated = client.get(f"/v1/public/topics/{topic_id}").json["updated_at"]
    assert datetime.fromisoformat(as_of) == datetime.fromisoformat(updated).replace(microsecond=0)
    assert parsedate_to_datetime(again.headers["Last-Modified"]) >= datetime.fromisoformat(as_of)
