"""Seasons added from the panel: stored as validated JSON, merged into the YAML schedule."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session as DB
from sqlmodel import col, select

from bot.store.models import EpisodeSeason
from flows.engine import Content
from flows.episodes import Episode, EpisodeSchedule, Season, with_seasons

_EPISODES = TypeAdapter(tuple[Episode, ...])


class SeasonError(ValueError):
    """A season or episode the schedule would refuse; the message says why, in Spanish."""


def stored_seasons(db: DB) -> tuple[Season, ...]:
    """Every season added from the panel, oldest first."""
    rows = db.exec(select(EpisodeSeason).order_by(col(EpisodeSeason.id))).all()
    return tuple(_season(row) for row in rows)


def _season(row: EpisodeSeason) -> Season:
    return Season(id=row.season_id, name=row.name, episodes=_EPISODES.validate_json(row.body))


def _validated(season_id: str, name: str, episodes: tuple[Episode, ...]) -> Season:
    try:
        return Season(id=season_id, name=name, episodes=episodes)
    except ValidationError as exc:
        reasons = "; ".join(str(e.get("ctx", {}).get("error", e["msg"])) for e in exc.errors())
        raise SeasonError(reasons) from exc


def add_season(
    db: DB, base: EpisodeSchedule, season_id: str, name: str, now: datetime
) -> EpisodeSeason:
    """A new, empty season; its id must be new to the content file and to the panel."""
    season = _validated(season_id.strip(), name.strip(), ())
    taken = {s.id for s in base.seasons} | {s.id for s in stored_seasons(db)}
    if season.id in taken:
        raise SeasonError(f"ya existe una temporada con el código {season.id!r}")
    row = EpisodeSeason(season_id=season.id, name=season.name, created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    return row


def add_episode(db: DB, season_id: str, episode: Episode, now: datetime) -> Season:
    """Add one episode to a panel season (number and date unique within the season)."""
    row = db.exec(select(EpisodeSeason).where(col(EpisodeSeason.season_id) == season_id)).first()
    if row is None:
        raise SeasonError(f"la temporada {season_id!r} no existe (o es del archivo de contenido)")
    current = _season(row)
    season = _validated(row.season_id, row.name, (*current.episodes, episode))
    ordered = tuple(sorted(season.episodes, key=lambda e: (e.date, e.number)))
    row.body, row.revision, row.updated_at = _dump(ordered), row.revision + 1, now
    return season


def _dump(episodes: Iterable[Episode]) -> str:
    """JSON the schema reads back (times as 'HH:MM', as in the content file)."""
    rows = []
    for episode in episodes:
        data = episode.model_dump(mode="json")
        data["time"] = episode.time.strftime("%H:%M") if episode.time else None
        rows.append(data)
    return json.dumps(rows, ensure_ascii=False)


def remove_episode(db: DB, season_id: str, number: int, now: datetime) -> bool:
    row = db.exec(select(EpisodeSeason).where(col(EpisodeSeason.season_id) == season_id)).first()
    if row is None:
        return False
    kept = [e for e in _season(row).episodes if e.number != number]
    row.body, row.revision, row.updated_at = _dump(kept), row.revision + 1, now
    return True


def remove_season(db: DB, season_id: str) -> bool:
    row = db.exec(select(EpisodeSeason).where(col(EpisodeSeason.season_id) == season_id)).first()
    if row is None:
        return False
    db.delete(row)
    return True


class SeasonCache:
    """The content with the panel's seasons merged in, re-read only when a season changed.

    The panel and the scheduler check on every use (one small query: ids and revisions); a
    turn checks at most once every FRESH_SECONDS, so every process sees a coordinator's new
    season within that, web and workers alike, and a burst of turns does not ask each time."""

    FRESH_SECONDS = 2.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[tuple[int | None, int], ...] | None = None
        self._seasons: tuple[Season, ...] = ()
        self._checked = -math.inf
        self._merged: tuple[EpisodeSchedule, EpisodeSchedule] | None = None
        """(the base, it merged with the seasons) while neither changes."""

    def content(self, db: DB, base: Content) -> Content:
        """For a turn: the content with the seasons, checked at most every FRESH_SECONDS."""
        if time.monotonic() - self._checked >= self.FRESH_SECONDS:
            schedule = self.schedule(db, base.episodes)
        else:
            schedule = self._merge(base.episodes)
        return base if schedule is base.episodes else replace(base, episodes=schedule)

    def schedule(self, db: DB, base: EpisodeSchedule) -> EpisodeSchedule:
        checked = time.monotonic()
        key = tuple(db.exec(select(col(EpisodeSeason.id), col(EpisodeSeason.revision))).all())
        with self._lock:
            if key != self._key:
                self._seasons, self._key, self._merged = stored_seasons(db), key, None
            self._checked = checked
        return self._merge(base)

    def _merge(self, base: EpisodeSchedule) -> EpisodeSchedule:
        with self._lock:
            merged, seasons = self._merged, self._seasons
        if merged is not None and merged[0] is base:
            return merged[1]
        schedule = with_seasons(base, seasons)
        with self._lock:
            if seasons is self._seasons:
                self._merged = (base, schedule)
        return schedule
