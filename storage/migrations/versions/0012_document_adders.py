"""document adders: the chat whose /track created a document, for the quota of new documents per chat

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_FOREIGN_KEY = "fk_documents_added_by_subscriber_id_subscribers"


def upgrade() -> None:
    # Added in place, the foreign key inline: on SQLite rebuilding a table others refer to fails, and
    # Alembic adds no constraint there outside batch mode (a rebuild), so SQLite gets the DDL itself.
    # Documents added before this migration have no adder and count for no one.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE documents ADD COLUMN added_by_subscriber_id INTEGER "
            f"CONSTRAINT {_FOREIGN_KEY} REFERENCES subscribers (id)"
        )
    else:
        op.add_column(
            "documents",
            sa.Column(
                "added_by_subscriber_id", sa.Integer(), sa.ForeignKey("subscribers.id", name=_FOREIGN_KEY)
            ),
        )
    op.create_index(
        op.f("ix_documents_added_by_subscriber_id"), "documents", ["added_by_subscriber_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_documents_added_by_subscriber_id"), table_name="documents")
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("added_by_subscriber_id")
