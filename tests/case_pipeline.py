"""The case pipeline for transcript tests: service turns, the outbox dispatcher and the real
python-telegram-bot / twilio clients talking to local fake servers. Time is a FakeClock.
The woman writes on WhatsApp; Ana and Bety (Telegram), Carmen (WhatsApp) and Coco the
coordinator (Telegram) are the roster."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlmodel import col, select

from bot import scheduler
from bot.app import App, build_app
from bot.channels.telegram import parse_update
from bot.channels.whatsapp import parse_inbound
from bot.dispatcher import Dispatcher
from bot.roster import LIMA, add_defensora, add_shift
from bot.service import Handled
from bot.settings import Settings
from bot.store import unit_of_work
from bot.store.models import Case, CaseEvent
from flows.engine import Content
from tests.conftest import FakeClock, make_settings
from tests.fakes import (
    FakeTelegram,
    FakeTwilio,
    make_callback_update,
    make_message_update,
    make_whatsapp_inbound,
)

PERSON = "+51987654321"
PERSON_TG = 777000111
BOT_NUMBER = "+14155238886"
ANA, BETY, COORD = 5001, 5002, 5003
CARMEN_WA = "+51911222333"
THREAT = "mi ex me dijo que me va a matar, llamame al 987 654 321"
ALERT_SID = "HX" + "a" * 32


@dataclass
class Pipeline:
    app: App
    dispatcher: Dispatcher
    telegram: FakeTelegram
    twilio: FakeTwilio
    clock: FakeClock
    updates: int = 0

    # -- inbound, through the real channel parsers ---------------------------------------
    def whatsapp(self, body: str, number: str = PERSON, replying_to: str | None = None) -> Handled:
        """A WhatsApp message; `replying_to` makes it a reply to the message with that SID."""
        extra = {"OriginalRepliedMessageSid": replying_to} if replying_to else {}
        form = make_whatsapp_inbound(body, from_=number, to="whatsapp:" + BOT_NUMBER, **extra)
        return self.app.service.handle(parse_inbound(form))

    def tg(self, chat_id: int, text_: str, quoting: str | None = None) -> Handled:
        """A Telegram message; `quoting` makes it a reply to a message with that text."""
        self.updates += 1
        update = make_message_update(self.updates, chat_id, text_)
        if quoting is not None:
            message = update["message"]
            message["reply_to_message"] = {
                "message_id": 1,
                "chat": message["chat"],
                "date": message["date"],
                "text": quoting,
            }
        parsed = parse_update(update)
        assert parsed.envelope is not None
        return self.app.service.handle(parsed.envelope)

    def press(self, chat_id: int, data: str) -> Handled:
        self.updates += 1
        parsed = parse_update(make_callback_update(self.updates, chat_id, data, message_id=1))
        assert parsed.envelope is not None
        return self.app.service.handle(parsed.envelope)

    async def drain(self) -> int:
        return await self.dispatcher.drain()

    # -- what arrived ------------------------------------------------------------------------
    def tg_texts(self, chat_id: int) -> list[str]:
        return [c.text or "" for c in self.telegram.sent_to(chat_id)]

    def wa_texts(self, number: str = PERSON) -> list[str]:
        return [c.body or "" for c in self.twilio.sent_to(number)]

    def case(self, case_id: int = 1) -> Case:
        with unit_of_work(self.app.engine) as db:
            found = db.get(Case, case_id)
            assert found is not None
            return found

    def events(self, case_id: int = 1) -> list[str]:
        with unit_of_work(self.app.engine) as db:
            rows = db.exec(
                select(CaseEvent)
                .where(col(CaseEvent.case_id) == case_id)
                .order_by(col(CaseEvent.id))
            ).all()
            return [row.kind for row in rows]

    def reescalate(self) -> int:
        return scheduler.reescalate(self.app)


def wired_settings(
    database_url: str, telegram: FakeTelegram, twilio: FakeTwilio, **overrides: object
) -> Settings:
    values: dict[str, object] = {
        "telegram_bot_token": telegram.token,
        "telegram_api_base_url": telegram.base_url,
        "telegram_per_chat_per_second": 1000.0,
        "twilio_account_sid": twilio.account_sid,
        "twilio_auth_token": twilio.auth_token,
        "twilio_whatsapp_from": BOT_NUMBER,
        "twilio_api_base_url": twilio.url,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


async def open_pipeline(
    settings: Settings,
    clock: FakeClock,
    content: Content,
    telegram: FakeTelegram,
    twilio: FakeTwilio,
) -> Pipeline:
    app = build_app(settings, clock=clock, content=content, migrate=True)
    assert app.telegram_bot is not None
    await app.telegram_bot.initialize()  # so that shutdown() closes its HTTP clients
    return Pipeline(app, app.dispatcher, telegram, twilio, clock)


async def close_pipeline(pipe: Pipeline) -> None:
    if pipe.app.telegram_bot is not None:
        await pipe.app.telegram_bot.shutdown()
    sender = pipe.dispatcher.senders.get("whatsapp")
    client = getattr(sender, "client", None)
    if client is not None and getattr(client.http_client, "session", None) is not None:
        client.http_client.session.close()
    pipe.app.engine.dispose()


@pytest.fixture
async def pipe(
    database_url: str,
    clock: FakeClock,
    content: Content,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
) -> AsyncIterator[Pipeline]:
    """The core scenarios: on SQLite and on PostgreSQL."""
    settings = wired_settings(database_url, fake_telegram, fake_twilio)
    built = await open_pipeline(settings, clock, content, fake_telegram, fake_twilio)
    yield built
    await close_pipeline(built)


@pytest.fixture
async def lite(
    sqlite_url: str,
    clock: FakeClock,
    content: Content,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
) -> AsyncIterator[Pipeline]:
    """The same pipeline on SQLite only, for the finer points (keeps the suite fast)."""
    settings = wired_settings(sqlite_url, fake_telegram, fake_twilio)
    built = await open_pipeline(settings, clock, content, fake_telegram, fake_twilio)
    yield built
    await close_pipeline(built)


def lima(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=LIMA)


def roster(
    app: App, *, on_duty: tuple[str, ...] = ("Ana", "Bety"), coordinator: bool = True
) -> None:
    """Ana and Bety on Telegram, Carmen on WhatsApp, Coco the coordinator (never on shift).
    The clock starts 2026-06-17 10:00 Lima; a shift of 08:00-20:00 covers it."""
    with unit_of_work(app.engine) as db:
        add_defensora(db, app.vault, "Ana", "telegram", str(ANA), coordinator=False)
        add_defensora(db, app.vault, "Bety", "telegram", str(BETY), coordinator=False)
        add_defensora(db, app.vault, "Carmen", "whatsapp", CARMEN_WA, coordinator=False)
        if coordinator:
            add_defensora(db, app.vault, "Coco", "telegram", str(COORD), coordinator=True)
        for name in on_duty:
            add_shift(db, name, lima(17, 8), lima(17, 20), weekly=False)


def no_number(*texts: str) -> None:
    for body in texts:
        for leak in (PERSON, PERSON[1:], PERSON[3:], "987 654 321", str(PERSON_TG)):
            assert leak not in body, body
