"""Broadcasts: one row per subscriber under a unique key, so a re-run never doubles a message."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.store.engine import unit_of_work
from bot.store.models import Broadcast, Contact, Outbox, OutboxStatus
from bot.store.outbox import PRIORITY_BROADCAST, outbox_values
from flows.types import Outbound

DONE = (
    OutboxStatus.SENT,
    OutboxStatus.DELIVERED,
    OutboxStatus.FAILED,
    OutboxStatus.NOT_SENT,
    OutboxStatus.CANCELLED,
)


def audience(engine: Engine) -> Counter[str]:
    """Subscribers who can be reached, by channel."""
    with unit_of_work(engine) as db:
        rows = db.exec(
            select(col(Contact.channel), func.count())
            .where(col(Contact.subscribed) == True, col(Contact.unreachable) == False)
            .group_by(col(Contact.channel))
        ).all()
    return Counter({channel: count for channel, count in rows})


def audience_languages(engine: Engine) -> Counter[str]:
    """Subscribers who can be reached, by their conversation's language."""
    with unit_of_work(engine) as db:
        rows = db.exec(
            select(col(Contact.language), func.count())
            .where(col(Contact.subscribed) == True, col(Contact.unreachable) == False)
            .group_by(col(Contact.language))
        ).all()
    return Counter({language: count for language, count in rows})


def create_broadcast(
    engine: Engine,
    *,
    key: str,
    text: str,
    kind: str,
    now: datetime,
    translations: Mapping[str, str] | None = None,
) -> int | None:
    """Queue `text` for every reachable subscriber; None when `key` was already broadcast.

    `translations` (language code -> text) go to the subscribers whose conversation is in that
    language (the contact row's `language`); everyone else gets `text`, the Spanish. Reminders
    pass them; a coordinator's broadcast is her own words and goes out as she wrote them."""
    translated = translations or {}
    try:
        with unit_of_work(engine) as db:
            record = Broadcast(key=key, kind=kind, text=text, created_at=now)
            db.add(record)
            db.flush()
            recipients = db.exec(
                select(
                    col(Contact.id),
                    col(Contact.channel),
                    col(Contact.address_enc),
                    col(Contact.language),
                ).where(
                    col(Contact.subscribed) == True,
                    col(Contact.unreachable) == False,
                )
            ).all()
            rows = [
                outbox_values(
                    contact_id,
                    channel,
                    address_enc,
                    Outbound(translated.get(language, text)),
                    kind=kind,
                    priority=PRIORITY_BROADCAST,
                    now=now,
                    dedupe_key=f"{key}:{contact_id}",
                    broadcast_id=record.id,
                )
                for contact_id, channel, address_enc, language in recipients
            ]
            for start in range(0, len(rows), 1000):
                db.execute(insert(Outbox), rows[start : start + 1000])
            record.total = len(rows)
            return record.id
    except IntegrityError:
        return None


def progress(engine: Engine, broadcast_id: int) -> tuple[int, int]:
    """(finished, total) rows of a broadcast."""
    with unit_of_work(engine) as db:
        total = db.exec(select(func.count()).where(col(Outbox.broadcast_id) == broadcast_id)).one()
        done = db.exec(
            select(func.count()).where(
                col(Outbox.broadcast_id) == broadcast_id,
                col(Outbox.status).in_(DONE),
            )
        ).one()
    return int(done), int(total)
