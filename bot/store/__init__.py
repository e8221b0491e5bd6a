"""The store: engine and unit of work, tables, migrations, contacts and outbox rows."""

from bot.store.engine import (
    SchemaOutOfDate,
    StoreBusy,
    affected,
    current_revision,
    ensure_schema,
    head_revision,
    make_engine,
    serialized,
    unit_of_work,
    upgrade,
)

__all__ = [
    "SchemaOutOfDate",
    "StoreBusy",
    "affected",
    "current_revision",
    "ensure_schema",
    "head_revision",
    "make_engine",
    "serialized",
    "unit_of_work",
    "upgrade",
]
