"""Outbox rows: every outbound message is a row first; the dispatcher sends it after commit."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    RowMapping,
    TextClause,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlmodel import Session as DB
from sqlmodel import col, delete

from bot.channels.envelope import Message
from bot.privacy import DataKeyError, Vault
from bot.store.engine import affected, single_statement, unit_of_work
from bot.store.models import Contact, Outbox, OutboxStatus, UTCDateTime
from flows.types import Option, Outbound

log = logging.getLogger(__name__)
UTC_TS = UTCDateTime()

PRIORITY_REPLY = 0
PRIORITY_BROADCAST = 5
PRIVATE_KINDS = frozenset({"relay", "ping"})
"""Rows that carry a case excerpt or the person's words: their text goes once final."""
BROADCAST_KINDS = frozenset({"broadcast", "reminder"})
LEASE = timedelta(seconds=60)
"""A row claimed longer ago than this is taken to be lost with its dispatcher."""
WHATSAPP_WINDOW = timedelta(hours=24)
UNREADABLE = "undecryptable_address"
"""The error of a row whose address this data key cannot decrypt (failed alone, never retried)."""


def outbox_values(
    contact_id: int | None,
    channel: str,
    address_enc: str,
    message: Outbound,
    *,
    kind: str = "reply",
    priority: int = PRIORITY_REPLY,
    now: datetime,
    dedupe_key: str | None = None,
    broadcast_id: int | None = None,
    case_id: int | None = None,
) -> dict[str, Any]:
    """The columns of one pending outbound row: every row the bot sends is built here."""
    return {
        "contact_id": contact_id,
        "channel": channel,
        "address_enc": address_enc,
        "priority": priority,
        "kind": kind,
        "text": message.text,
        "options": json.dumps([[o.key, o.label] for o in message.options], ensure_ascii=False),
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "dedupe_key": dedupe_key,
        "broadcast_id": broadcast_id,
        "case_id": case_id,
    }


def queue_message(
    db: DB,
    contact: Contact,
    message: Outbound,
    *,
    kind: str = "reply",
    priority: int = PRIORITY_REPLY,
    now: datetime,
    dedupe_key: str | None = None,
    broadcast_id: int | None = None,
    case_id: int | None = None,
) -> Outbox:
    """Write one outbound row; the dispatcher sends it after the transaction commits."""
    row = Outbox(
        **outbox_values(
            contact.id,
            contact.channel,
            contact.address_enc,
            message,
            kind=kind,
            priority=priority,
            now=now,
            dedupe_key=dedupe_key,
            broadcast_id=broadcast_id,
            case_id=case_id,
        )
    )
    db.add(row)
    return row


def erase_case_texts(db: DB, case_ids: Sequence[int], pseudonym: str, erased: str) -> None:
    """BORRAR: pings and relays about her cases lose their text; those not yet sent are not sent;
    any other row naming her pseudonym (a defensora's "you took #3 (C-7F3A)") names `erased`.

    They sit in the defensoras' outbox rows (kept until a delivery callback or the retention
    scan), so deleting her contact's own rows alone would leave her words behind."""
    db.exec(
        update(Outbox)
        .where(col(Outbox.text).contains(pseudonym))
        .values(text=func.replace(col(Outbox.text), pseudonym, erased))
    )
    if not case_ids:
        return
    about_her = (col(Outbox.case_id).in_(case_ids), col(Outbox.kind).in_(PRIVATE_KINDS))
    db.exec(
        update(Outbox)
        .where(*about_her, col(Outbox.status) == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED, error="erased")
    )
    db.exec(update(Outbox).where(*about_her).values(text="", options="[]"))


def cancel_broadcasts(db: DB, contact_id: int | None) -> None:
    """Opt-out wins over reminders already queued for this person."""
    db.exec(
        delete(Outbox).where(
            col(Outbox.contact_id) == contact_id,
            col(Outbox.status) == OutboxStatus.PENDING,
            col(Outbox.kind).in_(("broadcast", "reminder")),
        )
    )


# -- claiming and recovering (the dispatcher's side) ------------------------------------------


@dataclass(frozen=True, slots=True)
class Claimed:
    messages: list[Message]
    first_slot: datetime | None = None
    """PostgreSQL, claimed with a rate: when the first message may go; the others follow at
    1/rate intervals (their slots of the channel's shared rate were booked in the claim)."""


def claim_batch(
    engine: Engine, channel: str, limit: int, now: datetime, vault: Vault
) -> list[Message]:
    """Move up to `limit` due rows to 'sending'; replies first. Safe with many dispatchers."""
    return claim(engine, channel, limit, now, vault).messages


_CLAIMED = "id, contact_id, address_enc, priority, kind, text, options, template, attempts"
_PG_CLAIM = f"""
WITH chosen AS MATERIALIZED (
    SELECT id FROM outbox
    WHERE status = 'pending' AND channel = :of_channel AND next_attempt_at <= :now
    ORDER BY priority, id LIMIT :limit FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE outbox SET status = 'sending', claimed_at = :now, attempts = outbox.attempts + 1
    FROM chosen WHERE outbox.id = chosen.id AND outbox.status = 'pending'
    RETURNING {", ".join(f"outbox.{c}" for c in _CLAIMED.split(", "))}
)"""
_PG_BOOK = """, booked AS (
    INSERT INTO rate_slot (channel, next_at)
    SELECT :of_channel, :now + make_interval(secs => count(*) / :rate) FROM claimed
    HAVING count(*) > 0
    ON CONFLICT (channel) DO UPDATE
    SET next_at = greatest(rate_slot.next_at, :now) + (excluded.next_at - :now)
    RETURNING next_at
)"""
_PG_SELECT = """
SELECT claimed.*, contact.last_inbound_at, {booked} AS booked_until
FROM claimed LEFT JOIN contact ON contact.id = claimed.contact_id"""
PG_CLAIM = {
    booking: text(
        _PG_CLAIM
        + (_PG_BOOK if booking else "")
        + _PG_SELECT.format(booked="(SELECT next_at FROM booked)" if booking else "NULL")
    )
    .bindparams(bindparam("now", type_=UTC_TS))
    .columns(last_inbound_at=UTC_TS, booked_until=UTC_TS)
    for booking in (False, True)
}
"""PostgreSQL: claim due rows in one statement (its own transaction: autocommit), with the
contact's last message (WhatsApp's 24-hour window) and, given a rate, their sending slots:
`rate_slot` holds, per channel, the earliest moment the next message may go across every
process; the claim books count/rate seconds from there (or from now, if later), in the same
round trip. `now` is physical time in production: every process books on one wall clock.
The candidates are a materialised CTE: `IN (subquery ... SKIP LOCKED LIMIT n)` may be
re-evaluated by the planner and claim far more than n rows (seen: 570 for n=40)."""
_TABLE = Outbox.__table__  # type: ignore[attr-defined]
_SQLITE_CLAIM = (
    update(_TABLE)
    .where(
        _TABLE.c.id.in_(
            select(_TABLE.c.id)
            .where(
                _TABLE.c.status == OutboxStatus.PENDING,
                _TABLE.c.channel == bindparam("of_channel"),
                _TABLE.c.next_attempt_at <= bindparam("now", type_=UTC_TS),
            )
            .order_by(_TABLE.c.priority, _TABLE.c.id)
            .limit(bindparam("limit"))
            .scalar_subquery()
        ),
        _TABLE.c.status == OutboxStatus.PENDING,
    )
    .values(
        status=OutboxStatus.SENDING, claimed_at=bindparam("now"), attempts=_TABLE.c.attempts + 1
    )
    .returning(*(_TABLE.c[c] for c in _CLAIMED.split(", ")))
)
"""SQLite: one writer at a time, the statement is atomic."""


def claim(
    engine: Engine,
    channel: str,
    limit: int,
    now: datetime,
    vault: Vault,
    rate: float | None = None,
) -> Claimed:
    """Move up to `limit` due rows to 'sending', replies first (safe with many dispatchers);
    on PostgreSQL with a `rate`, their slots of the channel's shared rate are booked too."""
    values = {"of_channel": channel, "limit": limit, "now": now, "rate": rate}
    first: datetime | None = None
    if engine.dialect.name == "postgresql":
        with single_statement(engine) as connection:
            rows = list(connection.execute(PG_CLAIM[rate is not None], values).mappings())
        windows = {r["contact_id"]: r["last_inbound_at"] for r in rows}
        if rows and rate is not None:
            first = rows[0]["booked_until"] - timedelta(seconds=len(rows) / rate)
    else:
        with single_statement(engine) as connection:
            rows = list(connection.execute(_SQLITE_CLAIM, values).mappings())
            ids = [r["contact_id"] for r in rows if r["contact_id"] is not None]
            windows = _last_inbound(connection, ids) if channel == "whatsapp" else {}
    rows.sort(key=lambda r: (r["priority"], r["id"]))
    messages, unreadable = [], []
    for row in rows:
        try:
            messages.append(_message(row, channel, vault, windows, now))
        except DataKeyError:  # one row the key cannot read must not block the channel
            unreadable.append(row["id"])
    if unreadable:
        _fail(engine, unreadable, UNREADABLE)
        log.error("outbox rows %s cannot be decrypted with this data key: failed", unreadable)
    return Claimed(messages, first)


def _fail(engine: Engine, ids: Sequence[int | None], error: str) -> None:
    with unit_of_work(engine) as db:
        db.exec(
            update(Outbox)
            .where(col(Outbox.id).in_(ids))
            .values(status=OutboxStatus.FAILED, error=error)
        )


def _last_inbound(connection: Connection, ids: Sequence[int]) -> dict[int | None, datetime | None]:
    if not ids:
        return {}
    query = select(col(Contact.id), col(Contact.last_inbound_at)).where(col(Contact.id).in_(ids))
    return {cid: at for cid, at in connection.execute(query).all()}


def _message(
    row: RowMapping,
    channel: str,
    vault: Vault,
    windows: dict[int | None, datetime | None],
    now: datetime,
) -> Message:
    # A row without a contact is the goodbye after BORRAR, an answer to a message just received.
    outside = False
    contact_id = row["contact_id"]
    if channel == "whatsapp" and contact_id is not None:
        last = windows.get(contact_id)
        outside = last is None or now - last > WHATSAPP_WINDOW
    return Message(
        id=row["id"],
        channel=channel,
        address=vault.decrypt(row["address_enc"]),
        kind=row["kind"],
        text=row["text"],
        options=tuple(Option(k, label) for k, label in json.loads(row["options"])),
        attempts=row["attempts"],
        contact_id=contact_id,
        template=row["template"],
        outside_window=outside,
    )


_MINE = (col(Outbox.id) == bindparam("row_id"), col(Outbox.status) == OutboxStatus.SENDING)
"""Outcomes are written only while the row is still ours (after a lease expiry it is not)."""


def write_outcomes(engine: Engine, outcomes: Sequence[tuple[int, dict[str, object]]]) -> None:
    """The dispatcher's outcomes (row id, the columns to set), one statement per shape of
    columns. PostgreSQL: each an UPDATE over arrays of the values (`_pg_outcomes`), its own
    transaction (each row's outcome stands alone); SQLite: one transaction, executemany."""
    shapes: dict[tuple[str, ...], list[tuple[int, dict[str, object]]]] = defaultdict(list)
    for row_id, values in outcomes:
        shapes[tuple(sorted(values))].append((row_id, values))
    if not shapes:
        return
    if engine.dialect.name == "postgresql":
        with single_statement(engine) as connection:
            for keys, rows in shapes.items():
                arrays: dict[str, object] = {"ids": [row_id for row_id, _ in rows]}
                arrays.update({k: [values[k] for _, values in rows] for k in keys})
                connection.execute(_pg_outcomes(keys, engine.dialect), arrays)
        return
    with unit_of_work(engine) as db:
        for keys, rows in shapes.items():
            setters: dict[str, Any] = {k: bindparam(f"v_{k}") for k in keys}
            params = [
                {"row_id": i, **{f"v_{k}": v for k, v in values.items()}} for i, values in rows
            ]
            db.connection().execute(update(Outbox).where(*_MINE).values(setters), params)


@cache
def _pg_outcomes(keys: tuple[str, ...], dialect: Dialect) -> TextClause:
    """UPDATE outbox FROM unnest(ids, one array per column): one statement for any number of
    rows, the same text for the same columns (prepared once by psycopg)."""
    arrays = ", ".join(f"CAST(:{k} AS {_TABLE.c[k].type.compile(dialect=dialect)}[])" for k in keys)
    setters = ", ".join(f"{k} = v.{k}" for k in keys)
    sql = (
        f"UPDATE outbox SET {setters} FROM unnest(CAST(:ids AS INTEGER[]), {arrays})"
        f" AS v(id, {', '.join(keys)}) WHERE outbox.id = v.id AND outbox.status = 'sending'"
    )
    return text(sql)


def recover_stale(engine: Engine, now: datetime, lease: timedelta = LEASE) -> int:
    """Rows left in 'sending' by a crashed dispatcher go back to the queue."""
    with unit_of_work(engine) as db:
        result = db.execute(
            update(Outbox)
            .where(
                col(Outbox.status) == OutboxStatus.SENDING,
                col(Outbox.claimed_at) < now - lease,
            )
            .values(status=OutboxStatus.PENDING, next_attempt_at=now)
        )
        count = affected(result)
    if count:
        log.warning("recovered %d outbox row(s) stuck in 'sending'", count)
    return count
