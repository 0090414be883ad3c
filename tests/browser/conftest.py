"""Browser tests: server-rendered pages opened in a real headless chromium (tests/browser/harness.py).

A test asks for `page` (a fresh view of one browser kept for the whole session) and is marked
`browser` by that alone. Without chromium the test fails, naming `make browser-tools`: a run
without the browser must not pass. A failing test leaves a screenshot of the page it was on in
.run/test/artifacts/screenshots/, named after the test.

    def test_the_board_on_a_phone(page, board_url):
        page.set_viewport("phone")
        page.open(f"{board_url}/notices", wait_for="main h1")
        assert "停水" in page.text("main")
        page.assert_no_console_errors()
        page.assert_accessible()
        assert "English" in page.tab_through(5)
        page.click("a[hreflang=en]", wait_for="main h1")
        assert page.lang == "en"
        page.screenshot("board-phone-en")

Chrome asks every site for /favicon.ico: a page served without one (nor a <link rel="icon">) logs a
404, which counts as a console error like any resource that fails to load.
"""

from __future__ import annotations

import functools

import pytest

from tests.browser.harness import BrowserMissing, Page, browser_paths, start_driver

# The pages under test are served as operators run them: the system tests' way of starting services.
from tests.system.conftest import service_factory  # noqa: F401

BROWSER_FIXTURES = {"page", "browser_driver"}


@functools.cache
def _missing() -> str | None:
    try:
        browser_paths()
    except BrowserMissing as missing:
        return str(missing)
    return None


def pytest_collection_modifyitems(items):
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item):
    if item.get_closest_marker("browser") and _missing():
        pytest.fail(_missing(), pytrace=False)


@pytest.fixture(scope="session")
def browser_driver():
    """The session's headless chromium (quit at the end of the session)."""
    if _missing():
        pytest.fail(_missing(), pytrace=False)
    driver = start_driver()
    yield driver
    driver.quit()


@pytest.fixture
def page(browser_driver) -> Page:
    """One test's page: blank, hall-sized, in the default language, with an empty console."""
    page = Page(browser_driver)
    page.reset()
    return page


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and isinstance(page, Page):
        try:
            path = page.screenshot(item.nodeid + "-FAILED")
            report.sections.append(("browser", f"screenshot: {path}\nurl: {page.url}"))
        except Exception as exc:  # a dead browser must not hide the test's own failure
            report.sections.append(("browser", f"no screenshot: {exc}"))
    return report
