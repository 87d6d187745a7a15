"""The Telegram bot: python-telegram-bot's Application with our commands, buttons and error handling."""

import logging
from collections.abc import Awaitable, Callable

from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from alerts.buttons import (
    FOLLOW,
    LANGUAGE,
    PAGE,
    REPORT,
    SETTING,
    TRACK,
    TRACK_CANCEL,
    TRACK_PICK,
    UNFOLLOW,
    UNTRACK,
    UNWATCH,
    WATCH,
    button,
    keyboard,
    parse_callback,
)
from bot import admin, ask, browsing, following, inline, preferences, tracking, watching
from bot.conversation import SERVICES, BotServices, chat_of, enter, is_admin, pressed, reply
from i18n import LANGUAGES, say
from storage.db import session_scope
from storage.subscribers import choose_language, ensure_subscriber

log = logging.getLogger(__name__)

# The commands shown in Telegram's menu, in this order; admin commands are not advertised.
MENU = [
    "start",
    "help",
    "platforms",
    "follow",
    "unfollow",
    "list",
    "track",
    "untrack",
    "history",
    "compare",
    "latest",
    "ask",
    "watch",
    "watches",
    "unwatch",
    "settings",
    "lang",
]


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    text = say(language, "bot.help")
    if is_admin(update, context):
        text += say(language, "admin.help")
    await reply(update, text)


async def lang_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/lang zh|en switches; plain /lang offers both as buttons."""
    language = enter(update, context)
    wanted = (context.args or [""])[0].lower()[:8]
    if wanted in LANGUAGES:
        await reply(update, _set_language(update, context, wanted))
        return
    buttons = [[button(say(language, f"language.{code}"), LANGUAGE, code) for code in LANGUAGES]]
    await reply(update, say(language, "bot.lang_pick"), keyboard(buttons))


def _set_language(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str) -> str:
    chat = chat_of(update)
    with session_scope(context.application.bot_data[SERVICES].engine) as session:
        choose_language(session, ensure_subscriber(session, chat.id, chat.type, language), language)
    return say(language, "bot.lang_set")


async def other_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command we do not handle: addressed to another bot, or unknown. Groups only hear us when named."""
    message = update.effective_message
    if message is None or not message.text:  # never: filters.COMMAND passes only texts that start with one
        return
    command = message.text.split()[0]
    _, _, addressee = command.partition("@")
    ours = addressee.lower() == (context.bot.username or "").lower()
    if chat_of(update).type != ChatType.PRIVATE and not ours:
        return
    language = enter(update, context)
    if addressee and not ours:
        await reply(update, say(language, "bot.other_bot", bot=_safe_username(addressee)))
    else:
        await reply(update, say(language, "bot.unknown_command"))


def _safe_username(name: str) -> str:
    """A Telegram username is letters, digits and underscores; anything else is dropped."""
    return "".join(c for c in name if c.isascii() and (c.isalnum() or c == "_"))[:32]


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every button press lands here; each is answered, expired ones with a note."""
    language = enter(update, context)
    action, fields = parse_callback(pressed(update).data or "")
    if action == FOLLOW:
        await following.follow_button(update, context, language, fields, wanted=True)
    elif action == UNFOLLOW:
        await following.follow_button(update, context, language, fields, wanted=False)
    elif action == PAGE:
        await following.page_button(update, context, language, fields)
    elif action == LANGUAGE and fields and fields[0] in LANGUAGES:
        await reply(update, _set_language(update, context, fields[0]))
        await pressed(update).answer()
    elif action == WATCH:
        await watching.watch_button(update, context, language, fields)
    elif action == UNWATCH:
        await watching.unwatch_button(update, context, language, fields)
    elif action == REPORT:
        await preferences.report_button(update, context, language, fields)
    elif action == SETTING:
        await preferences.setting_button(update, context, language, fields)
    elif action == TRACK:
        await tracking.track_button(update, context, language, fields)
    elif action == TRACK_CANCEL:
        await tracking.cancel_button(update, context, language, fields)
    elif action == TRACK_PICK:
        await tracking.pick_button(update, context, language, fields)
    elif action == UNTRACK:
        if await tracking.untrack_button(update, context, language, fields):
            await following.refresh_list(update, context, language)
    else:
        await pressed(update).answer(say(language, "bot.gone"))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with what caused it; the user gets an apology, never a traceback."""
    if not isinstance(update, Update):
        log.error("bot error outside an update: %s", context.error, exc_info=context.error)
        return
    chat_id = update.effective_chat.id if update.effective_chat else None
    text = update.effective_message.text if update.effective_message else None
    data = update.callback_query.data if update.callback_query else None
    log.error(
        "handler failed: chat=%s text=%r button=%r", chat_id, (text or "")[:200], data, exc_info=context.error
    )
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except Exception:  # already answered, or too old: the apology below is what matters
            log.debug("could not answer the callback query", exc_info=True)
    if update.effective_chat is not None:
        language = "en"
        try:
            language = enter(update, context)
        except Exception:  # the database may be what failed
            log.debug("could not read the chat's language", exc_info=True)
        await update.effective_chat.send_message(say(language, "bot.error"))


async def register_commands(application: Application) -> None:
    """The command menu, in English and (for Chinese clients) in Chinese."""
    for language in LANGUAGES:
        commands = [BotCommand(name, say(language, f"bot.cmd_{name}")) for name in MENU]
        await application.bot.set_my_commands(commands, language_code="zh" if language == "zh" else None)


COMMANDS = {
    "start": following.start,
    "help": help_command,
    "platforms": following.platforms_command,
    "follow": following.follow_command,
    "unfollow": following.unfollow_command,
    "list": following.list_command,
    "track": tracking.track_command,
    "untrack": tracking.untrack_command,
    "history": browsing.history_command,
    "compare": browsing.compare_command,
    "latest": browsing.latest_command,
    "ask": ask.ask_command,
    "watch": watching.watch_command,
    "watches": watching.watches_command,
    "unwatch": watching.unwatch_command,
    "settings": preferences.settings_command,
    "lang": lang_command,
    "check": admin.check_command,
    "stats": admin.stats_command,
    "tracked": admin.tracked_command,
}


SLOW_COMMANDS = frozenset({"track", "ask"})
SLOW_BUTTONS = f"^({TRACK_PICK}|{REPORT}):"  # a found link's preview; a full report (it may ask the model)


def build_application(
    token: str, base_url: str, bot_services: BotServices, polling: bool = True
) -> Application:
    """The bot, talking to the Bot API server at ``base_url`` (Telegram's, a self-hosted one, or a test's).

    PTB's rate limiter keeps replies within 30 a second and 20 a minute per group, and retries after a
    429. Alerts go through the outbox sender's own bot, paced at TELEGRAM_RATE. Without ``polling`` it has
    no updater: updates come from the webhook's inbox (bot/webhook.py).
    """
    limiter = AIORateLimiter(max_retries=3)
    builder = ApplicationBuilder().token(token).base_url(base_url).rate_limiter(limiter)
    application = (builder if polling else builder.updater(None)).build()
    application.bot_data[SERVICES] = bot_services
    for name, handler in COMMANDS.items():
        # /track fetches a page and /ask may wait for the model: others' updates go on meanwhile
        application.add_handler(CommandHandler(name, handler, block=name not in SLOW_COMMANDS))
    application.add_handler(MessageHandler(filters.COMMAND, other_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=SLOW_BUTTONS, block=False))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(InlineQueryHandler(inline.inline_query))
    application.add_error_handler(on_error)
    return application


async def open_bot(application: Application) -> None:
    """Connect, publish the command menus and start the handlers; each step again after a failure."""
    await application.initialize()
    await register_commands(application)
    if not application.running:
        await application.start()


async def start_bot(application: Application, poll_timeout: int = 10) -> None:
    """``open_bot``, then start long polling."""
    if application.updater is None:
        raise ValueError("the bot needs an updater to poll (build_application makes one)")
    await open_bot(application)
    if not application.updater.running:
        await application.updater.start_polling(poll_interval=0, timeout=poll_timeout)


def why_not_connected(error: TelegramError) -> str:
    """What went wrong, in words that never contain the token (InvalidToken's own message does)."""
    if isinstance(error, InvalidToken):
        return "Telegram rejected TELEGRAM_BOT_TOKEN (Unauthorized): check it with @BotFather"
    if isinstance(error, NetworkError):
        return f"the Bot API at TELEGRAM_API_BASE_URL cannot be reached ({error.message})"
    return f"the Bot API answered {type(error).__name__}: {error.message}"


async def keep_trying(
    connect: Callable[[], Awaitable[None]], first_wait: float = 1, max_wait: float = 300
) -> None:
    """Run ``connect`` until Telegram accepts it, waiting 1 s, 2 s, 4 s … up to 5 minutes between tries."""

    def log_retry(state: RetryCallState) -> None:
        # Called before each wait, so after a try that raised a TelegramError (what is retried).
        error = state.outcome.exception() if state.outcome else None
        if not isinstance(error, TelegramError) or state.next_action is None:
            return
        log.error(
            "the Telegram bot cannot start: %s; trying again in %.0f s (attempt %d)",
            why_not_connected(error),
            state.next_action.sleep,
            state.attempt_number,
        )
        log.debug("the Telegram bot's start failed with", exc_info=error)  # the logs redact the token

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(TelegramError),
        wait=wait_exponential(multiplier=first_wait, max=max_wait),
        before_sleep=log_retry,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            await connect()


async def stop_bot(application: Application) -> None:
    """Stop polling (the last updates are confirmed), finish the handlers running, disconnect.

    Safe at any point of ``start_bot``, even when it never got through.
    """
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    await application.bot.shutdown()  # its connections, when the token was refused before initialize ended
