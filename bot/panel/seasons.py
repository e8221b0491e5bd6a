"""/panel/episodes: the seasons (content file and panel), add a season and its episodes, and
the next episode exactly as the bot will answer it."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from sqlmodel import Session as DB

from bot.panel.accounts import audit
from bot.panel.web import Panel
from bot.store import seasons
from bot.store.seasons import SeasonError
from flows.episodes import Episode, OnlineLink, Venue, next_episode_answer


def episode_from_form(form: dict[str, str]) -> Episode:
    """One episode from the form's fields; SeasonError says in Spanish what is wrong."""
    try:
        day = date.fromisoformat(form.get("date", ""))
    except ValueError as exc:
        raise SeasonError("la fecha debe ser AAAA-MM-DD") from exc
    raw_time = form.get("time", "").strip()
    try:
        at = time.fromisoformat(raw_time) if raw_time else None
    except ValueError as exc:
        raise SeasonError("la hora debe ser HH:MM (24 h)") from exc
    number = form.get("number", "").strip()
    if not (number.isascii() and number.isdigit() and len(number) <= 3 and int(number) > 0):
        raise SeasonError("el número de episodio debe ser de 1 a 999")
    try:
        return _episode(form, int(number), day, at)
    except ValidationError as exc:
        raise SeasonError("; ".join(str(e["msg"]) for e in exc.errors())) from exc


def _episode(form: dict[str, str], number: int, day: date, at: time | None) -> Episode:
    venues = []
    if form.get("market", "").strip():
        venues.append(Venue(market=form["market"].strip(), district=form.get("district", "")))
    online = []
    if form.get("link_url", "").strip():
        name = form.get("link_name", "").strip() or "Facebook"
        online.append(OnlineLink(name=name, platform="Facebook", url=form["link_url"].strip()))
    return Episode(
        number=number,
        date=day,
        date_confirmed=True,
        time=at,
        time_known=at is not None,
        title=form.get("title", "").strip() or None,
        venues=tuple(venues),
        online=tuple(online),
    )


def routes(panel: Panel, router: APIRouter) -> None:
    # Long by layout only: each page handler is a short closure over the app, registered here
    # together so the module reads as the page's routes; none holds logic worth its own name.
    app = panel.app

    @router.get("/episodes")
    async def episodes(request: Request) -> Response:
        viewer = await panel.coordinator(request)
        now = app.clock()

        def read(db: DB) -> dict[str, Any]:
            schedule = app.service.seasons.schedule(db, app.content.episodes)
            return {
                "yaml_seasons": app.content.episodes.seasons,
                "panel_seasons": seasons.stored_seasons(db),
                "answer": next_episode_answer(schedule, now),
            }

        values = await panel.db(read)
        districts = sorted(app.content.places.districts)
        return panel.render(request, "episodes.html", viewer, districts=districts, **values)

    async def change(request: Request, work_name: str) -> Response:
        viewer = await panel.coordinator(request)
        form = await panel.form(request)
        now = app.clock()
        season_id = form.get("season_id", "").strip()

        def work(db: DB) -> str:
            if work_name == "season":
                seasons.add_season(db, app.content.episodes, season_id, form.get("name", ""), now)
                done = f"Temporada {season_id} creada."
            elif work_name == "episode":
                episode = episode_from_form(form)
                seasons.add_episode(db, season_id, episode, now)
                done = f"Episodio {episode.number} agregado a {season_id}."
            elif work_name == "remove_episode":
                number = form.get("number", "")
                ok = number.isascii() and number.isdigit() and len(number) <= 3
                if not ok or not seasons.remove_episode(db, season_id, int(number), now):
                    raise SeasonError("ese episodio no existe")
                done = f"Episodio {number} quitado de {season_id}."
            else:
                if not seasons.remove_season(db, season_id):
                    raise SeasonError("esa temporada no existe")
                done = f"Temporada {season_id} eliminada."
            audit(db, viewer.username, f"episodes_{work_name}", done[:200], now)
            return done

        try:
            message = await panel.db(work)
        except SeasonError as exc:
            return panel.redirect("/panel/episodes", f"No se guardó: {exc}.", error=True)
        return panel.redirect("/panel/episodes", message)

    @router.post("/episodes/season")
    async def add_season(request: Request) -> Response:
        return await change(request, "season")

    @router.post("/episodes/episode")
    async def add_episode(request: Request) -> Response:
        return await change(request, "episode")

    @router.post("/episodes/episode/remove")
    async def remove_episode(request: Request) -> Response:
        return await change(request, "remove_episode")

    @router.post("/episodes/season/remove")
    async def remove_season(request: Request) -> Response:
        return await change(request, "remove_season")
