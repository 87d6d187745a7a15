"""tracked documents: platforms and documents added by users (/track), one per normalised URL, and trackings

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place (ALTER TABLE ADD COLUMN): on SQLite rebuilding a table others refer to fails.
    op.add_column(
        "platforms", sa.Column("added_by_users", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column(
        "documents", sa.Column("added_by_users", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("documents", sa.Column("url_key", sa.String(length=64), nullable=True))
    op.add_column("documents", sa.Column("unfollowed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # A unique index, not a constraint: SQLite adds it without rebuilding a table others refer to.
    op.create_index(op.f("ix_documents_url_key"), "documents", ["url_key"], unique=True)
    op.create_table(
        "trackings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_trackings_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"], ["subscribers.id"], name=op.f("fk_trackings_subscriber_id_subscribers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trackings")),
        sa.UniqueConstraint("subscriber_id", "document_id", name="uq_trackings_pair"),
    )
    with op.batch_alter_table("trackings") as batch_op:
        batch_op.create_index(batch_op.f("ix_trackings_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trackings_subscriber_id"), ["subscriber_id"], unique=False)


def downgrade() -> None:
    op.drop_table("trackings")
    op.drop_index(op.f("ix_documents_url_key"), table_name="documents")
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("unfollowed_at")
        batch_op.drop_column("url_key")
        batch_op.drop_column("added_by_users")
    with op.batch_alter_table("platforms") as batch_op:
        batch_op.drop_column("added_by_users")
