"""Outbox rows: every outbound message is a row first; the dispatcher sends it after commit."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session as DB
from sqlmodel import col, delete

from bot.channels.envelope import Message
from bot.privacy import DataKeyError, Vault
from bot.store.engine import affected, unit_of_work
from bot.store.models import Contact, Outbox, OutboxStatus, RateSlot
from flows.types import Option, Outbound

if TYPE_CHECKING:
    from bot.store.contacts import Addressee

log = logging.getLogger(__name__)

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


def insert_messages(
    db: DB, contact: Addressee, messages: Sequence[Outbound], *, now: datetime
) -> list[int]:
    """`queue_message` for a turn's replies in one Core statement (no ORM objects); their ids
    in order. Rows the session holds pending are written first, so ids keep the order."""
    if not messages:
        return []
    if db.new:
        db.flush()
    rows = [
        outbox_values(contact.id, contact.channel, contact.address_enc, message, now=now)
        for message in messages
    ]
    inserted = db.connection().execute(
        insert(Outbox).returning(col(Outbox.id), sort_by_parameter_order=True), rows
    )
    return [row_id for row_id in inserted.scalars() if row_id is not None]


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


def claim_batch(
    engine: Engine, channel: str, limit: int, now: datetime, vault: Vault
) -> list[Message]:
    """Move up to `limit` due rows to 'sending'; replies first. Safe with many dispatchers."""
    candidates = (
        select(col(Outbox.id))
        .where(
            col(Outbox.status) == OutboxStatus.PENDING,
            col(Outbox.channel) == channel,
            col(Outbox.next_attempt_at) <= now,
        )
        .order_by(col(Outbox.priority), col(Outbox.id))
        .limit(limit)
    )
    claim = update(Outbox).values(
        status=OutboxStatus.SENDING, claimed_at=now, attempts=col(Outbox.attempts) + 1
    )
    if engine.dialect.name == "postgresql":
        # A materialised CTE picks the rows once; `IN (subquery ... SKIP LOCKED LIMIT n)` may be
        # re-evaluated by the planner and claim far more than n rows (seen: 570 for n=40).
        chosen = (
            candidates.with_for_update(skip_locked=True)
            .cte("chosen")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        claim = claim.where(col(Outbox.id) == chosen.c.id)
    else:  # SQLite: one writer at a time, the statement is atomic
        claim = claim.where(col(Outbox.id).in_(candidates.scalar_subquery()))
    claim = claim.where(col(Outbox.status) == OutboxStatus.PENDING).returning(Outbox)
    with unit_of_work(engine) as db:
        rows = list(db.execute(claim).scalars().all())
        windows = _last_inbound(db, [r.contact_id for r in rows if r.contact_id is not None])
    rows.sort(key=lambda r: (r.priority, r.id))
    messages, unreadable = [], []
    for row in rows:
        try:
            messages.append(_message(row, vault, windows, now))
        except DataKeyError:  # one row the key cannot read must not block the channel
            unreadable.append(row.id)
    if unreadable:
        _fail(engine, unreadable, UNREADABLE)
        log.error("outbox rows %s cannot be decrypted with this data key: failed", unreadable)
    return messages


def _fail(engine: Engine, ids: Sequence[int | None], error: str) -> None:
    with unit_of_work(engine) as db:
        db.exec(
            update(Outbox)
            .where(col(Outbox.id).in_(ids))
            .values(status=OutboxStatus.FAILED, error=error)
        )


def _last_inbound(db: DB, ids: Sequence[int]) -> dict[int, datetime | None]:
    if not ids:
        return {}
    query = select(col(Contact.id), col(Contact.last_inbound_at)).where(col(Contact.id).in_(ids))
    return {cid: at for cid, at in db.execute(query).all()}


def _message(
    row: Outbox, vault: Vault, windows: dict[int, datetime | None], now: datetime
) -> Message:
    assert row.id is not None
    # A row without a contact is the goodbye after BORRAR, an answer to a message just received.
    outside = False
    if row.channel == "whatsapp" and row.contact_id is not None:
        last = windows.get(row.contact_id)
        outside = last is None or now - last > WHATSAPP_WINDOW
    return Message(
        id=row.id,
        channel=row.channel,
        address=vault.decrypt(row.address_enc),
        kind=row.kind,
        text=row.text,
        options=tuple(Option(k, label) for k, label in json.loads(row.options)),
        attempts=row.attempts,
        contact_id=row.contact_id,
        template=row.template,
        outside_window=outside,
    )


def reserve_slots(engine: Engine, channel: str, count: int, rate: float, now: datetime) -> datetime:
    """Book `count` sending slots at `rate` per second for this channel across all processes;
    returns when the first may go (the others follow at 1/rate intervals). PostgreSQL only.

    `now` is physical time in production: every process books on the same wall clock."""
    span = timedelta(seconds=count / rate)
    book = (
        pg_insert(RateSlot)
        .values(channel=channel, next_at=now + span)
        .on_conflict_do_update(
            index_elements=[col(RateSlot.channel)],
            set_={"next_at": func.greatest(col(RateSlot.next_at), now) + span},
        )
        .returning(col(RateSlot.next_at))
    )
    with unit_of_work(engine) as db:
        booked_until: datetime = db.execute(book).scalar_one()
    return booked_until - span


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
