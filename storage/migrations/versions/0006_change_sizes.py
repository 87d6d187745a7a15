"""checks: each change's size (paragraphs added, deleted, modified; characters inserted, deleted), backfilled

Revision ID: 0006
Revises: 0005
"""

from itertools import pairwise

import sqlalchemy as sa
from alembic import op

from analysis.diff import build_diff

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SIZES = ("paragraphs_added", "paragraphs_deleted", "paragraphs_modified", "chars_inserted", "chars_deleted")
COLUMNS = ("id", "document_id", "outcome", "version_id", *SIZES)
checks = sa.table("checks", *(sa.column(name) for name in COLUMNS))
versions = sa.table("versions", sa.column("id"), sa.column("text"))


def upgrade() -> None:
    with op.batch_alter_table("checks") as batch_op:
        for name in SIZES:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
    connection = op.get_bind()
    for document_id in connection.scalars(sa.select(checks.c.document_id).distinct()).all():
        _measure_document(connection, document_id)


def _measure_document(connection: sa.Connection, document_id: int) -> None:
    """Each change of one document (new versions and reverts, in order) measured from the one before."""
    rows = connection.execute(
        sa.select(checks.c.id, versions.c.text)
        .join(versions, versions.c.id == checks.c.version_id)
        .where(checks.c.document_id == document_id, checks.c.outcome.in_(["new_version", "reverted"]))
        .order_by(checks.c.id)
    ).all()
    for (_, previous), (check_id, text) in pairwise(rows):
        stats = build_diff(previous, text).stats
        values = {name: getattr(stats, name) for name in SIZES}
        connection.execute(sa.update(checks).where(checks.c.id == check_id).values(**values))


def downgrade() -> None:
    with op.batch_alter_table("checks") as batch_op:
        for name in reversed(SIZES):
            batch_op.drop_column(name)
