"""Neutral message model: every channel translates to and from these, nothing else crosses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    CONSOLE = "console"


class Severity(StrEnum):
    NONE = "none"
    MODERATE = "moderate"
    HIGH = "high"
    IMMINENT = "imminent"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank

    @staticmethod
    def highest(*levels: Severity) -> Severity:
        return max(levels, key=lambda s: s.rank, default=Severity.NONE)


_SEVERITY_RANK = {Severity.NONE: 0, Severity.MODERATE: 1, Severity.HIGH: 2, Severity.IMMINENT: 3}


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Inbound:
    """What a person sent, stripped of everything channel-specific."""

    channel: Channel
    text: str = ""
    location: Location | None = None
    payload: str | None = None
    """A button or quick-reply choice (Telegram callback data, WhatsApp ButtonPayload)."""
    media: str | None = None
    """Kind of attachment the bot cannot read: voice, image, sticker, document, contact, video."""


@dataclass(frozen=True, slots=True)
class Option:
    """One menu choice; channels render it as a button, a numbered line or both."""

    key: str
    label: str


@dataclass(frozen=True, slots=True)
class Outbound:
    text: str
    options: tuple[Option, ...] = ()
