"""What the bot says about episodes: the next-episode answer and the (un)subscription
confirmations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from flows.episodes.schema import EpisodeSchedule, Venue
from flows.episodes.slots import EpisodeSlot, next_episode, next_episode_in_district
from flows.text import fold


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


def when_phrase(schedule: EpisodeSchedule, slot: EpisodeSlot, now: datetime) -> str:
    """An episode's day (and time when known) as people say it: 'este viernes 18 a las 7:00'."""
    return _when(schedule, slot, now)


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
