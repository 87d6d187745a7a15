"""/ask PLATFORM QUESTION: an answer from the current version of the platform's privacy policy.

The short answer (the model's, or "search results" without one) and the quoted paragraphs, each with its
line number linked to that line of the version page. Questions are at most 300 characters and 10 an
hour per person; everything the question or the model says is escaped.
"""

import math
from collections.abc import Callable
from functools import partial
from html import escape

from sqlalchemy import Engine
from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from alerts.telegram_html import link, platform_name
from analysis.ask import MAX_QUESTION_CHARS, Answer
from bot.conversation import enter, lookup, reply, services
from i18n import kind_namer, say
from storage.db import row_id, session_scope
from storage.models import Document, Platform, Version
from storage.search import PlatformLookupError
from storage.timeline import timeline
from storage.versions import documents_of

_DAY = "%Y-%m-%d"


def _question_of(update: Update) -> tuple[str, str]:
    """The platform and the question as typed (spaces kept), from the message's text."""
    message = update.effective_message
    parts = ((message.text if message else None) or "").split(maxsplit=2)
    return (parts[1] if len(parts) > 1 else ""), (parts[2].strip() if len(parts) > 2 else "")


def _current(engine: Engine, platform: Platform) -> tuple[Document, Version] | None:
    """The platform's privacy policy (its first document) and the version in force, if any."""
    with session_scope(engine) as session:
        documents = documents_of(session, row_id(platform), include_retired=False)
        if not documents:
            return None
        changes = timeline(session, row_id(documents[0]))
        return (documents[0], changes[-1].version) if changes else None


LineUrl = Callable[[int | None], str]


def answer_text(answer: Answer, language: str, title: str, line_url: LineUrl, question: str) -> str:
    """The message: title, question, the short answer or its label, and the quotes with linked lines."""
    blocks = [title, "❓ " + escape(question)]
    if answer.kind == "not_addressed":
        blocks.append(say(language, "ask.not_addressed"))
        blocks.append(link(line_url(None), say(language, "ask.full_text")))
        return "\n\n".join(blocks)
    if answer.kind == "model":
        blocks.append(say(language, "ask.model_label") + "\n" + escape(answer.text))
    else:
        blocks.append(say(language, "ask.search_label"))
    for quote in answer.quotes:
        line = link(line_url(quote.line), say(language, "ask.line", line=quote.line))
        blocks.append(f"{line}: «{escape(quote.text)}»")
    blocks.append(say(language, "ask.footer"))
    return "\n\n".join(blocks)


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    bot_services = services(context)
    query, question = _question_of(update)
    if not query or not question:
        await reply(update, say(language, "ask.usage"))
        return
    if len(question) > MAX_QUESTION_CHARS or len(query) > MAX_QUESTION_CHARS:
        await reply(update, say(language, "ask.too_long", limit=MAX_QUESTION_CHARS))
        return
    try:
        platform = lookup(bot_services.engine, query)
    except PlatformLookupError as error:
        suggestions = ", ".join(escape(p.slug) for p in error.candidates)
        text = say(language, "bot.unknown_platform", query=escape(query))
        await reply(update, f"{text}\n{suggestions}" if suggestions else text)
        return
    current = _current(bot_services.engine, platform)
    if current is None:
        await reply(update, say(language, "ask.no_version", name=platform_name(platform, language)))
        return
    user, chat = update.effective_user, update.effective_chat
    asker = user.id if user else chat.id if chat else 0
    wait = bot_services.ask.limit.take(f"telegram:{asker}")
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        limit = bot_services.ask.limit.limit
        await reply(update, say(language, "ask.rate_limited", limit=limit, minutes=minutes))
        return
    document, version = current
    if bot_services.reports.client is not None and chat is not None:  # the model may take seconds
        await chat.send_action(ChatAction.TYPING)
    answer = await bot_services.ask.answer(version, question)
    title = say(
        language,
        "ask.title",
        name=platform_name(platform, language),
        kind=escape(kind_namer(language)(document.kind)),
        id=row_id(version),
        seen=f"{version.first_seen_at:{_DAY}}",
    )
    line_url = partial(bot_services.links.version, platform.slug, document.kind, row_id(version))
    await reply(update, answer_text(answer, language, title, line_url, question))
