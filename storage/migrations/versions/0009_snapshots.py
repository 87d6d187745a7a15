"""snapshots: raw responses kept once and compressed; versions' snapshot, fingerprint and technical flag

Revision ID: 0009
Revises: 0008

Versions recorded before have no snapshot and the fingerprint "unknown". Each document keeps the
options it had at the upgrade (``legacy_options``), the rules those versions were read with, so that
the first check after the upgrade can tell a change of our rules from a change of the policy.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

documents = sa.table("documents", sa.column("options", sa.JSON()), sa.column("legacy_options", sa.JSON()))


def _add_snapshot_column(table: str) -> None:
    """A nullable reference to a snapshot; on SQLite added in place (rebuilding a referenced table fails)."""
    name = op.f(f"fk_{table}_snapshot_id_snapshots")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN snapshot_id INTEGER CONSTRAINT {name} REFERENCES snapshots (id)"
        )
    else:
        op.add_column(table, sa.Column("snapshot_id", sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, "snapshots", ["snapshot_id"], ["id"])


def upgrade() -> None:
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("charset", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("fetched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_fetched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["base_id"], ["snapshots.id"], name=op.f("fk_snapshots_base_id_snapshots")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_snapshots_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
        sa.UniqueConstraint("document_id", "sha256", name="uq_snapshots_document_sha256"),
    )
    with op.batch_alter_table("snapshots") as batch_op:
        batch_op.create_index(batch_op.f("ix_snapshots_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_snapshots_last_fetched_at"), ["last_fetched_at"], unique=False)
    _add_snapshot_column("versions")
    _add_snapshot_column("checks")
    fingerprint = sqlmodel.sql.sqltypes.AutoString(length=64)
    op.add_column("versions", sa.Column("fingerprint", fingerprint, server_default="unknown", nullable=False))
    op.add_column("versions", sa.Column("technical", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("documents", sa.Column("legacy_options", sa.JSON(), nullable=True))
    op.execute(documents.update().values(legacy_options=documents.c.options))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("legacy_options")
    with op.batch_alter_table("checks") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_checks_snapshot_id_snapshots"), type_="foreignkey")
        batch_op.drop_column("snapshot_id")
    with op.batch_alter_table("versions") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_versions_snapshot_id_snapshots"), type_="foreignkey")
        batch_op.drop_column("technical")
        batch_op.drop_column("fingerprint")
        batch_op.drop_column("snapshot_id")
    with op.batch_alter_table("snapshots") as batch_op:
        batch_op.drop_index(batch_op.f("ix_snapshots_last_fetched_at"))
        batch_op.drop_index(batch_op.f("ix_snapshots_document_id"))
    op.drop_table("snapshots")
