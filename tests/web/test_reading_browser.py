"""The reader's pages in real headless Chromium, on a desktop and a phone, in both languages, light and dark:
the newest change on top, no horizontal scrolling on a phone, dark mode from the system, no console error.

Screenshots are written under the test's tmp_path (``--basetemp`` keeps them) to be looked at."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.web.reading import NEWEST
from tests.web.test_browser import ARGS, CHROMIUM

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LOCALES = {"zh": "zh-CN", "en": "en-US"}
PAGES = ["/", "/p/xhs", "/p/zeekr/privacy_policy/diff/1..2", "/weekly/2026-W01", "/p/xhs/privacy_policy/v/7"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


class Opened:
    """A page with what its console said (errors) and the requests that failed."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on(
            "console", lambda message: self.errors.append(message.text) if message.type == "error" else None
        )
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("requestfailed", lambda request: self.errors.append(f"failed: {request.url}"))
        page.on(
            "response",
            lambda response: (
                self.errors.append(f"{response.status}: {response.url}") if response.status >= 400 else None
            ),
        )


def open_page(
    browser: Browser, url: str, viewport: dict[str, int], language: str, scheme: str = "light"
) -> Opened:
    context = browser.new_context(viewport=viewport, locale=LOCALES[language], color_scheme=scheme)
    opened = Opened(context.new_page())
    opened.page.goto(url)
    opened.page.wait_for_load_state("networkidle")
    return opened


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the viewport (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def background(page: Page, selector: str = "body") -> str:
    return page.eval_on_selector(selector, "e => getComputedStyle(e).backgroundColor")


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_home_shows_the_newest_change_first(reading, chromium, tmp_path: Path, language, device, viewport):
    opened = open_page(chromium, reading + "/", viewport, language)
    page = opened.page
    headlines = page.locator("ol.changes li.change .headline a")
    assert headlines.first.inner_text() == NEWEST[language]
    first, second = headlines.nth(0).bounding_box(), headlines.nth(1).bounding_box()
    assert first and second and first["y"] < second["y"]
    assert first["y"] < viewport["height"]  # above the fold: the first thing a reader sees
    badge = page.locator("ol.changes li.change").first.locator(".badge.severity-major")
    assert badge.is_visible() and background(page, "ol.changes li.change .badge") != background(page)
    assert overflow(page) <= 0
    assert opened.errors == []  # the favicon included
    page.screenshot(path=tmp_path / f"home-{device}-{language}.png", full_page=True)


@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(reading, chromium, tmp_path: Path, path):
    for language in LOCALES:
        opened = open_page(chromium, reading + path, PHONE, language)
        assert overflow(opened.page) <= 0, (path, language)
        assert opened.errors == [], (path, language)
    name = path.strip("/").replace("/", "_") or "home"
    opened.page.screenshot(path=tmp_path / f"phone-{name}.png", full_page=False)


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_dark_mode_follows_the_system(reading, chromium, tmp_path: Path, device):
    viewport = DESKTOP if device == "desktop" else PHONE
    light = open_page(chromium, reading + "/weekly/2026-W01", viewport, "zh").page
    dark = open_page(chromium, reading + "/weekly/2026-W01", viewport, "zh", scheme="dark").page
    assert background(light) == "rgb(255, 255, 255)"
    assert background(dark) != background(light)
    assert sum(map(int, background(dark)[4:-1].split(","))) < 100  # a dark background
    text = dark.eval_on_selector("body", "e => getComputedStyle(e).color")
    assert sum(map(int, text[4:-1].split(","))) > 600  # light text on it
    card = ".severity-major"
    assert background(dark, card) != background(light, card)
    dark.screenshot(path=tmp_path / f"weekly-dark-{device}.png", full_page=True)
    diff = open_page(chromium, reading + "/p/zeekr/privacy_policy/diff/1..2#c1", viewport, "en", "dark").page
    assert background(diff, "tr.modified ins") != background(light, "body")
    diff.screenshot(path=tmp_path / f"diff-dark-{device}.png", full_page=False)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_platform_and_weekly_pages_on_a_desktop(reading, chromium, tmp_path: Path, language):
    for path in ["/p/xhs", "/weekly/2026-W01", "/p/zeekr/privacy_policy/diff/1..2"]:
        opened = open_page(chromium, reading + path, DESKTOP, language)
        assert overflow(opened.page) <= 0 and opened.errors == [], path
        name = path.strip("/").replace("/", "_")
        opened.page.screenshot(path=tmp_path / f"desktop-{name}-{language}.png", full_page=False)


def test_the_filters_work_without_javascript(reading, chromium):
    context = chromium.new_context(viewport=DESKTOP, locale="en-US", java_script_enabled=False)
    page = context.new_page()
    page.goto(reading + "/")
    page.select_option("select[name=severity]", "major")
    page.click("form.filters button")
    page.wait_for_load_state()
    assert "severity=major" in page.url
    assert page.locator("ol.changes li.change .headline a").all_inner_texts() == [NEWEST["en"]]
    page.fill("input[name=q]", "jike")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    assert page.url.endswith("#all-platforms") and "q=jike" in page.url
    assert page.locator("#all-platforms ~ div tbody tr").count() == 1
    context.close()
