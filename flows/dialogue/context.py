"""What one step reads: the compiled content and the moment."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from flows.cases.words import CaseWords
from flows.dialogue.words import Words
from flows.episodes import EpisodeSchedule
from flows.helplines import Helpline, OrientationTexts
from flows.intents import IntentMatcher
from flows.languages import Languages
from flows.menus import Menus, Texts
from flows.places import PlaceIndex
from flows.risk import RiskModel


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the core needs, validated and compiled once at start-up."""

    texts: Texts
    menus: Menus
    risk: RiskModel
    places: PlaceIndex
    orientation: OrientationTexts
    intents: IntentMatcher
    helplines: tuple[Helpline, ...]
    episodes: EpisodeSchedule
    cases: CaseWords
    words: Words
    languages: Languages = field(default_factory=Languages)

    def in_language(self, code: str) -> Content:
        """The same content, its wording in language `code` (Spanish where not translated)."""
        found = self.languages.localized.get(code)
        if found is None:
            return self
        episodes = found.episodes
        if episodes.seasons is not self.episodes.seasons:  # seasons added in the panel count too
            episodes = episodes.model_copy(update={"seasons": self.episodes.seasons})
        return replace(
            self,
            texts=found.texts,
            menus=found.menus,
            orientation=found.orientation,
            helplines=found.helplines,
            episodes=episodes,
            cases=found.cases,
        )


@dataclass(frozen=True, slots=True)
class Ctx:
    """What every helper of one step reads: the content and the moment."""

    content: Content
    now: datetime

    @property
    def texts(self) -> Texts:
        return self.content.texts
