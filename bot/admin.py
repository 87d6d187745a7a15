"""Commands for PolicyWatch's administrators (ADMIN_CHAT_IDS): /check, /stats and /tracked."""

from html import escape

from telegram import Update
from telegram.ext import ContextTypes

from alerts.buttons import parse_id
from alerts.telegram_html import fit_blocks
from alerts.text import failure_text
from bot.conversation import argument_text, enter, is_admin, lookup, refuse_long, reply, services
from i18n import say
from scraping.check import CheckResult
from scraping.tracking import promotion_snippet
from storage.db import row_id, session_scope
from storage.models import CheckOutcome
from storage.search import PlatformLookupError
from storage.stats import Failure, overview
from storage.tracking import user_documents

_MINUTE = "%Y-%m-%d %H:%M UTC"


def outcome_text(result: CheckResult, language: str) -> str:
    """What one check found, in words."""
    if result.outcome is CheckOutcome.FAILED:
        failure = Failure(result.reason, result.failure_kind)
        return say(language, "admin.outcome_failed", reason=failure_text(failure, language, limit=None))
    key = "admin.outcome_baseline" if result.is_baseline else f"admin.outcome_{result.outcome.value}"
    return say(language, key, version=result.version_id)


async def _admin_only(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str) -> bool:
    if is_admin(update, context):
        return True
    await reply(update, say(language, "admin.only"))
    return False


async def check_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/check [platform]: check now (one platform or all) and report each document's outcome."""
    language = enter(update, context)
    query = argument_text(context)
    if not await _admin_only(update, context, language) or await refuse_long(update, language, query):
        return
    platform_ids = None
    if query:
        try:
            platform_ids = [row_id(lookup(services(context).engine, query))]
        except PlatformLookupError:
            await reply(update, say(language, "bot.unknown_platform", query=escape(query)))
            return
    run_checks = services(context).run_checks
    results = await run_checks(platform_ids) if run_checks else []
    lines = [
        say(
            language,
            "admin.check_line",
            name=escape(r.target.platform_slug),
            kind=escape(r.target.kind),
            outcome=outcome_text(r, language),
        )
        for r in results
    ]
    await reply(
        update,
        fit_blocks([say(language, "admin.checked", count=len(results)), *lines], "\n…", separator="\n"),
    )


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = enter(update, context)
    if not await _admin_only(update, context, language):
        return
    with session_scope(services(context).engine) as session:
        stats = overview(session)
    failing = [
        say(
            language,
            "admin.failing_line",
            slug=escape(f.platform_slug),
            kind=escape(f.kind),
            count=f.failures,
            reason=failure_text(f.last, language, limit=200),
        )
        for f in stats.failing
    ]
    summary = say(
        language,
        "admin.stats",
        platforms=stats.platforms,
        documents=stats.documents,
        versions=stats.versions,
        subscribers=stats.active_subscribers,
        subscriptions=stats.subscriptions,
        last_check=f"{stats.last_check_at:{_MINUTE}}"
        if stats.last_check_at
        else say(language, "admin.never"),
        failing=len(failing) or say(language, "common.none"),
    )
    await reply(update, fit_blocks([summary, *failing], "\n…", separator="\n"))


async def tracked_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tracked: the documents people added with /track and their followers; /tracked ID: its YAML."""
    language = enter(update, context)
    query = argument_text(context)
    if not await _admin_only(update, context, language) or await refuse_long(update, language, query):
        return
    with session_scope(services(context).engine) as session:
        rows = user_documents(session)
    if query:
        chosen = [row for row in rows if row.document.id == parse_id(query)]
        if not chosen:
            await reply(update, say(language, "admin.tracked_unknown", id=escape(query)))
            return
        snippet = promotion_snippet(chosen[0].platform, chosen[0].document)
        await reply(update, f"<pre>{escape(snippet)}</pre>")
        return
    if not rows:
        await reply(update, say(language, "admin.tracked_none"))
        return
    lines = [
        say(
            language,
            "admin.tracked_line",
            id=row_id(row.document),
            name=escape(row.platform.slug),
            kind=escape(row.document.kind),
            count=row.trackers,
            url=escape(row.document.url),
        )
        for row in rows
    ]
    await reply(update, fit_blocks([say(language, "admin.tracked_title"), *lines], "\n…", separator="\n"))
