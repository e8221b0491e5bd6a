"""Flood and loop guards for one turn's replies: a person writing very fast gets one 'wait'
reply, and a reply repeated to one chat many times (a bot on the other side) stops."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select
from sqlmodel import Session as DB
from sqlmodel import col

from bot.store.models import InboundReceipt, Outbox, UTCDateTime
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
_RECENT = select(func.count()).where(
    col(InboundReceipt.contact_id) == bindparam("contact"),
    col(InboundReceipt.received_at) > bindparam("since", type_=UTCDateTime()),
)
"""Her messages since a moment."""
_REPEATS = select(func.count()).where(
    col(Outbox.contact_id) == bindparam("contact"),
    col(Outbox.created_at) > bindparam("since", type_=UTCDateTime()),
    col(Outbox.text) == bindparam("text"),
)
"""The rows with this text queued for her since a moment."""


def unflooded(
    db: DB,
    contact: Addressee,
    replies: Sequence[Outbound],
    now: datetime,
    throttled: str,
    recent: int | None = None,
) -> list[Outbound]:
    """Throttle a flooding contact and cut reply loops; effects (escalation) still happen.

    `recent` is her messages of the last minute when the caller knows it (1 for one who never
    wrote before); otherwise it is counted."""
    if recent is None:  # Core, prepared once: the hot path of a conversation's every turn
        hers = {"contact": contact.id, "since": now - timedelta(minutes=1)}
        recent = db.connection().execute(_RECENT, hers).scalar_one()
    if recent > FLOOD_PER_MINUTE:
        first = recent == FLOOD_PER_MINUTE + 1
        if first:
            log.warning("flood contact=%s: throttled (risk still assessed)", contact.pseudonym)
        return [Outbound(throttled)] if first else []
    if recent < LOOP_SUSPECT:  # a loop needs many messages from the other side
        return list(replies)
    kept = []
    for reply in replies:
        queued = {"contact": contact.id, "since": now - LOOP_WINDOW, "text": reply.text}
        repeats = db.connection().execute(_REPEATS, queued).scalar_one()
        if repeats >= LOOP_REPEATS:
            log.warning("reply loop cut contact=%s", contact.pseudonym)
            continue
        kept.append(reply)
    return kept
