"""The panel in a real browser: headless Chromium (Debian's package) driven by Selenium.

Skipped, saying why, where no browser is installed. Screenshots go to the test's folder, and
also to $DEFENSORAS_SCREENSHOTS when set (that is how docs/panel-*.png are made)."""

from __future__ import annotations

import os
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlmodel import select

from bot.app import App
from bot.store.engine import unit_of_work
from bot.store.models import Case, Outbox, UsageEvent
from bot.store.usage import week_of
from tests.conftest import FakeClock
from tests.panel.browser import browser_missing, chromium, live_server
from tests.panel.helpers import PASSWORD, SECRET, THREAT, configure, seed_team, telegram_update

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))


def by_css(driver: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def submit(driver: Any, selector: str) -> None:
    """Click and wait for the next page (every form answers with a redirect or a page)."""
    old = by_css(driver, "html")
    by_css(driver, selector).click()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            old.tag_name  # noqa: B018 (raises once the old page is gone)
        except Exception:
            return
        time.sleep(0.05)
    raise AssertionError(f"clicking {selector} did not load a page")


def fill(driver: Any, values: dict[str, str]) -> None:
    """Set form fields by id (date and time inputs too, whatever the browser's locale)."""
    for field_id, value in values.items():
        element = by_css(driver, f"#{field_id}")
        if element.tag_name == "select":
            from selenium.webdriver.support.select import Select

            Select(element).select_by_visible_text(value)
        else:
            driver.execute_script("arguments[0].value = arguments[1]", element, value)


def log_in(driver: Any, base: str, username: str) -> None:
    driver.get(f"{base}/panel/login")
    by_css(driver, "#username").send_keys(username)
    by_css(driver, "#password").send_keys(PASSWORD)
    submit(driver, "form[action='/panel/login'] button")


def shot(driver: Any, folder: Path, name: str) -> Path:
    path = folder / name
    width = driver.execute_script("return document.documentElement.scrollWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(max(width, 360), min(max(height + 40, 600), 2400))
    driver.save_screenshot(str(path))
    assert path.read_bytes().startswith(b"\x89PNG")
    published = os.environ.get("DEFENSORAS_SCREENSHOTS")
    if published:
        shutil.copy(path, Path(published) / name)
    return path


def say(base: str, text: str, chat: int, update_id: int) -> None:
    """A person writes to the bot through the live Telegram webhook."""
    response = httpx.post(
        f"{base}/telegram/webhook",
        json=telegram_update(text, chat=chat, update_id=update_id),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        timeout=30,
    )
    assert response.status_code == 200


def past_weeks_of_use(app: App, clock: FakeClock) -> None:
    """Illustrative figures for earlier weeks, so the chart has bars to draw."""
    people = (14, 22, 9, 31, 27, 18, 3)
    rows = []
    for back, count in enumerate(people, start=1):
        week = week_of(clock.now - timedelta(weeks=len(people) + 1 - back))
        for n in range(count):
            district = ("San Juan de Lurigancho", "Comas", "Lima")[n % 3]
            rows.append(
                {
                    "week": week,
                    "channel": ("whatsapp", "telegram")[n % 2],
                    "topic": "cem_ask",
                    "district": district,
                    "severity": "none",
                    "new_person": True,
                }
            )
    with unit_of_work(app.engine) as db:
        db.execute(insert(UsageEvent), rows)


def test_a_coordinator_and_a_defensora_in_the_browser(
    sqlite_app: App, clock: FakeClock, tmp_path: Path
) -> None:
    app = configure(sqlite_app)
    seed_team(app)
    past_weeks_of_use(app, clock)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with live_server(app) as base, chromium(downloads) as driver:
        say(base, THREAT, chat=7_700_001, update_id=1)
        clock.advance(minutes=7)
        say(base, "mi pareja me pega y tengo miedo", chat=7_700_002, update_id=2)
        clock.advance(minutes=4)

        log_in(driver, base, "carmen")
        assert driver.current_url.endswith("/panel/cases")
        first = by_css(driver, "#case-1")
        assert "me va a matar" in first.text and "987 654 321" not in first.text
        submit(driver, "form[action='/panel/cases/1/take'] button")
        assert "#1" in by_css(driver, ".flash").text
        shot(driver, tmp_path, "panel-cases.png")
        fill(driver, {"note-1": "Derivada al CEM"})
        submit(driver, "form[action='/panel/cases/1/close'] button")
        assert "#case-1" and "Derivada" not in driver.page_source  # closing notes stay private
        closed = by_css(driver, "section[aria-labelledby='h-closed']")
        assert "#1" in closed.text
        with unit_of_work(app.engine) as db:
            case = db.get(Case, 1)
            assert case is not None and case.status == "closed"

        driver.get(f"{base}/panel/shifts")
        fill(driver, {"name": "Lucía", "day": "2026-06-17", "start": "08:00", "end": "20:00"})
        by_css(driver, "#weekly").click()
        submit(driver, "form[action='/panel/shifts'] button")
        assert "Lucía" in by_css(driver, ".duty").text  # on duty now (15:00 UTC = 10:00 Lima)

        driver.get(f"{base}/panel/episodes")
        fill(driver, {"season_id": "2026", "season_name": "Temporada 2026"})
        submit(driver, "form[action='/panel/episodes/season'] button")
        by_css(driver, "#season-2026 summary").click()
        fill(
            driver,
            {
                "d-2026": "2026-06-24",
                "t-2026": "19:00",
                "m-2026": "Mercado Central",
                "di-2026": "Lima",
                "ln-2026": "Mujer Lima",
                "lu-2026": "https://www.facebook.com/mujerlima",
            },
        )
        submit(driver, "form[action='/panel/episodes/episode'] button")
        assert "agregado" in by_css(driver, ".flash").text, by_css(driver, ".flash").text
        assert "Mercado Central" in by_css(driver, "#next-answer").text
        say(base, "hola", chat=7_700_003, update_id=3)
        say(base, "cuando es el proximo programa", chat=7_700_003, update_id=4)
        with unit_of_work(app.engine) as db:
            replies = [row.text for row in db.exec(select(Outbox)).all()]
        assert any("Mercado Central" in text and "19:00" in text for text in replies)

        driver.get(f"{base}/panel/broadcasts")
        by_css(driver, "#text").send_keys("Este miércoles hay programa nuevo en tu mercado")
        submit(driver, "form[action='/panel/broadcasts/check'] button")
        assert "Nada se envió" in by_css(driver, "#dry-run").text
        assert "programa nuevo" in by_css(driver, "#preview").text

        driver.get(f"{base}/panel/stats")
        assert by_css(driver, "svg.chart")
        shot(driver, tmp_path, "panel-stats.png")
        by_css(driver, "#csv").click()
        csv_file = downloads / "defensoras-cifras.csv"
        deadline = time.monotonic() + 15
        while not csv_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        header = csv_file.read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("grupo,cifra,")

        submit(driver, "form[action='/panel/logout'] button")
        log_in(driver, base, "lucia")
        driver.get(f"{base}/panel/roster")
        assert by_css(driver, "h1").text == "Sin acceso"
        driver.set_window_size(412, 915)
        driver.get(f"{base}/panel/cases")
        shot(driver, tmp_path, "panel-cases-phone.png")
