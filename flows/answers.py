"""Answers to the questions people ask beside the menu: who we are, privacy, defensoras, markets,
feelings, outside Lima and what the service cannot do.

Pure: texts come from content/texts.yaml by id; market names and dates from content/episodes.yaml.
"""

from __future__ import annotations

from datetime import datetime

from flows.episodes import EpisodeSchedule, Venue, upcoming_episodes
from flows.episodes.wording import when_phrase
from flows.helplines import OrientationTexts
from flows.menus import Texts

TEXT_OF_INTENT = {
    "privacy": "privacy_answer",
    "defensora_info": "defensora_info",
    "feelings": "feelings_answer",
    "outside_lima": "outside_lima_help",
    "out_of_scope": "out_of_scope",
}
"""Intents answered with one text and the menu."""
ANSWER_TEXTS = (
    *TEXT_OF_INTENT.values(),
    "venues_intro",
    "venues_next",
    "venues_no_date",
    "venues_online",
)


def all_venues(schedule: EpisodeSchedule) -> tuple[Venue, ...]:
    """Every market the programme has played in, first appearance first."""
    seen: dict[str, Venue] = {}
    for season in schedule.seasons:
        for episode in season.episodes:
            for venue in episode.venues:
                seen.setdefault(venue.market, venue)
    return tuple(seen.values())


def venues_answer(
    schedule: EpisodeSchedule, texts: Texts, now: datetime, places: OrientationTexts
) -> str:
    """Where the loudspeakers have played and the next date with markets; never invents one."""
    lines = [texts["venues_intro"]]
    lines += [f"• {v.display_name} ({places.display(v.district)})" for v in all_venues(schedule)]
    upcoming = [slot for slot in upcoming_episodes(schedule, now) if slot.venues]
    if upcoming:
        slot = upcoming[0]
        markets = ", ".join(v.display_name for v in slot.venues)
        when = when_phrase(schedule, slot, now)
        lines.append(texts["venues_next"].format(when=when, markets=markets))
    else:
        lines.append(texts["venues_no_date"])
    lines.append(texts["venues_online"])
    return "\n".join(lines)


def intent_answer(
    intent: str,
    texts: Texts,
    schedule: EpisodeSchedule,
    now: datetime,
    places: OrientationTexts,
) -> str | None:
    """The text answering an intent of this module; None for the others."""
    if intent == "venues":
        return venues_answer(schedule, texts, now, places)
    text_id = TEXT_OF_INTENT.get(intent)
    return texts[text_id] if text_id else None
