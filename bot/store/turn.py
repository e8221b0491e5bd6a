"""PostgreSQL: the common turn's writes (her session, the usage row, the replies) in one
statement, straight on the driver (the hot path of every turn: no ORM, no SQL compilation)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection

from bot.store.contacts import Addressee
from bot.store.outbox import outbox_values
from bot.store.usage import Usage
from flows.types import Outbound

_SAVE = (
    "UPDATE contact SET last_inbound_at = %(at)s, unreachable = false, session = %(state)s,"
    " language = %(lang)s WHERE id = %(contact)s"
)
"""Her session and when she last wrote (`contacts.SAVE_TURN`); she wrote: whatever blocked us
before is gone."""


@cache
def _statement(usage: tuple[str, ...], outbox: tuple[str, ...], rows: int) -> str:
    """WITH usage, saved: the INSERT of `rows` outbox rows (their ids returned), or nothing."""
    used = ", ".join(f"%(u_{name})s" for name in usage)
    ctes = (
        f"WITH usage AS (INSERT INTO usage_event ({', '.join(usage)}) VALUES ({used})),"
        f" saved AS ({_SAVE})"
    )
    if not rows:
        return f"{ctes} SELECT 0 WHERE false"
    values = ", ".join(
        "(" + ", ".join(f"%(o{i}_{name})s" for name in outbox) + ")" for i in range(rows)
    )
    return f"{ctes} INSERT INTO outbox ({', '.join(outbox)}) VALUES {values} RETURNING id"


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
    """Save her session, count the turn and queue its replies: one round trip. The ids of
    the outbox rows, in the order of `messages` (a multi-row VALUES takes its ids in order)."""
    params: dict[str, Any] = {"at": now, "state": state, "lang": language, "contact": contact.id}
    params.update({f"u_{name}": value for name, value in usage.items()})
    names: tuple[str, ...] = ()
    for i, message in enumerate(messages):
        row = outbox_values(contact.id, contact.channel, contact.address_enc, message, now=now)
        names = tuple(row)
        params.update({f"o{i}_{name}": value for name, value in row.items()})
    statement = _statement(tuple(usage), names, len(messages))
    with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(statement, params)
        return sorted(row[0] for row in cursor.fetchall()) if messages else []
