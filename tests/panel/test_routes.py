"""The panel in process on SQLite and PostgreSQL: sessions, CSRF, throttling, roles, pages."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import col, select

from bot.app import App
from bot.panel.accounts import throttle_key
from bot.store.engine import unit_of_work
from bot.store.models import Case, LoginThrottle, PanelAudit, Shift
from bot.web import build_web
from tests.conftest import FakeClock
from tests.panel.helpers import (
    PASSWORD,
    PERSON_CHAT,
    SECRET,
    THREAT,
    configure,
    csrf_of,
    log_in,
    seed_team,
    telegram_update,
)

PAGES = ("cases", "roster", "shifts", "episodes", "broadcasts", "stats", "stats.csv")
PHONE_OR_CHAT = re.compile(r"\+?51\s?9\d{2}\s?\d{3}\s?\d{3}|987 654 321|77000\d\d|7700[1-3]00")


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    configure(app)
    seed_team(app)
    transport = httpx.ASGITransport(app=build_web(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


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


def shift_count(app: App) -> int:
    with unit_of_work(app.engine) as db:
        return len(db.exec(select(Shift)).all())


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


async def test_cases_take_answer_close_with_the_chat_rules(
    client: httpx.AsyncClient, app: App, clock: FakeClock
) -> None:
    case_id = await open_case(client, app)
    token = await log_in(client, "lucia")
    page = (await client.get("/panel/cases")).text
    assert "me va a matar" not in page  # the excerpt only to coordinators and the holder
    clock.advance(minutes=3)
    taken = await client.post(f"/panel/cases/{case_id}/take", data={"csrf_token": token})
    assert taken.status_code == 303
    page = (await client.get("/panel/cases")).text
    assert "me va a matar" in page and "[número]" in page and "987 654 321" not in page
    assert "3 min" in page  # time to take
    sent = await client.post(
        f"/panel/cases/{case_id}/answer", data={"csrf_token": token, "text": "Hola, te escucho"}
    )
    assert sent.status_code == 303
    # Rosa cannot close Lucía's case: the same rule as /cerrar in the chat.
    client.cookies.clear()
    rosa = await log_in(client, "rosa")
    await client.post(f"/panel/cases/{case_id}/close", data={"csrf_token": rosa})
    assert case_status(app, case_id) == "taken"
    client.cookies.clear()
    token = await log_in(client, "lucia")
    await client.post(f"/panel/cases/{case_id}/close", data={"csrf_token": token, "note": "ok"})
    assert case_status(app, case_id) == "closed"
    for bad in ("0", "99999999999999999999", "-1"):
        response = await client.post(f"/panel/cases/{bad}/take", data={"csrf_token": token})
        assert response.status_code in (303, 422), bad


def case_status(app: App, case_id: int) -> str:
    with unit_of_work(app.engine) as db:
        case = db.get(Case, case_id)
        assert case is not None
        return case.status


async def test_the_excerpt_goes_after_retention(
    client: httpx.AsyncClient, app: App, clock: FakeClock
) -> None:
    await open_case(client, app)
    await log_in(client, "carmen")
    assert "me va a matar" in (await client.get("/panel/cases")).text
    clock.advance(days=31)
    assert "me va a matar" not in (await client.get("/panel/cases")).text


async def test_no_page_or_log_shows_a_number_or_chat_id(
    client: httpx.AsyncClient, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await open_case(client, app)
    await log_in(client, "carmen")
    for page in (*PAGES, "login"):
        body = (await client.get(f"/panel/{page}")).text
        assert not PHONE_OR_CHAT.search(body), page
    assert not PHONE_OR_CHAT.search(caplog.text)
    assert str(PERSON_CHAT) not in caplog.text


async def test_shifts_add_weekly_and_remove_and_who_is_on_duty(
    client: httpx.AsyncClient, app: App
) -> None:
    token = await log_in(client, "carmen")
    form = {"csrf_token": token, "name": "Lucía", "day": "2026-06-17", "start": "09:00"}
    form |= {"end": "18:00", "weekly": "1"}
    assert (await client.post("/panel/shifts", data=form)).status_code == 303
    page = (await client.get("/panel/shifts")).text
    assert re.search(r"De turno ahora:</strong>\s*Lucía", page)
    later = (await client.get("/panel/shifts?week=3")).text
    assert "09:00–18:00" in later  # the weekly shift repeats
    overlap = await client.post("/panel/shifts", data=form, follow_redirects=True)
    assert "se superpone" in overlap.text
    with unit_of_work(app.engine) as db:
        shift_id = db.exec(select(col(Shift.id))).one()
    await client.post(f"/panel/shifts/{shift_id}/remove", data={"csrf_token": token})
    assert shift_count(app) == 0


async def test_a_defensora_sees_only_her_own_shifts(client: httpx.AsyncClient) -> None:
    token = await log_in(client, "carmen")
    for name, start in (("Lucía", "09:00"), ("Rosa", "14:00")):
        form = {"csrf_token": token, "name": name, "day": "2026-06-18", "start": start}
        await client.post("/panel/shifts", data=form | {"end": start[:2] + ":30"})
    client.cookies.clear()
    token = await log_in(client, "rosa")
    page = (await client.get("/panel/shifts")).text
    assert "Rosa" in page and "14:00–14:30" in page and "09:00–09:30" not in page
    form = {"csrf_token": token, "name": "Rosa", "day": "2026-06-19", "start": "09:00"}
    assert (await client.post("/panel/shifts", data=form | {"end": "10:00"})).status_code == 403


async def test_a_season_added_in_the_panel_is_what_the_bot_answers(
    client: httpx.AsyncClient, app: App
) -> None:
    token = await log_in(client, "carmen")
    season = {"csrf_token": token, "season_id": "2026", "name": "Temporada 2026"}
    assert (await client.post("/panel/episodes/season", data=season)).status_code == 303
    assert "Temporada 2026" in (await client.get("/panel/episodes")).text  # cached, then changed
    episode = {
        "csrf_token": token,
        "season_id": "2026",
        "number": "1",
        "date": "2026-06-24",
        "time": "19:00",
        "market": "Mercado Central",
        "district": "Lima",
        "link_name": "Mujer Lima",
        "link_url": "https://www.facebook.com/mujerlima",
    }
    assert (await client.post("/panel/episodes/episode", data=episode)).status_code == 303
    page = (await client.get("/panel/episodes")).text
    answer = re.search(r'id="next-answer">(.*?)</blockquote>', page, re.S)
    assert answer and "19:00" in answer.group(1) and "Mercado Central" in answer.group(1)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    for n, text in enumerate(("hola", "cuando es el proximo programa"), start=50):
        await client.post(
            "/telegram/webhook", json=telegram_update(text, update_id=n), headers=headers
        )
    assert any("Mercado Central" in text for text in outbox_texts(app))
    repeated = await client.post("/panel/episodes/episode", data=episode, follow_redirects=True)
    assert "No se guardó" in repeated.text


def outbox_texts(app: App) -> list[str]:
    from bot.store.models import Outbox

    with unit_of_work(app.engine) as db:
        return [row.text for row in db.exec(select(Outbox)).all()]


async def test_broadcast_dry_run_refuses_indiscreet_text_and_sends_once(
    client: httpx.AsyncClient, app: App
) -> None:
    token = await log_in(client, "carmen")
    risky = await client.post(
        "/panel/broadcasts/check", data={"csrf_token": token, "text": "Charla sobre violencia"}
    )
    assert 'id="problem"' in risky.text and "Enviar a" not in risky.text
    checked = await client.post(
        "/panel/broadcasts/check", data={"csrf_token": token, "text": "Hoy hay programa nuevo"}
    )
    assert 'id="dry-run"' in checked.text and 'id="preview"' in checked.text
    assert outbox_texts(app) == []  # a dry run sends nothing
    key = re.search(r'name="key" value="([^"]+)"', checked.text)
    assert key
    form = {"csrf_token": token, "text": "Hoy hay programa nuevo", "key": key.group(1)}
    first = await client.post("/panel/broadcasts/send", data=form)
    again = await client.post("/panel/broadcasts/send", data=form, follow_redirects=True)
    assert first.status_code == 303 and "ya se había enviado" in again.text
    progress = await client.get(first.headers["location"])
    assert 'id="progress"' in progress.text


async def test_stats_show_small_counts_as_under_five_and_the_csv_matches(
    client: httpx.AsyncClient, app: App
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    for n in range(7):  # seven people, one message each
        update = telegram_update("hola", chat=8_800_000 + n, update_id=100 + n)
        await client.post("/telegram/webhook", json=update, headers=headers)
    await open_case(client, app, update_id=200)
    await log_in(client, "carmen")
    page = (await client.get("/panel/stats")).text
    assert "<svg" in page and "&lt;5" in page
    response = await client.get("/panel/stats.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = {row[1]: row[2:] for row in csv.reader(io.StringIO(response.text))}
    assert rows["Personas que escribieron"][-1] == "8"
    assert rows["Casos abiertos"][-1] == "<5"
    assert rows["Mensajes recibidos (telegram)"][-1] == "8"


async def test_while_it_is_not_safe_an_answer_waits_for_confirmation(
    client: httpx.AsyncClient, app: App
) -> None:
    from flows import cases as flow

    case_id = await open_case(client, app)
    token = await log_in(client, "lucia")
    await client.post(f"/panel/cases/{case_id}/take", data={"csrf_token": token})
    with unit_of_work(app.engine) as db:
        case = db.get(Case, case_id)
        assert case is not None
        case.safe_to_write = False
    relays = len([t for t in outbox_texts(app) if "Hola" in t])
    asked = await client.post(
        f"/panel/cases/{case_id}/answer",
        data={"csrf_token": token, "text": "Hola"},
        follow_redirects=True,
    )
    words = app.service.cases.words
    question = flow.confirm_send(words, case_id, "Hola", unsafe=True).text
    assert question.splitlines()[0] in asked.text and words["safety_no"] in asked.text
    assert 'action="/panel/cases/draft"' in asked.text
    assert len([t for t in outbox_texts(app) if "Hola" in t]) == relays  # nothing sent yet
    sent = await client.post(
        "/panel/cases/draft", data={"csrf_token": token, "send": "yes"}, follow_redirects=True
    )
    assert words.text("sent", id=case_id) in sent.text
    assert len([t for t in outbox_texts(app) if "Hola" in t]) == relays + 1


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
