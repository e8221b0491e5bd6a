"""Durable outbox dispatcher: claim rows, send at each channel's rate, retry, record the outcome."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from aiolimiter import AsyncLimiter
from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session as DB
from sqlmodel import col

from bot import metrics
from bot.channels.envelope import Message, Result, Sender
from bot.clock import Clock
from bot.privacy import Vault
from bot.store.engine import affected, unit_of_work
from bot.store.models import Contact, Outbox, OutboxStatus, RateSlot
from bot.store.outbox import BROADCAST_KINDS, PRIVATE_KINDS
from flows.types import Option

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_TRACKED_CHATS = 5000
LEASE = timedelta(seconds=60)
WHATSAPP_WINDOW = timedelta(hours=24)
BATCH_SECONDS = 2
"""Each round claims about this many seconds of sending per channel (bounds rows in flight)."""


@dataclass
class _ChannelState:
    limiter: AsyncLimiter
    paused_until: float = 0.0
    per_chat: dict[str, AsyncLimiter] = field(default_factory=dict)


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
    return [_message(row, vault, windows, now) for row in rows]


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


def reserve_slots(engine: Engine, channel: str, count: int, rate: float) -> datetime:
    """Book `count` sending slots at `rate` per second for this channel across all processes;
    returns when the first may go (the others follow at 1/rate intervals). PostgreSQL only."""
    now = datetime.now(UTC)  # physical time: rate limits are about the wall clock
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


def backoff(attempts: int) -> float:
    """Exponential backoff with jitter: 2, 4, 8 ... seconds, capped at 10 minutes."""
    return min(600.0, 2.0**attempts) * (0.75 + random.random() / 2)


class Dispatcher:
    """Sends claimed rows through one Sender per channel, keeping each channel's rate."""

    def __init__(
        self,
        engine: Engine,
        vault: Vault,
        senders: Sequence[Sender],
        clock: Clock,
        *,
        batch: int = 50,
        per_chat_rate: float = 1.0,
        templates: dict[str, str] | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.lease = lease
        self.engine = engine
        self.vault = vault
        self.clock = clock
        self.batch = batch
        self.templates = templates or {}
        self.senders = {sender.channel: sender for sender in senders}
        self.state = {
            sender.channel: _ChannelState(rate_limiter(sender.rate_per_second))
            for sender in senders
        }
        self.per_chat_rate = per_chat_rate

    async def run_once(self) -> int:
        """Claim and send one batch per channel, channels side by side; rows handled."""
        counts = await asyncio.gather(
            *(self._run_channel(sender) for sender in self.senders.values())
        )
        return sum(counts)

    async def _run_channel(self, sender: Sender) -> int:
        state = self.state[sender.channel]
        if asyncio.get_running_loop().time() < state.paused_until:
            return 0
        # Claim about BATCH_SECONDS of sending: rows in flight stay few (a crash re-sends at
        # most these) and a slow channel never holds a claim anywhere near the lease.
        limit = max(1, min(self.batch, math.ceil(sender.rate_per_second * BATCH_SECONDS)))
        messages = claim_batch(self.engine, sender.channel, limit, self.clock(), self.vault)
        if not messages:
            return 0
        slots: dict[int, datetime] = {}
        if self.engine.dialect.name == "postgresql":  # several dispatchers share one rate
            rate = sender.rate_per_second
            first = reserve_slots(self.engine, sender.channel, len(messages), rate)
            slots = {m.id: first + timedelta(seconds=i / rate) for i, m in enumerate(messages)}
        by_chat: dict[str, list[Message]] = defaultdict(list)
        for message in messages:
            by_chat[message.address].append(message)
        await asyncio.gather(
            *(self._send_chat(sender, state, chat, slots) for chat in by_chat.values())
        )
        return len(messages)

    async def drain(self, max_rounds: int = 1000) -> int:
        """Send until nothing is due (console chat, tests, CLI)."""
        total = 0
        for _ in range(max_rounds):
            sent = await self.run_once()
            total += sent
            if not sent:
                break
        return total

    async def run_forever(self, idle: float = 0.2, stop: asyncio.Event | None = None) -> None:
        last_recovery = -math.inf
        while stop is None or not stop.is_set():
            sent = 0
            try:  # the loop must survive a bad row or a database hiccup, recovery included
                now_mono = asyncio.get_running_loop().time()
                if now_mono - last_recovery > self.lease.total_seconds():
                    recover_stale(self.engine, self.clock(), self.lease)
                    last_recovery = now_mono
                sent = await self.run_once()
            except Exception:
                log.exception("dispatcher round failed")
            if not sent:
                await asyncio.sleep(idle)

    async def _send_chat(
        self,
        sender: Sender,
        state: _ChannelState,
        chat: list[Message],
        slots: dict[int, datetime],
    ) -> None:
        held: datetime | None = None
        for message in chat:  # in order: a chat never sees its messages shuffled
            if message.id in slots:  # the booked slot of the channel's shared rate
                wait = (slots[message.id] - datetime.now(UTC)).total_seconds()
                if wait > 0:
                    await asyncio.sleep(wait)
            if held is None:
                held = self._paused(state)
            if held is not None:  # after a retry or while the channel is paused: not an attempt
                self._defer(message, held)
                continue
            per_chat = self._chat_limiter(state, message)
            async with per_chat, state.limiter:
                held = self._paused(state)  # another chat may have hit a 429 while we waited
                result = None if held is not None else await self._attempt(sender, message)
            if result is None:
                assert held is not None
                self._defer(message, held)
                continue
            held = self._record(message, result, state)

    def _chat_limiter(self, state: _ChannelState, message: Message) -> AsyncLimiter:
        """About `per_chat_rate` per chat, bursts of 3; idle chats are forgotten (bounded)."""
        key = str(message.contact_id) if message.contact_id is not None else message.address
        if len(state.per_chat) > MAX_TRACKED_CHATS:
            idle = [k for k, limiter in state.per_chat.items() if limiter.has_capacity(3)]
            for k in idle:
                del state.per_chat[k]
        return state.per_chat.setdefault(key, AsyncLimiter(3, 3.0 / self.per_chat_rate))

    def _paused(self, state: _ChannelState) -> datetime | None:
        remaining = state.paused_until - asyncio.get_running_loop().time()
        return self.clock() + timedelta(seconds=remaining) if remaining > 0 else None

    def _defer(self, message: Message, until: datetime) -> None:
        """Back to the queue untried (the claim counted an attempt; give it back)."""
        with unit_of_work(self.engine) as db:
            db.execute(
                update(Outbox)
                .where(col(Outbox.id) == message.id, col(Outbox.status) == OutboxStatus.SENDING)
                .values(
                    status=OutboxStatus.PENDING,
                    next_attempt_at=until,
                    attempts=col(Outbox.attempts) - 1,
                )
            )

    async def _attempt(self, sender: Sender, message: Message) -> Result:
        if message.kind in BROADCAST_KINDS and not self._still_subscribed(message):
            return Result("cancelled", error="unsubscribed")
        if message.outside_window and message.template is None:
            template = self.templates.get(message.kind)
            if template is not None:
                message = _with_template(message, template)
        try:
            return await sender.send(message)
        except Exception as exc:  # network errors, provider outages: retry later
            log.warning(
                "send failed id=%s channel=%s: %s", message.id, message.channel, type(exc).__name__
            )
            return Result("retry", error=type(exc).__name__)

    def _still_subscribed(self, message: Message) -> bool:
        if message.contact_id is None:
            return False
        with unit_of_work(self.engine) as db:
            contact = db.get(Contact, message.contact_id)
            return contact is not None and contact.subscribed and not contact.unreachable

    def _record(self, message: Message, result: Result, state: _ChannelState) -> datetime | None:
        """Store the outcome; returns when a retried row is due again (None otherwise)."""
        now = self.clock()
        retry_at: datetime | None = None
        values: dict[str, object] = {"error": result.error}
        status = result.status
        if status == "template":
            template = self.templates.get(message.kind) or self.templates.get("default")
            if template is None or message.template is not None:
                status = OutboxStatus.NOT_SENT
            else:
                values.update(status=OutboxStatus.PENDING, template=template, next_attempt_at=now)
        if status == "retry":
            if message.attempts >= MAX_ATTEMPTS:
                values.update(status=OutboxStatus.FAILED)
            else:
                delay = max(result.retry_after or 0.0, backoff(message.attempts))
                retry_at = now + timedelta(seconds=delay)
                values.update(status=OutboxStatus.PENDING, next_attempt_at=retry_at)
            if result.pause_channel and result.retry_after:
                loop_now = asyncio.get_running_loop().time()
                state.paused_until = max(state.paused_until, loop_now + result.retry_after)
        elif status == "sent":
            values.update(status=OutboxStatus.SENT, provider_id=result.provider_id, sent_at=now)
            # WhatsApp may still report 63016 and need the text for a template resend.
            if message.kind in PRIVATE_KINDS and message.channel != "whatsapp":
                values["text"] = ""
        elif status in {OutboxStatus.FAILED, OutboxStatus.NOT_SENT, OutboxStatus.CANCELLED}:
            values.update(status=status)
            if message.kind in PRIVATE_KINDS:
                values["text"] = ""
        with unit_of_work(self.engine) as db:
            # Only while still ours: after a lease expiry another dispatcher owns the row.
            mine = (col(Outbox.id) == message.id, col(Outbox.status) == OutboxStatus.SENDING)
            db.execute(update(Outbox).where(*mine).values(**values))
            if result.unreachable and message.contact_id is not None:
                db.execute(
                    update(Contact)
                    .where(col(Contact.id) == message.contact_id)
                    .values(unreachable=True, subscribed=False, unsubscribed_at=now)
                )
        metrics.OUTBOUND.labels(message.channel, str(values.get("status", status))).inc()
        if values.get("status") in {OutboxStatus.FAILED, OutboxStatus.NOT_SENT}:
            metrics.SEND_FAILURES.labels(message.channel, result.error or "unknown").inc()
            log.warning("outbox id=%s %s: %s", message.id, values["status"], result.error)
        return retry_at


def rate_limiter(rate_per_second: float) -> AsyncLimiter:
    """`rate` sends a second (bursts up to one second's worth); below 1/s, one per period."""
    if rate_per_second >= 1:
        return AsyncLimiter(rate_per_second, 1.0)
    return AsyncLimiter(1, 1.0 / rate_per_second)


def _with_template(message: Message, template: str) -> Message:
    return replace(message, template=template, outside_window=True)
