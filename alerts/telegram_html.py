"""Telegram HTML for a change report: escaped, within Telegram's 4,096 UTF-16 code units per message."""

from html import escape

from telegram import LinkPreviewOptions

from analysis.report import ChangeReport
from i18n import say
from storage.models import Platform

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
TELEGRAM_LIMIT = 4096  # UTF-16 code units of a message's text, entities included as rendered text


def severity_word(language: str, severity: str) -> str:
    """A severity in words, as the web pages' report block shows it (轻微, minor)."""
    return say(language, f"severity.{severity}")


def utf16_length(text: str) -> int:
    """Telegram counts UTF-16 code units: characters outside the BMP (emoji) count twice."""
    return len(text.encode("utf-16-le")) // 2


def report_blocks(report: ChangeReport, language: str) -> list[str]:
    """The report in pieces that may be dropped from the end, each one whole HTML, headline first."""
    head = f"<b>[{severity_word(language, report.severity)}] {escape(report.headline)}</b>"
    if report.is_automatic:
        head += f"\n<i>{say(language, 'report.heading_automatic')}</i>"
    blocks = [head, escape(report.assessment)]
    if report.changes:
        blocks.append(f"<b>{say(language, 'report.heading_changes')}</b>")
    for number, change in enumerate(report.changes, 1):
        section = f"<i>{escape(change.section)}</i>: " if change.section else ""
        impact = f"\n→ {escape(change.impact)}" if change.impact else ""
        blocks.append(f"{number}. {section}{escape(change.what)}{impact}")
    if report.conclusion:
        blocks.append(f"<b>{say(language, 'report.heading_conclusion')}</b>\n{escape(report.conclusion)}")
    return blocks


def fit_blocks(blocks: list[str], ending: str, limit: int = TELEGRAM_LIMIT, separator: str = "\n\n") -> str:
    """The blocks joined; when too long, whole blocks are dropped from the end for ``ending``.

    The first block is always kept: callers make it short (a headline).
    """
    whole = separator.join(blocks)
    if utf16_length(whole) <= limit:
        return whole
    kept = blocks[:1]
    for block in blocks[1:]:
        if utf16_length(separator.join([*kept, block]) + ending) > limit:
            break
        kept.append(block)
    return separator.join(kept) + ending


def link(url: str, label: str) -> str:
    """An escaped HTML link."""
    return f'<a href="{escape(url, quote=True)}">{escape(label)}</a>'


def report_ending(full_report_url: str, language: str) -> str:
    """What ends a trimmed report: a link to the whole of it."""
    return f"\n\n… {link(full_report_url, say(language, 'button.report'))}"


def report_message(
    report: ChangeReport, language: str, full_report_url: str, limit: int = TELEGRAM_LIMIT
) -> str:
    """The report as Telegram HTML; when too long, whole items are dropped and a link leads to the rest."""
    return fit_blocks(report_blocks(report, language), report_ending(full_report_url, language), limit)


def plain_name(platform: Platform, language: str) -> str:
    """The platform's name in the chat's language, as plain text (button labels)."""
    return platform.name_zh if language == "zh" else platform.name_en


def platform_name(platform: Platform, language: str) -> str:
    """The platform's name in the chat's language, escaped for HTML."""
    return escape(plain_name(platform, language))
