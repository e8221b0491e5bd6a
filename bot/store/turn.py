"""The common turn's writes (her session, the usage row, the replies) straight on the driver:
the hot path of every turn, no ORM, no SQL compilation. PostgreSQL: one statement; SQLite
(no data-modifying CTE): three, prepared once by the driver and run in the turn's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection

from bot.store.contacts import Addressee
from bot.store.models import sqlite_timestamp
from bot.store.outbox import outbox_values
from bot.store.usage import Usage
from flows.types import Outbound

_SAVE = (
    "UPDATE contact SET last_inbound_at = {at}, unreachable = false, session = {state},"
    " language = {lang} WHERE id = {contact}"
)
"""Her session and when she last wrote; she wrote: whatever blocked us before is gone."""


def _marked(names: Sequence[str], mark: str, prefix: str = "") -> str:
    """The parameters `names` in the driver's style (`mark`: "%({})s" or ":{}")."""
    return ", ".join(mark.format(prefix + name) for name in names)


def _usage_insert(usage: tuple[str, ...], mark: str) -> str:
    return f"INSERT INTO usage_event ({', '.join(usage)}) VALUES ({_marked(usage, mark, 'u_')})"


def _outbox_insert(outbox: tuple[str, ...], rows: int, mark: str) -> str:
    """The INSERT of `rows` outbox rows, their ids returned."""
    values = ", ".join(f"({_marked(outbox, mark, f'o{i}_')})" for i in range(rows))
    return f"INSERT INTO outbox ({', '.join(outbox)}) VALUES {values} RETURNING id"


_PG = "%({})s"
_SQLITE = ":{}"
_PG_SAVE = _SAVE.format(**{name: _PG.format(name) for name in ("at", "state", "lang", "contact")})
SQLITE_SAVE = _SAVE.format(
    **{name: _SQLITE.format(name) for name in ("at", "state", "lang", "contact")}
)


@cache
def _statement(usage: tuple[str, ...], outbox: tuple[str, ...], rows: int) -> str:
    """PostgreSQL: WITH usage, saved: the INSERT of `rows` outbox rows (their ids returned),
    or nothing."""
    ctes = f"WITH usage AS ({_usage_insert(usage, _PG)}), saved AS ({_PG_SAVE})"
    if not rows:
        return f"{ctes} SELECT 0 WHERE false"
    return f"{ctes} {_outbox_insert(outbox, rows, _PG)}"


@cache
def _sqlite_usage(usage: tuple[str, ...]) -> str:
    return _usage_insert(usage, _SQLITE)


@cache
def _sqlite_outbox(outbox: tuple[str, ...], rows: int) -> str:
    return _outbox_insert(outbox, rows, _SQLITE)


def _for_sqlite(value: Any) -> Any:
    """A parameter as SQLAlchemy's SQLite types store it (times as text, UTC)."""
    if isinstance(value, datetime):
        return sqlite_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_turn(
    connection: Connection,
    contact: Addressee,
    usage: Usage,
    messages: Sequence[Outbound],
    *,
    state: str,
    language: str,
    now: datetime,
) -> list[int]:
    """Save her session, count the turn and queue its replies. The ids of the outbox rows, in
    the order of `messages` (a multi-row VALUES takes its ids in order)."""
    params: dict[str, Any] = {"at": now, "state": state, "lang": language, "contact": contact.id}
    params.update({f"u_{name}": value for name, value in usage.items()})
    names: tuple[str, ...] = ()
    for i, message in enumerate(messages):
        row = outbox_values(contact.id, contact.channel, contact.address_enc, message, now=now)
        names = tuple(row)
        params.update({f"o{i}_{name}": value for name, value in row.items()})
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name != "postgresql":
        params = {name: _for_sqlite(value) for name, value in params.items()}
        driver.execute(SQLITE_SAVE, params)
        driver.execute(_sqlite_usage(tuple(usage)), params)
        if not messages:
            return []
        return sorted(
            row[0] for row in driver.execute(_sqlite_outbox(names, len(messages)), params)
        )
    statement = _statement(tuple(usage), names, len(messages))
    with driver.cursor() as cursor:
        cursor.execute(statement, params)
        return sorted(row[0] for row in cursor.fetchall()) if messages else []
