"""The messages of alerts, weekly digests and admin notices, as Telegram HTML within its limits."""

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from alerts.buttons import REPORT, UNFOLLOW, button
from alerts.links import Links
from alerts.telegram_html import (
    fit_blocks,
    link,
    plain_name,
    platform_name,
    report_blocks,
    report_ending,
    severity_word,
)
from analysis.keywords import Hit, Side, quote
from analysis.report import ChangeReport
from i18n import kind_namer, say
from storage.db import row_id
from storage.models import Alert, Document, Platform, Version
from storage.stats import Failure


def in_language(texts: dict[str, str], language: str) -> str:
    """The text in ``language``, else in the language it was written in (a follower who came later)."""
    return texts.get(language) or next(iter(texts.values()))


def change_text(
    head: list[str],
    platform: Platform,
    document: Document,
    old_id: int,
    new_id: int,
    report: ChangeReport,
    language: str,
    links: Links,
) -> str:
    """``head`` lines, the diff link (when it cannot be a button), then the report trimmed to fit."""
    if not links.buttons_allowed:
        diff_url = links.diff(platform.slug, document.kind, old_id, new_id)
        head = [*head, say(language, "alert.diff_link", url=escape(diff_url))]
    ending = report_ending(links.report(platform.slug, document.kind, old_id, new_id), language)
    return fit_blocks(["\n".join(head), *report_blocks(report, language)], ending)


def alert_message(
    platform: Platform,
    document: Document,
    old: Version,
    new: Version,
    report: ChangeReport,
    language: str,
    links: Links,
    keywords: tuple[str, ...] = (),
) -> str:
    """Platform and document, severity and headline, stated dates, assessment and main changes, the link.

    ``keywords``: the follower's watched keywords the change mentions, named under the title.
    """
    kind = escape(kind_namer(language)(document.kind))
    head = [say(language, "alert.title", name=platform_name(platform, language), kind=kind)]
    if keywords:
        head.append(say(language, "alert.keyword_mention", keywords=_keyword_list(keywords)))
    head += _dates(new, language)
    return change_text(head, platform, document, row_id(old), row_id(new), report, language, links)


def _dates(new: Version, language: str) -> list[str]:
    if not (new.stated_update_date or new.stated_effective_date):
        return []
    updated, effective = new.stated_update_date or "-", new.stated_effective_date or "-"
    return [say(language, "alert.dates", updated=updated, effective=effective)]


def _keyword_list(keywords: tuple[str, ...]) -> str:
    return "、".join(f"<b>{escape(keyword)}</b>" for keyword in keywords)


MAX_QUOTES = 5  # quoted sentences in a keyword alert; the diff has the rest


def keyword_message(
    platform: Platform,
    document: Document,
    old: Version,
    new: Version,
    report: ChangeReport,
    hits: list[Hit],
    language: str,
    links: Links,
) -> str:
    """A watched keyword in a change: platform and document, severity and headline, dates, the sentences
    added or removed with the keyword in bold, and the diff link (when it cannot be a button)."""
    kind = escape(kind_namer(language)(document.kind))
    keywords = tuple(dict.fromkeys(hit.keyword for hit in hits))
    head = [
        say(
            language,
            "alert.keyword_title",
            name=platform_name(platform, language),
            kind=kind,
            keywords=_keyword_list(keywords),
        ),
        f"[{severity_word(language, report.severity)}] {escape(report.headline)}",
        *_dates(new, language),
    ]
    if not links.buttons_allowed:
        diff_url = links.diff(platform.slug, document.kind, row_id(old), row_id(new))
        head.append(say(language, "alert.diff_link", url=escape(diff_url)))
    quotes = [
        say(language, "alert.sentence_added" if hit.side is Side.ADDED else "alert.sentence_removed")
        + "\n"
        + quote(hit)
        for hit in list(dict.fromkeys(hits))[:MAX_QUOTES]
    ]
    return fit_blocks(["\n".join(head), *quotes], "\n\n…")


def alert_buttons(
    platform: Platform,
    document: Document,
    old_id: int,
    new_id: int,
    language: str,
    links: Links,
    following: bool = True,
) -> InlineKeyboardMarkup:
    """View diff (when PUBLIC_URL is public), Full report, Unfollow (for followers)."""
    row = []
    if links.buttons_allowed:
        url = links.diff(platform.slug, document.kind, old_id, new_id)
        row.append(InlineKeyboardButton(say(language, "button.diff"), url=url))
    row.append(button(say(language, "button.report"), REPORT, old_id, new_id))
    if following:
        row.append(button(say(language, "button.unfollow_short"), UNFOLLOW, platform.id))
    return InlineKeyboardMarkup([row])


def digest_message(entries: list[tuple[Alert, Platform, Document]], language: str, links: Links) -> str:
    """One line per change of the week: platform, document, severity, headline and its diff link."""
    kind_name = kind_namer(language)
    lines = []
    for alert, platform, document in entries:
        url = links.diff(platform.slug, document.kind, alert.from_version_id, alert.to_version_id)
        label = link(url, f"{plain_name(platform, language)} · {kind_name(document.kind)}")
        headline = escape(in_language(alert.headlines, language))
        lines.append(f"• {label} [{severity_word(language, alert.severity)}] {headline}")
    return fit_blocks(
        [say(language, "alert.digest_title", count=len(entries)), *lines], "\n…", separator="\n"
    )


def failure_text(failure: Failure, language: str, limit: int | None = 300) -> str:
    """A failure's reason (escaped, cut at ``limit``) after its kind: ``[transient] HTTP 503 from …``."""
    reason = escape((failure.reason or "?")[:limit])
    if failure.kind is None:  # recorded before kinds were stored
        return reason
    kind = say(language, f"admin.failure_{failure.kind.value}")
    return say(language, "admin.failure", kind=kind, reason=reason)


def admin_failing_message(slug: str, kind: str, count: int, failures: list[Failure], language: str) -> str:
    listed = "\n".join(f"• {failure_text(failure, language)}" for failure in failures)
    return say(language, "admin.failing", slug=escape(slug), kind=escape(kind), count=count, reasons=listed)


def admin_recovered_message(slug: str, kind: str, language: str) -> str:
    return say(language, "admin.recovered", slug=escape(slug), kind=escape(kind))


def admin_llm_cap_message(cap: int, language: str) -> str:
    return say(language, "admin.llm_cap", cap=cap)


def admin_channel_message(channel: str, reason: str, language: str) -> str:
    return say(language, "admin.channel_refused", channel=channel, reason=reason)
