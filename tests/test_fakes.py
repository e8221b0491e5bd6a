"""The fakes, driven by the real python-telegram-bot and twilio clients over HTTP."""

# Fixtures are imported below (pytest then sees them); their use as arguments is F811.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import datetime as dtm
import socket
import time

import pytest
import requests
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, MessageHandler, filters
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.fakes import (
    ExternalNetworkBlockedError,
    FakeTelegram,
    FakeTwilio,
    block_external_network,
    make_callback_update,
    make_location_update,
    make_message_update,
    make_sticker_update,
    make_voice_update,
    make_whatsapp_inbound,
    sign_twilio_request,
)
from tests.fakes.fixtures import fake_telegram, fake_twilio  # noqa: F401
from tests.fakes.server import ASGIServer

CHAT = 51987654321
WA_USER = "whatsapp:+51987654321"
WA_BOT = "whatsapp:+14155238886"


# --------------------------------------------------------------------------- Telegram
async def test_ptb_send_message_with_inline_keyboard(fake_telegram: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Sí", callback_data="yes"),
                InlineKeyboardButton("No", callback_data="no"),
            ]
        ]
    )
    async with telegram.Bot(fake_telegram.token, base_url=fake_telegram.url + "/bot") as bot:
        assert bot.username == "defensoras_test_bot"  # initialize() called getMe
        first = await bot.send_message(CHAT, "¿Estás a salvo?", reply_markup=keyboard)
        second = await bot.send_message(CHAT, "<b>Hola</b>", parse_mode="HTML")

    assert isinstance(first, telegram.Message)
    assert first.chat.id == CHAT and first.chat.type == "private"
    assert first.text == "¿Estás a salvo?"
    assert first.reply_markup == keyboard
    assert second.message_id > first.message_id
    assert first.date.tzinfo is not None

    calls = fake_telegram.sent_to(CHAT)
    assert [c.text for c in calls] == ["¿Estás a salvo?", "<b>Hola</b>"]
    assert calls[0].chat_id == CHAT
    assert [b["callback_data"] for b in calls[0].buttons] == ["yes", "no"]
    assert calls[0].reply_markup == keyboard.to_dict()
    assert calls[1].parse_mode == "HTML"
    assert calls[0].at <= calls[1].at
    assert [c.method for c in fake_telegram.sent] == ["getMe", "sendMessage", "sendMessage"]


async def test_ptb_retry_after_then_success(fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_next(1, status=429, retry_after=3)
    async with fake_telegram.make_bot() as bot:
        with pytest.raises(RetryAfter) as excinfo:
            await bot.send_message(CHAT, "uno")
        assert excinfo.value.retry_after == dtm.timedelta(seconds=3)
        await bot.send_message(CHAT, "dos")

    failed = [c for c in fake_telegram.requests if c.method == "sendMessage"]
    assert [c.status for c in failed] == [429, 200]
    assert failed[0].result == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert [c.text for c in fake_telegram.sent_to(CHAT)] == ["dos"]


async def test_ptb_forbidden_for_blocked_chat(fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_chat(CHAT)
    async with fake_telegram.make_bot() as bot:
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(CHAT, "hola")
        await bot.send_message(CHAT + 1, "otra persona")  # other chats unaffected
        fake_telegram.unfail_chat(CHAT)
        await bot.send_message(CHAT, "hola de nuevo")
    assert fake_telegram.sent_to(CHAT)[0].text == "hola de nuevo"


async def test_ptb_other_errors(fake_telegram: FakeTelegram) -> None:
    async with fake_telegram.make_bot() as bot:
        fake_telegram.fail_next(status=400, description="Bad Request: chat not found")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(CHAT, "x")
        fake_telegram.fail_next(status=502, method="deleteMessage")
        await bot.send_message(CHAT, "not targeted")
        with pytest.raises(NetworkError):
            await bot.delete_message(CHAT, 1)
        with pytest.raises(BadRequest, match=r"(?i)text is empty"):
            await bot.send_message(CHAT, "")


async def test_ptb_delete_edit_and_callback_answer(fake_telegram: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ok", callback_data="ok")]])
    async with fake_telegram.make_bot() as bot:
        msg = await bot.send_message(CHAT, "menú", reply_markup=keyboard)
        edited = await bot.edit_message_reply_markup(CHAT, msg.message_id, reply_markup=None)
        assert isinstance(edited, telegram.Message)
        assert edited.text == "menú" and edited.reply_markup is None
        assert await bot.answer_callback_query("cbq-1", text="listo") is True
        assert await bot.delete_message(CHAT, msg.message_id) is True
        assert await bot.delete_messages(CHAT, [7, 8]) is True

    assert fake_telegram.deleted == [(CHAT, msg.message_id), (CHAT, 7), (CHAT, 8)]
    answer = fake_telegram.calls_of("answerCallbackQuery")[0]
    assert answer.params == {"callback_query_id": "cbq-1", "text": "listo"}


async def test_ptb_get_updates_offset_and_long_poll(fake_telegram: FakeTelegram) -> None:
    fake_telegram.queue_update(make_message_update(1, CHAT, "hola"))
    fake_telegram.queue_update(make_callback_update(2, CHAT, "yes", message_id=5))
    async with fake_telegram.make_bot() as bot:
        updates = await bot.get_updates(timeout=0)
        assert [u.update_id for u in updates] == [1, 2]
        assert updates[0].message.text == "hola"
        assert updates[1].callback_query.data == "yes"
        assert updates[1].callback_query.message.message_id == 5

        # offset confirms; an update queued while long-polling is delivered promptly
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, fake_telegram.queue_update, make_location_update(3, CHAT))
        started = time.monotonic()
        updates = await bot.get_updates(offset=3, timeout=5)
        assert time.monotonic() - started < 3
        assert [u.update_id for u in updates] == [3]
        assert updates[0].message.location.latitude == pytest.approx(-12.0464)
        assert [u["update_id"] for u in fake_telegram.pending_updates] == [3]

        started = time.monotonic()
        assert await bot.get_updates(offset=4, timeout=0.3) == ()
        assert time.monotonic() - started >= 0.25
        assert fake_telegram.pending_updates == []


async def test_ptb_webhook_methods(fake_telegram: FakeTelegram) -> None:
    fake_telegram.queue_update(make_message_update(1, CHAT, "pendiente"))
    async with fake_telegram.make_bot() as bot:
        assert await bot.set_webhook("https://example.org/tg", secret_token="s3cr3t")
        info = await bot.get_webhook_info()
        assert info.url == "https://example.org/tg"
        assert info.pending_update_count == 1
        with pytest.raises(Conflict):
            await bot.get_updates()
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert (await bot.get_webhook_info()).url == ""
        assert await bot.get_updates() == ()
    assert fake_telegram.webhook == {}


async def test_ptb_application_polling_end_to_end(fake_telegram: FakeTelegram) -> None:
    async def echo(update: Update, context: object) -> None:
        assert update.message is not None
        await update.message.reply_text(f"eco: {update.message.text}")

    app = Application.builder().token(fake_telegram.token).base_url(fake_telegram.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        fake_telegram.queue_update(make_message_update(1, CHAT, "hola"))
        calls = await fake_telegram.wait_for_async(lambda: fake_telegram.sent_to(CHAT))
        await app.updater.stop()
        await app.stop()
    assert calls[0].text == "eco: hola"


async def test_latency_is_applied(fake_telegram: FakeTelegram) -> None:
    fake_telegram.latency = 0.2
    async with fake_telegram.make_bot() as bot:
        started = time.monotonic()
        await bot.send_message(CHAT, "lento")
        assert time.monotonic() - started >= 0.2


async def test_strict_token_gives_invalid_token() -> None:
    with FakeTelegram(token="42:right") as fake:
        bot = telegram.Bot("42:wrong", base_url=fake.base_url)
        with pytest.raises(telegram.error.InvalidToken):
            await bot.initialize()
        await bot.shutdown()


@pytest.mark.parametrize(
    ("update", "attr"),
    [
        (make_message_update(1, CHAT, "hola", username="ana_p"), "text"),
        (make_message_update(1, -100, "grupo", chat_type="group"), "text"),
        (make_location_update(2, CHAT, -12.1, -77.0, live_period=60), "location"),
        (make_voice_update(3, CHAT, duration=4), "voice"),
        (make_sticker_update(4, CHAT), "sticker"),
    ],
)
def test_update_builders_parse_cleanly(
    update: dict, attr: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    parsed = Update.de_json(update, None)
    assert parsed.message is not None
    assert getattr(parsed.message, attr)
    assert parsed.effective_chat is not None and parsed.effective_user is not None
    assert not parsed.api_kwargs and not parsed.message.api_kwargs
    if attr != "text":
        assert not getattr(parsed.message, attr).api_kwargs


def test_callback_builder_parses_cleanly() -> None:
    parsed = Update.de_json(make_callback_update(9, CHAT, "menu:cem", message_id=3), None)
    query = parsed.callback_query
    assert query is not None and query.data == "menu:cem"
    assert query.message is not None and query.message.chat.id == CHAT
    assert parsed.effective_user is not None and parsed.effective_user.id == CHAT
    assert not query.api_kwargs and not query.message.api_kwargs


# --------------------------------------------------------------------------- Twilio
def test_twilio_send_message(fake_twilio: FakeTwilio) -> None:
    client = Client(fake_twilio.account_sid, fake_twilio.auth_token)
    client.api.base_url = fake_twilio.url
    try:
        msg = client.messages.create(
            to=WA_USER, from_=WA_BOT, body="Hola Ana", status_callback="https://x.test/status"
        )
        fetched = client.messages(msg.sid).fetch()
    finally:
        client.http_client.session.close()

    assert msg.sid.startswith("SM") and len(msg.sid) == 34
    assert msg.status == "queued"
    assert (msg.to, msg.from_, msg.body) == (WA_USER, WA_BOT, "Hola Ana")
    assert isinstance(msg.date_created, dtm.datetime)
    assert fetched.sid == msg.sid
    (call,) = fake_twilio.sent_to("+51987654321")
    assert call.sid == msg.sid
    assert call.body == "Hola Ana" and call["From"] == WA_BOT
    assert call.status_callback == "https://x.test/status"
    assert not call.is_template


def test_twilio_send_template(fake_twilio: FakeTwilio) -> None:
    client = fake_twilio.make_client()
    msg = client.messages.create(
        to=WA_USER,
        from_=WA_BOT,
        content_sid="HX" + "a" * 32,
        content_variables='{"1": "Ana", "2": "sábado"}',
    )
    assert msg.status == "queued"
    (call,) = fake_twilio.sent
    assert call.is_template and call.body is None
    assert call.content_variables == {"1": "Ana", "2": "sábado"}


def test_twilio_rate_limit_error(fake_twilio: FakeTwilio) -> None:
    client = fake_twilio.make_client()
    fake_twilio.fail_next(2)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as excinfo:
            client.messages.create(to=WA_USER, from_=WA_BOT, body="x")
        assert excinfo.value.status == 429 and excinfo.value.code == 20429
    client.messages.create(to=WA_USER, from_=WA_BOT, body="x")
    assert [c.status for c in fake_twilio.requests] == [429, 429, 201]
    assert fake_twilio.requests[0].response == {
        "code": 20429,
        "message": "Too Many Requests",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }


def test_twilio_window_closed_freeform_only(fake_twilio: FakeTwilio) -> None:
    client = fake_twilio.make_client()
    fake_twilio.close_window(WA_USER)
    with pytest.raises(TwilioRestException) as excinfo:
        client.messages.create(to=WA_USER, from_=WA_BOT, body="fuera de ventana")
    assert excinfo.value.code == 63016 and excinfo.value.status == 400
    assert "outside the allowed window" in excinfo.value.msg
    # templates still go through
    client.messages.create(to=WA_USER, from_=WA_BOT, content_sid="HX" + "b" * 32)
    # a full block applies to templates too
    fake_twilio.fail_to("+51900000000", status=400, code=63024, message="Invalid recipient")
    with pytest.raises(TwilioRestException) as excinfo:
        client.messages.create(to="whatsapp:+51900000000", from_=WA_BOT, content_sid="HX1")
    assert excinfo.value.code == 63024
    assert [c.is_template for c in fake_twilio.sent] == [True]


def test_twilio_bad_credentials_and_validation(fake_twilio: FakeTwilio) -> None:
    bad = fake_twilio.make_client(auth_token="wrong")
    with pytest.raises(TwilioRestException) as excinfo:
        bad.messages.create(to=WA_USER, from_=WA_BOT, body="x")
    assert excinfo.value.status == 401 and excinfo.value.code == 20003
    good = fake_twilio.make_client()
    with pytest.raises(TwilioRestException) as excinfo:
        good.messages.create(to=WA_USER, from_=WA_BOT)
    assert excinfo.value.code == 21619
    assert fake_twilio.sent == []


# twilio's AsyncTwilioHttpClient passes auth=aiohttp.BasicAuth(...), deprecated in aiohttp 3.14.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning")
async def test_twilio_async_client(fake_twilio: FakeTwilio) -> None:
    from twilio.http.async_http_client import AsyncTwilioHttpClient

    http_client = AsyncTwilioHttpClient()
    client = Client(fake_twilio.account_sid, fake_twilio.auth_token, http_client=http_client)
    client.api.base_url = fake_twilio.url
    try:
        msg = await client.messages.create_async(to=WA_USER, from_=WA_BOT, body="async")
        fake_twilio.fail_next()
        with pytest.raises(TwilioRestException) as excinfo:
            await client.messages.create_async(to=WA_USER, from_=WA_BOT, body="async")
    finally:
        await http_client.close()
    assert msg.status == "queued"
    assert excinfo.value.code == 20429
    assert await fake_twilio.wait_for_async(lambda: fake_twilio.sent_to(WA_USER))


def test_twilio_latency_and_wait_for(fake_twilio: FakeTwilio) -> None:
    client = fake_twilio.make_client()
    fake_twilio.latency = 0.2
    started = time.monotonic()
    client.messages.create(to=WA_USER, from_=WA_BOT, body="x")
    assert time.monotonic() - started >= 0.2
    assert fake_twilio.wait_for(lambda: len(fake_twilio.sent) == 1, timeout=1)
    fake_twilio.reset()
    assert fake_twilio.sent == [] and fake_twilio.latency == 0
    with pytest.raises(AssertionError):
        fake_twilio.wait_for(lambda: fake_twilio.sent, timeout=0.05)


def test_signature_helper_matches_request_validator() -> None:
    token = "tok-123"
    url = "https://bot.example.org/webhooks/twilio?x=1"
    params = make_whatsapp_inbound("hola", profile_name="Ana")
    signature = sign_twilio_request(token, url, params)
    validator = RequestValidator(token)
    assert validator.validate(url, params, signature)
    assert not validator.validate(url, {**params, "Body": "otro"}, signature)
    assert not RequestValidator("other").validate(url, params, signature)


def test_make_whatsapp_inbound_fields() -> None:
    text = make_whatsapp_inbound("Hola", from_="+51911111111")
    assert text["From"] == "whatsapp:+51911111111" and text["WaId"] == "51911111111"
    assert text["MessageSid"].startswith("SM") and text["MessageType"] == "text"
    assert text["NumMedia"] == "0" and text["ProfileName"] == "Ana"
    loc = make_whatsapp_inbound(latitude=-12.05, longitude=-77.03)
    assert (loc["Latitude"], loc["Longitude"], loc["MessageType"]) == (
        "-12.05",
        "-77.03",
        "location",
    )
    btn = make_whatsapp_inbound("Sí", button_payload="yes", ButtonText="Sí")
    assert btn["ButtonPayload"] == "yes" and btn["MessageType"] == "button"
    assert all(isinstance(v, str) for v in btn.values())


# --------------------------------------------------------------------------- network guard
def test_network_blocker_refuses_external(monkeypatch: pytest.MonkeyPatch) -> None:
    guard = block_external_network(monkeypatch)
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(ExternalNetworkBlockedError),
    ):
        sock.connect(("192.0.2.1", 443))
    with pytest.raises(ExternalNetworkBlockedError):
        socket.create_connection(("api.telegram.org", 443), timeout=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://api.twilio.com/", timeout=1)
    assert len(guard.attempts) == 3


async def test_network_blocker_real_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    guard = block_external_network(monkeypatch)
    bot = telegram.Bot("1:x")  # default base_url -> api.telegram.org
    with pytest.raises(NetworkError):
        await bot.get_me()
    await bot.shutdown()
    client = Client("AC" + "0" * 32, "t")
    try:
        with pytest.raises(requests.exceptions.ConnectionError):
            client.messages.create(to=WA_USER, from_=WA_BOT, body="x")
    finally:
        client.http_client.session.close()
    assert guard.attempts


async def test_network_blocker_allows_loopback(
    monkeypatch: pytest.MonkeyPatch, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    guard = block_external_network(monkeypatch)
    async with fake_telegram.make_bot() as bot:
        await bot.send_message(CHAT, "local")
    fake_twilio.make_client().messages.create(to=WA_USER, from_=WA_BOT, body="local")
    localhost_url = fake_telegram.url.replace("127.0.0.1", "localhost")
    assert requests.get(localhost_url + "/nope", timeout=2).status_code == 404
    assert guard.attempts == []


def test_asgi_server_serves_fastapi_app() -> None:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "ok"}

    with ASGIServer(app) as server, requests.Session() as session:
        assert session.get(server.url + "/ping", timeout=2).json() == {"pong": "ok"}
    assert not server.running
