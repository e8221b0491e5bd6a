"""Outbox rows: every outbound message is a row first; the dispatcher sends it after commit."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session as DB
from sqlmodel import col, delete

from bot.store.models import Contact, Outbox, OutboxStatus
from flows.types import Outbound

PRIORITY_REPLY = 0
PRIORITY_BROADCAST = 5
PRIVATE_KINDS = frozenset({"relay", "ping"})
"""Rows that carry a case excerpt or the person's words: their text goes once final."""
BROADCAST_KINDS = frozenset({"broadcast", "reminder"})


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
) -> Outbox:
    """Write one outbound row; the dispatcher sends it after the transaction commits."""
    row = Outbox(
        contact_id=contact.id,
        channel=contact.channel,
        address_enc=contact.address_enc,
        priority=priority,
        kind=kind,
        text=message.text,
        options=json.dumps([[o.key, o.label] for o in message.options], ensure_ascii=False),
        next_attempt_at=now,
        created_at=now,
        dedupe_key=dedupe_key,
        broadcast_id=broadcast_id,
    )
    db.add(row)
    return row


def cancel_broadcasts(db: DB, contact_id: int | None) -> None:
    """Opt-out wins over reminders already queued for this person."""
    db.exec(
        delete(Outbox).where(
            col(Outbox.contact_id) == contact_id,
            col(Outbox.status) == OutboxStatus.PENDING,
            col(Outbox.kind).in_(("broadcast", "reminder")),
        )
    )
