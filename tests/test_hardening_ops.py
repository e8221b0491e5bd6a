"""Operations (issue 13 items 9 and 10): misconfigured channels said out loud and named in
/healthz, /metrics behind a bearer token, and a locked SQLite answered with a quick 503."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import func, select

from bot.app import App, build_app
from bot.store import unit_of_work
from bot.store.models import InboundReceipt
from bot.web import build_web
from flows.engine import Content
from tests.conftest import make_settings
from tests.fakes import make_message_update

SECRET = "webhook-secret-7f3a"
TOKEN = "metrics-token-5b1c"


async def _client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_web(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


# -- item 9: silent misconfiguration -----------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "channel", "named"),
    [
        ({"telegram_bot_token": "123:abc"}, "telegram", "TELEGRAM_WEBHOOK_SECRET"),
        (
            {"twilio_account_sid": "AC1", "twilio_whatsapp_from": "whatsapp:+1"},
            "whatsapp",
            "TWILIO_AUTH_TOKEN",
        ),
    ],
)
async def test_a_channel_that_refuses_every_webhook_is_named_at_start_and_in_healthz(
    app: App,
    caplog: pytest.LogCaptureFixture,
    configured: dict[str, str],
    channel: str,
    named: str,
) -> None:
    app.settings = app.settings.model_copy(update=configured)
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        async for client in _client(app):
            health = await client.get("/healthz")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(channel.upper() in w and named in w for w in warnings), warnings
    assert health.status_code == 200  # the database answers: still healthy, but it says why
    body = health.json()
    assert body["status"] == "ok"
    assert named in body["channels"][channel]
    other = "whatsapp" if channel == "telegram" else "telegram"
    assert body["channels"][other] == "off"


async def test_a_fully_configured_channel_is_ok_and_raises_no_warning(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    app.settings = app.settings.model_copy(
        update={
            "telegram_bot_token": SecretStr("123:abc"),
            "telegram_webhook_secret": SecretStr(SECRET),
        }
    )
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        async for client in _client(app):
            body = (await client.get("/healthz")).json()
    assert body["channels"] == {"telegram": "ok", "whatsapp": "off"}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_metrics_need_the_bearer_token(app: App) -> None:
    async for client in _client(app):
        assert (await client.get("/metrics")).status_code == 403  # METRICS_TOKEN unset: off
    app.settings = app.settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    async for client in _client(app):
        assert (await client.get("/metrics")).status_code == 401
        wrong = {"Authorization": "Bearer not-it"}
        assert (await client.get("/metrics", headers=wrong)).status_code == 401
        right = {"Authorization": f"Bearer {TOKEN}"}
        response = await client.get("/metrics", headers=right)
        assert response.status_code == 200
        assert "defensoras_inbound_total" in response.text


# -- item 10: a long SQLite lock ---------------------------------------------------------------


@pytest.fixture
def locked_app(tmp_path: Path, content: Content) -> Iterator[tuple[App, sqlite3.Connection]]:
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    settings = make_settings(url, telegram_webhook_secret=SECRET, sqlite_lock_wait_seconds=0.2)
    app = build_app(settings, content=content, migrate=True)
    other = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)  # another process
    yield app, other
    other.close()
    app.engine.dispose()


async def test_a_locked_sqlite_gets_503_and_healthz_says_so(
    locked_app: tuple[App, sqlite3.Connection],
) -> None:
    app, other = locked_app
    update = make_message_update(2001, 95001, "hola")
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async for client in _client(app):
        other.execute("BEGIN IMMEDIATE")  # e.g. a CLI verb or a backup holding the write lock
        refused = await client.post("/telegram/webhook", json=update, headers=headers)
        health = await client.get("/healthz")
        other.execute("ROLLBACK")
        assert refused.status_code == 503 and refused.headers["retry-after"]
        assert health.status_code == 503 and health.json()["database"] == "locked"

        again = await client.post("/telegram/webhook", json=update, headers=headers)
        assert again.status_code == 200 and again.json()["duplicate"] is False  # redelivered
        assert (await client.get("/healthz")).json()["database"] == "ok"
    with unit_of_work(app.engine) as db:
        assert db.exec(select(func.count()).select_from(InboundReceipt)).one() == 1
