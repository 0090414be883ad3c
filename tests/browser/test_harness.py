"""The browser harness checks for real: every check is shown to fail on a page that deserves it and
to pass on one that does not. The pages are served by a small Flask app on 127.0.0.1."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import threading
import uuid
import zlib

import pytest
from flask import Flask, abort, request
from werkzeug.serving import make_server

from tests.browser.harness import SCREENSHOTS, VIEWPORTS
from tests.helpers import ROOT, free_port

PIXEL = "data:image/svg+xml," + "%3Csvg xmlns='http://www.w3.org/2000/svg' width='40' height='40'/%3E"


def document(body: str, lang: str | None = "en", title: str | None = "Notices") -> str:
    lang_attr = f' lang="{lang}"' if lang else ""
    title_tag = f"<title>{title}</title>" if title else ""
    return (
        f'<!doctype html><html{lang_attr}><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{title_tag}'
        f'<link rel="icon" href="data:,"></head><body>{body}</body></html>'
    )


CLEAN_BODY = f"""
<header><nav aria-label="Languages">
  <a href="/notices?lang=zh">中文</a> <a href="/notices?lang=en">English</a>
</nav></header>
<main>
  <h1>Community notices</h1>
  <p>The water will be off on 如意街 on Saturday morning.</p>
  <img src="{PIXEL}" alt="Map of 如意街" width="40" height="40">
  <form>
    <label for="q">Search notices</label> <input id="q" name="q"> <button type="submit">Search</button>
  </form>
</main>
"""

PAGES = {
    "clean": document(CLEAN_BODY),
    "js-error": document("<main><h1>Notices</h1><script>window.noSuchFunction();</script></main>"),
    "console-error": document(
        "<main><h1>Notices</h1><script>console.error('board feed failed');</script></main>"
    ),
    "rejection": document(
        "<main><h1>Notices</h1><script>Promise.reject(new Error('feed gone'));</script></main>"
    ),
    "missing-css": document("<main><h1>Notices</h1></main>").replace(
        "</head>", '<link rel="stylesheet" href="/gone.css"></head>'
    ),
    "no-alt": document(f'<main><h1>Notices</h1><img src="{PIXEL}" width="40" height="40"></main>'),
    "no-lang": document("<main><h1>Notices</h1><p>Text</p></main>", lang=None),
    "keyboard": document(
        '<main><h1>Notices</h1><a href="#one">First notice</a>'
        "<div onclick=\"location.hash='two'\">Second notice (a div: mouse only)</div>"
        '<button type="button" aria-label="Close the notice">×</button>'
        '<label>Name <input value="Li"></label></main>'
    ),
    "tall": document("<main><h1>Notices</h1>" + "<p>Notice</p>" * 120 + "</main>"),
}


def create_site() -> Flask:
    app = Flask("browser-harness-pages")

    @app.get("/<name>")
    def named(name: str):
        if name not in PAGES:
            abort(404)
        return PAGES[name]

    @app.get("/notices")
    def notices():
        # ?lang= wins (the page's language switch); otherwise the browser's Accept-Language.
        lang = request.args.get("lang") or request.accept_languages.best_match(["zh", "en"]) or "zh"
        heading = {"zh": "社区公告", "en": "Community notices"}[lang]
        other = "en" if lang == "zh" else "zh"
        switch = f'<a id="switch" href="/notices?lang={other}">{"English" if lang == "zh" else "中文"}</a>'
        return document(f"<nav>{switch}</nav><main><h1>{heading}</h1></main>", lang=lang, title=heading)

    return app


@pytest.fixture(scope="module")
def site():
    server = make_server("127.0.0.1", free_port(), create_site(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking its signature and header chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(data[12:29]), "PNG header is corrupt"
    return struct.unpack(">II", data[16:24])


# -- a clean page passes every check ------------------------------------------------------------
def test_a_clean_page_passes_every_check(page, site):
    page.open(f"{site}/clean", wait_for="main h1")
    assert page.title == "Notices" and page.lang == "en"
    assert "如意街" in page.text("main")
    page.assert_no_console_errors()
    assert page.accessibility_violations() == []
    page.assert_accessible()


# -- console -------------------------------------------------------------------------------------
def test_an_uncaught_error_is_reported(page, site):
    page.open(f"{site}/js-error")
    errors = page.console_errors()
    assert any("noSuchFunction" in e for e in errors), errors
    with pytest.raises(AssertionError, match="noSuchFunction"):
        page.assert_no_console_errors()
    assert page.page_errors and "noSuchFunction" in page.page_errors[0]["message"]


def test_console_error_and_unhandled_rejection_are_reported(page, site):
    page.open(f"{site}/console-error")
    page.open(f"{site}/rejection")  # errors of the page before are kept across the navigation
    errors = page.console_errors()
    assert any("board feed failed" in e for e in errors), errors
    assert any("feed gone" in e for e in errors), errors
    assert page.console_errors(ignore=("board feed failed", "feed gone")) == []


def test_a_resource_that_fails_to_load_is_reported(page, site):
    page.open(f"{site}/missing-css")
    errors = page.console_errors()
    assert len(errors) == 1 and "gone.css" in errors[0] and "404" in errors[0], errors
    page.assert_no_console_errors(ignore=(r"/gone\.css",))


def test_each_test_starts_with_an_empty_console(page, site):
    page.open(f"{site}/clean")
    assert page.console_errors() == []
    assert all(e["level"] != "SEVERE" for e in page.console())


# -- accessibility -------------------------------------------------------------------------------
def test_an_image_without_alt_is_a_violation(page, site):
    page.open(f"{site}/no-alt")
    violations = page.accessibility_violations()
    assert "image-alt" in {v.id for v in violations}, violations
    assert any("img" in t for v in violations if v.id == "image-alt" for t in v.targets)
    with pytest.raises(AssertionError, match="image-alt"):
        page.assert_accessible()


def test_a_page_without_lang_is_a_violation(page, site):
    page.open(f"{site}/no-lang")
    assert [v.id for v in page.accessibility_violations()] == ["html-has-lang"]
    assert page.accessibility_violations(rules=["image-alt"]) == []


def test_the_keyboard_reaches_links_buttons_and_fields_but_not_a_clickable_div(page, site):
    page.open(f"{site}/keyboard")
    assert page.tab_through(3) == ["First notice", "Close the notice", "Name"]
    assert page.tab_through(1) == ["First notice"]  # starts from the top again
    assert not any("Second notice" in (name or "") for name in page.tab_through(4))


# -- viewports, language, screenshots ------------------------------------------------------------
def test_the_phone_viewport_is_applied(page, site):
    phone = VIEWPORTS["phone"]
    page.set_viewport("phone")
    page.open(f"{site}/clean")
    size = page.driver.execute_script("return [window.innerWidth, window.innerHeight, devicePixelRatio]")
    assert size == [390, 844, 2]
    assert png_size(page.screenshot("harness-phone").read_bytes()) == (
        int(phone.width * phone.scale),
        int(phone.height * phone.scale),
    )
    page.set_viewport("hall")
    assert page.driver.execute_script("return [window.innerWidth, window.innerHeight]") == [1920, 1080]


def test_a_screenshot_is_a_png_file_under_the_artifacts(page, site):
    page.open(f"{site}/clean")
    path = page.screenshot("harness clean/page")
    assert path == SCREENSHOTS / "harness-clean-page.png"
    assert path.is_relative_to(ROOT / ".run" / "test" / "artifacts")
    assert png_size(path.read_bytes()) == (1920, 1080)
    page.open(f"{site}/tall")
    width, height = png_size(page.screenshot("harness-tall", full_page=True).read_bytes())
    assert width == 1920 and height > 1080


def test_the_language_follows_the_browser_and_the_switch(page, site):
    page.open(f"{site}/notices")
    assert page.lang == "zh" and page.text("h1") == "社区公告"
    page.click("#switch", wait_for="h1")
    assert page.lang == "en" and page.text("h1") == "Community notices"
    page.accept_language("en-GB,en;q=0.9")
    page.open(f"{site}/notices")
    assert page.lang == "en"
    assert page.driver.execute_script("return navigator.language") == "en-GB"


# -- failures leave evidence, and no browser is no pass -------------------------------------------
def run_pytest(test_file, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A pytest run of its own over test_file, with the harness's fixtures and hooks loaded."""
    args = [
        "-q",
        "-p",
        "no:cacheprovider",
        "-c",
        str(ROOT / "pyproject.toml"),
        "-p",
        "tests.browser.conftest",
    ]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args, str(test_file)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.browser  # its inner run opens the browser
def test_a_failing_test_leaves_a_screenshot(tmp_path, site):
    name = f"test_fails_on_purpose_{uuid.uuid4().hex[:8]}"
    test_file = tmp_path / f"{name}.py"
    test_file.write_text(
        f"def {name}(page):\n    page.open('{site}/clean')\n    assert page.title == 'Other'\n"
    )
    result = run_pytest(test_file, {})
    assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout + result.stderr
    shots = list(SCREENSHOTS.glob(f"*{name}*-FAILED.png"))
    assert len(shots) == 1, result.stdout
    assert f"screenshot: {shots[0]}" in result.stdout
    png_size(shots[0].read_bytes())
    shots[0].unlink()


def test_without_chromium_a_browser_test_fails_naming_make_browser_tools(tmp_path):
    test_file = tmp_path / "test_needs_the_browser.py"
    test_file.write_text("def test_page(page):\n    pass\n")
    result = run_pytest(test_file, {"PATH": str(tmp_path)})  # neither chromium nor chromedriver
    # pytest counts a failure while setting up as an error: the run fails all the same
    assert result.returncode == 1 and "1 error" in result.stdout, result.stdout + result.stderr
    assert "chromium and chromedriver not found" in result.stdout
    assert "make browser-tools" in result.stdout
