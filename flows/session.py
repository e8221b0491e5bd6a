"""Conversation state: small, serialisable, never holds message text or addresses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from flows.effects import Effect
from flows.types import Outbound, Severity


class Awaiting(StrEnum):
    """The one question the bot is waiting for her to answer."""

    DANGER_NOW = "danger_now"
    """"¿Estás en peligro ahora?", after a bare cry or an ambiguous message."""
    DANGER_NOW_OTHER = "danger_now_other"
    """"¿Esa persona está en peligro ahora?", after an ambiguous report told to her by someone."""
    SAFE_TO_WRITE = "safe_to_write"
    """"¿Es seguro que te escribamos por aquí?", after a risk reply."""
    CONFIRM_FORGET = "confirm_forget"
    CONFIRM_UNSUBSCRIBE = "confirm_unsubscribe"
    CONFIRM_SUBSCRIBE = "confirm_subscribe"
    CONFIRM_DEFENSORA = "confirm_defensora"
    """The defensora screen: is it safe for a defensora to write here?"""


_LEGACY_AWAITING = {"safe_to_talk": Awaiting.SAFE_TO_WRITE, "follow_up": Awaiting.DANGER_NOW}
"""Names stored by earlier releases, still found in sessions saved before the upgrade."""


def parse_awaiting(value: object) -> Awaiting | None:
    """A stored `awaiting` value, old or new; anything unknown is forgotten, not an error."""
    if not isinstance(value, str):
        return None
    if value in _LEGACY_AWAITING:
        return _LEGACY_AWAITING[value]
    try:
        return Awaiting(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Session:
    node: str = "main"
    """A node of content/menus.yaml; a node removed since her last visit falls back to start."""
    severity: Severity = Severity.NONE
    """Highest risk seen in this conversation; it never goes down by itself."""
    asked_safe: bool = False
    awaiting: Awaiting | None = None
    choices: tuple[str, ...] = ()
    """District candidates offered after an ambiguous answer."""
    district: str | None = None
    relay_case: int | None = None
    """Set by the shell while a defensora holds this person's case: texts are relayed."""
    language: str = "es"
    """The conversation's language (content/lang/): detected, or chosen by her."""
    language_chosen: bool = False
    """She asked for a language ('english', 'runasimi'): detection no longer changes it."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        data["awaiting"] = self.awaiting.value if self.awaiting else None
        data["choices"] = list(self.choices)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["severity"] = Severity(known.get("severity", "none"))
        known["awaiting"] = parse_awaiting(known.get("awaiting"))
        known["choices"] = tuple(known.get("choices", ()))
        return cls(**known)

    def evolve(self, **changes: Any) -> Session:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Turn:
    session: Session
    replies: tuple[Outbound, ...]
    effects: tuple[Effect, ...] = field(default=())
