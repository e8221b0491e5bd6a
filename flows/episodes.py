"""Episodes and reminders of *Defensoras al Parlante*: pure functions over the episodes content.

The content lives in ``content/episodes.yaml``.

Nothing here reads a clock, a file or the network: the caller parses the YAML, passes the resulting
mapping to :class:`EpisodeSchedule` and hands ``now`` in as a timezone-aware datetime. All calendar
reasoning happens in the schedule's time zone (``America/Lima``), whatever zone ``now`` is in.

Decisions (also documented in ``content/episodes.yaml``):

* **Unknown time.** An episode with ``time_known: false`` gets ``starts_at`` = its date at 00:00
  local. It counts as *upcoming* for the whole of its local day (we cannot know that it already
  started), and answers give the day and say the time will be announced.
* **Known time.** An episode is upcoming while ``now < starts_at``.
* **Reminder offsets.** ``evening_before`` fires the day before at a fixed local time, so it works
  for unknown-time episodes too. ``before_start`` fires ``minutes`` before the start and is
  *skipped* when the time is unknown (there is nothing to subtract from). A reminder whose
  ``send_at`` is not strictly before a known start is skipped too.
* **Due reminders** are those with ``since < send_at <= now`` for episodes still upcoming at
  ``now``. After an outage a caller passing an old ``since`` gets every missed reminder of episodes
  that have not started; deciding whether a late one is still worth sending (misfire grace) is the
  caller's job, using ``DueReminder.send_at``. The reminder *text* is rendered relative to ``now``
  (a late evening-before reminder delivered on the day says "hoy", not "mañana"); the *key* never
  depends on ``now`` or ``since``: ``reminder:<season_id>:<number>:<offset_id>``.
* **District.** Venues are matched on accent/case-folded district names; the caller resolves
  aliases (SJL, Cercado, ...) to the official name first. Venues in the person's district come
  first; the next episode is still the soonest one, and the answer adds a note when a later
  episode plays in the person's district.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flows.text import fold

__all__ = [
    "REMINDER_FORBIDDEN_WORDS",
    "TEXT_PLACEHOLDERS",
    "Calendar",
    "DueReminder",
    "Episode",
    "EpisodeSchedule",
    "EpisodeSlot",
    "OnlineLink",
    "ReminderOffset",
    "Season",
    "Venue",
    "due_reminders",
    "format_episode_list",
    "next_episode",
    "next_episode_answer",
    "next_episode_in_district",
    "reminder_key",
    "subscription_confirmation",
    "unsubscription_confirmation",
    "upcoming_episodes",
]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

REMINDER_FORBIDDEN_WORDS: tuple[str, ...] = (
    "violencia",
    "violento",
    "violenta",
    "violacion",
    "abuso",
    "abusador",
    "denuncia",
    "denunciar",
    "agresion",
    "agresor",
    "maltrato",
    "maltratador",
    "golpe",
    "golpes",
    "victima",
    "acoso",
    "acosador",
    "feminicidio",
    "sexual",
    "emergencia",
    "peligro",
    "riesgo",
    "auxilio",
    "socorro",
    "cem",
    "linea 100",
)
"""Folded words/phrases that must never appear in texts visible on a lock screen."""

_WHEN = frozenset({"weekday", "day", "month", "year"})
_REMINDER_FIELDS = frozenset({"day_phrase", "time", "weekday", "day", "month", "season", "number"})
_NEXT_FIELDS = frozenset({"when", "where", "time_note", "district_note", "season", "number"})
_WHERE = frozenset({"venues", "platforms"})
_VENUES = frozenset({"first", "count"})

TEXT_PLACEHOLDERS: Mapping[str, frozenset[str]] = {
    "day_today": frozenset(),
    "day_tomorrow": frozenset(),
    "day_this_week": _WHEN,
    "day_later": _WHEN,
    "day_other_year": _WHEN,
    "at_time": frozenset({"day_phrase", "time"}),
    "at_time_one": frozenset({"day_phrase", "time"}),
    "date_long": _WHEN,
    "venue": frozenset({"market", "district"}),
    "venue_in_district": frozenset({"market", "district"}),
    "venues_one": _VENUES,
    "venues_more_one": _VENUES,
    "venues_more": _VENUES,
    "where_venues_and_online": _WHERE,
    "where_venues": _WHERE,
    "where_online": _WHERE,
    "where_none": _WHERE,
    "join_and": frozenset(),
    "next_episode": _NEXT_FIELDS,
    "next_episode_season_start": _NEXT_FIELDS,
    "time_note_unknown": frozenset(),
    "time_note_known": frozenset(),
    "district_note": frozenset({"district", "day_phrase", "venue"}),
    "no_upcoming": frozenset(),
    "season_announced": frozenset({"season"}),
    "subscribe_confirmed": frozenset({"reminders", "next"}),
    "subscribe_next": frozenset({"when"}),
    "subscribe_no_dates": frozenset(),
    "unsubscribe_confirmed": frozenset(),
    "list_empty": frozenset(),
    "list_season": frozenset({"name", "id", "count"}),
    "list_season_empty": frozenset(),
    "list_episode": frozenset({"number", "date", "time", "flags"}),
    "list_time_unknown": frozenset(),
    "list_title": frozenset({"title"}),
    "list_topic": frozenset({"topic"}),
    "list_venues": frozenset({"venues"}),
    "list_venue": frozenset({"market", "district"}),
    "list_online": frozenset({"links"}),
    "list_link": frozenset({"name", "platform", "url"}),
    "list_link_no_url": frozenset({"name", "platform"}),
    "list_flag_derived": frozenset(),
    "list_flag_past": frozenset(),
    "list_flag_next": frozenset(),
    "list_separator": frozenset(),
}
"""Every text id this module needs, with the placeholders it may use."""

_DISCREET_TEXTS: tuple[str, ...] = (
    "subscribe_confirmed",
    "subscribe_next",
    "subscribe_no_dates",
    "unsubscribe_confirmed",
    "day_today",
    "day_tomorrow",
    "day_this_week",
    "day_later",
    "day_other_year",
    "at_time",
    "at_time_one",
)
"""Texts that end up in reminders or subscription messages: checked like the reminder texts."""


def _parse_hhmm(value: Any, what: str) -> time | None:
    if value is None:
        return None
    if isinstance(value, time):
        return value
    if isinstance(value, str) and _HHMM.match(value.strip()):
        hh, mm = value.strip().split(":")
        return time(int(hh), int(mm))
    raise ValueError(
        f"{what} must be a quoted 'HH:MM' string (24 h), got {value!r}"
        " (unquoted 19:00 is read by YAML as the number 1140)"
    )


def _fields(template: str) -> set[str]:
    names: set[str] = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(f"placeholder {{{name}}} is not a plain name")
        names.add(name)
    return names


def _is_discreet(text: str) -> str | None:
    """The first forbidden word found in ``text``, or None."""
    folded = f" {fold(text)} "
    for word in REMINDER_FORBIDDEN_WORDS:
        if f" {word} " in folded:
            return word
    return None


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


@dataclass(frozen=True, slots=True)
class EpisodeSlot:
    """One episode placed in time. ``starts_at`` is aware, in the schedule's zone; when the time
    is unknown it is the date at 00:00 and ``time_known`` is False."""

    season_id: str
    season_name: str
    number: int
    starts_at: datetime
    time_known: bool
    date_confirmed: bool
    title: str | None
    topic: str | None
    venues: tuple[Venue, ...]
    online: tuple[OnlineLink, ...]
    first_of_season: bool

    @property
    def key(self) -> str:
        return f"{self.season_id}:{self.number}"

    def is_upcoming(self, now: datetime) -> bool:
        """Not started yet at ``now``; unknown-time episodes stay upcoming all their local day."""
        if self.time_known:
            return now < self.starts_at
        return now.astimezone(self.starts_at.tzinfo).date() <= self.starts_at.date()

    def venues_in(self, district: str) -> tuple[Venue, ...]:
        wanted = fold(district)
        return tuple(v for v in self.venues if fold(v.district) == wanted)


@dataclass(frozen=True, slots=True)
class DueReminder:
    key: str
    season_id: str
    number: int
    offset_id: str
    send_at: datetime
    text: str


def reminder_key(season_id: str, number: int, offset_id: str) -> str:
    return f"reminder:{season_id}:{number}:{offset_id}"


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _slots(schedule: EpisodeSchedule) -> list[EpisodeSlot]:
    tz = schedule.tz
    slots: list[EpisodeSlot] = []
    order: dict[str, int] = {}
    for index, season in enumerate(schedule.seasons):
        order[season.id] = index
        first = min((ep.date for ep in season.episodes), default=None)
        for ep in season.episodes:
            slots.append(
                EpisodeSlot(
                    season_id=season.id,
                    season_name=season.name,
                    number=ep.number,
                    starts_at=datetime.combine(ep.date, ep.time or time(0, 0), tzinfo=tz),
                    time_known=ep.time_known,
                    date_confirmed=ep.date_confirmed,
                    title=ep.title,
                    topic=ep.topic,
                    venues=ep.venues,
                    online=ep.online,
                    first_of_season=ep.date == first,
                )
            )
    slots.sort(key=lambda s: (s.starts_at, order[s.season_id], s.number))
    return slots


def upcoming_episodes(schedule: EpisodeSchedule, now: datetime) -> list[EpisodeSlot]:
    """Episodes not yet started at ``now``, soonest first, across all seasons."""
    _require_aware(now, "now")
    return [slot for slot in _slots(schedule) if slot.is_upcoming(now)]


def _district_first(slot: EpisodeSlot, district: str | None) -> EpisodeSlot:
    if not district:
        return slot
    near = slot.venues_in(district)
    if not near:
        return slot
    rest = tuple(v for v in slot.venues if v not in near)
    return replace(slot, venues=near + rest)


def next_episode(
    schedule: EpisodeSchedule, now: datetime, district: str | None = None
) -> EpisodeSlot | None:
    """The soonest upcoming episode; venues in ``district`` (if given) come first."""
    upcoming = upcoming_episodes(schedule, now)
    return _district_first(upcoming[0], district) if upcoming else None


def next_episode_in_district(
    schedule: EpisodeSchedule, now: datetime, district: str
) -> EpisodeSlot | None:
    """The soonest upcoming episode played on loudspeakers in ``district``, venues there first."""
    for slot in upcoming_episodes(schedule, now):
        if slot.venues_in(district):
            return _district_first(slot, district)
    return None


# --- wording ---------------------------------------------------------------------------------


def _date_values(schedule: EpisodeSchedule, day: date) -> dict[str, object]:
    cal = schedule.calendar
    return {
        "weekday": cal.weekdays[day.weekday()],
        "day": day.day,
        "month": cal.months[day.month - 1],
        "year": day.year,
    }


def _day_phrase(schedule: EpisodeSchedule, day: date, now: datetime) -> str:
    """'hoy', 'mañana', 'este viernes 18', 'el viernes 25 de junio' (relative to local today)."""
    today = now.astimezone(schedule.tz).date()
    delta = (day - today).days
    values = _date_values(schedule, day)
    if delta == 0:
        return schedule.text("day_today")
    if delta == 1:
        return schedule.text("day_tomorrow")
    if 1 < delta < 7:
        return schedule.text("day_this_week", **values)
    if day.year == today.year or 0 < delta < 183:
        return schedule.text("day_later", **values)
    return schedule.text("day_other_year", **values)


def _hhmm(value: datetime) -> str:
    return f"{value.hour}:{value.minute:02d}"


def _when(schedule: EpisodeSchedule, slot: EpisodeSlot, now: datetime) -> str:
    phrase = _day_phrase(schedule, slot.starts_at.date(), now)
    if not slot.time_known:
        return phrase
    text_id = "at_time_one" if slot.starts_at.hour == 1 else "at_time"
    return schedule.text(text_id, day_phrase=phrase, time=_hhmm(slot.starts_at))


def _join(schedule: EpisodeSchedule, items: Iterable[str]) -> str:
    unique = list(dict.fromkeys(items))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + schedule.text("join_and") + unique[-1]


def _venue_label(schedule: EpisodeSchedule, venue: Venue, district: str | None) -> str:
    near = bool(district) and fold(venue.district) == fold(district or "")
    text_id = "venue_in_district" if near else "venue"
    return schedule.text(text_id, market=venue.display_name, district=venue.district)


def _where(schedule: EpisodeSchedule, slot: EpisodeSlot, district: str | None) -> str:
    venues = ""
    if slot.venues:
        first = _venue_label(schedule, slot.venues[0], district)
        count = len(slot.venues) - 1
        text_id = {0: "venues_one", 1: "venues_more_one"}.get(count, "venues_more")
        venues = schedule.text(text_id, first=first, count=count)
    platforms = _join(schedule, (link.platform for link in slot.online))
    if venues and platforms:
        text_id = "where_venues_and_online"
    elif venues:
        text_id = "where_venues"
    elif platforms:
        text_id = "where_online"
    else:
        text_id = "where_none"
    return schedule.text(text_id, venues=venues, platforms=platforms)


def next_episode_answer(
    schedule: EpisodeSchedule, now: datetime, district: str | None = None
) -> str:
    """What the bot answers to "¿cuándo es el próximo programa?"."""
    slot = next_episode(schedule, now, district)
    if slot is None:
        if schedule.seasons and not schedule.seasons[-1].episodes:
            return schedule.text("season_announced", season=schedule.seasons[-1].name)
        return schedule.text("no_upcoming")
    district_note = ""
    if district and not slot.venues_in(district):
        later = next_episode_in_district(schedule, now, district)
        if later is not None:
            district_note = schedule.text(
                "district_note",
                district=later.venues[0].district,
                day_phrase=_day_phrase(schedule, later.starts_at.date(), now),
                venue=_venue_label(schedule, later.venues[0], None),
            )
    text_id = "next_episode_season_start" if slot.first_of_season else "next_episode"
    return schedule.text(
        text_id,
        when=_when(schedule, slot, now),
        where=_where(schedule, slot, district),
        time_note=schedule.text("time_note_known" if slot.time_known else "time_note_unknown"),
        district_note=district_note,
        season=slot.season_name,
        number=slot.number,
    )


# --- reminders -------------------------------------------------------------------------------


def _send_at(slot: EpisodeSlot, offset: ReminderOffset) -> datetime | None:
    """When ``offset`` fires for ``slot``, or None when it does not apply (see module doc)."""
    if offset.kind == "evening_before":
        assert offset.local_time is not None  # guaranteed by ReminderOffset validation
        eve = slot.starts_at.date() - timedelta(days=1)
        send_at = datetime.combine(eve, offset.local_time, tzinfo=slot.starts_at.tzinfo)
    else:
        if not slot.time_known:
            return None
        assert offset.minutes is not None  # guaranteed by ReminderOffset validation
        send_at = slot.starts_at - timedelta(minutes=offset.minutes)
    if slot.time_known and send_at >= slot.starts_at:
        return None
    return send_at


def _reminder_text(
    schedule: EpisodeSchedule, slot: EpisodeSlot, offset: ReminderOffset, now: datetime
) -> str:
    text_id = offset.text
    if not slot.time_known and offset.text_unknown_time is not None:
        text_id = offset.text_unknown_time
    day = slot.starts_at.date()
    values = _date_values(schedule, day)
    return schedule.text(
        text_id,
        day_phrase=_day_phrase(schedule, day, now),
        time=_hhmm(slot.starts_at) if slot.time_known else "",
        weekday=values["weekday"],
        day=values["day"],
        month=values["month"],
        season=slot.season_name,
        number=slot.number,
    )


def due_reminders(
    schedule: EpisodeSchedule, *, now: datetime, since: datetime
) -> list[DueReminder]:
    """Reminders with ``since < send_at <= now`` for episodes not started at ``now``.

    Keys are deterministic (``reminder:<season>:<number>:<offset_id>``), so the caller can record
    them to make sending idempotent. No misfire grace is applied here: with an old ``since``
    (after an outage) every missed reminder of a still-upcoming episode is returned, and the
    caller decides from ``send_at`` whether it is too late to send.
    """
    _require_aware(now, "now")
    _require_aware(since, "since")
    if since >= now:
        return []
    due: list[tuple[datetime, int, DueReminder]] = []
    for slot in upcoming_episodes(schedule, now):
        for index, offset in enumerate(schedule.reminder_offsets):
            send_at = _send_at(slot, offset)
            if send_at is None or not since < send_at <= now:
                continue
            reminder = DueReminder(
                key=reminder_key(slot.season_id, slot.number, offset.id),
                season_id=slot.season_id,
                number=slot.number,
                offset_id=offset.id,
                send_at=send_at,
                text=_reminder_text(schedule, slot, offset, now),
            )
            due.append((send_at, index, reminder))
    # upcoming_episodes is already in episode order; sort is stable
    due.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in due]


# --- subscription ----------------------------------------------------------------------------


def subscription_confirmation(schedule: EpisodeSchedule, now: datetime) -> str:
    """The single message confirming ALTA: what they will get, the next episode, how to stop."""
    reminders = _join(schedule, (offset.label for offset in schedule.reminder_offsets))
    slot = next_episode(schedule, now)
    if slot is None:
        upcoming = schedule.text("subscribe_no_dates")
    else:
        upcoming = schedule.text("subscribe_next", when=_when(schedule, slot, now))
    return schedule.text("subscribe_confirmed", reminders=reminders, next=upcoming)


def unsubscription_confirmation(schedule: EpisodeSchedule) -> str:
    """The message confirming BAJA."""
    return schedule.text("unsubscribe_confirmed")


# --- listing ---------------------------------------------------------------------------------


def format_episode_list(schedule: EpisodeSchedule, now: datetime | None = None) -> str:
    """Every season and episode, for ``defensoras episodes list``; with ``now``, marks past
    episodes and the next one."""
    if not schedule.seasons:
        return schedule.text("list_empty")
    next_key: str | None = None
    if now is not None:
        upcoming = next_episode(schedule, now)
        next_key = upcoming.key if upcoming else None
    slots: dict[str, list[EpisodeSlot]] = {}
    for slot in _slots(schedule):
        slots.setdefault(slot.season_id, []).append(slot)
    sep = schedule.text("list_separator")
    lines: list[str] = []
    for season in schedule.seasons:
        season_slots = slots.get(season.id, [])
        lines.append(
            schedule.text("list_season", name=season.name, id=season.id, count=len(season_slots))
        )
        if not season_slots:
            lines.append(schedule.text("list_season_empty"))
        for slot in season_slots:
            flags = "" if slot.date_confirmed else schedule.text("list_flag_derived")
            if slot.key == next_key:
                flags += schedule.text("list_flag_next")
            elif now is not None and not slot.is_upcoming(now):
                flags += schedule.text("list_flag_past")
            lines.append(
                schedule.text(
                    "list_episode",
                    number=slot.number,
                    date=schedule.text(
                        "date_long", **_date_values(schedule, slot.starts_at.date())
                    ),
                    time=_hhmm(slot.starts_at)
                    if slot.time_known
                    else schedule.text("list_time_unknown"),
                    flags=flags,
                )
            )
            if slot.title:
                lines.append(schedule.text("list_title", title=slot.title))
            if slot.topic:
                lines.append(schedule.text("list_topic", topic=slot.topic))
            if slot.venues:
                venues = sep.join(
                    schedule.text("list_venue", market=v.market, district=v.district)
                    for v in slot.venues
                )
                lines.append(schedule.text("list_venues", venues=venues))
            if slot.online:
                links = sep.join(
                    schedule.text("list_link", name=o.name, platform=o.platform, url=o.url)
                    if o.url
                    else schedule.text("list_link_no_url", name=o.name, platform=o.platform)
                    for o in slot.online
                )
                lines.append(schedule.text("list_online", links=links))
    return "\n".join(lines)
