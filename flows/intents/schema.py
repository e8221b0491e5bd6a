"""Schema of content/intents.yaml: the intent names, their terms and the rules around them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

INTENTS = (
    "greeting_menu",
    "find_cem",
    "helplines",
    "next_episode",
    "venues",
    "subscribe",
    "unsubscribe",
    "talk_to_defensora",
    "about",
    "privacy",
    "forget_me",
    "defensora_info",
    "thanks_bye",
    "feelings",
    "outside_lima",
    "out_of_scope",
)
"""Every name `defensoras intent --json` may print; out_of_scope is also the 'nothing fits'."""
FALLBACK = "out_of_scope"
WEIGHTS = {"key": 5.0, "strong": 3.0, "medium": 2.0, "weak": 1.0}


class IntentTerms(BaseModel):
    """Words and phrases of one intent, by weight. 'a + b' means both anywhere in the message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: tuple[str, ...] = ()
    strong: tuple[str, ...] = ()
    medium: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


class Negation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    negators: tuple[str, ...]
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    window: int = Field(default=3, ge=1, le=10)
    """How many words before a term a negator may stand."""


class Retarget(BaseModel):
    """A request read again by what it is about: 'borra las fotos de mi celular' is about her phone
    (privacy), 'he won't stop' is about him (feelings), never about the bot's data or reminders."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: tuple[str, ...] = Field(alias="from")
    words: tuple[str, ...]
    """Any of these (phrases, 'a + b' as in the terms) turns the request to 'to'."""
    unless: tuple[str, ...] = ()
    """Any of these keeps the request as it was ('borra mi número del celular')."""
    target: str = Field(alias="to")


class IntentModel(BaseModel):
    """Schema of content/intents.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    priority: tuple[str, ...]
    place_keeps: tuple[str, ...] = ()
    """Intents a named Lima place does not turn into find_cem, whatever their score."""
    outside_keeps: tuple[str, ...] = ()
    """Intents a place outside Lima does not turn into outside_lima."""
    negation: Negation | None = None
    retarget: tuple[Retarget, ...] = ()
    yields: tuple[str, ...] = ()
    """Intents that give way to any other key phrase in the message: feelings said beside a
    question ('tengo miedo que mi esposo lea esto') get the question answered."""
    common_words: tuple[str, ...] = ()
    """Words read as themselves, never as a misspelt term; also the pieces of glued words."""
    emoji: dict[str, str] = Field(default_factory=dict)
    """Emoji read as words ('👋' -> 'hola'), since folding drops them."""
    intents: dict[str, IntentTerms]

    @model_validator(mode="after")
    def _check(self) -> IntentModel:
        named = set(INTENTS)
        for where, names in (
            ("intents", tuple(self.intents)),
            ("priority", self.priority),
            ("place_keeps", self.place_keeps),
            ("outside_keeps", self.outside_keeps),
            ("yields", self.yields),
        ):
            unknown = set(names) - named
            if unknown:
                raise ValueError(f"{where}: unknown intents {sorted(unknown)}")
        missing = named - set(self.intents)
        if missing or set(self.priority) != named:
            raise ValueError(f"every intent needs terms and a priority: {sorted(missing)}")
        if self.negation is not None:
            unknown = {self.negation.source, self.negation.target} - named
            if unknown:
                raise ValueError(f"negation: unknown intents {sorted(unknown)}")
        for rule in self.retarget:
            unknown = {*rule.source, rule.target} - named
            if unknown:
                raise ValueError(f"retarget: unknown intents {sorted(unknown)}")
        return self


def load_intent_model(data: dict[str, Any]) -> IntentModel:
    """Validate the parsed intents.yaml; errors name the file."""
    try:
        return IntentModel.model_validate(data)
    except ValueError as exc:
        raise ValueError(f"intents.yaml: {exc}") from exc
