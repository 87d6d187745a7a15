"""Reading the record: /history, /compare and /latest."""

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from alerts.telegram_html import fit_blocks, link, platform_name
from alerts.text import change_text
from analysis.dates import DateInputError, parse_version_ref
from bot.conversation import (
    BotServices,
    argument_text,
    enter,
    lookup,
    refuse_long,
    reply,
    services,
)
from i18n import kind_namer, say
from storage.db import row_id, session_scope
from storage.models import Document, Platform, Version
from storage.search import PlatformLookupError
from storage.timeline import CompareError, VersionRef, timeline, versions_to_compare
from storage.versions import documents_of, versions_of

_DAY = "%Y-%m-%d"


async def _platform_named(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, query: str, usage: str
) -> Platform | None:
    """The platform in the arguments, or None after telling the user what is wrong."""
    if not query:
        await reply(update, say(language, usage))
        return None
    if await refuse_long(update, language, query):
        return None
    try:
        return lookup(services(context).engine, query)
    except PlatformLookupError as error:
        suggestions = ", ".join(escape(p.slug) for p in error.candidates)
    text = say(language, "bot.unknown_platform", query=escape(query))
    await reply(update, f"{text}\n{suggestions}" if suggestions else text)
    return None


def _version_line(version: Version, language: str) -> str:
    return say(
        language,
        "bot.history_version",
        id=version.id,
        updated=version.stated_update_date or "-",
        effective=version.stated_effective_date or "-",
        seen=f"{version.first_seen_at:{_DAY}}",
    )


async def history_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    platform = await _platform_named(update, context, language, argument_text(context), "bot.usage_history")
    if platform is None:
        return
    kind_name = kind_namer(language)
    blocks = [say(language, "bot.history_title", name=platform_name(platform, language))]
    with session_scope(services(context).engine) as session:
        for document in documents_of(session, row_id(platform)):
            versions = list(reversed(versions_of(session, row_id(document), technical=False)))
            blocks.append(f"<b>{escape(kind_name(document.kind))}</b>")
            blocks += [_version_line(v, language) for v in versions] or [say(language, "bot.no_versions")]
    more = link(services(context).links.platform(platform.slug), say(language, "bot.more_link"))
    await reply(update, fit_blocks(blocks, "\n" + say(language, "bot.more_at", link=more), separator="\n"))


def _parse_refs(language: str, values: list[str]) -> list[VersionRef] | str:
    """The typed dates, or the message saying which one is wrong."""
    refs: list[VersionRef] = []
    for value in values:
        try:
            refs.append(parse_version_ref(value))
        except DateInputError as error:
            return say(
                language,
                "bot.impossible_date" if error.impossible else "bot.bad_date",
                value=escape(error.shown),
            )
    return refs


def _compare_error(language: str, error: CompareError) -> str:
    values = {key: escape(str(value)) for key, value in error.values.items()}
    return say(language, f"bot.compare_{error.code}", **values) if error.code else escape(str(error))


async def change_message(
    bot_services: BotServices,
    platform: Platform,
    document: Document,
    old: Version,
    new: Version,
    language: str,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The report of a change with its diff link: a View diff button when PUBLIC_URL allows one."""
    report = await bot_services.reports.report_for(old, new, language)
    links = bot_services.links
    kind = escape(kind_namer(language)(document.kind))
    head = [
        say(language, "bot.compare_title", name=platform_name(platform, language), kind=kind),
        say(
            language,
            "bot.compare_versions",
            old=old.id,
            new=new.id,
            old_seen=f"{old.first_seen_at:{_DAY}}",
            new_seen=f"{new.first_seen_at:{_DAY}}",
        ),
    ]
    text = change_text(head, platform, document, row_id(old), row_id(new), report, language, links)
    if not links.buttons_allowed:
        return text, None
    diff_url = links.diff(platform.slug, document.kind, row_id(old), row_id(new))
    return text, InlineKeyboardMarkup([[InlineKeyboardButton(say(language, "button.diff"), url=diff_url)]])


async def compare_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    arguments = context.args or []
    if await refuse_long(update, language, argument_text(context)):
        return
    if len(arguments) not in (2, 3):
        await reply(update, say(language, "bot.usage_compare"))
        return
    refs = _parse_refs(language, arguments[1:])
    if isinstance(refs, str):
        await reply(update, refs)
        return
    platform = await _platform_named(update, context, language, arguments[0], "bot.usage_compare")
    if platform is None:
        return
    with session_scope(services(context).engine) as session:
        document = documents_of(session, row_id(platform))[0]
        try:
            old, new = versions_to_compare(timeline(session, row_id(document)), *refs)
        except CompareError as error:
            await reply(update, _compare_error(language, error))
            return
    await reply(update, *await change_message(services(context), platform, document, old, new, language))


async def latest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    platform = await _platform_named(update, context, language, argument_text(context), "bot.usage_latest")
    if platform is None:
        return
    latest = None
    with session_scope(services(context).engine) as session:
        for document in documents_of(session, row_id(platform)):
            changes = timeline(session, row_id(document))
            if len(changes) >= 2 and (latest is None or changes[-1].at > latest[1].at):
                latest = (document, changes[-1])
    if latest is None:
        await reply(update, say(language, "bot.no_change_yet", name=platform_name(platform, language)))
        return
    document, change = latest
    assert change.previous is not None  # the last of two or more changes has one before it
    message = await change_message(
        services(context), platform, document, change.previous, change.version, language
    )
    await reply(update, *message)
