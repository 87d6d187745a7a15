"""Alembic environment: runs on the connection handed over by ``storage.migrate``."""

from alembic import context

import storage.llm_usage  # noqa: F401 (its table joins the metadata)
from storage.models import SQLModel

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
