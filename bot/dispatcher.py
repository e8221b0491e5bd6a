"""Durable outbox dispatcher: claim rows, send at each channel's rate, retry, record the outcome."""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlmodel import col

from bot import metrics
from bot.channels.envelope import Message, Result, Sender
from bot.clock import Clock, Sleeper, SystemSleeper
from bot.privacy import Vault
from bot.ratelimit import RateLimiter, rate_limiter
from bot.store.engine import unit_of_work
from bot.store.models import Contact, OutboxStatus
from bot.store.outbox import (
    BROADCAST_KINDS,
    LEASE,
    PRIVATE_KINDS,
    claim,
    recover_stale,
    write_outcomes,
)

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 600.0
RETRY_FOR = timedelta(hours=6)
"""A row is retried with capped backoff for about this long, so a provider outage of minutes or
hours delays replies instead of losing them; then it is failed (`defensoras outbox retry`)."""


def _attempts_within(span: timedelta) -> int:
    waited, attempts = 0.0, 1
    while waited < span.total_seconds():
        waited += min(MAX_BACKOFF_SECONDS, 2.0**attempts)
        attempts += 1
    return attempts


MAX_SEND_ATTEMPTS = _attempts_within(RETRY_FOR)
"""An outbox row is sent at most this often (claims count attempts); then it is failed."""
FINAL = frozenset(
    {OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.NOT_SENT, OutboxStatus.CANCELLED}
)
MAX_TRACKED_CHATS = 5000
BATCH_SECONDS = 2
"""Each round claims about this many seconds of sending per channel (bounds rows in flight)."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    row_id: int
    values: dict[str, object]


@dataclass
class _ChannelState:
    limiter: RateLimiter
    paused_until: float = 0.0
    """On the sleeper's monotonic time: the provider asked us to wait until then."""
    per_chat: dict[str, RateLimiter] = field(default_factory=dict)
    unsubscribed: frozenset[int | None] = frozenset()
    """Contacts of this round's broadcast rows who no longer take them (read once a round)."""


def backoff(attempts: int) -> float:
    """Exponential backoff with jitter: 2, 4, 8 ... seconds, capped at 10 minutes."""
    return min(MAX_BACKOFF_SECONDS, 2.0**attempts) * (0.75 + random.random() / 2)


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
        sleeper: Sleeper | None = None,
    ) -> None:
        self.lease = lease
        self.sleeper = sleeper or SystemSleeper()
        self.engine = engine
        self.vault = vault
        self.clock = clock
        self.batch = batch
        self.templates = templates or {}
        self.senders = {sender.channel: sender for sender in senders}
        self.state = {
            sender.channel: _ChannelState(rate_limiter(sender.rate_per_second, self.sleeper))
            for sender in senders
        }
        self.per_chat_rate = per_chat_rate
        self._outcomes: list[_Outcome] = []
        self._work = asyncio.Event()

    def wake(self) -> None:
        """New rows were committed in this process: send them now, not at the next poll."""
        self._work.set()

    async def run_once(self) -> int:
        """Claim and send one batch per channel, channels side by side; rows handled."""
        self._work.clear()
        try:
            counts = await asyncio.gather(
                *(self._run_channel(sender) for sender in self.senders.values())
            )
        finally:  # one transaction for the round's outcomes, not one per message
            await asyncio.to_thread(self._flush)
        return sum(counts)

    async def _run_channel(self, sender: Sender) -> int:
        state = self.state[sender.channel]
        if self.sleeper.monotonic() < state.paused_until:
            return 0
        # Claim about BATCH_SECONDS of sending: rows in flight stay few (a crash re-sends at
        # most these) and a slow channel never holds a claim anywhere near the lease.
        limit = max(1, min(self.batch, math.ceil(sender.rate_per_second * BATCH_SECONDS)))
        rate = sender.rate_per_second
        # PostgreSQL: several dispatchers share one rate; the claim books the rows' slots.
        shared = rate if self.engine.dialect.name == "postgresql" else None
        claimed = await asyncio.to_thread(
            claim, self.engine, sender.channel, limit, self.clock(), self.vault, shared
        )
        messages = claimed.messages
        if not messages:
            return 0
        audience = {m.contact_id for m in messages if m.kind in BROADCAST_KINDS}
        if audience:  # one read a round, right before sending, not one per message
            state.unsubscribed = await asyncio.to_thread(self._unsubscribed, audience)
        slots: dict[int, datetime] = {}
        if claimed.first_slot is not None:
            first = claimed.first_slot
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
                elapsed = self.sleeper.monotonic()
                if elapsed - last_recovery > self.lease.total_seconds():
                    recover_stale(self.engine, self.clock(), self.lease)
                    last_recovery = elapsed
                sent = await self.run_once()
            except Exception:
                log.exception("dispatcher round failed")
            if not sent:
                await self._idle(idle)

    async def _idle(self, seconds: float) -> None:
        """Sleep until the next poll, or until a turn in this process hands over new rows."""
        if self._work.is_set():
            return
        nap = asyncio.ensure_future(self.sleeper.sleep(seconds))
        woken = asyncio.ensure_future(self._work.wait())
        try:
            await asyncio.wait((nap, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            nap.cancel()
            woken.cancel()

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
                wait = (slots[message.id] - self.clock()).total_seconds()
                if wait > 0:
                    await self.sleeper.sleep(wait)
            if held is None:
                held = self._paused(state)
            if held is not None:  # after a retry or while the channel is paused: not an attempt
                self._defer(message, held)
                continue
            per_chat = self._chat_limiter(state, message)
            async with per_chat, state.limiter:
                held = self._paused(state)  # another chat may have hit a 429 while we waited
                result = None if held is not None else await self._attempt(sender, message, state)
            if result is None:
                assert held is not None
                self._defer(message, held)
                continue
            held = self._record(message, result, state)

    def _chat_limiter(self, state: _ChannelState, message: Message) -> RateLimiter:
        """About `per_chat_rate` per chat, bursts of 3; idle chats are forgotten (bounded)."""
        key = str(message.contact_id) if message.contact_id is not None else message.address
        if len(state.per_chat) > MAX_TRACKED_CHATS:
            idle = [k for k, limiter in state.per_chat.items() if limiter.has_capacity(3)]
            for k in idle:
                del state.per_chat[k]
        limiter = state.per_chat.get(key)
        if limiter is None:
            limiter = RateLimiter(3, 3.0 / self.per_chat_rate, self.sleeper)
            state.per_chat[key] = limiter
        return limiter

    def _paused(self, state: _ChannelState) -> datetime | None:
        remaining = state.paused_until - self.sleeper.monotonic()
        return self.clock() + timedelta(seconds=remaining) if remaining > 0 else None

    def _defer(self, message: Message, until: datetime) -> None:
        """Back to the queue untried (the claim counted an attempt; give it back)."""
        values = {"status": OutboxStatus.PENDING, "next_attempt_at": until}
        self._outcomes.append(_Outcome(message.id, {**values, "attempts": message.attempts - 1}))

    def _flush(self) -> None:
        """Write the recorded outcomes (`write_outcomes`)."""
        outcomes, self._outcomes = self._outcomes, []
        write_outcomes(self.engine, [(o.row_id, o.values) for o in outcomes])

    async def _attempt(self, sender: Sender, message: Message, state: _ChannelState) -> Result:
        if message.kind in BROADCAST_KINDS and message.contact_id in state.unsubscribed:
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

    def _unsubscribed(self, audience: set[int | None]) -> frozenset[int | None]:
        """Who of `audience` left (or cannot be reached) since the broadcast was queued."""
        ids = [i for i in audience if i is not None]
        query = select(col(Contact.id)).where(
            col(Contact.id).in_(ids), col(Contact.subscribed) == True, ~col(Contact.unreachable)
        )
        with self.engine.connect() as connection:  # a read: no writer lock, no ORM
            still = set(connection.execute(query).scalars())
        return frozenset(audience - still)

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
            if message.attempts >= MAX_SEND_ATTEMPTS:
                values.update(status=OutboxStatus.FAILED)
            else:
                delay = max(result.retry_after or 0.0, backoff(message.attempts))
                retry_at = now + timedelta(seconds=delay)
                values.update(status=OutboxStatus.PENDING, next_attempt_at=retry_at)
            if result.pause_channel and result.retry_after:
                resume = self.sleeper.monotonic() + result.retry_after
                state.paused_until = max(state.paused_until, resume)
        elif status == "sent":
            values.update(status=OutboxStatus.SENT, provider_id=result.provider_id, sent_at=now)
            # WhatsApp may still report 63016 and need the text for a template resend.
            if message.kind in PRIVATE_KINDS and message.channel != "whatsapp":
                values["text"] = ""
        elif status in {OutboxStatus.FAILED, OutboxStatus.NOT_SENT, OutboxStatus.CANCELLED}:
            values.update(status=status)
            if message.kind in PRIVATE_KINDS:
                values["text"] = ""
        if message.contact_id is None and values.get("status") in FINAL:
            # The goodbye or chat deletion after BORRAR: once done, not even her address stays.
            values.update(address_enc="", text="")
        if result.unreachable and message.contact_id is not None:
            # Rare, and seen at once: her queued broadcasts in this round are cancelled.
            state.unsubscribed = state.unsubscribed | {message.contact_id}
            with unit_of_work(self.engine) as db:
                db.execute(
                    update(Contact)
                    .where(col(Contact.id) == message.contact_id)
                    .values(unreachable=True, subscribed=False, unsubscribed_at=now)
                )
        self._outcomes.append(_Outcome(message.id, values))  # written at the round's end
        metrics.OUTBOUND.labels(message.channel, str(values.get("status", status))).inc()
        if values.get("status") in {OutboxStatus.FAILED, OutboxStatus.NOT_SENT}:
            metrics.SEND_FAILURES.labels(message.channel, result.error or "unknown").inc()
            log.warning("outbox id=%s %s: %s", message.id, values["status"], result.error)
        return retry_at


def _with_template(message: Message, template: str) -> Message:
    return replace(message, template=template, outside_window=True)
