"""checks: the kind of each failure, transient (retried sooner) or permanent; older failures stay NULL

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checks") as batch_op:
        batch_op.add_column(sa.Column("failure_kind", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("checks") as batch_op:
        batch_op.drop_column("failure_kind")
