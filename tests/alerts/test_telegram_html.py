"""Report messages fit Telegram: escaped HTML, at most 4,096 UTF-16 code units, trimmed at item boundaries."""

import re
from html.parser import HTMLParser

from alerts.telegram_html import report_message, utf16_length
from analysis.report import ChangeReport, ReportChange
from kinds import Severity

LINK = "https://policywatch.example/p/zeekr/privacy_policy/diff/1..2"


class TagChecker(HTMLParser):
    """Fails on unbalanced tags, as Telegram's HTML parser would."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        assert tag in {"b", "i", "a"}, tag
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, tag


def assert_telegram_html(text: str) -> None:
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.open == []
    assert utf16_length(text) <= 4096


def report(changes: int, what: str = "收集范围扩大到人脸信息😀", **fields) -> ChangeReport:
    return ChangeReport(
        severity=Severity.MAJOR,
        headline=fields.get("headline", "新增人脸信息收集 <script>"),
        assessment="总体评估 & <b>不是标签</b>",
        changes=[
            ReportChange(kind="added", section="一、收集", what=f"{n}:{what}", impact="影响")
            for n in range(changes)
        ],
        conclusion="结论",
    )


def test_a_short_report_is_whole_and_escaped():
    text = report_message(report(2), "zh", LINK)
    assert_telegram_html(text)
    assert "&lt;script&gt;" in text and "&amp; &lt;b&gt;不是标签&lt;/b&gt;" in text
    assert "[重大]" in text and "结论" in text and LINK not in text


def test_a_long_report_is_trimmed_at_item_boundaries_with_a_link():
    long = report(50, what="这是一段很长的变更说明" * 8 + "😀" * 20)
    text = report_message(long, "zh", LINK)
    assert_telegram_html(text)
    assert text.endswith(f'… <a href="{LINK}">完整报告</a>')
    numbers = [int(n) for n in re.findall(r"^(\d+)\.", text, re.M)]
    assert numbers == list(range(1, len(numbers) + 1)) and 0 < len(numbers) < 50
    assert utf16_length(text) > 3000  # it uses the room it has


def test_emoji_count_twice_as_telegram_does():
    assert utf16_length("😀") == 2 and utf16_length("极氪") == 2
    text = report_message(report(1, what="😀" * 1990), "en", LINK)  # 1,990 characters, 3,980 code units
    assert_telegram_html(text)
    assert "😀" not in text and text.endswith("Full report</a>")


def test_an_assessment_that_escapes_past_the_limit_is_dropped_whole():
    huge = report(0, headline="<b>" * 100).model_copy(update={"assessment": "&<>" * 1300})
    text = report_message(huge, "en", LINK)
    assert_telegram_html(text)
    assert text.startswith("<b>[major] &lt;b&gt;") and "&amp;&lt;&gt;" not in text
