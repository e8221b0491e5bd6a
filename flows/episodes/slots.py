"""Episodes placed in time: what is upcoming and which episode is next."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time

from flows.episodes.schema import EpisodeSchedule, OnlineLink, Venue
from flows.text import fold


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
