"""Shared by the panel's route and browser tests: accounts, a roster, a case from a webhook."""

from __future__ import annotations

import re
from typing import Any

import httpx
from pydantic import SecretStr

from bot.app import App
from bot.panel.accounts import Role, add_user
from bot.roster import add_defensora
from bot.store.engine import unit_of_work
from tests.fakes import make_message_update

SECRET = "webhook-secret-panel"
PASSWORD = "una-clave-larga-1"
THREAT = "mi ex me dijo que me va a matar, llamame al 987 654 321"
PERSON_CHAT = 7_700_001
LUCIA_CHAT = 7_700_100
ROSA_CHAT = 7_700_200
COORD_CHAT = 7_700_300
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def configure(app: App) -> App:
    app.settings = app.settings.model_copy(
        update={"telegram_webhook_secret": SecretStr(SECRET), "public_base_url": None}
    )
    return app


def seed_team(app: App) -> None:
    """Lucía and Rosa (defensoras), Carmen (coordinator), each with a panel account."""
    now = app.clock()
    with unit_of_work(app.engine) as db:
        add_defensora(db, app.vault, "Lucía", "telegram", str(LUCIA_CHAT), coordinator=False)
        add_defensora(db, app.vault, "Rosa", "telegram", str(ROSA_CHAT), coordinator=False)
        add_defensora(db, app.vault, "Carmen", "telegram", str(COORD_CHAT), coordinator=True)
        add_user(db, "carmen", PASSWORD, Role.COORDINATOR, "Carmen", now)
        add_user(db, "lucia", PASSWORD, Role.DEFENSORA, "Lucía", now)
        add_user(db, "rosa", PASSWORD, Role.DEFENSORA, "Rosa", now)


def telegram_update(text: str, chat: int = PERSON_CHAT, update_id: int = 1) -> dict[str, Any]:
    return make_message_update(update_id, chat, text)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a csrf_token"
    return found.group(1)


async def log_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns a CSRF token for the session's forms."""
    page = await client.get("/panel/login")
    response = await client.post(
        "/panel/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303, response.text
    cases = await client.get("/panel/cases")
    assert cases.status_code == 200
    return csrf_of(cases.text)
