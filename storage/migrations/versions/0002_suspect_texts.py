"""suspicious texts: their streak on documents, the large-change flag on versions

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(
            sa.Column("suspect_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("suspect_count", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("versions") as batch_op:
        batch_op.add_column(
            sa.Column("is_large_change", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("versions") as batch_op:
        batch_op.drop_column("is_large_change")
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("suspect_count")
        batch_op.drop_column("suspect_sha256")
