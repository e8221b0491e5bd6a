"""Shared by the panel's route and browser tests: accounts, a roster, a case from a webhook."""

from __future__ import annotations

import re
from typing import Any

import httpx
from pydantic import SecretStr
from sqlmodel import col, select

from bot.app import App
from bot.panel.accounts import Role, add_user
from bot.roster import add_defensora
from bot.store.engine import unit_of_work
from bot.store.models import Case, Outbox, Shift
from tests.fakes import make_message_update

SECRET = "webhook-secret-panel"
PASSWORD = "una-clave-larga-1"
THREAT = "mi ex me dijo que me va a matar, llamame al 987 654 321"
PERSON_CHAT = 7_700_001
LUCIA_CHAT = 7_700_100
ROSA_CHAT = 7_700_200
COORD_CHAT = 7_700_300
PAGES = ("cases", "roster", "shifts", "episodes", "broadcasts", "stats", "stats.csv")
PHONE_OR_CHAT = re.compile(r"\+?51\s?9\d{2}\s?\d{3}\s?\d{3}|987 654 321|77000\d\d|7700[1-3]00")
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


async def open_case(
    client: httpx.AsyncClient, app: App, text: str = THREAT, update_id: int = 1
) -> int:
    """A person writes through the Telegram webhook; returns the id of the case it opened."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await client.post(
        "/telegram/webhook", json=telegram_update(text, update_id=update_id), headers=headers
    )
    assert response.status_code == 200
    with unit_of_work(app.engine) as db:
        case_id = db.exec(select(col(Case.id)).order_by(col(Case.id).desc())).first()
    assert case_id is not None, "the message opened no case"
    return case_id


def shift_count(app: App) -> int:
    with unit_of_work(app.engine) as db:
        return len(db.exec(select(Shift)).all())


def case_status(app: App, case_id: int) -> str:
    with unit_of_work(app.engine) as db:
        case = db.get(Case, case_id)
        assert case is not None
        return case.status


def outbox_texts(app: App) -> list[str]:

    with unit_of_work(app.engine) as db:
        return [row.text for row in db.exec(select(Outbox)).all()]
