"""Inline mode: ``@bot 极氪`` in any chat offers the platform's latest changes; the chosen one is sent as a
message with its diff link. An empty query offers the most recent changes across platforms.

Telegram waits about 10 s for an answer and refuses a second one, so each query is answered once, with
what storage has: stored reports' headlines, else the automatic ones (never a model call).
"""

import asyncio
from html import escape

from sqlalchemy import Engine
from telegram import InlineQuery, InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.ext import ContextTypes

from alerts.links import Links
from alerts.telegram_html import NO_PREVIEW, plain_name, platform_name, severity_word
from bot.conversation import services
from i18n import kind_namer, language_of, say
from storage.db import session_scope
from storage.search import MAX_QUERY_CHARS, platforms_matching
from storage.subscribers import get_subscriber
from web.queries import ChangeEntry, catalog_histories, change_entries, every_history, histories
from web.summaries import Summaries, Summary

CACHE_SECONDS = 60  # Telegram keeps an answer this long (per person: results follow their language)
MAX_RESULTS = 10
MAX_PLATFORMS = 3  # the best matches of a name whose changes are offered
TITLE_CHARS = 120

_summaries = Summaries()  # automatic headlines made once per pair and language


def asker_language(engine: Engine, query: InlineQuery) -> str:
    """The language the person picked with /lang in a private chat with the bot, else their Telegram one."""
    with session_scope(engine) as session:
        subscriber = get_subscriber(session, query.from_user.id)
        if subscriber is not None and subscriber.language_chosen:
            return subscriber.language
    return language_of(query.from_user.language_code)


def latest_changes(engine: Engine, text: str, language: str) -> list[tuple[ChangeEntry, Summary | None]]:
    """The latest changes of the platforms ``text`` names (pinyin, aliases, typos), or of all when empty."""
    with session_scope(engine) as session:
        if text:
            found = platforms_matching(session, text[:MAX_QUERY_CHARS])[:MAX_PLATFORMS]
            entries = change_entries([(platform, histories(session, platform)) for platform in found])
        else:
            entries = change_entries(catalog_histories(every_history(session)))
        entries = entries[:MAX_RESULTS]
        summaries = _summaries.of(session, [entry.pair for entry in entries], language)
    return [(entry, summaries.get(entry.pair)) for entry in entries]


def _result(
    entry: ChangeEntry, summary: Summary | None, language: str, links: Links
) -> InlineQueryResultArticle:
    kind = kind_namer(language)(entry.document.kind)
    old_id, new_id = entry.pair
    url = links.diff(entry.platform.slug, entry.document.kind, old_id, new_id)
    version = entry.change.version
    updated, effective = version.stated_update_date or "-", version.stated_effective_date or "-"
    severity = severity_word(language, summary.severity) if summary else "?"
    headline = summary.headline if summary else ""
    title = f"{plain_name(entry.platform, language)} · {kind}: {headline}".rstrip(": ")
    lines = [
        f"<b>{platform_name(entry.platform, language)} · {escape(kind)}</b>",
        f"[{escape(severity)}] {escape(headline)}",
    ]
    if version.stated_update_date or version.stated_effective_date:
        lines.append(say(language, "alert.dates", updated=updated, effective=effective))
    lines.append(say(language, "alert.diff_link", url=escape(url)))
    description = say(
        language,
        "bot.inline_description",
        severity=severity,
        updated=updated,
        effective=effective,
        seen=entry.change.at.date().isoformat(),
    )
    return InlineQueryResultArticle(
        id=f"{old_id}-{new_id}",
        title=title[:TITLE_CHARS],
        description=description,
        input_message_content=InputTextMessageContent(
            "\n".join(lines), parse_mode="HTML", link_preview_options=NO_PREVIEW
        ),
    )


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer once, in the asker's language, cached 60 s for that person."""
    query = update.inline_query
    if query is None:
        return
    bot_services = services(context)
    language = await asyncio.to_thread(asker_language, bot_services.engine, query)
    found = await asyncio.to_thread(latest_changes, bot_services.engine, query.query.strip(), language)
    results = [_result(entry, summary, language, bot_services.links) for entry, summary in found]
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True)
