"""The browser the browser tests drive: Debian's chromium, headless, through Debian's chromedriver.

Selenium gets the driver's path explicitly, so Selenium Manager never runs and nothing is downloaded:
the browser and its driver come from `make browser-tools` (Debian packages chromium, chromium-driver
and fonts-noto-cjk, for Chinese text in screenshots). Accessibility is axe-core, bundled inside the
selenium-axe-python wheel and injected into the page from that file.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from selenium_axe_python import Axe

from tests.helpers import ROOT

SCREENSHOTS = ROOT / ".run" / "test" / "artifacts" / "screenshots"
INSTALL_HINT = "run `make browser-tools` (as root; Debian packages chromium, chromium-driver, fonts-noto-cjk)"
# Residents read the platform in Chinese first; a test switches with Page.accept_language("en").
DEFAULT_LANGUAGE = "zh-CN,zh;q=0.9,en;q=0.8"


class BrowserMissing(RuntimeError):
    """The browser, its driver or a Chinese font is not installed."""


@dataclass(frozen=True)
class Viewport:
    width: int
    height: int
    mobile: bool = False
    scale: float = 1.0  # device pixel ratio: screenshots are width*scale pixels wide


VIEWPORTS = {
    # a phone held upright (390x844 CSS pixels); ratio 2 keeps the screenshots readable and small
    "phone": Viewport(390, 844, mobile=True, scale=2.0),
    # the screen in a community hall or service centre
    "hall": Viewport(1920, 1080),
}

# Collects what the page throws and does not catch, from before the page's first script runs
# (installed with Page.addScriptToEvaluateOnNewDocument): the browser log has the message, this has
# the stack.
_ERROR_COLLECTOR = """
window.__pageErrors = [];
window.addEventListener('error', function (e) {
  window.__pageErrors.push({message: String(e.message), where: (e.filename || '') + ':' + (e.lineno || 0),
                            stack: (e.error && e.error.stack) || ''});
});
window.addEventListener('unhandledrejection', function (e) {
  var r = e.reason;
  window.__pageErrors.push({message: 'Unhandled promise rejection: ' + ((r && r.message) || String(r)),
                            where: '', stack: (r && r.stack) || ''});
});
"""

# What a keyboard user hears or sees for the focused element: its label, text, value or alt text.
_FOCUSED_NAME = """
var el = document.activeElement;
if (!el || el === document.body || el === document.documentElement) return null;
var labelled = el.getAttribute('aria-labelledby');
var name = el.getAttribute('aria-label')
  || (labelled && document.getElementById(labelled) && document.getElementById(labelled).innerText)
  || (el.labels && el.labels.length && el.labels[0].innerText)
  || el.innerText || el.value || el.getAttribute('alt') || el.getAttribute('title') || '';
name = name.replace(/\\s+/g, ' ').trim();
return name || ('<' + el.tagName.toLowerCase() + '>');
"""


def browser_paths() -> tuple[str, str]:
    """chromium's and chromedriver's paths, or BrowserMissing naming `make browser-tools`."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", chromedriver)) if not path]
    if missing:
        raise BrowserMissing(
            f"{' and '.join(missing)} not found: the browser tests need them; {INSTALL_HINT}"
        )
    fc_list = shutil.which("fc-list")
    if fc_list:
        fonts = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False)
        if not fonts.stdout.strip():
            raise BrowserMissing(f"no Chinese font: screenshots would show empty boxes; {INSTALL_HINT}")
    return chromium, chromedriver


def start_driver() -> webdriver.Chrome:
    """A headless chromium with its browser log kept ('goog:loggingPrefs'), hall-sized."""
    chromium, chromedriver = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",  # the tests run as root, where chromium's sandbox refuses to start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-extensions",
        "--no-first-run",
        "--hide-scrollbars",  # screenshots of the same page at the same size are the same
        "--window-size=1920,1080",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _ERROR_COLLECTOR})
    return driver


@dataclass
class Violation:
    """One axe-core rule broken, with the elements that break it."""

    id: str
    impact: str | None
    help: str
    targets: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.id} ({self.impact}): {self.help} — {', '.join(self.targets)}"


class Page:
    """One test's view of the session's browser: open pages, look, check, take pictures."""

    def __init__(self, driver: webdriver.Chrome):
        self.driver = driver
        self.log: list[dict] = []  # every browser log entry since the test started
        self.page_errors: list[dict] = []  # uncaught errors and rejections, with their stacks
        self._user_agent = driver.execute_script("return navigator.userAgent")

    # -- state between tests -------------------------------------------------------------------
    def reset(self) -> None:
        """A blank page, the hall screen, the default language, no cookies, an empty log."""
        self.driver.get("about:blank")
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        self.set_viewport("hall")
        self.accept_language(DEFAULT_LANGUAGE)
        self.driver.get_log("browser")
        self.log.clear()
        self.page_errors.clear()

    # -- loading -------------------------------------------------------------------------------
    def open(self, url: str, wait_for: str | None = None, timeout: float = 10.0) -> Page:
        """Load url and wait until it is complete, its fonts are ready and (optionally) the CSS
        selector wait_for is on the page."""
        self._collect_page_errors()
        self.driver.get(url)
        self.wait_until_loaded(wait_for, timeout)
        return self

    def wait_until_loaded(self, wait_for: str | None = None, timeout: float = 10.0) -> None:
        wait = WebDriverWait(self.driver, timeout)
        wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        self.driver.execute_async_script("var done = arguments[0]; document.fonts.ready.then(() => done());")
        if wait_for:
            wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, wait_for)))

    def click(self, css: str, wait_for: str | None = None) -> Page:
        """Click the element and wait for what it loads (a link, a language switch, a form)."""
        self._collect_page_errors()
        self.find(css).click()
        self.wait_until_loaded(wait_for)
        return self

    # -- looking -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.driver.current_url

    @property
    def title(self) -> str:
        return self.driver.title

    @property
    def lang(self) -> str:
        """The page's declared language, <html lang>."""
        return self.driver.execute_script("return document.documentElement.lang")

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str = "body") -> str:
        """The rendered text of the first element matching css (what a reader sees)."""
        return self.find(css).text

    # -- language and size ---------------------------------------------------------------------
    def accept_language(self, value: str) -> None:
        """The browser's language (Accept-Language and navigator.language) from the next load on."""
        self.driver.execute_cdp_cmd(
            "Emulation.setUserAgentOverride", {"userAgent": self._user_agent, "acceptLanguage": value}
        )

    def set_viewport(self, viewport: str | Viewport) -> Viewport:
        """'phone' (390x844, a touch screen), 'hall' (1920x1080) or a Viewport of your own."""
        v = VIEWPORTS[viewport] if isinstance(viewport, str) else viewport
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": v.width, "height": v.height, "deviceScaleFactor": v.scale, "mobile": v.mobile},
        )
        self.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": v.mobile})
        return v

    # -- console -------------------------------------------------------------------------------
    def console(self) -> list[dict]:
        """Every browser log entry since the test started ({'level', 'message', 'source', ...})."""
        self.log.extend(self.driver.get_log("browser"))
        return list(self.log)

    def console_errors(self, ignore: tuple[str, ...] = ()) -> list[str]:
        """SEVERE browser log messages and uncaught errors since the test started, less those
        matching a regular expression in ignore."""
        self._collect_page_errors()
        messages = [e["message"] for e in self.console() if e["level"] == "SEVERE"]
        for error in self.page_errors:
            if not any(error["message"] in m for m in messages):  # the log usually has it already
                messages.append(f"{error['message']} at {error['where']}\n{error['stack']}".strip())
        return [m for m in messages if not any(re.search(pattern, m) for pattern in ignore)]

    def assert_no_console_errors(self, ignore: tuple[str, ...] = ()) -> None:
        errors = self.console_errors(ignore)
        assert not errors, "errors in the browser console:\n" + "\n".join(errors)

    def _collect_page_errors(self) -> None:
        try:
            found = self.driver.execute_script("return window.__pageErrors || []")
        except WebDriverException:  # no page yet, or one that forbids scripts
            return
        for error in found:
            if error not in self.page_errors:
                self.page_errors.append(error)
        self.driver.execute_script("if (window.__pageErrors) window.__pageErrors.length = 0")

    # -- accessibility -------------------------------------------------------------------------
    def accessibility_violations(self, rules: list[str] | None = None) -> list[Violation]:
        """axe-core's violations on the current page: every rule it ships (WCAG 2.x A/AA and its
        best practices), or only the rule ids given."""
        Axe(self.driver).inject()
        options: dict = {"resultTypes": ["violations"]}
        if rules:
            options["runOnly"] = {"type": "rule", "values": rules}
        result = self.driver.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "axe.run(document, arguments[0]).then(r => done(r.violations), e => done({error: String(e)}));",
            options,
        )
        if isinstance(result, dict):
            raise RuntimeError(f"axe-core failed on {self.url}: {result['error']}")
        return [
            Violation(v["id"], v.get("impact"), v["help"], [" ".join(n["target"]) for n in v["nodes"]])
            for v in result
        ]

    def assert_accessible(self, rules: list[str] | None = None) -> None:
        violations = self.accessibility_violations(rules)
        assert not violations, f"accessibility violations on {self.url}:\n" + "\n".join(map(str, violations))

    def tab_through(self, presses: int) -> list[str]:
        """Press Tab presses times from the top of the page; the name of each element focused
        (label, text, value or alt; '<tag>' for one without a name; None when focus left the page)."""
        # Focusing the body makes it the point the next Tab starts from (blur() alone would not).
        self.driver.execute_script(
            "var b = document.body, t = b.getAttribute('tabindex'); b.tabIndex = -1; b.focus();"
            "if (t === null) b.removeAttribute('tabindex'); else b.setAttribute('tabindex', t);"
            "window.scrollTo(0, 0);"
        )
        names = []
        for _ in range(presses):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            names.append(self.driver.execute_script(_FOCUSED_NAME))
        return names

    # -- pictures ------------------------------------------------------------------------------
    def screenshot(self, name: str, full_page: bool = False) -> Path:
        """The viewport (or the whole page) as .run/test/artifacts/screenshots/<name>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "-", name).strip("-") + ".png")
        if full_page:
            size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
            shot = self.driver.execute_cdp_cmd(
                "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
            )
            path.write_bytes(base64.b64decode(shot["data"]))
        else:
            path.write_bytes(self.driver.get_screenshot_as_png())
        return path
