"""Telegram HTML for a change report: escaped, within Telegram's 4,096 UTF-16 code units per message."""

from html import escape

from analysis.report import ChangeReport

TELEGRAM_LIMIT = 4096  # UTF-16 code units of a message's text, entities included as rendered text
_SEVERITY = {
    "zh": {"none": "无实质变化", "minor": "轻微", "moderate": "中等", "major": "重大"},
    "en": {"none": "none", "minor": "minor", "moderate": "moderate", "major": "major"},
}
_WORDS = {
    "zh": {
        "automatic": "自动分析(未使用 AI)",
        "changes": "详细变更",
        "conclusion": "结论",
        "more": "完整报告",
    },
    "en": {
        "automatic": "Automatic analysis (no AI)",
        "changes": "Changes",
        "conclusion": "Conclusion",
        "more": "Full report",
    },
}


def utf16_length(text: str) -> int:
    """Telegram counts UTF-16 code units: characters outside the BMP (emoji) count twice."""
    return len(text.encode("utf-16-le")) // 2


def _blocks(report: ChangeReport, language: str) -> list[str]:
    """The message in pieces that may be dropped from the end, each one whole HTML."""
    words = _WORDS[language]
    head = f"<b>[{_SEVERITY[language][report.severity.value]}] {escape(report.headline)}</b>"
    if report.is_automatic:
        head += f"\n<i>{words['automatic']}</i>"
    blocks = [head, escape(report.assessment)]
    if report.changes:
        blocks.append(f"<b>{words['changes']}</b>")
    for number, change in enumerate(report.changes, 1):
        section = f"<i>{escape(change.section)}</i>: " if change.section else ""
        impact = f"\n→ {escape(change.impact)}" if change.impact else ""
        blocks.append(f"{number}. {section}{escape(change.what)}{impact}")
    if report.conclusion:
        blocks.append(f"<b>{words['conclusion']}</b>\n{escape(report.conclusion)}")
    return blocks


def report_message(
    report: ChangeReport, language: str, full_report_url: str, limit: int = TELEGRAM_LIMIT
) -> str:
    """The report as Telegram HTML; when too long, whole items are dropped and a link leads to the rest."""
    link = f'<a href="{escape(full_report_url, quote=True)}">{_WORDS[language]["more"]}</a>'
    blocks = _blocks(report, language)
    whole = "\n\n".join(blocks)
    if utf16_length(whole) <= limit:
        return whole
    ending = f"\n\n… {link}"
    kept: list[str] = []  # the headline always fits: the report's schema caps it at 300 characters
    for block in blocks:
        candidate = "\n\n".join([*kept, block])
        if utf16_length(candidate + ending) > limit:
            break
        kept.append(block)
    return "\n\n".join(kept) + ending
