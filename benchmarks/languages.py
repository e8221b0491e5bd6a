"""Which rows of a labelled set are English, by the bot's own language detector (the word lists
of content/lang/): the reports print an English line per set, so English understanding is
measured apart from the Spanish rows that dominate every set."""

from __future__ import annotations

from functools import cache

from bot.content import load_content
from flows.languages import Languages


@cache
def _languages() -> Languages:
    return load_content().languages


def is_english(text: str) -> bool:
    """What the bot would take for English: 2+ points of English words and a clear lead."""
    return _languages().detect(text) == "en"
