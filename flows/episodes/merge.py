"""Seasons from more than one source (the YAML content and the coordinators' panel), as one."""

from __future__ import annotations

from collections.abc import Iterable

from flows.episodes.schema import EpisodeSchedule, Season


def with_seasons(schedule: EpisodeSchedule, extra: Iterable[Season]) -> EpisodeSchedule:
    """The schedule with `extra` seasons added after its own; a season whose id the schedule
    already has is left out (the content file wins: it is what the review signed off)."""
    known = {season.id for season in schedule.seasons}
    added = tuple(season for season in extra if season.id not in known)
    if not added:
        return schedule
    return schedule.model_copy(update={"seasons": (*schedule.seasons, *added)})
