"""What every handler needs: the services, the chat's language, replies that fit Telegram, the group rules."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from telegram import CallbackQuery, Chat, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.ext import ContextTypes

from alerts.ask import AskService
from alerts.links import Links
from alerts.reports import ReportService
from alerts.telegram_html import NO_PREVIEW, TELEGRAM_LIMIT, fit_blocks, utf16_length
from i18n import language_of, say
from scraping.check import CheckResult
from scraping.errors import FetchError
from scraping.preview import Preview
from storage.db import session_scope
from storage.models import Platform
from storage.search import PlatformLookupError, resolve_platform
from storage.subscribers import ensure_subscriber

SERVICES = "policywatch"
MAX_ARGUMENT_CHARS = 200  # platform names and dates are short; anything longer is a mistake or abuse

CheckRunner = Callable[[Sequence[int] | None], Awaitable[list[CheckResult]]]
Previewer = Callable[[str], Awaitable[Preview]]  # /track's read of a page, through the guarded fetcher
DEFAULT_TRACK_QUOTA = 10


@dataclass(frozen=True)
class BotServices:
    """What the bot reads and asks: the database, reports, links, who is an admin, how to check now."""

    engine: Engine
    reports: ReportService
    links: Links
    admin_ids: frozenset[int]
    run_checks: CheckRunner | None = None
    asking: AskService | None = None  # /ask's answers, cache and rate limit; made from ``reports`` if None
    previewer: Previewer | None = None  # None: /track answers that it cannot fetch pages now
    track_quota: int = DEFAULT_TRACK_QUOTA  # documents a chat may /track; admins are unlimited

    def __post_init__(self) -> None:
        if self.asking is None:
            object.__setattr__(self, "asking", AskService(self.reports))

    async def preview(self, url: str) -> Preview:
        if self.previewer is None:
            raise FetchError("this bot fetches no pages (it runs without a fetcher)")
        return await self.previewer(url)

    @property
    def ask(self) -> AskService:
        assert self.asking is not None  # set by __post_init__
        return self.asking


def services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    return context.application.bot_data[SERVICES]


def chat_of(update: Update) -> Chat:
    """The chat of the update: every update the bot handles (commands, button presses) has one."""
    if update.effective_chat is None:
        raise ValueError(f"update {update.update_id} has no chat")
    return update.effective_chat


def pressed(update: Update) -> CallbackQuery:
    """The button press of the update (for the handlers of CallbackQueryHandler)."""
    if update.callback_query is None:
        raise ValueError(f"update {update.update_id} is not a button press")
    return update.callback_query


def enter(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Record the chat (a chat that talks to the bot is active again) and return its language."""
    chat = chat_of(update)
    user_language = language_of(update.effective_user.language_code if update.effective_user else None)
    with session_scope(services(context).engine) as session:
        return ensure_subscriber(session, chat.id, chat.type, user_language).language


def argument_text(context: ContextTypes.DEFAULT_TYPE) -> str:
    return " ".join(context.args or []).strip()


async def refuse_long(update: Update, language: str, text: str) -> bool:
    """Answer and return True when an argument is too long to be a name or a date."""
    if len(text) <= MAX_ARGUMENT_CHARS:
        return False
    await reply(update, say(language, "bot.too_long", limit=MAX_ARGUMENT_CHARS))
    return True


def fit(text: str) -> str:
    """A last guard: cut a message at a line to Telegram's limit (callers trim at item boundaries first)."""
    if utf16_length(text) <= TELEGRAM_LIMIT:
        return text
    return fit_blocks(text.split("\n"), "\n…", separator="\n")


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A new HTML message in the chat of the update, link previews off."""
    await chat_of(update).send_message(
        fit(text), parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW
    )


async def replace(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the message whose button was pressed."""
    await pressed(update).edit_message_text(
        fit(text), parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW
    )


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A PolicyWatch administrator (ADMIN_CHAT_IDS), by user id or chat id."""
    admins = services(context).admin_ids
    user = update.effective_user
    return bool((user and user.id in admins) or chat_of(update).id in admins)


async def may_manage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Anyone in a private chat; in a group, only the group's administrators (anonymous ones included)."""
    chat = chat_of(update)
    if chat.type == ChatType.PRIVATE:
        return True
    message = update.message
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True
    if update.effective_user is None:  # a channel post: no person to ask about
        return False
    member = await context.bot.get_chat_member(chat.id, update.effective_user.id)
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def lookup(engine: Engine, query: str) -> Platform:
    """The platform a person named; raises PlatformLookupError (with its suggestions) when none matches."""
    with session_scope(engine) as session:
        try:
            return resolve_platform(session, query, include_retired=False)
        except PlatformLookupError as error:
            failed = error  # raised after the session closes: a rollback would unload its candidates
    raise failed
