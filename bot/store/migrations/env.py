"""Alembic environment: the engine comes from the bot's store, never from alembic.ini."""

from __future__ import annotations

from alembic import context

from bot.store import models

target_metadata = models.SQLModel.metadata  # the models module registers every table
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through bot.store.upgrade(), which passes a connection")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
