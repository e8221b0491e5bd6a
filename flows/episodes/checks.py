"""Checks on the episodes content: the words a lock-screen text must never show, the text ids
and their placeholders, and the small parsers the schema uses."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import time
from typing import Any

from flows.text import fold

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
    # the same in English (reminders go out in each subscriber's language)
    "violence",
    "violent",
    "abuse",
    "abuser",
    "assault",
    "rape",
    "victim",
    "harassment",
    "femicide",
    "emergency",
    "danger",
    "complaint",
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
