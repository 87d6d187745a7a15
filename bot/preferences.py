"""How a chat wants its alerts (/settings), and the full report behind an alert's button."""

from telegram import Update
from telegram.ext import ContextTypes

from alerts.buttons import SETTING, button, keyboard, parse_id
from alerts.telegram_html import report_message
from bot.conversation import chat_of, enter, may_manage, pressed, reply, services
from i18n import say
from kinds import Severity
from storage.db import row_id, session_scope
from storage.models import Document, Platform, Subscriber, Version
from storage.subscribers import ensure_subscriber

# Each choice and what it stores: (min_severity, digest).
CHOICES = {
    "all": (Severity.NONE, False),
    "moderate": (Severity.MODERATE, False),
    "digest": (Severity.NONE, True),
}


def current_choice(subscriber: Subscriber) -> str:
    if subscriber.digest:
        return "digest"
    return "moderate" if subscriber.min_severity == Severity.MODERATE else "all"


def _settings_keyboard(language: str, chosen: str):
    return keyboard(
        [
            [button(("✓ " if name == chosen else "") + say(language, f"bot.setting_{name}"), SETTING, name)]
            for name in CHOICES
        ]
    )


async def settings_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    chat = chat_of(update)
    with session_scope(services(context).engine) as session:
        chosen = current_choice(ensure_subscriber(session, chat.id, chat.type, language))
    await reply(update, say(language, "bot.settings"), _settings_keyboard(language, chosen))


async def setting_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, fields: list[str]
) -> None:
    query = pressed(update)
    choice = fields[0] if fields else ""
    if choice not in CHOICES:
        await query.answer(say(language, "bot.gone"))
        return
    if not await may_manage(update, context):
        await query.answer(say(language, "bot.group_admins_only"), show_alert=True)
        return
    chat = chat_of(update)
    with session_scope(services(context).engine) as session:
        subscriber = ensure_subscriber(session, chat.id, chat.type, language)
        subscriber.min_severity, subscriber.digest = CHOICES[choice]
    await query.edit_message_reply_markup(_settings_keyboard(language, choice))
    await query.answer(say(language, "bot.setting_saved", choice=say(language, f"bot.setting_{choice}")))


async def report_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, fields: list[str]
) -> None:
    """The Full report button of an alert: the whole report, as far as one message holds it."""
    query = pressed(update)
    ids = [found for found in (parse_id(field) for field in fields) if found is not None]
    bot_services = services(context)
    with session_scope(bot_services.engine) as session:
        old, new = [session.get(Version, version_id) for version_id in ids] if len(ids) == 2 else [None, None]
        document = session.get(Document, new.document_id) if old and new else None
        platform = session.get(Platform, document.platform_id) if document else None
    if old is None or new is None or document is None or platform is None or old.document_id != document.id:
        await query.answer(say(language, "bot.gone"))
        return
    report = await bot_services.reports.report_for(old, new, language)
    url = bot_services.links.report(platform.slug, document.kind, row_id(old), row_id(new))
    await reply(update, report_message(report, language, url))
    await query.answer()
