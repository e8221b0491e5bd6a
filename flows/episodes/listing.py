"""The full list of seasons and episodes, for ``defensoras episodes list``."""

from __future__ import annotations

from datetime import datetime

from flows.episodes.schema import EpisodeSchedule
from flows.episodes.slots import EpisodeSlot, _slots, next_episode
from flows.episodes.wording import _date_values, _hhmm


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
    lines: list[str] = []
    for season in schedule.seasons:
        season_slots = slots.get(season.id, [])
        lines.append(
            schedule.text("list_season", name=season.name, id=season.id, count=len(season_slots))
        )
        if not season_slots:
            lines.append(schedule.text("list_season_empty"))
        for slot in season_slots:
            lines += _episode_lines(schedule, slot, _flags(schedule, slot, next_key, now))
    return "\n".join(lines)


def _flags(
    schedule: EpisodeSchedule, slot: EpisodeSlot, next_key: str | None, now: datetime | None
) -> str:
    flags = "" if slot.date_confirmed else schedule.text("list_flag_derived")
    if slot.key == next_key:
        flags += schedule.text("list_flag_next")
    elif now is not None and not slot.is_upcoming(now):
        flags += schedule.text("list_flag_past")
    return flags


def _episode_lines(schedule: EpisodeSchedule, slot: EpisodeSlot, flags: str) -> list[str]:
    sep = schedule.text("list_separator")
    lines = [
        schedule.text(
            "list_episode",
            number=slot.number,
            date=schedule.text("date_long", **_date_values(schedule, slot.starts_at.date())),
            time=_hhmm(slot.starts_at) if slot.time_known else schedule.text("list_time_unknown"),
            flags=flags,
        )
    ]
    if slot.title:
        lines.append(schedule.text("list_title", title=slot.title))
    if slot.topic:
        lines.append(schedule.text("list_topic", topic=slot.topic))
    if slot.venues:
        venues = sep.join(
            schedule.text("list_venue", market=v.market, district=v.district) for v in slot.venues
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
    return lines
