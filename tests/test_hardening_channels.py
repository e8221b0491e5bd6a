"""Odd input at the channel edge (issue 13 items 3, 4 and 6): refused, acknowledged or read,
never a 500, a stuck message or a dead loop. Runs on SQLite and PostgreSQL (the `app` fixture)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlmodel import col, func, select
from typer.testing import CliRunner

from bot.app import App
from bot.channels.polling import run_polling
from bot.channels.telegram import make_bot
from bot.cli import cli
from bot.store import unit_of_work
from bot.store.models import Contact, InboundReceipt, Outbox
from bot.web import build_web
from tests.factories import ROOT
from tests.fakes import (
    FakeTelegram,
    make_callback_update,
    make_location_update,
    make_message_update,
    make_whatsapp_inbound,
    sign_twilio_request,
)
from tests.fakes.twilio_api import DEFAULT_AUTH_TOKEN

SECRET = "webhook-secret-7f3a"
PUBLIC = "https://bot.example.org"
TG_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    app.settings = app.settings.model_copy(
        update={
            "telegram_webhook_secret": SecretStr(SECRET),
            "twilio_auth_token": SecretStr(DEFAULT_AUTH_TOKEN),
            "public_base_url": PUBLIC,
        }
    )
    transport = httpx.ASGITransport(app=build_web(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def counts(app: App) -> tuple[int, int, int]:
    with unit_of_work(app.engine) as db:
        return (
            db.exec(select(func.count()).select_from(Contact)).one(),
            db.exec(select(func.count()).select_from(InboundReceipt)).one(),
            db.exec(select(func.count()).select_from(Outbox)).one(),
        )


def replies(app: App) -> list[str]:
    with unit_of_work(app.engine) as db:
        return [row.text for row in db.exec(select(Outbox).order_by(col(Outbox.id))).all()]


async def post_twilio(client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    signature = sign_twilio_request(DEFAULT_AUTH_TOKEN, PUBLIC + "/whatsapp/webhook", form)
    return await client.post(
        "/whatsapp/webhook", data=form, headers={"X-Twilio-Signature": signature}
    )


async def post_telegram_raw(client: httpx.AsyncClient, body: str) -> httpx.Response:
    headers = {TG_HEADER: SECRET, "Content-Type": "application/json"}
    return await client.post("/telegram/webhook", content=body.encode(), headers=headers)


# -- item 3: WhatsApp From must be a WhatsApp address -----------------------------------------


@pytest.mark.parametrize("sender", ["+51987650001", "sms:+51987650001", "whatsapp:"])
async def test_a_from_without_the_whatsapp_prefix_is_refused(
    client: httpx.AsyncClient, app: App, sender: str
) -> None:
    form = make_whatsapp_inbound("hola")
    form["From"] = sender  # an SMS reaching the same webhook, signed like any Twilio request
    response = await post_twilio(client, form)
    assert response.status_code == 400
    assert counts(app) == (0, 0, 0)
    assert (await post_twilio(client, make_whatsapp_inbound("hola"))).status_code == 200


# -- item 4: what a member of the public can send -----------------------------------------------


async def test_a_lone_surrogate_in_a_telegram_update_is_stored_and_answered(
    client: httpx.AsyncClient, app: App
) -> None:
    update = make_message_update(1001, 93001, "PLACEHOLDER")
    body = httpx.Request("POST", "/", json=update).content.decode()
    body = body.replace("PLACEHOLDER", "hola \\ud83d")  # half an emoji, as JSON allows
    first = await post_telegram_raw(client, body)
    assert first.status_code == 200, first.text
    assert counts(app)[2] > 0  # answered
    again = await post_telegram_raw(client, body)  # a redelivery is a duplicate, not a 500
    assert again.status_code == 200 and again.json()["duplicate"] is True


@pytest.mark.parametrize(("latitude", "longitude"), [("NaN", "-77.0"), ("-12.0", "Infinity")])
async def test_telegram_coordinates_that_are_not_a_position_are_dropped(
    client: httpx.AsyncClient, app: App, latitude: str, longitude: str
) -> None:
    body = httpx.Request("POST", "/", json=make_location_update(1002, 93002)).content.decode()
    body = body.replace("-12.0464", latitude).replace("-77.0428", longitude)
    response = await post_telegram_raw(client, body)
    assert response.status_code == 200
    assert response.json()["ignored"] == "location is not a position on Earth"
    assert counts(app) == (0, 0, 0)


@pytest.mark.parametrize(("latitude", "longitude"), [("nan", "-77.0"), ("-12.0", "inf")])
async def test_whatsapp_coordinates_that_are_not_a_position_are_refused(
    client: httpx.AsyncClient, app: App, latitude: str, longitude: str
) -> None:
    form = make_whatsapp_inbound(latitude=1.0, longitude=1.0)
    form.update(Latitude=latitude, Longitude=longitude)
    assert (await post_twilio(client, form)).status_code == 400
    assert counts(app) == (0, 0, 0)


def _cli(args: list[str], stdin: bytes, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    # A UTF-8 terminal: strict decoding (the C.UTF-8 locale would hand over surrogates instead).
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    env["DATA_KEY"] = Fernet.generate_key().decode()
    command = [sys.executable, "-m", "bot", *args]
    return subprocess.run(command, input=stdin, capture_output=True, cwd=cwd, env=env, timeout=120)


def test_the_console_reads_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    result = _cli(["chat"], b"hola\n\xff\xfe caf\xe9\n1\n", tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"Traceback" not in result.stderr
    assert result.stdout.count(b"\n1. ") >= 2  # the menu, again after the unreadable line


def test_the_json_verbs_read_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    result = _cli(["risk", "--json"], b"hola\n\xff caf\xe9\n", tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert len(result.stdout.splitlines()) == 2


async def test_a_stale_callback_does_not_stop_telegram_poll(
    sqlite_app: App, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.fail_next(
        status=400,
        description="Bad Request: query is too old and response timeout expired",
        method="answerCallbackQuery",
    )
    stale = make_callback_update(fake_telegram.next_update_id(), 93003, "1", message_id=5)
    fake_telegram.queue_update(stale)
    fake_telegram.queue_update(make_message_update(fake_telegram.next_update_id(), 93003, "hola"))
    sqlite_app.telegram_bot = make_bot(fake_telegram.token, fake_telegram.base_url)
    await run_polling(sqlite_app, limit_seconds=1.5)
    assert len(fake_telegram.sent_to(93003)) >= 2  # the button's answer and the greeting's
    assert not fake_telegram.pending_updates or all(
        u["update_id"] > stale["update_id"] for u in fake_telegram.pending_updates
    )


# -- item 6: an edited message is not a new message -------------------------------------------


async def test_an_edited_telegram_message_runs_no_turn(client: httpx.AsyncClient, app: App) -> None:
    update = make_message_update(1003, 93004, "hola")
    response = await client.post("/telegram/webhook", json=update, headers={TG_HEADER: SECRET})
    assert response.status_code == 200
    before = counts(app)
    edited: dict[str, Any] = {"update_id": 1004, "edited_message": dict(update["message"])}
    edited["edited_message"]["text"] = "/responder 1 hola otra vez"
    edited["edited_message"]["edit_date"] = edited["edited_message"]["date"] + 5
    response = await client.post("/telegram/webhook", json=edited, headers={TG_HEADER: SECRET})
    assert response.status_code == 200
    assert response.json()["ignored"] == "edited message"
    assert counts(app) == before


# -- digits that str.isdigit() accepts and int() refuses, at the shell's edges ----------------


async def test_a_status_callback_with_an_odd_error_code_is_recorded(
    client: httpx.AsyncClient,
) -> None:
    form = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "undelivered", "ErrorCode": "²"}
    signature = sign_twilio_request(DEFAULT_AUTH_TOKEN, PUBLIC + "/whatsapp/status", form)
    headers = {"X-Twilio-Signature": signature}
    response = await client.post("/whatsapp/status", data=form, headers=headers)
    assert response.status_code == 204


@pytest.mark.parametrize(
    "address",
    [["--telegram", "²"], ["--telegram", "٣٤٥"], ["--whatsapp", "+５１９８７６５４３２１"]],
)
def test_defensora_add_refuses_digits_int_cannot_read(sqlite_app: App, address: list[str]) -> None:
    result = CliRunner().invoke(cli, ["defensora", "add", "Eva", *address], obj=sqlite_app)
    assert result.exit_code == 2, result.output
