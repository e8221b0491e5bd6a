"""Flood and loop guards for one turn's replies: a person writing very fast gets one 'wait'
reply, and a reply repeated to one chat many times (a bot on the other side) stops."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session as DB
from sqlmodel import col, func, select

from bot.store.models import InboundReceipt, Outbox
from flows.types import Outbound

if TYPE_CHECKING:
    from bot.store.contacts import Addressee

log = logging.getLogger(__name__)
FLOOD_PER_MINUTE = 20
"""Past this many messages a minute a contact gets one 'wait' reply; risk is still assessed."""
LOOP_REPEATS = 20
LOOP_WINDOW = timedelta(minutes=5)
"""A reply repeated this often to one contact in the window is a bot loop: stop answering."""
LOOP_SUSPECT = 5
"""Below this many messages a minute nobody is in a loop; skip the repeat count (hot path)."""


def unflooded(
    db: DB,
    contact: Addressee,
    replies: tuple[Outbound, ...],
    now: datetime,
    throttled: str,
    recent: int | None = None,
) -> list[Outbound]:
    """Throttle a flooding contact and cut reply loops; effects (escalation) still happen.

    `recent` is her messages of the last minute when the caller knows it (1 for one who never
    wrote before); otherwise it is counted."""
    if recent is None:
        recent = db.exec(
            select(func.count()).where(
                col(InboundReceipt.contact_id) == contact.id,
                col(InboundReceipt.received_at) > now - timedelta(minutes=1),
            )
        ).one()
    if recent > FLOOD_PER_MINUTE:
        first = recent == FLOOD_PER_MINUTE + 1
        if first:
            log.warning("flood contact=%s: throttled (risk still assessed)", contact.pseudonym)
        return [Outbound(throttled)] if first else []
    if recent < LOOP_SUSPECT:  # a loop needs many messages from the other side
        return list(replies)
    kept = []
    for reply in replies:
        repeats = db.exec(
            select(func.count()).where(
                col(Outbox.contact_id) == contact.id,
                col(Outbox.created_at) > now - LOOP_WINDOW,
                col(Outbox.text) == reply.text,
            )
        ).one()
        if repeats >= LOOP_REPEATS:
            log.warning("reply loop cut contact=%s", contact.pseudonym)
            continue
        kept.append(reply)
    return kept
