"""Finding platforms and following them: /start, /platforms, /follow, /unfollow, /list and their buttons."""

import math
from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from alerts.buttons import FOLLOW, PAGE, UNFOLLOW, button, field_id, keyboard
from alerts.telegram_html import plain_name, platform_name
from bot.conversation import (
    argument_text,
    chat_of,
    enter,
    lookup,
    may_manage,
    pressed,
    refuse_long,
    replace,
    reply,
    services,
)
from bot.tracking import tracked_lines
from i18n import say
from storage.db import session_scope
from storage.models import Platform, utcnow
from storage.search import PlatformLookupError, platforms_matching
from storage.subscribers import ensure_subscriber, follow, followed_platforms, unfollow
from storage.tracking import untrack_platform

PAGE_SIZE = 8
DEEP_LINK_FOLLOW = "follow-"
FROM_LIST = "l"  # an Unfollow button of the /list message, which is refreshed when pressed


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome; ``/start follow-<slug>`` (a t.me deep link) follows that platform directly."""
    language = enter(update, context)
    payload = context.args[0] if context.args else ""
    if payload.startswith(DEEP_LINK_FOLLOW) and not await refuse_long(update, language, payload):
        await follow_by_name(update, context, language, payload.removeprefix(DEEP_LINK_FOLLOW))
        return
    await reply(update, say(language, "bot.welcome"))


async def follow_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    query = argument_text(context)
    if not query:
        await reply(update, say(language, "bot.usage_follow"))
    elif not await refuse_long(update, language, query):
        await follow_by_name(update, context, language, query)


async def unfollow_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    query = argument_text(context)
    if not query:
        await reply(update, say(language, "bot.usage_unfollow"))
        return
    if await refuse_long(update, language, query):
        return
    try:
        found = lookup(services(context).engine, query)
    except PlatformLookupError:
        await reply(update, say(language, "bot.unknown_platform", query=escape(query)))
        return
    if await may_manage(update, context):
        await reply(update, _set_following(update, context, found, language, wanted=False))
    else:
        await reply(update, say(language, "bot.group_admins_only"))


async def follow_by_name(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, query: str
) -> None:
    """Follow the named platform, or offer the candidates as buttons."""
    try:
        found = lookup(services(context).engine, query)
    except PlatformLookupError as error:
        await _offer_candidates(update, language, query, error)
        return
    if await may_manage(update, context):
        await reply(update, _set_following(update, context, found, language, wanted=True))
    else:
        await reply(update, say(language, "bot.group_admins_only"))


async def _offer_candidates(update: Update, language: str, query: str, error: PlatformLookupError) -> None:
    """Follow buttons for the platforms the name may have meant, or a plain 'unknown' without any."""
    if not error.candidates:
        await reply(update, say(language, "bot.unknown_platform", query=escape(query)))
        return
    intro = "bot.several_match" if error.ambiguous else "bot.did_you_mean"
    buttons = [
        [button(say(language, "button.follow", name=plain_name(p, language)), FOLLOW, p.id)]
        for p in error.candidates
    ]
    await reply(update, say(language, intro, query=escape(query)), keyboard(buttons))


def _set_following(
    update: Update, context: ContextTypes.DEFAULT_TYPE, platform: Platform, language: str, wanted: bool
) -> str:
    """Follow or unfollow for this chat; the answer says what happened."""
    chat = chat_of(update)
    name = platform_name(platform, language)
    with session_scope(services(context).engine) as session:
        subscriber = ensure_subscriber(session, chat.id, chat.type, language)
        if wanted:
            return say(
                language,
                "bot.followed" if follow(session, subscriber, platform) else "bot.already_following",
                name=name,
            )
        unfollowed = unfollow(session, subscriber, platform)
        untracked = untrack_platform(session, subscriber, platform, utcnow())  # its pages tracked with /track
        return say(language, "bot.unfollowed" if unfollowed or untracked else "bot.not_following", name=name)


async def follow_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, fields: list[str], wanted: bool
) -> None:
    """A Follow or Unfollow button: the answer is a new message, the /list message is refreshed."""
    query = pressed(update)
    with session_scope(services(context).engine) as session:
        platform_id = field_id(fields)
        platform = session.get(Platform, platform_id) if platform_id is not None else None
    if platform is None or platform.retired_at is not None:
        await query.answer(say(language, "bot.gone"))
        return
    if not await may_manage(update, context):
        await query.answer(say(language, "bot.group_admins_only"), show_alert=True)
        return
    answer = _set_following(update, context, platform, language, wanted)
    if fields[1:] == [FROM_LIST]:
        await replace(update, *_subscriptions(update, context, language))
    await reply(update, answer)
    await query.answer()


def _subscriptions(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    chat = chat_of(update)
    with session_scope(services(context).engine) as session:
        subscriber = ensure_subscriber(session, chat.id, chat.type, language)
        platforms = followed_platforms(session, subscriber)
    tracked, untrack_buttons = tracked_lines(update, context, language)
    if not platforms and not tracked:
        return say(language, "bot.list_empty"), None
    lines = [say(language, "bot.list_title")] if platforms else []
    lines += [f"• {platform_name(p, language)} ({escape(p.slug)})" for p in platforms]
    if tracked:
        lines += [say(language, "track.list_title"), *tracked]
    buttons = [
        [button(say(language, "button.unfollow", name=plain_name(p, language)), UNFOLLOW, p.id, FROM_LIST)]
        for p in platforms
    ]
    return "\n".join(lines), keyboard(buttons + untrack_buttons)


async def refresh_list(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str) -> None:
    """Re-draw the /list message whose button was pressed."""
    await replace(update, *_subscriptions(update, context, language))


async def list_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    await reply(update, *_subscriptions(update, context, language))


def platforms_page(
    context: ContextTypes.DEFAULT_TYPE, language: str, query: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the catalog (or of the search results) with a Follow button per platform."""
    with session_scope(services(context).engine) as session:
        platforms = platforms_matching(session, query)
    if not platforms:
        return say(language, "bot.no_platform_found", query=escape(query)), None
    pages = math.ceil(len(platforms) / PAGE_SIZE)
    page = min(max(page, 1), pages)
    shown = platforms[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    title = "bot.platforms_found" if query else "bot.platforms_title"
    lines = [say(language, title, query=escape(query), page=page, pages=pages)]
    added = f" · {say(language, 'track.added_by_users')}"
    lines += [
        f"• {escape(p.name_zh)} / {escape(p.name_en)} ({escape(p.slug)}){added * p.added_by_users}"
        for p in shown
    ]
    follow_buttons = [
        button(say(language, "button.follow", name=plain_name(p, language)), FOLLOW, p.id) for p in shown
    ]
    rows = [follow_buttons[i : i + 2] for i in range(0, len(follow_buttons), 2)]
    navigation = []
    if page > 1:
        navigation.append(button(say(language, "button.prev"), PAGE, page - 1, query))
    if page < pages:
        navigation.append(button(say(language, "button.next"), PAGE, page + 1, query))
    return "\n".join(lines), keyboard([*rows, navigation])


async def platforms_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    query = argument_text(context)
    if not await refuse_long(update, language, query):
        await reply(update, *platforms_page(context, language, query, 1))


async def page_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, fields: list[str]
) -> None:
    page = field_id(fields) or 1
    await replace(update, *platforms_page(context, language, fields[1] if len(fields) > 1 else "", page))
    await pressed(update).answer()
