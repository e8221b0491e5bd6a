"""Panel pages on SQLite and PostgreSQL: cases, shifts, seasons, broadcasts, stats."""

from __future__ import annotations

import csv
import io
import logging
import re

import httpx
import pytest
from sqlmodel import col, select

from bot.app import App
from bot.channels.envelope import Envelope
from bot.roster import add_defensora
from bot.store.engine import unit_of_work
from bot.store.models import Case, Shift
from flows.types import Channel, Inbound
from tests.conftest import FakeClock
from tests.panel.helpers import (
    PAGES,
    PERSON_CHAT,
    PHONE_OR_CHAT,
    SECRET,
    case_status,
    log_in,
    open_case,
    outbox_texts,
    shift_count,
    telegram_update,
)


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


async def test_the_broadcast_page_says_her_text_goes_as_written_to_every_language(
    client: httpx.AsyncClient, app: App
) -> None:
    for number, words in [("+51900000001", "hello"), ("+51900000002", "hola")]:
        app.service.handle(Envelope(Inbound(Channel.WHATSAPP, text=words), number))
        app.service.handle(Envelope(Inbound(Channel.WHATSAPP, text="ALTA"), number))
    await log_in(client, "carmen")
    page = await client.get("/panel/broadcasts")
    hint = page.text.split('id="as-written">')[1].split("</p>")[0]
    assert "tal como lo escribes" in hint and "(English: 1)" in hint


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


async def test_the_roster_shows_each_ones_languages(client: httpx.AsyncClient, app: App) -> None:
    with unit_of_work(app.engine) as db:
        add_defensora(
            db, app.vault, "Quispe", "telegram", "6101", coordinator=False, speaks=("es", "qu")
        )
    await log_in(client, "carmen")
    page = (await client.get("/panel/roster")).text
    assert '<th scope="col">Idiomas</th>' in page
    row = re.search(r"<th scope=\"row\">Quispe</th>(.*?)</tr>", page, re.S)
    assert row is not None and "<td>es, qu</td>" in row.group(1)
    assert "6101" not in page
