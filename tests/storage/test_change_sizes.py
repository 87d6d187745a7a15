"""Each change keeps its size from when it was recorded; the migration measures older ones."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from analysis.diff import build_diff
from storage.db import make_engine, session_scope
from storage.migrate import upgrade_database
from storage.models import Check, Document, Platform, Version
from storage.timeline import timeline
from storage.versions import ChangeSize, FetchFacts, record_text
from tests.seed import new_document

T0 = datetime(2025, 11, 10, 21, 38, tzinfo=UTC)
FACTS = FetchFacts("https://example.com/privacy", 200)
TEXTS = [
    "政策\n第一条 收集位置信息\n第二条",
    "政策\n第一条 收集位置与设备信息\n第二条\n第三条 新增",
    "政策\n第三条",
]


def _document(session: Session) -> Document:
    return new_document(session, url=FACTS.url)


def test_a_change_keeps_the_size_it_was_recorded_with(engine):
    size = ChangeSize(
        paragraphs_added=1, paragraphs_deleted=2, paragraphs_modified=3, chars_inserted=4, chars_deleted=5
    )
    reverted = ChangeSize(0, 1, 0, 0, 9)
    with session_scope(engine) as session:
        document = _document(session)
        record_text(session, document, "A", FACTS, T0)
        record_text(session, document, "B", FACTS, T0 + timedelta(days=1), size=size)
        record_text(session, document, "B", FACTS, T0 + timedelta(days=2), size=ChangeSize(7, 7, 7, 7, 7))
        record_text(session, document, "A", FACTS, T0 + timedelta(days=3), size=reverted)
        document_id = document.id
    with Session(engine) as session:
        changes = timeline(session, document_id, texts=False)
    assert [change.size for change in changes] == [None, size, reverted]
    assert [change.version.chars for change in changes] == [1, 1, 1]


def _insert(connection: sa.Connection, model: type[SQLModel], **values: object) -> int:
    """A row written with only the given columns (today's model has more than revision 0005 had)."""
    types = model.__table__.c
    table = sa.table(model.__tablename__, *(sa.column(name, types[name].type) for name in ["id", *values]))
    return connection.execute(sa.insert(table).values(**values).returning(table.c.id)).scalar_one()


def _old_rows(connection: sa.Connection) -> list[int]:
    """A document as revision 0005 stored it: three versions, then a revert; returns the check ids."""
    platform = _insert(
        connection, Platform, slug="zeekr", name_zh="极氪", name_en="ZEEKR", aliases=[], created_at=T0
    )
    document = _insert(
        connection,
        Document,
        platform_id=platform,
        kind="privacy_policy",
        url=FACTS.url,
        options={},
        consecutive_failures=0,
        created_at=T0,
    )
    versions: dict[str, int] = {}
    checks = []
    history = [(0, "new_version"), (1, "new_version"), (1, "unchanged"), (2, "new_version"), (0, "reverted")]
    for day, (number, outcome) in enumerate(history):
        at, text = T0 + timedelta(days=day), TEXTS[number]
        if text not in versions:
            versions[text] = _insert(
                connection,
                Version,
                document_id=document,
                text=text,
                sha256=f"{day:064d}",
                chars=len(text),
                first_seen_at=at,
                last_seen_at=at,
            )
        checks.append(
            _insert(
                connection,
                Check,
                document_id=document,
                checked_at=at,
                url=FACTS.url,
                outcome=outcome,
                version_id=versions[text],
            )
        )
    return checks


def test_the_migration_measures_the_changes_recorded_before_it(database_url):
    engine = make_engine(database_url)
    upgrade_database(engine, "0005")
    with engine.begin() as connection:
        checks = _old_rows(connection)
    upgrade_database(engine)
    columns = "paragraphs_added, paragraphs_deleted, paragraphs_modified, chars_inserted, chars_deleted"
    with engine.connect() as connection:
        sizes = {
            row[0]: tuple(row[1:]) for row in connection.execute(sa.text(f"SELECT id, {columns} FROM checks"))
        }
    engine.dispose()
    expected = [
        None,
        build_diff(TEXTS[0], TEXTS[1]).stats,
        None,  # unchanged: not a change
        build_diff(TEXTS[1], TEXTS[2]).stats,
        build_diff(TEXTS[2], TEXTS[0]).stats,  # the revert, from the version it replaced
    ]
    for check, stats in zip(checks, expected, strict=True):
        assert sizes[check] == (tuple(ChangeSize.of(stats).__dict__.values()) if stats else (None,) * 5)
    assert expected[1] != expected[3]
