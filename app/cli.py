"""The ``policywatch`` command: check, history, platforms, probe, run."""

import argparse
import asyncio
import gc
import json
import logging
import signal
import sys
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, TextIO

import httpx
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from analysis.dates import DateInputError, parse_version_ref
from analysis.diff import build_diff
from app.demo import run_demo
from app.format import format_plan, format_report, format_stats, format_text_diff
from app.logs import configure_logging
from app.service import Role, make_report_service, make_web_app, open_checker, open_fetcher, serve
from app.settings import Settings, SettingsError, load_settings
from scraping.catalog import CatalogError, DocumentOptions, load_catalog
from scraping.check import CheckResult, active_targets
from scraping.errors import FetchError
from scraping.preview import Preview, catalog_snippet, preview_url
from scraping.reextract import plan_reextraction, record_reextraction
from scraping.sync import sync_catalog
from scraping.tracking import promotion_snippet
from scraping.urls import BadUrl
from storage.backup import BackupError, backup_sqlite
from storage.db import make_engine, row_id, session_scope
from storage.locks import STARTUP_LOCK, holding
from storage.migrate import upgrade_database
from storage.models import CheckOutcome, Document, Platform, Snapshot, Version, utcnow
from storage.search import PlatformLookupError, platforms_matching, resolve_platform
from storage.snapshots import raw_response
from storage.timeline import CompareError, timeline, versions_to_compare
from storage.tracking import user_documents
from storage.versions import documents_of, versions_of

log = logging.getLogger("policywatch")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_MINUTE = "%Y-%m-%d %H:%M"


class UserError(Exception):
    """A mistake the user can fix; printed without a traceback, exit status 2."""


def open_database(database_url: str) -> Engine:
    """The migrated database, or one line naming DATABASE_URL (never its password) when it cannot open."""
    url = make_url(database_url)
    try:
        engine = make_engine(database_url)
        with holding(engine, STARTUP_LOCK):  # processes starting together migrate one at a time
            upgrade_database(engine)
    except (SQLAlchemyError, ImportError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        if url.password:
            reason = reason.replace(url.password, "***")
        shown = url.render_as_string(hide_password=True)
        raise SettingsError(f"DATABASE_URL: cannot open {shown}: {reason}") from None
    return engine


def prepare(settings: Settings) -> Engine:
    """Migrate the database and sync the catalog into it."""
    catalog = load_catalog(settings.CATALOG_PATH)
    engine = open_database(settings.DATABASE_URL)
    with holding(engine, STARTUP_LOCK), session_scope(engine) as session:
        sync_catalog(session, catalog, utcnow())
    return engine


def _resolve_all(session: Session, queries: Sequence[str]) -> list[int]:
    try:
        return [row_id(resolve_platform(session, query, include_retired=False)) for query in queries]
    except PlatformLookupError as error:
        raise UserError(str(error)) from None


def describe(result: CheckResult, engine: Engine) -> str:
    """The human line for one check result."""
    if result.outcome is CheckOutcome.FAILED:
        return f"failed ({result.reason})"
    if result.outcome is CheckOutcome.NOT_MODIFIED:
        return "not modified"
    if result.outcome is CheckOutcome.UNCHANGED:
        return "unchanged"
    with Session(engine) as session:
        version = session.get_one(Version, result.version_id)
        previous = session.get(Version, result.previous_version_id) if result.previous_version_id else None
    if previous is None:
        return f"new version (baseline, {version.text.count(chr(10)) + 1} lines)"
    if result.outcome is CheckOutcome.TECHNICAL:
        return f"rules updated (version {previous.id} read with today's rules; the policy did not change)"
    if result.outcome is CheckOutcome.REVERTED:
        return f"reverted (back to version {version.id}, first seen {version.first_seen_at:%Y-%m-%d})"
    stats = build_diff(previous.text, version.text).stats
    against = (
        f", against version {previous.id}: the previous one read with today's rules" * previous.technical
    )
    return (
        f"new version ({stats.paragraphs_added} lines added, {stats.paragraphs_deleted} removed, "
        f"{stats.paragraphs_modified} changed{against})"
    )


def _as_json(result: CheckResult) -> str:
    return json.dumps(
        {
            "platform": result.target.platform_slug,
            "document_kind": result.target.kind,
            "outcome": result.outcome.value,
            "reason": result.reason,
            "failure_kind": result.failure_kind,
            "version_id": result.version_id,
            "previous_version_id": result.previous_version_id,
            "is_baseline": result.is_baseline,
            "url": result.target.url,
        },
        ensure_ascii=False,
    )


async def _check_pass(engine: Engine, settings: Settings, platforms: Sequence[str], as_json: bool) -> int:
    with Session(engine) as session:
        targets = active_targets(session, _resolve_all(session, platforms) if platforms else None)
    failures = 0
    progress = sys.stderr.isatty() and len(targets) > 1
    async with open_checker(settings, engine) as checker:
        done = 0
        async for result in checker.check_all(targets):
            done += 1
            failures += result.outcome is CheckOutcome.FAILED
            name = f"{result.target.platform_slug}/{result.target.kind}"
            print(_as_json(result) if as_json else f"{name}: {describe(result, engine)}", flush=True)
            if progress:
                print(f"\r[{done}/{len(targets)}] checked", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return EXIT_FAILED if failures else EXIT_OK


def cmd_check(engine: Engine, settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_check_pass(engine, settings, args.platforms, args.json))


def cmd_run(engine: Engine, settings: Settings, args: argparse.Namespace) -> int:
    """Serve the web pages, run the bot (with a token) and check every document (as ``--role`` says), until
    stopped."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # uvicorn re-raises it after a clean stop
    # What start-up loaded (modules, classes, the catalog) lives as long as the process: out of the
    # collector's sight, a full collection no longer walks its ~250,000 objects, a pause that held every
    # request for 100 ms and more under load (/healthz p99 130 -> 40 ms, benchmarks/web_bench.py).
    gc.collect()
    gc.freeze()
    with suppress(KeyboardInterrupt):
        asyncio.run(serve(engine, settings, Role(args.role)))
    log.info("stopped")
    return EXIT_OK


def _version_json(kind: str, version: Version) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": version.id,
        "document_kind": kind,
        "sha256": version.sha256,
        "chars": version.chars,
        "first_seen_at": iso(version.first_seen_at),
        "last_seen_at": iso(version.last_seen_at),
        "stated_update_date": iso(version.stated_update_date),
        "stated_effective_date": iso(version.stated_effective_date),
        "technical": version.technical,
        "fingerprint": version.fingerprint,
        "snapshot_id": version.snapshot_id,
    }


def _print_history(platform: Platform, history: list[tuple[Document, list[Version]]], out: TextIO) -> None:
    print(f"{platform.name_zh} / {platform.name_en} ({platform.slug})", file=out)
    for document, versions in history:
        print(f"  {document.kind}  {document.url}", file=out)
        if not versions:
            print("    no version yet: run `policywatch check`", file=out)
        for version in versions:
            updated = version.stated_update_date or "-"
            effective = version.stated_effective_date or "-"
            technical = "  rules updated" if version.technical else ""
            print(
                f"    #{version.id}  updated {updated}  effective {effective}  "
                f"first seen {version.first_seen_at:{_MINUTE}}  last seen {version.last_seen_at:{_MINUTE}}  "
                f"{version.chars} chars{technical}",
                file=out,
            )


def cmd_history(engine: Engine, _settings: Settings, args: argparse.Namespace) -> int:
    with Session(engine) as session:
        platform = resolve_platform(session, args.platform) if args.platform.strip() else None
        if platform is None:
            raise UserError("name a platform, e.g. `policywatch history zeekr`")
        history = [
            (document, versions_of(session, row_id(document)))
            for document in documents_of(session, row_id(platform))
        ]
    if args.json:
        rows = [
            _version_json(document.kind, version) for document, versions in history for version in versions
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        _print_history(platform, history, sys.stdout)
    return EXIT_OK


def cmd_platforms(engine: Engine, _settings: Settings, args: argparse.Namespace) -> int:
    with Session(engine) as session:
        platforms = platforms_matching(session, args.query)
        kinds = {
            p.id: [d.kind for d in documents_of(session, row_id(p), include_retired=False)] for p in platforms
        }
    if args.query and not platforms:
        raise UserError(f"no platform matches {args.query[:100]!r}")
    if args.json:
        rows = [
            {
                "slug": p.slug,
                "name_zh": p.name_zh,
                "name_en": p.name_en,
                "aliases": p.aliases,
                "documents": kinds[p.id],
            }
            for p in platforms
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    for p in platforms:
        print(f"{p.slug:<14} {p.name_zh} / {p.name_en}  [{', '.join(kinds[p.id])}]")
    return EXIT_OK


def _pick_document(session: Session, platform: Platform, kind: str | None) -> Document:
    documents = documents_of(session, row_id(platform))
    by_kind = {document.kind: document for document in documents}
    if kind:
        if kind not in by_kind:
            raise UserError(
                f"{platform.slug} has no {kind[:60]!r} document; it has {', '.join(sorted(by_kind))}"
            )
        return by_kind[kind]
    return documents[0]  # the privacy policy, else the first by kind


async def _render_page(settings: Settings, engine: Engine, path: str) -> str:
    """A page of the web app, rendered in-process, its links pointing at PUBLIC_URL."""
    transport = httpx.ASGITransport(app=make_web_app(settings, engine))
    async with httpx.AsyncClient(transport=transport, base_url=str(settings.PUBLIC_URL)) as client:
        response = await client.get(path)
        response.raise_for_status()
        return response.text


def _versions_asked(engine: Engine, args: argparse.Namespace) -> tuple[Platform, Document, Version, Version]:
    """The platform, document and two versions that ``PLATFORM DATE1 [DATE2] [--document]`` name."""
    try:
        refs = [parse_version_ref(value) for value in (args.date1, args.date2 or "latest")]
    except DateInputError as error:
        raise UserError(str(error)) from None
    with Session(engine) as session:
        platform = resolve_platform(session, args.platform)
        document = _pick_document(session, platform, args.document)
        try:
            old, new = versions_to_compare(timeline(session, row_id(document)), *refs)
        except CompareError as error:
            raise UserError(f"{platform.slug}/{document.kind}: {error}") from None
    return platform, document, old, new


def cmd_compare(engine: Engine, settings: Settings, args: argparse.Namespace) -> int:
    """Compare the versions in force at two dates (one date: with the latest)."""
    platform, document, old, new = _versions_asked(engine, args)
    diff = build_diff(old.text, new.text)
    if args.html:
        path = f"/p/{platform.slug}/{document.kind}/diff/{old.id}..{new.id}"
        args.html.write_text(asyncio.run(_render_page(settings, engine, path)), encoding="utf-8")
        print(f"wrote {args.html}: {format_stats(diff)}")
        return EXIT_OK
    print(f"{platform.name_zh} / {platform.name_en} ({platform.slug}) {document.kind}")
    print(f"#{old.id} first seen {old.first_seen_at:{_MINUTE}}", end=" → ")
    print(f"#{new.id} first seen {new.first_seen_at:{_MINUTE}}")
    print(format_stats(diff))
    print(format_text_diff(diff))
    return EXIT_OK


def cmd_report(engine: Engine, settings: Settings, args: argparse.Namespace) -> int:
    """The change report for the versions in force at two dates (one date: with the latest)."""
    platform, document, old, new = _versions_asked(engine, args)
    report = asyncio.run(make_report_service(settings, engine).report_for(old, new, args.language))
    if args.json:
        print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print(f"{platform.name_zh} / {platform.name_en} ({platform.slug}) {document.kind}", end=": ")
        print(f"#{old.id} → #{new.id}")
        print(format_report(report))
    return EXIT_OK


def cmd_reextract(engine: Engine, _settings: Settings, args: argparse.Namespace) -> int:
    """Re-read the stored snapshots with today's rules; record the version in force again where it differs."""
    with Session(engine) as session:
        targets = active_targets(session, _resolve_all(session, args.platforms) if args.platforms else None)
        plans = [plan_reextraction(session, target) for target in targets]
    for plan in plans:
        recorded_id = None
        if not args.dry_run:
            with session_scope(engine) as session:
                recorded_id = record_reextraction(session, plan, utcnow)
        print(format_plan(plan, recorded_id, args.dry_run))
    return EXIT_OK


def cmd_snapshot(engine: Engine, _settings: Settings, args: argparse.Namespace) -> int:
    """Write the raw response a version was read from, for debugging an extraction."""
    with Session(engine) as session:
        version = session.get(Version, args.version_id) if 0 < args.version_id < 2**31 else None
        if version is None:
            raise UserError(f"there is no version {args.version_id}")
        snapshot = session.get(Snapshot, version.snapshot_id) if version.snapshot_id is not None else None
        if snapshot is None:
            raise UserError(
                f"version {version.id} has no snapshot: it was recorded before snapshots were kept"
            )
        raw = raw_response(session, snapshot)
    about = (
        f"version {version.id}: snapshot {snapshot.id} of {raw.url} "
        f"({raw.content_type or 'no content type'}, charset {raw.charset or '-'}), "
        f"fetched {raw.fetched_at:{_MINUTE}} UTC, {len(raw.body)} bytes"
    )
    if args.output:
        args.output.write_bytes(raw.body)
        print(f"wrote {args.output}: {about}")
    else:
        sys.stdout.buffer.write(raw.body)
        sys.stdout.flush()
        print(about, file=sys.stderr)
    return EXIT_OK


def cmd_db_upgrade(engine: Engine, _settings: Settings, _args: argparse.Namespace) -> int:
    """Migrations are applied before every command; this one just says where the schema stands."""
    with engine.connect() as connection:
        revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    print(f"database {engine.url.render_as_string(hide_password=True)} is at revision {revision}")
    return EXIT_OK


def cmd_db_backup(engine: Engine, _settings: Settings, args: argparse.Namespace) -> int:
    """Copy a SQLite database while the service runs (PostgreSQL: pg_dump)."""
    try:
        pages = backup_sqlite(engine, args.file)
    except BackupError as error:
        raise UserError(str(error)) from None
    print(f"wrote {args.file} ({pages} pages)")
    return EXIT_OK


def _print_preview(preview: Preview, out: TextIO) -> None:
    def line(label: str, value: object) -> None:
        print(f"{label:<12}{value}", file=out)

    line("url", preview.url)
    if preview.final_url != preview.url:
        line("final url", preview.final_url)
    line("type", preview.content_type or "unknown")
    line("title", preview.title or "(none)")
    line("paragraphs", preview.paragraphs)
    line("characters", preview.chars)
    line("language", preview.language)
    line("updated", preview.stated_update or "(not stated)")
    line("effective", preview.stated_effective or "(not stated)")
    for number, heading in enumerate(preview.headings[:3]):
        line("headings" if number == 0 else "", heading[:100])
    if preview.lines:
        line("first line", preview.lines[0][:100])
        line("last line", preview.lines[-1][:100])
    for number, dropped in enumerate(preview.dropped):
        elements = f"{dropped.elements} elements, " if dropped.elements else ""
        line("dropped" if number == 0 else "", f"{dropped.why}: {elements}{dropped.chars} characters")
    if preview.text and not preview.looks_like_policy:
        line("warning", "this does not look like a policy (very short, or none of the policy words)")
    for number, link in enumerate(preview.links):
        line("links" if number == 0 else "", f"{link.text} → {link.url}")


async def _probe(settings: Settings, url: str, options: DocumentOptions) -> int:
    async with open_fetcher(settings) as fetcher:
        try:
            preview = await preview_url(fetcher, url, options)
        except BadUrl as error:
            raise UserError(f"{url[:200]!r}: {error}") from None
        except FetchError as error:
            print(f"verdict     a check would fail: {error}")
            return EXIT_FAILED
    _print_preview(preview, sys.stdout)
    if preview.problem:
        print(f"verdict     a check would fail: {preview.problem}")
    else:
        print("verdict     a check would succeed")
    print("\ncatalog entry:")
    print(catalog_snippet(preview, options), end="")
    return EXIT_FAILED if preview.problem else EXIT_OK


def cmd_probe(_engine: None, settings: Settings, args: argparse.Namespace) -> int:
    """Fetch a page once and say how a check would read it, and whether it would succeed."""
    try:
        options = DocumentOptions.model_validate(
            {"select": args.select, "remove": args.remove, "render": args.render}
        )
    except ValidationError as error:
        raise UserError("; ".join(problem["msg"] for problem in error.errors())) from None
    return asyncio.run(_probe(settings, args.url, options))


def cmd_tracked(engine: Engine, _settings: Settings, args: argparse.Namespace) -> int:
    """The documents people added with /track and their followers; with an id, its catalog entry."""
    with Session(engine) as session:
        rows = user_documents(session)
    if args.document_id is not None:
        chosen = [row for row in rows if row.document.id == args.document_id]
        if not chosen:
            raise UserError(
                f"no document added by users has the id {args.document_id} (see `policywatch tracked`)"
            )
        print(promotion_snippet(chosen[0].platform, chosen[0].document), end="")
        return EXIT_OK
    if not rows:
        print("no document added by users")
    for row in rows:
        followers = f"{row.trackers} follower{'s' * (row.trackers != 1)}"
        print(
            f"{row.document.id:>5}  {row.platform.slug}/{row.document.kind}  {followers}  {row.document.url}"
        )
    return EXIT_OK


def cmd_demo(_engine: None, settings: Settings, _args: argparse.Namespace) -> int:
    with suppress(KeyboardInterrupt):
        run_demo(settings)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policywatch", description="Track changes to privacy policies.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser("check", help="check documents now and print what changed")
    check.add_argument("platforms", nargs="*", metavar="PLATFORM", help="slug, name or alias (default: all)")
    check.add_argument("--json", action="store_true", help="one JSON object per line per document")
    check.set_defaults(handler=cmd_check)
    history = commands.add_parser("history", help="list the versions of a platform's documents")
    history.add_argument("platform", metavar="PLATFORM", help="slug, name or alias")
    history.add_argument("--json", action="store_true", help="a JSON array of versions")
    history.set_defaults(handler=cmd_history)
    platforms = commands.add_parser("platforms", help="list or search the catalog")
    platforms.add_argument("query", nargs="?", metavar="QUERY", help="name, alias or pinyin to search for")
    platforms.add_argument("--json", action="store_true", help="a JSON array of platforms")
    platforms.set_defaults(handler=cmd_platforms)
    compare = commands.add_parser("compare", help="compare the versions in force at two dates")
    compare.add_argument("platform", metavar="PLATFORM", help="slug, name or alias")
    compare.add_argument(
        "date1", metavar="DATE1", help="2025-11-10, 2025/11/10, 20251110, 2025年11月10日, latest, previous"
    )
    compare.add_argument("date2", metavar="DATE2", nargs="?", help="as DATE1 (default: latest)")
    compare.add_argument("--html", type=Path, metavar="FILE", help="write the diff page to FILE instead")
    compare.add_argument("--document", metavar="KIND", help="which document (default: privacy_policy)")
    compare.set_defaults(handler=cmd_compare)
    report = commands.add_parser("report", help="the change report for the versions in force at two dates")
    report.add_argument("platform", metavar="PLATFORM", help="slug, name or alias")
    report.add_argument("date1", metavar="DATE1", help="as for compare")
    report.add_argument("date2", metavar="DATE2", nargs="?", help="as DATE1 (default: latest)")
    report.add_argument("--document", metavar="KIND", help="which document (default: privacy_policy)")
    report.add_argument(
        "--language", choices=["zh", "en"], help="the report's language (default: the policy's)"
    )
    report.add_argument("--json", action="store_true", help="the report as JSON")
    report.set_defaults(handler=cmd_report)
    reextract = commands.add_parser(
        "reextract", help="re-read the stored snapshots with today's rules (record technical versions)"
    )
    reextract.add_argument(
        "platforms", nargs="*", metavar="PLATFORM", help="slug, name or alias (default: all)"
    )
    reextract.add_argument(
        "--dry-run", action="store_true", help="show how the history would read; change nothing"
    )
    reextract.set_defaults(handler=cmd_reextract)
    snapshot = commands.add_parser("snapshot", help="write the raw page a version was read from")
    snapshot.add_argument("version_id", type=int, metavar="VERSION_ID", help="as `history` lists them")
    snapshot.add_argument(
        "-o", dest="output", type=Path, metavar="FILE", help="write to FILE (default: stdout)"
    )
    snapshot.set_defaults(handler=cmd_snapshot)
    run = commands.add_parser("run", help="serve the web pages and check every CHECK_INTERVAL until stopped")
    run.add_argument(
        "--role",
        choices=[role.value for role in Role],
        default=Role.ALL.value,
        help="all (default): everything in one process; web: the pages only; worker: checks, alerts, the bot",
    )
    run.set_defaults(handler=cmd_run)
    database = commands.add_parser("db", help="the database: apply migrations, back up")
    actions = database.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("upgrade", help="apply the migrations (run also does at start)").set_defaults(
        handler=cmd_db_upgrade
    )
    backup = actions.add_parser("backup", help="copy a SQLite database, safely while it is in use")
    backup.add_argument("file", type=Path, metavar="FILE", help="the new file to write")
    backup.set_defaults(handler=cmd_db_backup)
    probe = commands.add_parser(
        "probe", help="fetch a page once: its extraction, whether a check would succeed, a catalog entry"
    )
    probe.add_argument("url", metavar="URL", help="the page's http(s) address")
    probe.add_argument(
        "--select", action="append", default=[], metavar="CSS", help="a CSS selector of the policy text"
    )
    probe.add_argument(
        "--remove", action="append", default=[], metavar="CSS", help="a CSS selector to drop from it"
    )
    probe.add_argument("--render", choices=["http", "browser"], default="http", help="load it in the browser")
    probe.set_defaults(handler=cmd_probe, needs_database=False)
    tracked = commands.add_parser(
        "tracked", help="the documents people added with /track, their followers, a catalog entry for one"
    )
    tracked.add_argument(
        "document_id",
        nargs="?",
        type=int,
        metavar="DOCUMENT_ID",
        help="print its catalog entry, to promote it",
    )
    tracked.set_defaults(handler=cmd_tracked)
    demo = commands.add_parser("demo", help="the whole loop on two bundled versions, no token or network")
    demo.set_defaults(handler=cmd_demo, needs_database=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``policywatch`` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.LOG_FORMAT, settings.LOG_LEVEL, settings.secrets())
        engine = prepare(settings) if getattr(args, "needs_database", True) else None
        return args.handler(engine, settings, args)
    except (SettingsError, CatalogError, UserError, PlatformLookupError) as error:
        print(f"policywatch: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader (e.g. `| head`) has gone; nothing is left to say
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
