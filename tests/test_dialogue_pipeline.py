"""The unsafe-to-write path end to end: WhatsApp form in, service turn, outbox, dispatcher, the
real Twilio client against the fake server; then a reminder that must not reach her."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.broadcast import create_broadcast
from bot.store.engine import unit_of_work
from bot.store.models import Contact
from flows.engine import Content
from tests.conftest import FakeClock
from tests.fakes import FakeTelegram, FakeTwilio
from tests.test_escalation import (
    ANA,
    THREAT,
    Pipeline,
    close_pipeline,
    open_pipeline,
    roster,
    wired_settings,
)


@pytest.fixture
async def lite(
    sqlite_url: str,
    clock: FakeClock,
    content: Content,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
) -> AsyncIterator[Pipeline]:
    settings = wired_settings(sqlite_url, fake_telegram, fake_twilio)
    built = await open_pipeline(settings, clock, content, fake_telegram, fake_twilio)
    yield built
    await close_pipeline(built)


def her(pipe: Pipeline) -> Contact:
    with unit_of_work(pipe.app.engine) as db:
        pseudonym = pipe.case().pseudonym
        [person] = db.exec(select(Contact).where(Contact.pseudonym == pseudonym)).all()
        return person


async def test_not_safe_to_write_one_discreet_reply_then_silence_until_she_writes(
    lite: Pipeline,
) -> None:
    texts = lite.app.content.texts
    roster(lite.app, on_duty=("Ana",))
    lite.whatsapp("ALTA")  # she had asked for reminders earlier
    lite.whatsapp(THREAT)
    await lite.drain()
    assert len(lite.tg_texts(ANA)) == 1  # the on-duty defensora was paged
    before = len(lite.wa_texts())

    lite.whatsapp("no, ahora no")
    await lite.drain()
    assert lite.wa_texts()[before:] == [texts["not_safe"]]  # one short reply, no menu
    assert lite.case().safe_to_write is False
    assert "safe_to_write" in lite.events()
    assert her(lite).unreachable and her(lite).subscribed

    # a reminder goes out to subscribers: not to her
    lite.clock.advance(hours=2)
    create_broadcast(lite.app.engine, key="r1", text="mañana", kind="reminder", now=lite.clock())
    await lite.drain()
    assert len(lite.wa_texts()) == before + 1

    # she writes again: the bot answers, and automatic messages may resume
    lite.whatsapp("hola")
    await lite.drain()
    assert texts["menu_main"] in lite.wa_texts()[-1]
    assert not her(lite).unreachable


async def _told_of_violence(lite: Pipeline) -> int:
    """Ana on duty; she tells of violence (paged high, asked whether it is safe to write);
    how many WhatsApp messages she has had by then."""
    roster(lite.app, on_duty=("Ana",))
    lite.whatsapp("mi esposo me pegó ayer")
    await lite.drain()
    assert lite.case().severity == "high" and len(lite.tg_texts(ANA)) == 1
    return len(lite.wa_texts())


async def test_a_conditional_threat_is_not_a_yes_to_safe_to_write(lite: Pipeline) -> None:
    """'si lo denuncio me mata' while "¿Es seguro que te escribamos?" is open: through the
    service, the risk reply (no "Gracias"), nothing recorded as safe, the case paged higher; the
    question stays open and her next 'si' answers it."""
    texts = lite.app.content.texts
    before = await _told_of_violence(lite)

    lite.whatsapp("si lo denuncio me mata")
    await lite.drain()
    sent = "\n".join(lite.wa_texts()[before:])
    assert texts["risk_imminent"] in sent and texts["safe_yes"] not in sent
    assert lite.case().safe_to_write is None
    assert lite.case().severity == "imminent" and len(lite.tg_texts(ANA)) == 2

    lite.whatsapp("si")
    await lite.drain()
    assert texts["safe_yes"] in "\n".join(lite.wa_texts()[before:])
    assert lite.case().safe_to_write is True


async def test_ok_is_asked_again_and_arrival_after_no_pages_imminent(lite: Pipeline) -> None:
    """Through WhatsApp and the service: a bare 'ok' to "¿Es seguro que te escribamos?" records
    nothing and asks again (it was consent); 'no!! está entrando' then pages the case as
    imminent and stops automatic messages (it was a plain 'no', paged at nothing)."""
    texts = lite.app.content.texts
    before = await _told_of_violence(lite)

    lite.whatsapp("ok")
    await lite.drain()
    [asked] = lite.wa_texts()[before:]
    assert asked.startswith(texts["ask_safe"]) and texts["safe_yes"] not in asked
    assert lite.case().safe_to_write is None
    before = len(lite.wa_texts())

    lite.whatsapp("no!! está entrando")
    await lite.drain()
    assert lite.wa_texts()[before:] == [texts["not_safe"]]
    assert lite.case().safe_to_write is False and her(lite).unreachable
    assert lite.case().severity == "imminent" and len(lite.tg_texts(ANA)) == 2


async def test_english_no_then_presence_pages_imminent(lite: Pipeline) -> None:
    """'no he is here right now': the 'no' answers "is it safe to write?"; he is there."""
    roster(lite.app, on_duty=("Ana",))
    lite.whatsapp("my husband hit me yesterday")
    await lite.drain()
    assert lite.case().severity == "high"
    lite.whatsapp("no he is here right now")
    await lite.drain()
    assert lite.case().severity == "imminent" and lite.case().safe_to_write is False
    assert len(lite.tg_texts(ANA)) == 2
