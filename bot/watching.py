"""Keyword watch: /watch KEYWORD [PLATFORM], /watch alone (suggestions), /watches, /unwatch, buttons."""

from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from alerts.buttons import UNWATCH, WATCH, button, field_id, keyboard
from alerts.telegram_html import plain_name, platform_name
from analysis.keywords import MAX_KEYWORD_CHARS, MAX_WATCHES, SUGGESTED, KeywordError, normalize_keyword
from bot.conversation import argument_text, chat_of, enter, may_manage, pressed, replace, reply, services
from i18n import say
from storage.db import session_scope
from storage.models import Platform, Watch
from storage.search import platform_named
from storage.subscribers import ensure_subscriber
from storage.watches import add_watch, remove_watch, watches_of

MAX_TYPED_CHARS = 200  # a keyword and a platform name; anything longer is refused before reading it


def _suggestions(language: str) -> InlineKeyboardMarkup | None:
    """The suggested keywords as buttons, in the chat's language (both forms watch the same)."""
    forms = [zh if language == "zh" else en for zh, en in SUGGESTED]
    labels = [form.upper() if form == "sdk" else form for form in forms]
    buttons = [button(label, WATCH, form) for label, form in zip(labels, forms, strict=True)]
    return keyboard([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _bad_keyword(language: str, error: KeywordError) -> str:
    return say(language, f"bot.watch_bad_{error.problem.value}", limit=MAX_KEYWORD_CHARS)


async def watch_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/watch 人脸``, ``/watch 人脸 极氪`` (the last word, when it names a platform exactly, limits it)."""
    language = enter(update, context)
    typed = argument_text(context)
    if not typed:
        await reply(update, say(language, "bot.watch_suggest", limit=MAX_WATCHES), _suggestions(language))
        return
    if len(typed) > MAX_TYPED_CHARS:
        await reply(update, say(language, "bot.watch_bad_too_long", limit=MAX_KEYWORD_CHARS))
        return
    platform = None
    words = typed.split()
    if len(words) > 1:
        with session_scope(services(context).engine) as session:
            platform = platform_named(session, words[-1])
        if platform is not None:
            typed = " ".join(words[:-1])
    try:
        keyword = normalize_keyword(typed)
    except KeywordError as error:
        await reply(update, _bad_keyword(language, error))
        return
    if not await may_manage(update, context):
        await reply(update, say(language, "bot.group_admins_watch"))
        return
    await reply(update, _watch(update, context, language, keyword, platform))


def _watch(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, keyword: str, platform: Platform | None
) -> str:
    chat = chat_of(update)
    with session_scope(services(context).engine) as session:
        subscriber = ensure_subscriber(session, chat.id, chat.type, language)
        outcome = add_watch(session, subscriber, keyword, platform, MAX_WATCHES)
    scope = (
        say(language, "bot.watch_scope_platform", name=platform_name(platform, language))
        if platform is not None
        else say(language, "bot.watch_scope_all")
    )
    return say(
        language, f"bot.watch_{outcome.value}", keyword=escape(keyword), scope=scope, limit=MAX_WATCHES
    )


async def unwatch_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    typed = argument_text(context)
    if not typed:
        await reply(update, *_watch_list(update, context, language))
        return
    try:
        keyword = normalize_keyword(typed[:MAX_TYPED_CHARS])
    except KeywordError as error:
        await reply(update, _bad_keyword(language, error))
        return
    if not await may_manage(update, context):
        await reply(update, say(language, "bot.group_admins_watch"))
        return
    chat = chat_of(update)
    with session_scope(services(context).engine) as session:
        removed = remove_watch(session, ensure_subscriber(session, chat.id, chat.type, language), keyword)
    await reply(
        update, say(language, "bot.unwatched" if removed else "bot.not_watching", keyword=escape(keyword))
    )


def _watch_list(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    chat = chat_of(update)
    with session_scope(services(context).engine) as session:
        watches = watches_of(session, ensure_subscriber(session, chat.id, chat.type, language))
    if not watches:
        return say(language, "bot.watches_empty"), None
    lines = [say(language, "bot.watches_title", number=len(watches), limit=MAX_WATCHES)]
    lines += [f"• <b>{escape(w.keyword)}</b> — {_scope(p, language)}" for w, p in watches]
    buttons = [
        [button(say(language, "button.unwatch", keyword=w.keyword), UNWATCH, w.id)] for w, _ in watches
    ]
    return "\n".join(lines), keyboard(buttons)


def _scope(platform: Platform | None, language: str) -> str:
    if platform is None:
        return say(language, "bot.watch_scope_all")
    return say(language, "bot.watch_scope_platform", name=escape(plain_name(platform, language)))


async def watches_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    await reply(update, *_watch_list(update, context, language))


async def watch_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, fields: list[str]
) -> None:
    """A suggested keyword pressed under /watch."""
    query = pressed(update)
    try:
        keyword = normalize_keyword(fields[0] if fields else "")
    except KeywordError:
        await query.answer(say(language, "bot.gone"))
        return
    if not await may_manage(update, context):
        await query.answer(say(language, "bot.group_admins_watch"), show_alert=True)
        return
    await reply(update, _watch(update, context, language, keyword, None))
    await query.answer()


async def unwatch_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, fields: list[str]
) -> None:
    """A Remove button of /watches: the watch goes and the list is refreshed."""
    query = pressed(update)
    if not await may_manage(update, context):
        await query.answer(say(language, "bot.group_admins_watch"), show_alert=True)
        return
    chat = chat_of(update)
    with session_scope(services(context).engine) as session:
        subscriber = ensure_subscriber(session, chat.id, chat.type, language)
        watch_id = field_id(fields)
        watch = session.get(Watch, watch_id) if watch_id is not None else None
        keyword = watch.keyword if watch is not None and watch.subscriber_id == subscriber.id else None
        if keyword is not None:
            remove_watch(session, subscriber, keyword)
    if keyword is None:
        await query.answer(say(language, "bot.gone"))
        return
    await replace(update, *_watch_list(update, context, language))
    await query.answer(say(language, "bot.unwatched_short", keyword=keyword))
