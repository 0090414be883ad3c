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

from tests.stories import http, topics

COMMUNITY = "huifeng"
COMPOUND = "lefu-international"
FIGURES = ["230 m", "12 处", "1 处", "22 个"]


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
    d, board = http(deliberation), f"{deliberation.url}/board"
    staff = mint("staff-huifeng", "community_staff", communities=[COMMUNITY])
    party = mint("party-huifeng", "party_organisation", communities=[COMMUNITY])
    topic_id = topics.road_of_2023_under_way(d, staff, party)

    page.open(f"{board}/communities/{COMMUNITY}", wait_for="main h1")
    assert page.lang == "zh-CN" and page.text("main h1") == "汇丰社区 公示栏"
    notices = page.text("section.notices")
    assert (
        "乐福国际小区北侧道路修复" in notices and "2023-08-25" in notices and "汇丰社区居民议事亭" in notices
    )
    talks = page.text("section.consultations")
    for day, attendance in topics.ROAD_TALKS:
        assert f"{day} 21:00" in talks and f"参加人数 {attendance}" in talks
    assert "小板凳恳谈会" in talks
    assert page.text("section.results") == "结果公示\n暂无结果公示"
    before = cell_state(page)
    assert before == "overdue"  # tasks due in November 2023, not done
    checked(page, "board-huifeng-under-way")

    topics.road_of_2023_result(d, staff, topic_id)
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
