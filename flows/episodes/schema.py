"""Schema of ``content/episodes.yaml`` (pydantic): seasons, episodes, venues, reminder offsets."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flows.episodes.checks import (
    _DISCREET_TEXTS,
    _REMINDER_FIELDS,
    _SLUG,
    TEXT_PLACEHOLDERS,
    _fields,
    _is_discreet,
    _parse_hhmm,
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Venue(_Frozen):
    market: str = Field(min_length=1)
    short_name: str | None = None
    district: str = Field(min_length=1)

    @property
    def display_name(self) -> str:
        return self.short_name or self.market


class OnlineLink(_Frozen):
    name: str = Field(min_length=1)
    platform: str = Field(min_length=1)
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError(f"url must start with https:// or be null, got {value!r}")
        return value


class Episode(_Frozen):
    number: int = Field(ge=1)
    date: dt.date
    date_confirmed: bool = False
    time: dt.time | None
    time_known: bool
    title: str | None = None
    topic: str | None = None
    venues: tuple[Venue, ...] = ()
    online: tuple[OnlineLink, ...] = ()

    @field_validator("date", mode="before")
    @classmethod
    def _date_only(cls, value: Any) -> Any:
        if isinstance(value, datetime) or not isinstance(value, dt.date | str):
            raise ValueError(f"date must be YYYY-MM-DD, got {value!r}")
        return value

    @field_validator("time", mode="before")
    @classmethod
    def _time(cls, value: Any) -> dt.time | None:
        return _parse_hhmm(value, "time")

    @model_validator(mode="after")
    def _time_consistent(self) -> Episode:
        if self.time_known != (self.time is not None):
            raise ValueError(
                f"episode {self.number}: time_known is {self.time_known} but time is"
                f" {self.time!r}; use time: null with time_known: false when the time is unknown"
            )
        return self


class Season(_Frozen):
    id: str
    name: str = Field(min_length=1)
    episodes: tuple[Episode, ...] = ()

    @field_validator("id", mode="before")
    @classmethod
    def _slug(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _SLUG.match(value):
            raise ValueError(f"season id must match [a-z0-9][a-z0-9_-]* (quote it), got {value!r}")
        return value

    @model_validator(mode="after")
    def _unique(self) -> Season:
        numbers: dict[int, int] = {}
        dates: dict[date, int] = {}
        for ep in self.episodes:
            if ep.number in numbers:
                raise ValueError(f"season {self.id!r}: episode number {ep.number} is repeated")
            if ep.date in dates:
                raise ValueError(
                    f"season {self.id!r}: episode {ep.number} has the same date {ep.date}"
                    f" as episode {dates[ep.date]}"
                )
            numbers[ep.number] = ep.number
            dates[ep.date] = ep.number
        return self


class ReminderOffset(_Frozen):
    id: str
    kind: Literal["before_start", "evening_before"]
    minutes: int | None = None
    local_time: time | None = None
    label: str = Field(min_length=1)
    text: str
    text_unknown_time: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _slug(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _SLUG.match(value):
            raise ValueError(f"offset id must match [a-z0-9][a-z0-9_-]*, got {value!r}")
        return value

    @field_validator("local_time", mode="before")
    @classmethod
    def _time(cls, value: Any) -> time | None:
        return _parse_hhmm(value, "local_time")

    @model_validator(mode="after")
    def _kind_fields(self) -> ReminderOffset:
        if self.kind == "before_start":
            if self.minutes is None or self.minutes <= 0 or self.local_time is not None:
                raise ValueError(
                    f"offset {self.id!r}: before_start needs minutes > 0 and no local_time"
                )
        elif self.local_time is None or self.minutes is not None:
            raise ValueError(f"offset {self.id!r}: evening_before needs local_time and no minutes")
        return self


class Calendar(_Frozen):
    weekdays: tuple[str, ...] = Field(min_length=7, max_length=7)
    months: tuple[str, ...] = Field(min_length=12, max_length=12)


class EpisodeSchedule(_Frozen):
    """Schema of ``content/episodes.yaml``."""

    timezone: str
    reminder_offsets: tuple[ReminderOffset, ...] = ()
    calendar: Calendar
    texts: dict[str, str]
    seasons: tuple[Season, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone {value!r} is not a known IANA zone") from exc
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> EpisodeSchedule:
        seen: set[str] = set()
        for season in self.seasons:
            if season.id in seen:
                raise ValueError(f"season id {season.id!r} is repeated")
            seen.add(season.id)
        seen = set()
        for offset in self.reminder_offsets:
            if offset.id in seen:
                raise ValueError(f"reminder_offsets: id {offset.id!r} is repeated")
            seen.add(offset.id)
        for text_id, allowed in TEXT_PLACEHOLDERS.items():
            if text_id not in self.texts:
                raise ValueError(f"texts: {text_id!r} is missing")
            self._check_template(text_id, allowed)
        for offset in self.reminder_offsets:
            for ref in (offset.text, offset.text_unknown_time):
                if ref is None:
                    continue
                if ref not in self.texts:
                    raise ValueError(
                        f"reminder_offsets {offset.id!r}: text {ref!r} is not in texts"
                    )
                self._check_template(ref, _REMINDER_FIELDS)
                self._check_discreet(f"texts.{ref}", self.texts[ref])
            self._check_discreet(f"reminder_offsets {offset.id!r} label", offset.label)
        for text_id in _DISCREET_TEXTS:
            self._check_discreet(f"texts.{text_id}", self.texts[text_id])
        return self

    def _check_template(self, text_id: str, allowed: frozenset[str]) -> None:
        try:
            used = _fields(self.texts[text_id])
        except ValueError as exc:
            raise ValueError(f"texts.{text_id}: {exc}") from exc
        unknown = used - allowed
        if unknown:
            raise ValueError(
                f"texts.{text_id}: unknown placeholder(s) {sorted(unknown)};"
                f" allowed: {sorted(allowed)}"
            )

    @staticmethod
    def _check_discreet(where: str, text: str) -> None:
        word = _is_discreet(text)
        if word is not None:
            raise ValueError(f"{where}: {word!r} must not appear in a lock-screen text")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def text(self, text_id: str, **values: object) -> str:
        """The text ``text_id`` with its placeholders filled in."""
        return self.texts[text_id].format_map(values)
