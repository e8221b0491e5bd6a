"""The outbox dispatcher with the real senders against the fake Telegram and Twilio servers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlmodel import select
from telegram import Bot

from bot.app import App
from bot.channels.envelope import Message, Result, Sender
from bot.channels.telegram import TelegramSender, make_bot
from bot.channels.whatsapp import StatusUpdate, WhatsAppSender, record_status
from bot.clock import Clock
from bot.dispatcher import Dispatcher
from bot.ratelimit import rate_limiter
from bot.store import unit_of_work
from bot.store.contacts import ContactBook
from bot.store.models import Contact, Outbox, OutboxStatus
from bot.store.outbox import PRIORITY_BROADCAST, claim_batch, queue_message, recover_stale
from flows.types import Option, Outbound
from tests.conftest import FakeClock, FakeSleeper
from tests.fakes import FakeTelegram, FakeTwilio

FROM = "whatsapp:+14155238886"
CALLBACK = "https://bot.example.org/whatsapp/status"
REPLY_SID = "HX" + "a" * 32
REMINDER_SID = "HX" + "b" * 32


@pytest.fixture
async def tg_bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = make_bot(fake_telegram.token, fake_telegram.base_url)
    await bot.initialize()
    try:
        yield bot
    finally:
        await bot.shutdown()


def telegram(bot: Bot, rate: float = 1000.0) -> TelegramSender:
    return TelegramSender(bot, rate)


def whatsapp(fake: FakeTwilio, rate: float = 1000.0) -> WhatsAppSender:
    return WhatsAppSender(fake.make_client(), FROM, rate, CALLBACK)


def dispatcher(
    app: App, senders: list[Sender], clock: Callable[[], datetime] | None = None, **kw: Any
) -> Dispatcher:
    kw.setdefault("per_chat_rate", 1000.0)
    return Dispatcher(app.engine, app.vault, senders, clock or app.clock, **kw)


@dataclass
class Attempt:
    """One send on the dispatcher's virtual time; `started_at`/`ended_at` number the events."""

    started: float
    started_at: int
    result: Result | None = None
    ended: float = 0.0
    ended_at: int = 0


class Timed:
    """A real sender whose every attempt is written down on the sleeper's virtual time."""

    def __init__(self, inner: Sender, sleeper: FakeSleeper, log: list[Attempt]) -> None:
        self.inner, self.sleeper, self.log = inner, sleeper, log
        self.channel, self.rate_per_second = inner.channel, inner.rate_per_second

    async def send(self, message: Message) -> Result:
        attempt = Attempt(self.sleeper.now, _events(self.log))
        self.log.append(attempt)
        async with self.sleeper.sending():
            result = await self.inner.send(message)
        attempt.ended, attempt.ended_at = self.sleeper.now, _events(self.log)
        attempt.result = result
        return result


def _events(log: list[Attempt]) -> int:
    """Starts and ends so far: their order is the order the event loop ran them in."""
    return len(log) + sum(1 for a in log if a.result is not None)


def on_virtual_time(clock: FakeClock, sleeper: FakeSleeper) -> Clock:
    """The fake clock moved on by the sleeper (retry delays elapse as the dispatcher waits)."""
    base = clock.now
    return lambda: base + timedelta(seconds=sleeper.now)


def with_templates(app: App, **sids: str) -> App:
    app.settings = app.settings.model_copy(update=sids)
    return app


def add_contact(
    app: App,
    channel: str,
    address: str,
    *,
    subscribed: bool = True,
    inbound_ago: timedelta | None = timedelta(minutes=1),
) -> int:
    now = app.clock()
    with unit_of_work(app.engine) as db:
        contact = ContactBook(app.vault).get_or_create(db, channel, address, now)
        contact.subscribed = subscribed
        contact.last_inbound_at = None if inbound_ago is None else now - inbound_ago
        assert contact.id is not None
        return contact.id


def queue(
    app: App,
    contact_id: int,
    text: str,
    *,
    kind: str = "reply",
    options: tuple[Option, ...] = (),
) -> int:
    now = app.clock()
    with unit_of_work(app.engine) as db:
        contact = db.get(Contact, contact_id)
        assert contact is not None
        priority = PRIORITY_BROADCAST if kind in {"broadcast", "reminder"} else 0
        row = queue_message(
            db, contact, Outbound(text, options), kind=kind, priority=priority, now=now
        )
        db.flush()
        assert row.id is not None
        return row.id


def rows(app: App) -> dict[int, Outbox]:
    with unit_of_work(app.engine) as db:
        return {r.id: r for r in db.exec(select(Outbox)).all() if r.id is not None}


def contact(app: App, contact_id: int) -> Contact:
    with unit_of_work(app.engine) as db:
        found = db.get(Contact, contact_id)
        assert found is not None
        return found


# -- rates ------------------------------------------------------------------------------------


async def test_telegram_channel_rate_is_kept(
    sqlite_app: App, fake_telegram: FakeTelegram, tg_bot: Bot, sleeper: FakeSleeper
) -> None:
    n, rate = 10, 5.0
    for i in range(n):
        queue(sqlite_app, add_contact(sqlite_app, "telegram", str(1000 + i)), f"m{i}")
    log: list[Attempt] = []
    sender = Timed(telegram(tg_bot, rate), sleeper, log)
    sent = await dispatcher(sqlite_app, [sender], sleeper=sleeper).drain()
    assert sent == n
    calls = fake_telegram.calls_of("sendMessage")
    assert len(calls) == n and len(log) == n
    burst = rate  # one second's worth may go at once
    starts = [a.started for a in log]
    assert starts[-1] - starts[0] >= (n - burst) / rate - 1e-6


async def test_whatsapp_channel_rate_is_kept(
    sqlite_app: App, fake_twilio: FakeTwilio, sleeper: FakeSleeper
) -> None:
    n, rate = 10, 5.0
    for i in range(n):
        queue(sqlite_app, add_contact(sqlite_app, "whatsapp", f"+5198700{i:04d}"), f"m{i}")
    log: list[Attempt] = []
    sender = Timed(whatsapp(fake_twilio, rate), sleeper, log)
    sent = await dispatcher(sqlite_app, [sender], sleeper=sleeper).drain()
    assert sent == n and len(fake_twilio.sent) == n
    starts = [a.started for a in log]
    assert starts[-1] - starts[0] >= (n - rate) / rate - 1e-6


async def test_per_chat_rate_and_order(
    sqlite_app: App, fake_telegram: FakeTelegram, tg_bot: Bot, sleeper: FakeSleeper
) -> None:
    cid = add_contact(sqlite_app, "telegram", "2000")
    for i in range(6):
        queue(sqlite_app, cid, f"part {i}")
    log: list[Attempt] = []
    sender = Timed(telegram(tg_bot), sleeper, log)
    await dispatcher(sqlite_app, [sender], per_chat_rate=4.0, sleeper=sleeper).drain()
    starts = [a.started for a in log]
    assert starts[-1] - starts[0] >= (6 - 3) / 4.0 - 1e-6  # a burst of 3, then 4/s
    assert [c.text for c in fake_telegram.sent_to(2000)] == [f"part {i}" for i in range(6)]


async def test_two_dispatchers_on_postgresql_share_one_channel_rate(
    app: App, fake_telegram: FakeTelegram, tg_bot: Bot, clock: FakeClock, sleeper: FakeSleeper
) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("one SQLite process limits itself in memory; the shared rate is PostgreSQL's")
    n, rate = 24, 6.0
    for i in range(n):
        queue(app, add_contact(app, "telegram", str(5000 + i)), f"m{i}")
    log: list[Attempt] = []
    moving = on_virtual_time(clock, sleeper)
    first, second = (
        dispatcher(
            app, [Timed(telegram(tg_bot, rate), sleeper, log)], moving, batch=6, sleeper=sleeper
        )
        for _ in range(2)
    )
    counts = await asyncio.gather(first.drain(), second.drain())
    assert sum(counts) == n and len(fake_telegram.calls_of("sendMessage")) == n
    assert min(counts) > 0  # both worked...
    starts = sorted(a.started for a in log)  # ...yet together kept one rate, not two
    assert starts[-1] - starts[0] >= (n - 2 * rate) / rate - 1e-6


def test_rates_below_one_per_second_are_kept() -> None:
    slow = rate_limiter(0.5, FakeSleeper())
    assert (slow.max_rate, slow.time_period) == (1, 2.0)
    fast = rate_limiter(30, FakeSleeper())
    assert (fast.max_rate, fast.time_period) == (30, 1.0)


# -- order, keyboards -------------------------------------------------------------------------


async def test_replies_go_before_broadcasts(
    app: App, fake_telegram: FakeTelegram, tg_bot: Bot
) -> None:
    for i in range(6):
        queue(app, add_contact(app, "telegram", str(3000 + i)), "Difusión", kind="broadcast")
    replies = [add_contact(app, "telegram", str(3100 + i)) for i in range(2)]
    for cid in replies:
        queue(app, cid, "Respuesta")
    d = dispatcher(app, [telegram(tg_bot)], batch=2)
    assert await d.run_once() == 2
    assert sorted(c.chat_id for c in fake_telegram.calls_of("sendMessage")) == [3100, 3101]
    assert await d.drain() == 6
    assert len(fake_telegram.calls_of("sendMessage")) == 8


async def test_menus_become_inline_keyboards_and_numbered_lists(
    sqlite_app: App, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio, tg_bot: Bot
) -> None:
    options = (Option("1", "Buscar un CEM"), Option("2", "Hablar con alguien"))
    queue(
        sqlite_app,
        add_contact(sqlite_app, "telegram", "4000"),
        "¿En qué te ayudo?",
        options=options,
    )
    queue(
        sqlite_app,
        add_contact(sqlite_app, "whatsapp", "+51987000400"),
        "¿En qué te ayudo?",
        options=options,
    )
    await dispatcher(sqlite_app, [telegram(tg_bot), whatsapp(fake_twilio)]).drain()
    (tg,) = fake_telegram.sent_to(4000)
    assert [b["callback_data"] for b in tg.buttons] == ["1", "2"]
    assert tg.buttons[0]["text"] == "1. Buscar un CEM"
    (wa,) = fake_twilio.sent_to("+51987000400")
    assert wa.body == "¿En qué te ayudo?\n1. Buscar un CEM\n2. Hablar con alguien"
    assert wa.from_ == FROM and wa.status_callback == CALLBACK
    sent = [r for r in rows(sqlite_app).values() if r.channel == "whatsapp"]
    assert sent[0].provider_id == wa.sid and sent[0].status == OutboxStatus.SENT


# -- 429 storms -------------------------------------------------------------------------------


async def _run_until(d: Dispatcher, done: Callable[[], bool], timeout: float = 10.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(d.run_forever(idle=0.02, stop=stop))
    try:
        async with asyncio.timeout(timeout):  # a guard against a hang, not a speed check
            while not done():
                assert not task.done(), task
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


def _quiet_after_first_429(log: list[Attempt], retry_after: float) -> None:
    """Nothing new reaches the provider while it asked us to wait (in-flight ones excepted)."""
    first = next(a for a in log if a.result is not None and a.result.pause_channel)
    later = [a.started for a in log if a.started_at > first.ended_at]
    assert later, "nothing was sent after the pause"
    during = [t for t in later if t < first.ended + retry_after - 1e-6]
    assert during == [], f"requests during the retry_after pause: {during}"


async def test_telegram_429_storm_honours_retry_after(
    sqlite_app: App,
    fake_telegram: FakeTelegram,
    tg_bot: Bot,
    clock: FakeClock,
    sleeper: FakeSleeper,
) -> None:
    n = 10
    ids = [
        queue(sqlite_app, add_contact(sqlite_app, "telegram", str(5000 + i)), f"m{i}")
        for i in range(n)
    ]
    fake_telegram.fail_next(2, status=429, retry_after=1)
    log: list[Attempt] = []
    sender = Timed(telegram(tg_bot, 5.0), sleeper, log)
    d = dispatcher(sqlite_app, [sender], on_virtual_time(clock, sleeper), sleeper=sleeper)
    await _run_until(
        d,
        lambda: (
            len(fake_telegram.calls_of("sendMessage")) >= n + 2
            and all(r.status == OutboxStatus.SENT for r in rows(sqlite_app).values())
        ),
    )
    calls = fake_telegram.calls_of("sendMessage")
    limited = [c for c in calls if c.status == 429]
    assert len(limited) == 2
    _quiet_after_first_429(log, 1.0)
    assert sorted(c.chat_id for c in calls if c.ok) == [5000 + i for i in range(n)]
    final = rows(sqlite_app)
    assert all(final[i].status == OutboxStatus.SENT for i in ids)
    assert all(r.attempts <= 2 for r in final.values())  # a deferred row is not an attempt


async def test_twilio_429_storm_honoured(
    sqlite_app: App, fake_twilio: FakeTwilio, clock: FakeClock, sleeper: FakeSleeper
) -> None:
    n = 8
    for i in range(n):
        queue(sqlite_app, add_contact(sqlite_app, "whatsapp", f"+5198711{i:04d}"), f"m{i}")
    fake_twilio.fail_next(2, status=429, code=20429, message="Too Many Requests")
    log: list[Attempt] = []
    sender = Timed(whatsapp(fake_twilio, 4.0), sleeper, log)
    d = dispatcher(sqlite_app, [sender], on_virtual_time(clock, sleeper), sleeper=sleeper)
    await _run_until(d, lambda: len(fake_twilio.sent) >= n)
    calls = fake_twilio.requests
    limited = [c for c in calls if c.status == 429]
    assert len(limited) == 2
    _quiet_after_first_429(log, 1.0)
    assert len(fake_twilio.sent) == n
    assert len({c.to for c in fake_twilio.sent}) == n
    assert all(r.status == OutboxStatus.SENT for r in rows(sqlite_app).values())


async def test_a_retried_message_holds_back_the_rest_of_its_chat(
    sqlite_app: App,
    fake_telegram: FakeTelegram,
    tg_bot: Bot,
    clock: FakeClock,
    sleeper: FakeSleeper,
) -> None:
    cid = add_contact(sqlite_app, "telegram", "5100")
    for i in range(3):
        queue(sqlite_app, cid, f"part {i}")
    fake_telegram.fail_next(1, status=502)  # a network-level failure: retried, not paused
    d = dispatcher(sqlite_app, [telegram(tg_bot)], on_virtual_time(clock, sleeper), sleeper=sleeper)
    await _run_until(d, lambda: len(fake_telegram.sent_to(5100)) >= 3)
    assert [c.text for c in fake_telegram.sent_to(5100)] == ["part 0", "part 1", "part 2"]


# -- terminal errors --------------------------------------------------------------------------


async def test_telegram_403_marks_the_contact_unreachable_and_unsubscribed(
    app: App, fake_telegram: FakeTelegram, tg_bot: Bot
) -> None:
    blocked = add_contact(app, "telegram", "6000")
    reply = queue(app, blocked, "Hola")
    broadcast = queue(app, blocked, "Nuevo episodio", kind="broadcast")
    fake_telegram.fail_chat(6000, 403)
    await dispatcher(app, [telegram(tg_bot)]).drain()
    final = rows(app)
    assert (final[reply].status, final[reply].error) == (
        OutboxStatus.FAILED,
        "telegram_403_blocked",
    )
    assert final[broadcast].status == OutboxStatus.CANCELLED
    person = contact(app, blocked)
    assert person.unreachable and not person.subscribed
    assert person.unsubscribed_at == app.clock()
    assert len(fake_telegram.calls_of("sendMessage")) == 1  # tried once, never retried


@pytest.mark.parametrize("template", [True, False], ids=["with template", "without template"])
async def test_twilio_63016_resends_as_template_or_records_not_sent(
    app: App, fake_twilio: FakeTwilio, template: bool
) -> None:
    if template:
        with_templates(app, whatsapp_template_reply_sid=REPLY_SID)
    failures = REGISTRY.get_sample_value(
        "defensoras_send_failures_total", {"channel": "whatsapp", "reason": "twilio_63016"}
    )
    number = "+51987006301"
    row_id = queue(app, add_contact(app, "whatsapp", number), "Tu CEM más cercano\nDirección…")
    fake_twilio.fail_to(number, code=63016, freeform_only=True)
    d = dispatcher(app, [whatsapp(fake_twilio)], templates=app.templates())
    await d.drain()
    final = rows(app)[row_id]
    calls = fake_twilio.requests
    assert calls[0].body and not calls[0].is_template and calls[0].status == 400
    if template:
        assert len(calls) == 2
        assert calls[1].content_sid == REPLY_SID
        assert calls[1].content_variables == {"1": "Tu CEM más cercano"}
        assert (final.status, final.template, final.provider_id) == (
            OutboxStatus.SENT,
            REPLY_SID,
            calls[1].sid,
        )
    else:
        assert len(calls) == 1
        assert (final.status, final.error) == (OutboxStatus.NOT_SENT, "twilio_63016")
        after = REGISTRY.get_sample_value(
            "defensoras_send_failures_total", {"channel": "whatsapp", "reason": "twilio_63016"}
        )
        assert after == (failures or 0) + 1


async def test_outside_the_24_hour_window_a_template_goes_first(
    sqlite_app: App, fake_twilio: FakeTwilio
) -> None:
    with_templates(sqlite_app, whatsapp_template_reminder_sid=REMINDER_SID)
    away = add_contact(sqlite_app, "whatsapp", "+51987002401", inbound_ago=timedelta(hours=25))
    never = add_contact(sqlite_app, "whatsapp", "+51987002402", inbound_ago=None)
    recent = add_contact(sqlite_app, "whatsapp", "+51987002403", inbound_ago=timedelta(hours=23))
    for cid in (away, never, recent):
        queue(sqlite_app, cid, "Mañana 7 pm: nuevo episodio", kind="reminder")
    no_template = queue(sqlite_app, away, "Hola de nuevo")  # a reply kind: no template configured
    await dispatcher(sqlite_app, [whatsapp(fake_twilio)], templates=sqlite_app.templates()).drain()
    by_to = {c.to: c for c in fake_twilio.sent if c.is_template}
    assert set(by_to) == {"whatsapp:+51987002401", "whatsapp:+51987002402"}
    assert by_to["whatsapp:+51987002401"].content_variables == {"1": "Mañana 7 pm: nuevo episodio"}
    (inside,) = fake_twilio.sent_to("+51987002403")
    assert inside.body == "Mañana 7 pm: nuevo episodio" and not inside.is_template
    assert rows(sqlite_app)[no_template].status == OutboxStatus.SENT  # tried freeform
    (hello,) = [c for c in fake_twilio.sent if c.body == "Hola de nuevo"]
    assert hello.to == "whatsapp:+51987002401" and not hello.is_template


# -- status callbacks -------------------------------------------------------------------------


async def test_status_callbacks_update_rows_and_resend_63016_as_template(
    app: App, fake_twilio: FakeTwilio
) -> None:
    with_templates(app, whatsapp_template_alert_sid=REPLY_SID)
    cid = add_contact(app, "whatsapp", "+51987007001")
    delivered = queue(app, cid, "Hola")
    ping = queue(app, cid, "Caso #4: riesgo alto", kind="ping")
    lost = queue(app, cid, "Recordatorio", kind="reminder")
    d = dispatcher(app, [whatsapp(fake_twilio)], templates=app.templates())
    await d.drain()
    sid = {row_id: r.provider_id for row_id, r in rows(app).items()}
    templates = app.templates()

    def status(row_id: int, value: str, code: int | None = None) -> bool:
        return record_status(app.engine, StatusUpdate(sid[row_id] or "", value, code), templates)

    assert status(delivered, "delivered")
    assert status(ping, "sent")  # not final: the private text stays for a possible resend
    assert rows(app)[ping].text == "Caso #4: riesgo alto"
    assert status(ping, "undelivered", 63016)
    assert status(lost, "undelivered", 63016)
    assert not record_status(app.engine, StatusUpdate("SMnope", "delivered", None), templates)
    final = rows(app)
    assert final[delivered].status == OutboxStatus.DELIVERED
    assert (final[ping].status, final[ping].template) == (OutboxStatus.PENDING, REPLY_SID)
    assert (final[lost].status, final[lost].error) == (OutboxStatus.NOT_SENT, "twilio_63016")
    await d.drain()
    resent = fake_twilio.requests[-1]
    assert resent.content_sid == REPLY_SID
    assert resent.content_variables == {"1": "Caso #4: riesgo alto"}
    assert rows(app)[ping].provider_id == resent.sid
    sid[ping] = resent.sid
    assert status(ping, "delivered")
    assert (rows(app)[ping].status, rows(app)[ping].text) == (OutboxStatus.DELIVERED, "")


# -- crash recovery ---------------------------------------------------------------------------


async def test_rows_stuck_in_sending_are_recovered_once_the_lease_expires(
    app: App, fake_telegram: FakeTelegram, tg_bot: Bot, clock: FakeClock
) -> None:
    chats = [7000 + i for i in range(3)]
    for chat in chats:
        queue(app, add_contact(app, "telegram", str(chat)), "Hola")
    crashed = claim_batch(app.engine, "telegram", 10, clock(), app.vault)  # then "killed"
    assert len(crashed) == 3
    d = dispatcher(app, [telegram(tg_bot)])
    assert await d.drain() == 0  # claimed elsewhere: not sent twice while the lease holds
    assert recover_stale(app.engine, clock()) == 0
    clock.advance(seconds=61)
    assert recover_stale(app.engine, clock()) == 3
    assert await d.drain() == 3
    assert sorted(c.chat_id for c in fake_telegram.calls_of("sendMessage")) == chats
    assert {r.status for r in rows(app).values()} == {OutboxStatus.SENT}


async def test_telegram_delete_rows_use_delete_messages_in_chunks(
    sqlite_app: App, fake_telegram: FakeTelegram, tg_bot: Bot
) -> None:
    cid = add_contact(sqlite_app, "telegram", "8000")
    now = sqlite_app.clock()
    with unit_of_work(sqlite_app.engine) as db:
        person = db.get(Contact, cid)
        assert person is not None
        db.add(
            Outbox(
                contact_id=None,
                channel="telegram",
                address_enc=person.address_enc,
                kind="delete",
                text=json.dumps(list(range(1, 151))),
                next_attempt_at=now,
                created_at=now,
            )
        )
    await dispatcher(sqlite_app, [telegram(tg_bot)]).drain()
    assert len(fake_telegram.calls_of("deleteMessages")) == 2
    assert sorted(mid for _, mid in fake_telegram.deleted) == list(range(1, 151))
    (row,) = rows(sqlite_app).values()
    assert row.status == OutboxStatus.SENT


# -- hand-over and batching -------------------------------------------------------------------


class Dozing(FakeSleeper):
    """A dispatcher's idle poll that never ends on its own: only a hand-over can wake it."""

    def __init__(self) -> None:
        super().__init__()
        self.dozing = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.dozing.set()
        await asyncio.Event().wait()


async def test_rows_committed_in_this_process_are_handed_over_not_left_for_the_next_poll(
    sqlite_app: App, fake_telegram: FakeTelegram, tg_bot: Bot
) -> None:
    sqlite_app.injected_senders = [telegram(tg_bot)]
    d = sqlite_app.dispatcher
    d.sleeper = sleeper = Dozing()
    task = asyncio.create_task(d.run_forever(idle=3600))
    try:
        await asyncio.wait_for(sleeper.dozing.wait(), 10)
        queue(sqlite_app, add_contact(sqlite_app, "telegram", "8100"), "Hola")
        sqlite_app.hand_over()  # what the web process does after a turn
        await fake_telegram.wait_for_async(lambda: fake_telegram.sent_to(8100), timeout=10)
        async with asyncio.timeout(10):  # a guard against a hang, not a speed check
            while [r.status for r in rows(sqlite_app).values()] != [OutboxStatus.SENT]:
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_waiters_on_a_full_channel_take_turns_instead_of_all_waking_for_each_slot() -> None:
    sleeper = FakeSleeper()
    sleeps = 0
    original = sleeper.sleep

    async def counted(seconds: float) -> None:
        nonlocal sleeps
        sleeps += 1
        await original(seconds)

    sleeper.sleep = counted  # type: ignore[method-assign]
    limiter = rate_limiter(5, sleeper)
    order: list[int] = []

    async def send(i: int) -> None:
        await limiter.acquire()
        order.append(i)

    async with asyncio.timeout(30):  # a guard: the old herd could spin for minutes
        await asyncio.gather(*(send(i) for i in range(45)))
    assert order == list(range(45))  # first come, first served
    assert sleeps <= 45  # each waiter sleeps about once (all 40 waking per slot: ~800 sleeps)
    assert sleeper.now >= (45 - 5) / 5 - 1e-6  # and the rate still holds
