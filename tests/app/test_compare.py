"""``policywatch compare``: versions by date or by latest/previous, as text or as the HTML page."""

from datetime import UTC, datetime

import pytest

from tests.pages import NEW_COMPANY, NEW_PAGE, OLD_COMPANY
from tests.servers import Page


@pytest.fixture
def two_versions(cli, tracked):
    cli("check")
    tracked.pages["/zeekr"] = Page(NEW_PAGE)
    cli("check")
    return cli


def test_compare_previous_with_latest_prints_stats_and_the_changed_line(two_versions):
    result = two_versions("compare", "极氪", "previous")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "极氪 / ZEEKR (zeekr) privacy_policy"
    assert "0 paragraphs added, 0 deleted, 1 modified; 12 characters inserted, 12 deleted" in lines
    assert f"- 极物商城由关联方[-{OLD_COMPANY}-]负责运营" in result.out
    assert f"+ 极物商城由关联方{{+{NEW_COMPANY}+}}负责运营" in result.out
    assert "@@ line 146 → 146 @@" in result.out


def test_today_in_every_date_format_means_the_latest_version(two_versions):
    today = datetime.now(UTC).date()
    for typed in [
        f"{today:%Y-%m-%d}",
        f"{today:%Y/%m/%d}",
        f"{today:%Y.%m.%d}",
        f"{today:%Y%m%d}",
        f"{today.year}年{today.month}月{today.day}日",
    ]:
        result = two_versions("compare", "zeekr", "previous", typed)
        assert result.code == 0 and "1 modified" in result.out, typed


def test_html_writes_the_diff_page(two_versions, tmp_path):
    target = tmp_path / "diff.html"
    result = two_versions("compare", "zeekr", "previous", "latest", "--html", str(target))
    assert result.code == 0 and result.out.startswith(f"wrote {target}")
    page = target.read_text(encoding="utf-8")
    assert f"<del>{OLD_COMPANY}</del>" in page and f"<ins>{NEW_COMPANY}</ins>" in page


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("zeekr", "2025-02-30"), "not a real date"),
        (("zeekr", "soon"), "not a date"),
        (("zeekr", "2000-01-01"), "before the first recorded version"),
        (("zeekr", "2999-01-01"), "in the future"),
        (("zeekr", "latest", "latest"), "same version"),
        (("nosuchplatform", "latest"), "no platform matches"),
        (("zeekr", "previous", "--document", "terms"), "has no 'terms' document"),
        (("zeekr", "9" * 10_000), "not a date"),
    ],
)
def test_bad_input_gets_a_clear_message(two_versions, arguments, message):
    result = two_versions("compare", *arguments)
    assert result.code == 2 and message in result.err and len(result.err) < 400
