"""Tracking any page: /track URL (a preview first, links found on a homepage), /untrack, their buttons.

A preview is read with the same guarded fetcher as every check; nothing is stored until Track is pressed.
What a button refers to (a previewed page, the links found on one) waits here in memory under a short
random token, since callback data holds 64 bytes and a URL does not fit: an expired token is "gone".
"""

import asyncio
import secrets
import time
from collections import OrderedDict
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from telegram import InlineKeyboardButton, Update
from telegram.ext import ContextTypes

from alerts.ask import RateLimit
from alerts.buttons import TRACK, TRACK_CANCEL, TRACK_PICK, UNTRACK, button, field_id, keyboard
from alerts.telegram_html import platform_name
from bot.conversation import argument_text, chat_of, enter, is_admin, may_manage, pressed, reply, services
from i18n import say
from scraping.errors import FetchError
from scraping.extract import MAX_TITLE_CHARS
from scraping.preview import PolicyLink, Preview, failure_reason
from scraping.tracking import add_tracked, existing_document
from scraping.urls import MAX_URL_LENGTH, BadUrl, normalise_url
from storage.db import row_id, session_scope
from storage.models import Document, Platform, utcnow
from storage.subscribers import ensure_subscriber
from storage.tracking import (
    documents_added,
    documents_added_by_user,
    track,
    tracked_count,
    tracked_documents,
    untrack,
)

PENDING = "policywatch.pending_tracks"
PENDING_SECONDS = 3600
PENDING_LIMIT = 2000  # tokens kept at once, all chats together; the oldest go first
PENDING_PER_CHAT = 20  # tokens kept at once per chat, so one chat cannot push out the others' previews
PREVIEWS = "policywatch.preview_limit"
PREVIEWS_PER_MINUTE = 5  # per chat, in memory: each preview makes the bot fetch a page
PREVIEW_SECONDS = 15.0  # a preview gives up after this long (one attempt, no browser: see app.service)
CONFIRMED = "1"  # Track pressed again on a page that does not look like a policy
FROM_LIST = "l"
NEW_DOCUMENTS_DAYS = 30  # TRACK_QUOTA also bounds the new documents one chat, or one person, adds in these


@dataclass(frozen=True)
class _Previewed:
    chat_id: int
    url: str
    title: str | None
    kind: str
    looks_like_policy: bool


@dataclass(frozen=True)
class _Offered:
    chat_id: int
    links: tuple[PolicyLink, ...]


class PendingTracks:
    """Previews and offered links waiting for a button, per token, for an hour at most."""

    def __init__(
        self, limit: int = PENDING_LIMIT, seconds: float = PENDING_SECONDS, per_chat: int = PENDING_PER_CHAT
    ) -> None:
        self.limit, self.seconds, self.per_chat = limit, seconds, per_chat
        self.items: OrderedDict[str, tuple[float, _Previewed | _Offered]] = OrderedDict()
        self.by_chat: dict[int, OrderedDict[str, None]] = {}  # each chat's tokens, oldest first

    def put(self, item: _Previewed | _Offered) -> str:
        token = secrets.token_urlsafe(9)
        self.items[token] = (time.monotonic(), item)
        mine = self.by_chat.setdefault(item.chat_id, OrderedDict())
        mine[token] = None
        while len(mine) > self.per_chat:
            self.drop(next(iter(mine)))
        while len(self.items) > self.limit:
            self.drop(next(iter(self.items)))
        return token

    def get(self, token: str, chat_id: int) -> _Previewed | _Offered | None:
        found = self.items.get(token)
        if found is None or found[1].chat_id != chat_id:
            return None
        if time.monotonic() - found[0] > self.seconds:
            self.drop(token)
            return None
        return found[1]

    def drop(self, token: str) -> None:
        found = self.items.pop(token, None)
        if found is not None:
            mine = self.by_chat.get(found[1].chat_id)
            if mine is not None:
                mine.pop(token, None)
                if not mine:
                    del self.by_chat[found[1].chat_id]


def _pending(context: ContextTypes.DEFAULT_TYPE) -> PendingTracks:
    return context.application.bot_data.setdefault(PENDING, PendingTracks())


def _person_id(update: Update) -> int | None:
    """The Telegram user who typed or pressed; None for a message sent as a chat (an anonymous admin)."""
    message = update.message
    if message is not None and message.sender_chat is not None:
        return None
    return update.effective_user.id if update.effective_user is not None else None


def _over_quota(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, url: str) -> str | None:
    """The answer when the chat may not track ``url`` now, else None; admins have no limit.

    A chat tracks at most TRACK_QUOTA documents at once, and its /track creates at most TRACK_QUOTA new
    ones (pages nobody had tracked) in NEW_DOCUMENTS_DAYS, counted in the database (trackings are deleted
    on /untrack): so tracking and untracking cannot add documents without end, across restarts too. The
    same bound holds per person, whatever chat they use, so admins of many groups get no more.
    """
    if is_admin(update, context):
        return None
    quota = services(context).track_quota
    chat = chat_of(update)
    person = _person_id(update)
    since = utcnow() - timedelta(days=NEW_DOCUMENTS_DAYS)
    with session_scope(services(context).engine) as session:
        subscriber = ensure_subscriber(session, chat.id, chat.type, language)
        if tracked_count(session, subscriber) >= quota:
            return say(language, "track.quota", limit=quota)
        if existing_document(session, url) is not None:
            return None
        if documents_added(session, subscriber, since) >= quota:
            return say(language, "track.new_quota", count=quota, days=NEW_DOCUMENTS_DAYS)
        if person is not None and documents_added_by_user(session, person, since) >= quota:
            return say(language, "track.new_quota_person", count=quota, days=NEW_DOCUMENTS_DAYS)
    return None


async def track_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    text = argument_text(context)
    if not text:
        await reply(update, say(language, "track.usage"))
        return
    if len(text) > MAX_URL_LENGTH:
        await reply(update, say(language, "track.too_long", limit=MAX_URL_LENGTH))
        return
    try:
        url = normalise_url(text)
    except BadUrl:
        await reply(update, say(language, "track.bad_url"))
        return
    if not await may_manage(update, context):
        await reply(update, say(language, "bot.group_admins_only"))
    elif quota := _over_quota(update, context, language, url):
        await reply(update, quota)
    else:
        await _preview(update, context, language, url)


def _preview_text(preview: Preview, language: str) -> str:
    not_stated = say(language, "track.not_stated")
    lines = [
        say(
            language,
            "track.preview",
            title=escape((preview.title or preview.site)[:MAX_TITLE_CHARS]),
            site=escape(preview.site),
            url=escape(preview.url),
            paragraphs=preview.paragraphs,
            chars=preview.chars,
            tongue=say(language, f"language.{preview.language}"),
            updated=preview.stated_update or not_stated,
            effective=preview.stated_effective or not_stated,
        )
    ]
    lines += [f"• {escape(heading[:100])}" for heading in preview.headings[:3]]
    if not preview.looks_like_policy:
        lines.append(say(language, "track.not_a_policy"))
    return "\n".join(lines)


async def _read_page(context: ContextTypes.DEFAULT_TYPE, url: str) -> Preview:
    """The preview of ``url``, whose http and https are one page: the one tracked is read at its scheme.

    A page nobody tracks yet, asked for over http, is read over https first when that answers within half
    of the preview's time (the document then keeps https).
    """
    scheme, _, address = url.partition("://")
    with session_scope(services(context).engine) as session:
        known = existing_document(session, url)
        known_scheme = known.url.partition("://")[0].lower() if known is not None else None
    if known_scheme is not None:
        return await services(context).preview(f"{known_scheme}://{address}")
    if scheme == "http":
        with suppress(FetchError, TimeoutError):
            async with asyncio.timeout(PREVIEW_SECONDS / 2):
                return await services(context).preview(f"https://{address}")
    return await services(context).preview(url)


async def _preview(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, url: str) -> None:
    """Fetch and show the page with Track and Cancel, or the policy links found on it, or why not."""
    chat_id = chat_of(update).id
    limit = context.application.bot_data.setdefault(PREVIEWS, RateLimit(PREVIEWS_PER_MINUTE, 60.0))
    if wait := limit.take(str(chat_id)):
        await reply(update, say(language, "track.too_many", seconds=max(int(wait), 1)))
        return
    try:
        async with asyncio.timeout(PREVIEW_SECONDS):
            preview = await _read_page(context, url)
    except TimeoutError:
        await reply(update, say(language, "track.fail_timeout"))
        return
    except BadUrl:
        await reply(update, say(language, "track.bad_url"))
        return
    except FetchError as error:
        await reply(
            update, say(language, f"track.fail_{failure_reason(error)}", reason=escape(str(error)[:300]))
        )
        return
    if preview.links and not preview.looks_like_policy:
        token = _pending(context).put(_Offered(chat_id, preview.links))
        rows = [
            [button(link.text[:40], TRACK_PICK, token, index)] for index, link in enumerate(preview.links)
        ]
        rows.append([button(say(language, "button.cancel"), TRACK_CANCEL, token)])
        await reply(update, say(language, "track.discovered", site=escape(preview.site)), keyboard(rows))
        return
    if preview.problem:
        await reply(update, say(language, "track.refused", reason=escape(preview.problem)))
        return
    token = _pending(context).put(
        _Previewed(chat_id, preview.url, preview.title, preview.kind, preview.looks_like_policy)
    )
    buttons = [
        button(say(language, "button.track"), TRACK, token),
        button(say(language, "button.cancel"), TRACK_CANCEL, token),
    ]
    await reply(update, _preview_text(preview, language), keyboard([buttons]))


async def pick_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, fields: list[str]
) -> None:
    """One of the links found on a homepage: its preview."""
    query = pressed(update)
    offered = _pending(context).get(fields[0], chat_of(update).id) if fields else None
    index = field_id(fields, 1)
    index = -1 if index is None else index
    if not isinstance(offered, _Offered) or not 0 <= index < len(offered.links):
        await query.answer(say(language, "bot.gone"))
        return
    if not await may_manage(update, context):
        await query.answer(say(language, "bot.group_admins_only"), show_alert=True)
        return
    await query.answer()
    await _preview(update, context, language, offered.links[index].url)


async def cancel_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, fields: list[str]
) -> None:
    query = pressed(update)
    if fields:
        _pending(context).drop(fields[0])
    await query.edit_message_reply_markup(None)
    await reply(update, say(language, "track.cancelled"))
    await query.answer()


async def track_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, fields: list[str]
) -> None:
    """Track the previewed page; one that does not look like a policy asks once more first."""
    query = pressed(update)
    chat = chat_of(update)
    previewed = _pending(context).get(fields[0], chat.id) if fields else None
    if not isinstance(previewed, _Previewed):
        await query.answer(say(language, "bot.gone"))
        return
    if not await may_manage(update, context):
        await query.answer(say(language, "bot.group_admins_only"), show_alert=True)
        return
    if not previewed.looks_like_policy and fields[1:] != [CONFIRMED]:
        buttons = [
            button(say(language, "button.track_anyway"), TRACK, fields[0], CONFIRMED),
            button(say(language, "button.cancel"), TRACK_CANCEL, fields[0]),
        ]
        await reply(update, say(language, "track.confirm"), keyboard([buttons]))
        await query.answer()
        return
    if quota := _over_quota(update, context, language, previewed.url):
        await reply(update, quota)
        await query.answer()
        return
    with session_scope(services(context).engine) as session:
        subscriber = ensure_subscriber(session, chat.id, chat.type, language)
        document = add_tracked(
            session, previewed.url, previewed.kind, utcnow(), subscriber, added_by_user_id=_person_id(update)
        )
        platform = session.get_one(Platform, document.platform_id)
        added = track(session, subscriber, document)
        answer = say(
            language,
            "track.tracked" if added else "track.already",
            name=platform_name(platform, language),
            url=escape(document.url),
        )
    _pending(context).drop(fields[0])
    await query.edit_message_reply_markup(None)
    await reply(update, answer)
    await query.answer()


def tracked_lines(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str
) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    """The /list lines and Untrack buttons of the documents the chat tracks."""
    chat = chat_of(update)
    with session_scope(services(context).engine) as session:
        subscriber = ensure_subscriber(session, chat.id, chat.type, language)
        tracked = tracked_documents(session, subscriber)
    lines = [f"• {platform_name(p, language)}: {escape(d.url)}" for p, d in tracked]
    buttons = [
        [button(say(language, "button.untrack", name=_short(d)), UNTRACK, row_id(d), FROM_LIST)]
        for _, d in tracked
    ]
    return lines, buttons


def _short(document: Document) -> str:
    shown = document.url.split("://", 1)[-1]
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _untrack(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, document_id: int) -> str:
    chat = chat_of(update)
    with session_scope(services(context).engine) as session:
        subscriber = ensure_subscriber(session, chat.id, chat.type, language)
        document = session.get(Document, document_id)
        if document is None or not untrack(session, subscriber, document, utcnow()):
            return say(language, "track.not_tracking")
        return say(language, "track.untracked", url=escape(document.url))


async def untrack_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/untrack URL stops tracking it; plain /untrack offers an Untrack button per tracked document."""
    language = enter(update, context)
    text = argument_text(context)
    if not await may_manage(update, context):
        await reply(update, say(language, "bot.group_admins_only"))
        return
    if not text:
        lines, buttons = tracked_lines(update, context, language)
        if not lines:
            await reply(update, say(language, "track.none"))
        else:
            await reply(update, "\n".join([say(language, "track.untrack_pick"), *lines]), keyboard(buttons))
        return
    try:
        url = normalise_url(text[: MAX_URL_LENGTH + 1])
    except BadUrl:
        await reply(update, say(language, "track.bad_url"))
        return
    with session_scope(services(context).engine) as session:
        document = existing_document(session, url)
        document_id = document.id if document is not None else None
    if document_id is None:
        await reply(update, say(language, "track.not_tracking"))
    else:
        await reply(update, _untrack(update, context, language, document_id))


async def untrack_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, fields: list[str]
) -> bool:
    """An Untrack button; True when it was under the /list message, which the caller then re-draws."""
    query = pressed(update)
    document_id = field_id(fields)
    if document_id is None:
        await query.answer(say(language, "bot.gone"))
        return False
    if not await may_manage(update, context):
        await query.answer(say(language, "bot.group_admins_only"), show_alert=True)
        return False
    await reply(update, _untrack(update, context, language, document_id))
    await query.answer()
    return fields[1:] == [FROM_LIST]
