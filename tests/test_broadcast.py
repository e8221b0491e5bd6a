"""Subscriptions, reminders and broadcasts: exactly once, opt-out wins, crash-safe."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import select

from bot.app import App, build_app
from bot.broadcast import audience, create_broadcast, progress
from bot.channels.envelope import Envelope
from bot.channels.telegram import TelegramSender, make_bot
from bot.channels.whatsapp import WhatsAppSender, make_client
from bot.dispatcher import Dispatcher
from bot.scheduler import send_due_reminders
from bot.store import unit_of_work
from bot.store.models import Contact, Outbox, OutboxStatus
from bot.store.outbox import claim_batch, recover_stale
from flows.episodes import EpisodeSchedule
from flows.types import Channel, Inbound
from tests.conftest import ROOT_CONTENT, FakeClock, make_settings
from tests.factories import run_cli, subscribe_many
from tests.fakes import FakeTelegram, FakeTwilio

LIMA_OFFSET = timedelta(hours=-5)


def say(app: App, text: str, address: str = "+51911111111") -> list[str]:
    handled = app.service.handle(Envelope(Inbound(Channel.WHATSAPP, text=text), address))
    with unit_of_work(app.engine) as db:
        return [db.get(Outbox, i).text for i in handled.outbox_ids]  # type: ignore[union-attr]


def contact(app: App, address: str = "+51911111111") -> Contact:
    with unit_of_work(app.engine) as db:
        found = app.service.contacts.find(db, "whatsapp", address)
        assert found is not None
        return found


def test_alta_is_confirmed_in_one_discreet_message_and_consent_recorded(app: App) -> None:
    replies = say(app, "ALTA")
    assert len(replies) == 1
    assert "BAJA" in replies[0]
    assert contact(app).subscribed
    assert contact(app).consent_at == app.clock()


def test_baja_stop_and_free_text_unsubscribe_and_nothing_resubscribes(app: App) -> None:
    for stop in ("BAJA", "stop", "ya no quiero recibir recordatorios"):
        say(app, "ALTA")
        say(app, stop)
        if stop.islower() and " " in stop:  # her own words: asked first, done on her yes
            assert contact(app).subscribed
            say(app, "si")
        assert not contact(app).subscribed
    say(app, "hola")
    say(app, "3")
    assert not contact(app).subscribed
    assert contact(app).unsubscribed_at is not None


def test_broadcast_creation_is_idempotent(app: App) -> None:
    subscribe_many(app, 3, 2)
    first = create_broadcast(app.engine, key="k1", text="hola", kind="broadcast", now=app.clock())
    again = create_broadcast(app.engine, key="k1", text="hola", kind="broadcast", now=app.clock())
    assert first is not None and again is None
    assert progress(app.engine, first) == (0, 5)
    assert audience(app.engine) == Counter({"telegram": 3, "whatsapp": 2})


def test_opt_out_wins_over_a_queued_reminder(app: App) -> None:
    say(app, "ALTA")
    broadcast = create_broadcast(
        app.engine, key="r", text="mañana", kind="reminder", now=app.clock()
    )
    assert broadcast is not None and progress(app.engine, broadcast) == (0, 1)
    say(app, "BAJA")
    with unit_of_work(app.engine) as db:
        rows = db.exec(select(Outbox).where(Outbox.broadcast_id == broadcast)).all()
    assert rows == []


def upcoming_schedule(
    content_schedule: EpisodeSchedule, day: date, time: str | None
) -> EpisodeSchedule:
    data: dict[str, Any] = yaml.safe_load((ROOT_CONTENT / "episodes.yaml").read_text("utf-8"))
    data["seasons"].append(
        {
            "id": "2026",
            "name": "temporada 2026",
            "episodes": [
                {
                    "number": 1,
                    "date": day.isoformat(),
                    "date_confirmed": True,
                    "time": time,
                    "time_known": time is not None,
                    "title": None,
                    "topic": None,
                    "venues": [{"market": "Mercado Central", "district": "Lima"}],
                    "online": [],
                }
            ],
        }
    )
    del content_schedule
    return EpisodeSchedule.model_validate(data)


def lima(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - LIMA_OFFSET


def with_episodes(app: App, schedule: EpisodeSchedule) -> App:
    """The same store and clock, built with other episodes (as a coordinator's edit would)."""
    content = dataclasses.replace(app.content, episodes=schedule)
    return build_app(app.settings, engine=app.engine, clock=app.clock, content=content)


def test_reminders_are_one_broadcast_per_episode_and_offset(app: App, clock: FakeClock) -> None:
    episode_day = date(2026, 6, 19)
    app = with_episodes(app, upcoming_schedule(app.content.episodes, episode_day, "18:00"))
    say(app, "ALTA")
    clock.now = lima(episode_day - timedelta(days=1), 18, 30)
    assert send_due_reminders(app) == 0
    clock.now = lima(episode_day - timedelta(days=1), 19, 1)
    assert send_due_reminders(app) == 1
    assert send_due_reminders(app) == 0  # a re-run, or a second scheduler, never doubles it
    clock.now = lima(episode_day, 17, 2)
    assert send_due_reminders(app) == 1
    clock.now = lima(episode_day, 18, 30)  # started: nothing more
    assert send_due_reminders(app) == 0
    with unit_of_work(app.engine) as db:
        reminders = db.exec(select(Outbox).where(Outbox.kind == "reminder")).all()
    assert len(reminders) == 2
    for row in reminders:
        lowered = row.text.lower()
        assert "violencia" not in lowered and "denuncia" not in lowered and "abuso" not in lowered


def test_a_short_outage_still_sends_the_reminder_once(app: App, clock: FakeClock) -> None:
    episode_day = date(2026, 6, 19)
    app = with_episodes(app, upcoming_schedule(app.content.episodes, episode_day, None))
    say(app, "ALTA")
    clock.now = lima(episode_day - timedelta(days=1), 21, 30)  # scheduler was down at 19:00
    assert send_due_reminders(app) == 1
    assert send_due_reminders(app) == 0


async def _drain(dispatcher: Dispatcher) -> None:
    await dispatcher.drain(max_rounds=10_000)


def test_thousand_subscribers_get_exactly_one_reminder_through_a_crash(
    app: App, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    people = subscribe_many(app, 600, 400)
    quitters = people[::20]  # 50 people said BAJA after subscribing
    for channel, address in quitters:
        with unit_of_work(app.engine) as db:
            found = app.service.contacts.find(db, channel, address)
            assert found is not None
            found.subscribed = False
    key = "reminder:2026:1:evening_before"
    broadcast = create_broadcast(
        app.engine, key=key, text="Mañana nuevo programa", kind="reminder", now=app.clock()
    )
    assert broadcast is not None

    bot = make_bot(fake_telegram.token, fake_telegram.base_url)
    client = make_client(fake_twilio.account_sid, fake_twilio.auth_token, fake_twilio.url)
    senders = [
        TelegramSender(bot, rate_per_second=400),
        WhatsAppSender(client, "+14155238886", rate_per_second=400, status_callback=None),
    ]
    # Crash mid-way: a dispatcher claims a batch, sends part of it and dies before recording.
    in_flight = claim_batch(app.engine, "telegram", 40, app.clock(), app.vault)

    async def crash_after_sending_some() -> None:
        async with bot:
            for message in in_flight[:25]:
                await senders[0].send(message)

    asyncio.run(crash_after_sending_some())
    app.clock.advance(minutes=5)  # type: ignore[attr-defined]
    assert recover_stale(app.engine, app.clock()) == 40

    async def restart() -> None:
        async with bot:
            await _drain(Dispatcher(app.engine, app.vault, senders, app.clock, per_chat_rate=100))

    asyncio.run(restart())
    client.http_client.session.close()  # type: ignore[attr-defined]

    telegram_counts = Counter(
        str(call.chat_id) for call in fake_telegram.sent if call.method == "sendMessage"
    )
    whatsapp_counts = Counter(call.to.removeprefix("whatsapp:") for call in fake_twilio.sent)
    received = telegram_counts + whatsapp_counts
    stayed = [address for channel, address in people if (channel, address) not in set(quitters)]
    assert all(received[address] >= 1 for address in stayed)  # nobody lost
    assert all(received[address] == 0 for _, address in quitters)  # BAJA receives nothing
    duplicates = sum(count - 1 for count in received.values() if count > 1)
    assert duplicates <= 25  # bounded by what was sent but not recorded when it crashed
    assert progress(app.engine, broadcast) == (950, 950)
    with unit_of_work(app.engine) as db:
        statuses = Counter(row.status for row in db.exec(select(Outbox)).all())
    assert statuses == Counter({OutboxStatus.SENT: 950})


def test_broadcast_dry_run_counts_and_estimates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    app = build_app(make_settings(url), content=None, migrate=True)
    subscribe_many(app, 60, 20)
    key = app.settings.data_key.get_secret_value()  # type: ignore[union-attr]
    app.engine.dispose()
    result = run_cli(
        ["broadcast", "send", "Hola", "--dry-run"], "", tmp_path, DATABASE_URL=url, DATA_KEY=key
    )
    assert result.returncode == 0, result.stderr
    assert "destinatarias: 80 (telegram: 60, whatsapp: 20)" in result.stdout
    assert "≈ 2 s" in result.stdout  # 60 at 30/s, 20 at 10/s


def test_empty_broadcast_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    result = run_cli(["broadcast", "send", ""], "", tmp_path, DATABASE_URL=url)
    assert result.returncode == 2
    assert "vacío" in result.stderr
