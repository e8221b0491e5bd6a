"""The web app in process: routes, authentication, parsing, limits, idempotency, metrics.

Runs on SQLite and PostgreSQL (the `app` fixture). Providers are the local fakes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlmodel import col, func, select
from telegram import Update

from bot.app import App
from bot.channels.telegram import TelegramSender, _parse, _plain_text, make_bot, parse_update
from bot.channels.whatsapp import WhatsAppSender
from bot.dispatcher import Dispatcher
from bot.store import unit_of_work
from bot.store.models import Contact, InboundReceipt, Outbox, OutboxStatus
from bot.web import build_web
from bot.worker import run_intake
from flows.engine import Content
from tests.conftest import FakeClock
from tests.fakes import (
    FakeTelegram,
    FakeTwilio,
    make_callback_update,
    make_location_update,
    make_message_update,
    make_sticker_update,
    make_voice_update,
    make_whatsapp_inbound,
    sign_twilio_request,
)
from tests.fakes.twilio_api import DEFAULT_AUTH_TOKEN

SECRET = "webhook-secret-7f3a"
PUBLIC = "https://bot.example.org"
LIMIT = 4096
NUMBER = "+51987650001"
TG_HEADER = "X-Telegram-Bot-Api-Secret-Token"
METRICS_TOKEN = "metrics-token-5b1c"


@pytest.fixture
def web_app(app: App) -> App:
    app.settings = app.settings.model_copy(
        update={
            "telegram_webhook_secret": SecretStr(SECRET),
            "twilio_auth_token": SecretStr(DEFAULT_AUTH_TOKEN),
            "public_base_url": PUBLIC,
            "max_body_bytes": LIMIT,
            "metrics_token": SecretStr(METRICS_TOKEN),
        }
    )
    return app


@pytest.fixture
async def client(web_app: App) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_web(web_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def counts(app: App) -> dict[str, int]:
    with unit_of_work(app.engine) as db:
        return {
            "contacts": db.exec(select(func.count()).select_from(Contact)).one(),
            "receipts": db.exec(select(func.count()).select_from(InboundReceipt)).one(),
            "outbox": db.exec(select(func.count()).select_from(Outbox)).one(),
        }


def outbox(app: App) -> list[Outbox]:
    with unit_of_work(app.engine) as db:
        return list(db.exec(select(Outbox).order_by(col(Outbox.id))).all())


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def post_telegram(
    client: httpx.AsyncClient, update: dict[str, Any], secret: str | None = SECRET
) -> httpx.Response:
    headers = {TG_HEADER: secret} if secret is not None else {}
    return await client.post("/telegram/webhook", json=update, headers=headers)


async def post_twilio(
    client: httpx.AsyncClient,
    form: dict[str, str],
    path: str = "/whatsapp/webhook",
    *,
    token: str = DEFAULT_AUTH_TOKEN,
    signed_url: str | None = None,
) -> httpx.Response:
    signature = sign_twilio_request(token, signed_url or PUBLIC + path, form)
    return await client.post(path, data=form, headers={"X-Twilio-Signature": signature})


# -- health and metrics -------------------------------------------------------------------


async def test_healthz_and_metrics_count_inbound_outbound_and_latency(
    client: httpx.AsyncClient, web_app: App
) -> None:
    health = await client.get("/healthz")
    assert (health.status_code, health.json()["status"]) == (200, "ok")
    processed = metric("defensoras_inbound_total", channel="telegram", outcome="processed")
    duplicate = metric("defensoras_inbound_total", channel="telegram", outcome="duplicate")
    refused = metric("defensoras_inbound_total", channel="whatsapp", outcome="refused")
    turns = metric("defensoras_turn_seconds_count", channel="telegram")
    update = make_message_update(501, 918273645, "hola")
    assert (await post_telegram(client, update)).status_code == 200
    assert (await post_telegram(client, update)).status_code == 200
    form = make_whatsapp_inbound("hola", from_=NUMBER)
    assert (await post_twilio(client, form, token="wrong")).status_code == 403

    response = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    for family in (
        "defensoras_inbound_total",
        "defensoras_outbound_total",
        "defensoras_turn_seconds_bucket",
        "defensoras_outbox_queue_depth",
    ):
        assert family in body
    assert 'defensoras_outbox_queue_depth{channel="telegram",status="pending"}' in body
    assert metric("defensoras_inbound_total", channel="telegram", outcome="processed") == (
        processed + 1
    )
    assert metric("defensoras_inbound_total", channel="telegram", outcome="duplicate") == (
        duplicate + 1
    )
    assert metric("defensoras_inbound_total", channel="whatsapp", outcome="refused") == refused + 1
    assert metric("defensoras_turn_seconds_count", channel="telegram") == turns + 1  # not the dup
    assert "918273645" not in body and NUMBER not in body


# -- Telegram -------------------------------------------------------------------------------


async def test_telegram_refuses_a_missing_or_wrong_secret(
    client: httpx.AsyncClient, web_app: App
) -> None:
    for secret, status in [(None, 401), ("", 401), ("wrong", 403), (SECRET + "x", 403)]:
        response = await post_telegram(client, make_message_update(1, 77, "hola"), secret)
        assert response.status_code == status, secret
    assert counts(web_app) == {"contacts": 0, "receipts": 0, "outbox": 0}


async def test_telegram_without_a_configured_secret_refuses_everything(
    web_app: App,
) -> None:
    web_app.settings = web_app.settings.model_copy(update={"telegram_webhook_secret": None})
    transport = httpx.ASGITransport(app=build_web(web_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await post_telegram(client, make_message_update(1, 77, "hola"), "anything")
    assert response.status_code in {401, 403}
    assert counts(web_app)["receipts"] == 0


async def test_telegram_text_is_answered_once_and_redelivery_acknowledged(
    client: httpx.AsyncClient, web_app: App
) -> None:
    update = make_message_update(10, 918273645, "hola", message_id=55)
    first = await post_telegram(client, update)
    assert first.status_code == 200
    assert first.json() == {"ok": True, "duplicate": False}
    after_first = counts(web_app)
    assert after_first["contacts"] == 1 and after_first["receipts"] == 1
    assert after_first["outbox"] >= 1
    again = await post_telegram(client, update)
    assert again.status_code == 200
    assert again.json() == {"ok": True, "duplicate": True}
    assert counts(web_app) == after_first
    with unit_of_work(web_app.engine) as db:
        receipt = db.exec(select(InboundReceipt)).one()
        assert (receipt.external_id, receipt.chat_message_id) == ("10", 55)
        contact = db.exec(select(Contact)).one()
        assert "918273645" not in contact.address_enc and "918273645" not in contact.address_hash


async def test_telegram_group_chats_are_ignored(client: httpx.AsyncClient, web_app: App) -> None:
    update = make_message_update(11, -100123, "hola", chat_type="supergroup")
    response = await post_telegram(client, update)
    assert response.status_code == 200
    assert response.json()["ignored"] == "group chat"
    assert counts(web_app) == {"contacts": 0, "receipts": 0, "outbox": 0}


async def test_telegram_media_gets_a_short_kind_reply(
    client: httpx.AsyncClient, web_app: App, content: Content
) -> None:
    for update in (make_sticker_update(12, 4243), make_voice_update(13, 4244)):
        before = len(outbox(web_app))
        assert (await post_telegram(client, update)).status_code == 200
        rows = outbox(web_app)[before:]
        assert rows and rows[0].text.startswith(content.texts["media_unsupported"][:30])


async def test_telegram_location_answers_with_centers(
    client: httpx.AsyncClient, web_app: App, content: Content
) -> None:
    assert (await post_telegram(client, make_location_update(13, 4244))).status_code == 200
    rows = outbox(web_app)
    assert rows and "CEM" in rows[0].text
    assert content.texts["media_unsupported"][:30] not in rows[0].text


async def test_telegram_callback_query_is_answered_and_processed(
    client: httpx.AsyncClient, web_app: App, fake_telegram: FakeTelegram
) -> None:
    bot = make_bot(fake_telegram.token, fake_telegram.base_url)
    await bot.initialize()
    web_app.telegram_bot = bot
    try:
        hello = await post_telegram(client, make_message_update(20, 4245, "hola"))
        assert hello.status_code == 200
        first = outbox(web_app)[-1]
        key = json.loads(first.options)[0][0]
        response = await post_telegram(client, make_callback_update(21, 4245, key, 99))
        assert response.status_code == 200
        assert response.json() == {"ok": True, "duplicate": False}
        await fake_telegram.wait_for_async(lambda: fake_telegram.calls_of("answerCallbackQuery"))
        assert fake_telegram.calls_of("answerCallbackQuery")[0].params["callback_query_id"] == (
            "cbq-21"
        )
        assert len(outbox(web_app)) > 1
    finally:
        await bot.shutdown()


async def test_a_defensoras_button_press_is_answered_in_words(
    client: httpx.AsyncClient, web_app: App, fake_telegram: FakeTelegram
) -> None:
    from bot.roster import add_defensora
    from flows.cases import callback_ack

    bot = make_bot(fake_telegram.token, fake_telegram.base_url)
    await bot.initialize()
    web_app.telegram_bot = bot
    with unit_of_work(web_app.engine) as db:
        add_defensora(db, web_app.vault, "Ana", "telegram", "4246", coordinator=False)
    try:
        response = await post_telegram(client, make_callback_update(22, 4246, "/casos", 98))
        assert response.status_code == 200
        await fake_telegram.wait_for_async(lambda: fake_telegram.calls_of("answerCallbackQuery"))
        [answer] = fake_telegram.calls_of("answerCallbackQuery")
        assert answer.params["text"] == callback_ack(web_app.content.cases, "/casos")
        assert outbox(web_app)[-1].text == web_app.content.cases["no_cases"]
    finally:
        await bot.shutdown()


MALFORMED_UPDATES = [
    (b"{not json", 400),
    (b"\xff\xfe\xfa", 400),
    (b"[1, 2]", 422),
    (b'{"message": {"text": "hola"}}', 422),
    (b'{"update_id": "7"}', 422),
    (b'{"update_id": 7, "message": "x"}', 422),
    (
        b'{"update_id": 7, "message": {"message_id": 1, "date": 1,'
        b' "chat": {"id": 5, "type": "private"}, "text": 5}}',
        422,
    ),
    (
        b'{"update_id": 7, "message": {"message_id": 1, "date": 1,'
        b' "chat": {"id": 5, "type": "private"}, "location": {"latitude": "x"}}}',
        422,
    ),
]


def test_plain_text_updates_read_as_python_telegram_bot_reads_them() -> None:
    """The webhook's fast path for a private text message (no python-telegram-bot objects)
    gives the very envelope python-telegram-bot's parse gives; anything else goes through it."""
    plain = [
        make_message_update(1, 4246, "hola"),
        make_message_update(2, 4247, "ya no aguanto \ud800", language_code=None, username="ana"),
        make_message_update(3, 4248, "", language_code="es-419-a-very-long-language-tag"),
        make_message_update(4, -4249, "texto"),
    ]
    for update in plain:
        fast = _plain_text(update)
        assert fast is not None and fast == _parse(Update.de_json(update, None))
    reply = make_message_update(5, 4250, "sí")
    reply["message"]["reply_to_message"] = {
        "message_id": 9,
        "date": 1,
        "chat": {"id": 4250, "type": "private"},
        "text": "caso #3",
    }
    group = make_message_update(6, 4251, "hola", chat_type="group")
    forged = make_message_update(7, 4252, "hola")
    forged["message"]["from"]["is_bot"] = 0
    for update in (reply, group, forged, {**plain[0], "edited_message": {}}):
        assert _plain_text(update) is None
    assert parse_update(reply).envelope is not None
    assert parse_update(reply).envelope.quoted == "caso #3"  # type: ignore[union-attr]


async def test_telegram_malformed_bodies(client: httpx.AsyncClient, web_app: App) -> None:
    for body, status in MALFORMED_UPDATES:
        response = await client.post(
            "/telegram/webhook",
            content=body,
            headers={TG_HEADER: SECRET, "content-type": "application/json"},
        )
        assert response.status_code == status, body
    assert counts(web_app)["receipts"] == 0
    assert (await client.get("/healthz")).status_code == 200


async def test_oversized_bodies_get_413(client: httpx.AsyncClient, web_app: App) -> None:
    big = make_message_update(30, 4246, "x" * (LIMIT + 10))
    assert (await post_telegram(client, big)).status_code == 413
    form = make_whatsapp_inbound("x" * (LIMIT + 10), from_=NUMBER)
    assert (await post_twilio(client, form)).status_code == 413
    assert (await post_twilio(client, form, "/whatsapp/status")).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while reading
        for _ in range(LIMIT // 512 + 2):
            yield b" " * 512

    response = await client.post(
        "/telegram/webhook",
        content=chunks(),
        headers={TG_HEADER: SECRET, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert counts(web_app)["receipts"] == 0
    ok = await post_telegram(client, make_message_update(31, 4246, "hola"))
    assert ok.status_code == 200


# -- WhatsApp -------------------------------------------------------------------------------


async def test_whatsapp_refuses_forged_signatures(client: httpx.AsyncClient, web_app: App) -> None:
    form = make_whatsapp_inbound("hola", from_=NUMBER)
    signature = sign_twilio_request(DEFAULT_AUTH_TOKEN, PUBLIC + "/whatsapp/webhook", form)
    tampered = {**form, "Body": "otra cosa"}
    responses = {
        "unsigned": await client.post("/whatsapp/webhook", data=form),
        "wrong token": await post_twilio(client, form, token="not-the-token"),
        "other url": await post_twilio(client, form, signed_url="https://evil.example/whatsapp"),
        "tampered": await client.post(
            "/whatsapp/webhook", data=tampered, headers={"X-Twilio-Signature": signature}
        ),
        "garbage": await client.post(
            "/whatsapp/webhook", data=form, headers={"X-Twilio-Signature": "AAAA"}
        ),
    }
    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 403)
    assert counts(web_app) == {"contacts": 0, "receipts": 0, "outbox": 0}


async def test_whatsapp_signed_message_is_processed_once(
    client: httpx.AsyncClient, web_app: App
) -> None:
    form = make_whatsapp_inbound("hola", from_=NUMBER, profile_name="Rosa")
    response = await post_twilio(client, form)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert "<Response>" in response.text
    after = counts(web_app)
    assert after["receipts"] == 1 and after["outbox"] >= 1
    again = await post_twilio(client, form)
    assert again.status_code == 200
    assert counts(web_app) == after
    with unit_of_work(web_app.engine) as db:
        contact = db.exec(select(Contact)).one()
        assert contact.channel == "whatsapp"
        assert NUMBER not in contact.address_enc and "Rosa" not in contact.session


async def test_whatsapp_signature_covers_the_query_string(
    client: httpx.AsyncClient, web_app: App
) -> None:
    form = make_whatsapp_inbound("hola", from_=NUMBER)
    url = PUBLIC + "/whatsapp/webhook?tenant=lima"
    signature = sign_twilio_request(DEFAULT_AUTH_TOKEN, url, form)
    headers = {"X-Twilio-Signature": signature}
    ok = await client.post("/whatsapp/webhook?tenant=lima", data=form, headers=headers)
    assert ok.status_code == 200
    bad = await client.post("/whatsapp/webhook?tenant=otro", data=form, headers=headers)
    assert bad.status_code == 403


async def test_whatsapp_location_button_and_media(
    client: httpx.AsyncClient, web_app: App, content: Content
) -> None:
    location = make_whatsapp_inbound(from_=NUMBER, latitude=-12.0464, longitude=-77.0428)
    assert (await post_twilio(client, location)).status_code == 200
    assert any("CEM" in r.text for r in outbox(web_app))
    button = make_whatsapp_inbound(from_=NUMBER, button_payload="1", button_text="Uno")
    assert (await post_twilio(client, button)).status_code == 200
    media = make_whatsapp_inbound(from_=NUMBER, media=[("https://x.invalid/a.ogg", "audio/ogg")])
    assert (await post_twilio(client, media)).status_code == 200
    media_text = content.texts["media_unsupported"][:30]
    assert any(r.text.startswith(media_text) for r in outbox(web_app))
    assert counts(web_app)["receipts"] == 3


async def test_whatsapp_malformed_but_signed_is_400(
    client: httpx.AsyncClient, web_app: App
) -> None:
    for form in [
        {"Body": "hola", "From": "whatsapp:" + NUMBER},
        {"MessageSid": "SM1", "Body": "hola"},
        {"MessageSid": "SM2", "From": "whatsapp:" + NUMBER, "Latitude": "x", "Longitude": "1"},
    ]:
        assert (await post_twilio(client, form)).status_code == 400, form
    assert counts(web_app)["receipts"] == 0


async def test_whatsapp_non_utf8_body_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/whatsapp/webhook",
        content=b"Body=%ff\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
    )
    assert response.status_code == 400


async def test_whatsapp_status_callbacks(client: httpx.AsyncClient, web_app: App) -> None:
    assert (await post_twilio(client, make_whatsapp_inbound("hola", from_=NUMBER))).status_code
    with unit_of_work(web_app.engine) as db:
        rows = db.exec(select(Outbox)).all()
        first = rows[0]
        first.status, first.provider_id = OutboxStatus.SENT, "SMdelivered0001"
        second = Outbox(
            contact_id=first.contact_id,
            channel="whatsapp",
            address_enc=first.address_enc,
            kind="reminder",
            text="Recordatorio",
            status=OutboxStatus.SENT,
            provider_id="SMwindow0002",
        )
        db.add(second)
    status = {"MessageSid": "SMdelivered0001", "MessageStatus": "delivered"}
    forged = await post_twilio(client, status, "/whatsapp/status", token="nope")
    assert forged.status_code == 403
    assert outbox(web_app)[0].status == OutboxStatus.SENT
    assert (await post_twilio(client, status, "/whatsapp/status")).status_code == 204
    assert outbox(web_app)[0].status == OutboxStatus.DELIVERED
    window = {"MessageSid": "SMwindow0002", "MessageStatus": "undelivered", "ErrorCode": "63016"}
    assert (await post_twilio(client, window, "/whatsapp/status")).status_code == 204
    row = next(r for r in outbox(web_app) if r.provider_id == "SMwindow0002")
    assert (row.status, row.error) == (OutboxStatus.NOT_SENT, "twilio_63016")
    unknown = {"MessageSid": "SMunknown", "MessageStatus": "delivered"}
    assert (await post_twilio(client, unknown, "/whatsapp/status")).status_code == 204
    missing = {"MessageSid": "SMx"}
    assert (await post_twilio(client, missing, "/whatsapp/status")).status_code == 400


# -- privacy and quick exit -------------------------------------------------------------------


async def test_a_whole_exchange_logs_neither_number_nor_text(
    client: httpx.AsyncClient,
    web_app: App,
    fake_twilio: FakeTwilio,
    fake_telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for noisy in ("httpx", "httpcore", "telegram", "twilio", "urllib3", "apscheduler"):
        caplog.set_level(logging.WARNING, logger=noisy)  # as bot.logs.setup_logging sets them
    secret_text = "quiero hablar con alguien zorzalquimera"
    chat_id = 731_904_555
    for text in ("hola", secret_text, "1"):
        form = make_whatsapp_inbound(text, from_=NUMBER)
        assert (await post_twilio(client, form)).status_code == 200
        update = make_message_update(fake_telegram.next_update_id(), chat_id, text)
        fake_telegram.queue_update(update)
        assert (await post_telegram(client, update)).status_code == 200
    bot = make_bot(fake_telegram.token, fake_telegram.base_url)
    await bot.initialize()
    twilio = fake_twilio.make_client()
    senders = [
        TelegramSender(bot, 1000),
        WhatsAppSender(twilio, "whatsapp:+14155238886", 1000, PUBLIC + "/whatsapp/status"),
    ]
    fake_telegram.fail_next(1, status=400, description="Bad Request: chat not found")
    fake_twilio.fail_next(1, status=400, code=21211, message="Invalid 'To' Phone Number")
    try:
        await Dispatcher(
            web_app.engine, web_app.vault, senders, web_app.clock, per_chat_rate=100
        ).drain()
    finally:
        await bot.shutdown()
    assert fake_twilio.sent_to(NUMBER) and fake_telegram.sent_to(chat_id)
    for call in fake_twilio.sent[:2]:
        status = {"MessageSid": call.sid or "", "MessageStatus": "delivered"}
        assert (await post_twilio(client, status, "/whatsapp/status")).status_code == 204
    assert caplog.records, "the exchange should log something (pseudonyms)"
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in (NUMBER, NUMBER.lstrip("+"), "987650001", str(chat_id), "zorzalquimera"):
        assert secret not in logged


async def test_telegram_quick_exit_deletes_the_recent_chat(
    client: httpx.AsyncClient, web_app: App, fake_telegram: FakeTelegram, clock: FakeClock
) -> None:
    chat = 4250
    bot = make_bot(fake_telegram.token, fake_telegram.base_url)
    await bot.initialize()
    dispatcher = Dispatcher(
        web_app.engine, web_app.vault, [TelegramSender(bot, 1000)], clock, per_chat_rate=100
    )
    try:
        await post_telegram(client, make_message_update(40, chat, "hola", message_id=900))
        await dispatcher.drain()
        old_bot_ids = {c.message_id for c in fake_telegram.sent_to(chat)}
        clock.advance(hours=49)  # past Telegram's 48 h: those can no longer be deleted
        await post_telegram(client, make_message_update(41, chat, "hola", message_id=950))
        await dispatcher.drain()
        recent_bot_ids = {c.message_id for c in fake_telegram.sent_to(chat)} - old_bot_ids
        assert recent_bot_ids
        clock.advance(minutes=1)
        borrar = make_message_update(42, chat, "BORRAR", message_id=951)
        assert (await post_telegram(client, borrar)).status_code == 200
        with unit_of_work(web_app.engine) as db:
            assert db.exec(select(func.count()).select_from(Contact)).one() == 0
            delete_row = db.exec(select(Outbox).where(col(Outbox.kind) == "delete")).one()
            assert delete_row.contact_id is None
            expected = sorted({950, 951} | {int(i) for i in recent_bot_ids if i is not None})
            assert json.loads(delete_row.text) == expected
        await dispatcher.drain()
        deleted = {mid for cid, mid in fake_telegram.deleted if str(cid) == str(chat)}
        assert deleted == set(expected)
        assert not deleted & ({900} | {i for i in old_bot_ids if i is not None})
        goodbye = fake_telegram.sent_to(chat)[-1]
        assert goodbye.message_id not in deleted
        # a redelivered BORRAR is acknowledged, not run again on a fresh contact
        again = await post_telegram(client, borrar)
        assert again.json() == {"ok": True, "duplicate": True}
        with unit_of_work(web_app.engine) as db:
            assert db.exec(select(func.count()).select_from(Contact)).one() == 0
        assert all(r.status == OutboxStatus.SENT for r in outbox(web_app))
    finally:
        await bot.shutdown()


async def test_whatsapp_forget_queues_no_deletion(client: httpx.AsyncClient, web_app: App) -> None:
    assert (await post_twilio(client, make_whatsapp_inbound("hola", from_=NUMBER))).status_code
    assert (await post_twilio(client, make_whatsapp_inbound("BORRAR", from_=NUMBER))).status_code
    kinds = {r.kind for r in outbox(web_app)}
    assert "delete" not in kinds
    assert counts(web_app)["contacts"] == 0


async def test_without_public_base_url_the_request_origin_is_signed(web_app: App) -> None:
    web_app.settings = web_app.settings.model_copy(update={"public_base_url": None})
    transport = httpx.ASGITransport(app=build_web(web_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.local:8000") as c:
        form = make_whatsapp_inbound("hola", from_=NUMBER)
        own = "http://bot.local:8000/whatsapp/webhook"
        assert (await post_twilio(c, form, signed_url=own)).status_code == 200
        other = make_whatsapp_inbound("hola", from_=NUMBER)
        forged = "http://elsewhere:8000/whatsapp/webhook"
        assert (await post_twilio(c, other, signed_url=forged)).status_code == 403
    assert counts(web_app)["receipts"] == 1


# -- `serve`: the webhook only queues; this process's intake runs the turn ------------------


async def test_serve_answers_once_stored_and_its_intake_runs_the_turn(web_app: App) -> None:
    transport = httpx.ASGITransport(app=build_web(web_app, process_turns=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        update = make_message_update(601, 918270001, "hola")
        assert (await post_telegram(c, update)).json() == {"ok": True, "duplicate": False}
        assert counts(web_app) == {"contacts": 0, "receipts": 1, "outbox": 0}  # queued only
        stop = asyncio.Event()
        intake = asyncio.create_task(run_intake(web_app, stop, poll=3600))
        try:
            async with asyncio.timeout(30):  # queued before the intake started: taken at once
                while not outbox(web_app):
                    await asyncio.sleep(0.01)
            update = make_message_update(602, 918270002, "hola")
            assert (await post_telegram(c, update)).status_code == 200
            async with asyncio.timeout(30):  # woken by the webhook, not by its (hour) poll
                while counts(web_app)["contacts"] < 2:
                    await asyncio.sleep(0.01)
            assert (await post_telegram(c, update)).json()["duplicate"] is True
        finally:
            stop.set()
            web_app.hand_in()
            await intake
    assert web_app.intake is None
    with unit_of_work(web_app.engine) as db:
        receipts = db.exec(select(InboundReceipt)).all()
        assert {(r.status, r.payload) for r in receipts} == {("done", None)}
    assert counts(web_app)["outbox"] == 2


async def test_a_turn_failing_after_its_message_is_stored_still_answers_200(
    client: httpx.AsyncClient, web_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*_: object) -> Any:
        raise RuntimeError("boom")

    web_app.service.core = explode
    with caplog.at_level(logging.ERROR, logger="bot.web"):
        response = await post_telegram(client, make_message_update(603, 918270003, "hola"))
    assert response.status_code == 200  # stored: a 503 would say it was not
    with unit_of_work(web_app.engine) as db:
        (receipt,) = db.exec(select(InboundReceipt)).all()
        assert (receipt.status, receipt.attempts) == ("pending", 1)  # its turn runs again
    assert "failed after it was queued" in caplog.text and "hola" not in caplog.text
