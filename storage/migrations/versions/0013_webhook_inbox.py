"""inbox: Telegram updates posted to the webhook, kept until the worker has handled them

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("update_id", name=op.f("uq_inbox_update_id")),
    )
    with op.batch_alter_table("inbox") as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_finished_at"), ["finished_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_finished_at"))
        batch_op.drop_index(batch_op.f("ix_inbox_status"))
    op.drop_table("inbox")
