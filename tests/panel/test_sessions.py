"""Panel sessions on SQLite and PostgreSQL: login, cookie, CSRF, throttling, roles, audit."""

from __future__ import annotations

import re

import httpx
from sqlmodel import select

from bot.app import App
from bot.panel.accounts import throttle_key
from bot.store.engine import unit_of_work
from bot.store.models import LoginThrottle, PanelAudit
from bot.web import build_web
from tests.conftest import FakeClock
from tests.panel.helpers import (
    PAGES,
    PASSWORD,
    PHONE_OR_CHAT,
    configure,
    csrf_of,
    log_in,
    open_case,
    seed_team,
    shift_count,
)


async def test_every_page_redirects_to_login_without_a_session(client: httpx.AsyncClient) -> None:
    for page in PAGES:
        response = await client.get(f"/panel/{page}")
        assert response.status_code == 303, page
        assert response.headers["location"] == "/panel/login"
    forged = {"Cookie": "dp_panel=not-a-signed-value"}
    assert (await client.get("/panel/cases", headers=forged)).status_code == 303


async def test_login_sets_a_signed_httponly_samesite_cookie_and_logout_ends_it(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/panel/login")
    assert 'name="username"' in page.text and 'name="password"' in page.text
    response = await client.post(
        "/panel/login",
        data={"username": "carmen", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/panel" in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is not https here
    stolen = {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}
    token = csrf_of((await client.get("/panel/cases")).text)
    out = await client.post("/panel/logout", data={"csrf_token": token})
    assert out.status_code == 303
    # The old cookie, replayed after logout, no longer opens anything.
    client.cookies.clear()
    assert (await client.get("/panel/cases", headers=stolen)).status_code == 303


async def test_the_cookie_is_secure_when_the_public_url_is_https(app: App) -> None:
    configure(app)
    seed_team(app)
    app.settings = app.settings.model_copy(update={"public_base_url": "https://bot.example.org"})
    transport = httpx.ASGITransport(app=build_web(app))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
        page = await c.get("/panel/login")
        assert "Secure" in page.headers["set-cookie"]


async def test_a_form_without_the_right_csrf_token_does_nothing(
    client: httpx.AsyncClient, app: App
) -> None:
    page = await client.get("/panel/login")
    bad = {"username": "carmen", "password": PASSWORD, "csrf_token": "x" * 64}
    assert (await client.post("/panel/login", data=bad)).status_code == 400
    good = {"username": "carmen", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    assert (await client.post("/panel/login", data=good)).status_code == 303
    before = shift_count(app)
    form = {"name": "Lucía", "day": "2026-06-18", "start": "09:00", "end": "13:00"}
    assert (await client.post("/panel/shifts", data=form)).status_code == 400
    assert shift_count(app) == before


async def test_failed_logins_are_slowed_then_locked(
    client: httpx.AsyncClient, app: App, clock: FakeClock
) -> None:
    token = csrf_of((await client.get("/panel/login")).text)

    async def attempt(password: str) -> int:
        form = {"username": "carmen", "password": password, "csrf_token": token}
        return (await client.post("/panel/login", data=form)).status_code

    for _ in range(3):
        assert await attempt("wrong-password") == 401
    # Slowed: even the right password waits until the pause is over.
    assert await attempt(PASSWORD) == 401
    clock.advance(seconds=2)
    for _ in range(7):
        assert await attempt("wrong-password") == 401
        clock.advance(seconds=61)
    with unit_of_work(app.engine) as db:
        throttle = db.get(LoginThrottle, throttle_key("carmen"))
        assert throttle is not None and throttle.failures == 10
    clock.advance(minutes=10)
    assert await attempt(PASSWORD) == 401  # locked for 15 minutes
    clock.advance(minutes=6)
    assert await attempt(PASSWORD) == 303
    with unit_of_work(app.engine) as db:
        actions = [a.action for a in db.exec(select(PanelAudit)).all()]
    assert "login_failures" in actions and "login" in actions


async def test_a_defensora_is_refused_coordinator_pages(client: httpx.AsyncClient) -> None:
    await log_in(client, "lucia")
    for page in ("roster", "episodes", "broadcasts", "stats", "stats.csv"):
        assert (await client.get(f"/panel/{page}")).status_code == 403, page
    assert (await client.get("/panel/cases")).status_code == 200
    assert (await client.get("/panel/shifts")).status_code == 200


async def test_a_number_typed_as_a_user_name_is_not_kept_and_the_log_shows_who_did_what(
    client: httpx.AsyncClient, app: App
) -> None:
    token = csrf_of((await client.get("/panel/login")).text)
    for _ in range(3):
        form = {"username": "+51 987 654 321", "password": "x" * 12, "csrf_token": token}
        assert (await client.post("/panel/login", data=form)).status_code == 401
    with unit_of_work(app.engine) as db:
        kept = [t.username for t in db.exec(select(LoginThrottle)).all()]
        kept += [f"{a.username} {a.detail}" for a in db.exec(select(PanelAudit)).all()]
    assert kept and not any("987" in value for value in kept)
    case_id = await open_case(client, app)
    token = await log_in(client, "carmen")
    await client.post(f"/panel/cases/{case_id}/take", data={"csrf_token": token})
    log = (await client.get("/panel/roster")).text
    assert re.search(rf"<td>carmen</td><td>case_tomar</td><td>{case_id}</td>", log)
    assert "(usuario desconocido)" in log and not PHONE_OR_CHAT.search(log)
