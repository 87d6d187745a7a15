"""document adding users: the Telegram user whose /track created a document, for the quota per person

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain nullable column (no foreign key): SQLite adds it in place. Documents added before this
    # migration have no adding user and count for no one's quota per person.
    op.add_column("documents", sa.Column("added_by_user_id", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_documents_added_by_user_id"), "documents", ["added_by_user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_documents_added_by_user_id"), table_name="documents")
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("added_by_user_id")
