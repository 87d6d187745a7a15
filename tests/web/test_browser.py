"""The seed pair's diff page in real headless Chromium: side by side on a desktop, unified on a phone."""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.pages import NEW_COMPANY, OLD_COMPANY

CHROMIUM = "/usr/bin/chromium"  # Debian's chromium, installed by the test command
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DIFF = "/p/zeekr/privacy_policy/diff/1..2"


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


def _open(browser, url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.goto(url)
    return page


def _is_highlighted(element) -> bool:
    return element.evaluate("e => getComputedStyle(e).backgroundColor") not in (
        "rgba(0, 0, 0, 0)",
        "transparent",
    )


def test_side_by_side_on_a_desktop(site, browser, tmp_path: Path):
    page = _open(browser, site + DIFF + "#c1", 1280, 900)
    deleted, inserted = page.locator("tr.modified del"), page.locator("tr.modified ins")
    assert deleted.inner_text() == OLD_COMPANY and inserted.inner_text() == NEW_COMPANY
    assert _is_highlighted(deleted.element_handle()) and _is_highlighted(inserted.element_handle())
    numbers = page.locator("tr.modified td.no")
    assert [numbers.nth(i).inner_text() for i in range(2)] == ["147", "147"]
    assert all(numbers.nth(i).is_visible() for i in range(2))
    old_box, new_box = deleted.bounding_box(), inserted.bounding_box()
    assert new_box["x"] > old_box["x"] + 300 and abs(new_box["y"] - old_box["y"]) < 5  # side by side
    page.screenshot(path=tmp_path / "diff-desktop.png", full_page=False)
    assert (tmp_path / "diff-desktop.png").stat().st_size > 10_000


def test_unified_on_a_phone(site, browser, tmp_path: Path):
    page = _open(browser, site + DIFF + "#c1", 390, 844)
    deleted, inserted = page.locator("tr.modified del"), page.locator("tr.modified ins")
    old_box, new_box = deleted.bounding_box(), inserted.bounding_box()
    assert new_box["y"] > old_box["y"] + 20 and abs(new_box["x"] - old_box["x"]) < 60  # stacked
    equal_old_number = page.locator("tbody:not(.collapsed) tr.equal td.old-no").first
    assert not equal_old_number.is_visible()  # unchanged lines show once
    assert (
        page.locator("tr.modified td.old-no").is_visible()
        and page.locator("tr.modified td.new-no").is_visible()
    )
    page.screenshot(path=tmp_path / "diff-phone.png", full_page=False)
    assert (tmp_path / "diff-phone.png").stat().st_size > 10_000


def test_collapsed_lines_open_without_javascript(site, browser):
    page = browser.new_page(java_script_enabled=False)
    page.goto(site + DIFF)
    summary = page.locator("tbody.collapsed summary").first
    hidden_row = page.locator("tbody.collapsed tr.equal").first
    assert not hidden_row.is_visible()
    summary.click()
    assert hidden_row.is_visible()
