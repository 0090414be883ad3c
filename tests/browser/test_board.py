"""The public notice board in a real headless chromium, served by deliberation as operators run it
(gunicorn with two workers, and its worker) against the real Kafka and mongo-java-server.

The bulletin's road story north of 乐福国际小区 is entered through the API with its real dates (the
Party organisation's reviews on, as by default): the board of 汇丰 shows its notice and its talks
while the work is under way, then the result with its four figures; the colour map's cell of the
compound changes state when the result is published. Every page is checked for console errors and
by axe-core, reached by keyboard, switched to English, and photographed on a phone and on a hall
screen (.run/test/artifacts/screenshots/).
"""

from __future__ import annotations

import pytest

from tests.helpers import call

CST = "+08:00"
COMMUNITY = "huifeng"
COMPOUND = "lefu-international"
FIGURES = ["230 m", "12 处", "1 处", "22 个"]
TASKS = [
    ("修复硬化路面", "m", 230),
    ("修复单元口台阶", "处", 12),
    ("整合空地", "处", 1),
    ("增设充电桩", "个", 22),
]
TALKS = [("2023-08-31", 18), ("2023-09-21", 20), ("2023-10-19", 22)]


def at(day: str, time: str = "10:00") -> str:
    return f"{day}T{time}:00{CST}"


def review(stage: str, day: str) -> dict:
    return {
        "stage": stage,
        "approved": True,
        "organisation": "community_party_committee",
        "reviewed_at": at(day),
    }


def road_under_way(api: str, staff: dict, party: dict) -> str:
    """The road from August to its tasks under way (October 2023), as the bulletin tells it."""
    topic = call(
        "POST",
        f"{api}/topics",
        staff,
        {
            "title": "乐福国际小区北侧道路修复",
            "description": "乐福国际小区北侧道路因强降雨损毁，路面坑洼，单元口台阶损坏，充电难",
            "community": COMMUNITY,
            "compound": COMPOUND,
            "category": "roads_and_facilities",
            "platform": "small_bench_talk",
            "raised_at": at("2023-08-21"),
        },
        expect=201,
    )
    url = f"{api}/topics/{topic['id']}"
    call("POST", f"{url}/reviews", party, review("topic", "2023-08-23"), expect=201)
    notice = {
        "text": "关于乐福国际小区北侧道路因强降雨损毁的修复议题，现予公示，欢迎居民提出意见。",
        "period_days": 5,
        "venue_id": "huifeng-yishiting",
        "online": True,
        "posted_at": at("2023-08-25", "08:00"),
    }
    call("POST", f"{url}/notice", staff, notice)
    call("POST", f"{url}/consultation", staff, {"started_at": at("2023-08-29")})
    for day, attendance in TALKS:
        meeting = call(
            "POST",
            f"{url}/meetings",
            staff,
            {
                "venue_id": "huifeng-yishiting",
                "scheduled_at": at(day, "19:00"),
                "participants": {"party_members": 4, "resident_representatives": 8, "compound_heads": 3},
            },
            expect=201,
        )["meetings"][-1]
        held = {
            "attendance": attendance,
            "minutes": f"{day} 小板凳恳谈会记录：居民意见",
            "outcome": "形成意见",
            "held_at": at(day, "21:00"),
        }
        call("POST", f"{url}/meetings/{meeting['id']}/held", staff, held)
    call("POST", f"{url}/reviews", party, review("decision", "2023-10-20"), expect=201)
    decision = {
        "decision": "修复硬化路面230米、台阶12处，整合空地1处，增设充电桩22个",
        "started_at": at("2023-10-23"),
    }
    call("POST", f"{url}/implementation", staff, decision)
    for title, unit, target in TASKS:
        body = {
            "title": title,
            "owner": "汇丰社区居委会、物业公司",
            "unit": unit,
            "target": target,
            "due_date": "2023-11-20",
        }
        call("POST", f"{url}/tasks", staff, body, expect=201)
    return topic["id"]


def road_result(api: str, staff: dict, topic_id: str) -> None:
    url = f"{api}/topics/{topic_id}"
    for task in call("GET", url, staff)["tasks"]:
        call(
            "POST",
            f"{url}/tasks/{task['id']}/progress",
            staff,
            {"done": task["target"], "reported_at": at("2023-11-20")},
        )
    result = {
        "text": "历时2个月，多次召开小板凳恳谈会，完成修复硬化路面230米、单元口台阶12处，"
        "整合空地1处，增设充电桩22个。",
        "period_days": 7,
        "venue_id": "huifeng-yishiting",
        "online": True,
        "posted_at": at("2023-11-24"),
    }
    call("POST", f"{url}/result", staff, result)


@pytest.fixture
def deliberation(service_factory):
    delib = service_factory("deliberation")
    delib.start_api(workers=2)
    delib.start_worker()
    return delib


def cell_state(page) -> str:
    return page.find(f'[data-compound="{COMPOUND}"][data-state]').get_attribute("data-state")


def checked(page, name: str) -> None:
    """What every page must pass: no console error, axe-core, a screenshot on a phone and a hall screen."""
    page.assert_no_console_errors()
    page.assert_accessible()
    page.screenshot(f"{name}-hall", full_page=True)
    page.set_viewport("phone")
    page.driver.refresh()
    page.wait_until_loaded("main h1")
    width = page.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"{name}: the page is {width} px wide on a 390 px phone"
    page.screenshot(f"{name}-phone", full_page=True)
    page.assert_no_console_errors()
    page.set_viewport("hall")


def test_the_board_of_huifeng_follows_the_road_story(page, deliberation, mint):
    api, board = f"{deliberation.url}/v1", f"{deliberation.url}/board"
    staff = mint("staff-huifeng", "community_staff", communities=[COMMUNITY])
    party = mint("party-huifeng", "party_organisation", communities=[COMMUNITY])
    topic_id = road_under_way(api, staff, party)

    page.open(f"{board}/communities/{COMMUNITY}", wait_for="main h1")
    assert page.lang == "zh-CN" and page.text("main h1") == "汇丰社区 公示栏"
    notices = page.text("section.notices")
    assert (
        "乐福国际小区北侧道路修复" in notices and "2023-08-25" in notices and "汇丰社区居民议事亭" in notices
    )
    talks = page.text("section.consultations")
    for day, attendance in TALKS:
        assert f"{day} 21:00" in talks and f"参加人数 {attendance}" in talks
    assert "小板凳恳谈会" in talks
    assert page.text("section.results") == "结果公示\n暂无结果公示"
    before = cell_state(page)
    assert before == "overdue"  # tasks due in November 2023, not done
    checked(page, "board-huifeng-under-way")

    road_result(api, staff, topic_id)
    page.open(f"{board}/communities/{COMMUNITY}", wait_for="main h1")
    figures = [f.text for f in page.find_all("section.results .figure")]
    assert figures == FIGURES
    assert "完成修复硬化路面230米" in page.text("section.results")
    after = cell_state(page)
    assert after == "solved" and after != before  # solved in 2023: not "recently"
    checked(page, "board-huifeng-result")

    # Keyboard: the skip link, the language switch and the matter's link are reached by Tab.
    reached = page.tab_through(4)
    assert reached[0] == "跳到正文" and "English" in reached, reached
    page.click("a[hreflang=en]", wait_for="main h1")
    assert page.lang == "en" and page.text("main h1") == "Huifeng Community Notice board"
    assert (
        "Results" in page.text("section.results")
        and [f.text for f in page.find_all("section.results .figure")] == FIGURES
    )
    checked(page, "board-huifeng-en")

    # The matter's own page: the six steps, the current one marked, the days things happened.
    page.click("section.results h3 a", wait_for="main h1")
    assert page.text("main h1") == "乐福国际小区北侧道路修复"  # a title is shown as it was written
    current = page.find('.six-steps [aria-current="step"]').text
    assert current.endswith("Publish the result"), current
    trail = page.text("ol.trail")
    assert "2023-08-21" in trail and "2023-11-24" in trail
    assert "Party organisation approved the topic" in trail and "approved the decision" in trail
    checked(page, "board-road-topic-en")

    # The sub-district's board: the same state on the whole map, a link to each community.
    page.open(f"{board}/", wait_for="main h1")
    assert cell_state(page) == "solved"
    assert len(page.find_all("ul.cards li")) == 14
    checked(page, "board-subdistrict")
