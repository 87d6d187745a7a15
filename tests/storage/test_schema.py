"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from storage.models import SQLModel


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_schema_starts_whole(engine):
    tables = set(inspect(engine).get_table_names())
    assert {"platforms", "documents", "versions", "checks", "subscribers", "subscriptions"} <= tables


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("WAL and PRAGMA foreign_keys are SQLite's; PostgreSQL enforces foreign keys always")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
