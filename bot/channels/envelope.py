"""The neutral message model every channel translates to and from.

In: an :class:`Envelope` (the core's :class:`~flows.types.Inbound` plus the channel details the
core never sees). Out: a claimed outbox :class:`Message`, sent by a :class:`Sender`, which
answers with a :class:`Result`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Protocol

from flows.types import Channel, Inbound, Location, Option

_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(text: str) -> str:
    """Lone surrogates (a Telegram JSON escape, an undecodable console byte) become U+FFFD:
    they cannot be encoded to UTF-8, so they could be neither encrypted, stored nor sent."""
    return _SURROGATE.sub("\ufffd", text)


def position(latitude: float, longitude: float) -> Location | None:
    """A location on Earth, or None for NaN, infinity or out-of-range coordinates."""
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if abs(latitude) > 90 or abs(longitude) > 180:
        return None
    return Location(latitude, longitude)


@dataclass(frozen=True, slots=True)
class Envelope:
    """An inbound message with the channel details the core never sees."""

    inbound: Inbound
    address: str
    external_id: str | None = None
    chat_message_id: int | None = None
    quoted: str | None = None
    """The text of the message she replied to (a defensora replying to a relayed message)."""
    replied_to: str | None = None
    """The provider's id of that message (Telegram message_id, Twilio MessageSid)."""
    language_hint: str | None = None
    """Her app's language (Telegram's language_code, an IETF tag): a first hint for a new
    conversation's language, which her own words always override."""


def encode_envelope(envelope: Envelope) -> str:
    inbound = envelope.inbound
    location = inbound.location
    return json.dumps(
        {
            "c": inbound.channel.value,
            "a": envelope.address,
            "t": inbound.text,
            "p": inbound.payload,
            "m": inbound.media,
            "l": [location.latitude, location.longitude] if location else None,
            "x": envelope.external_id,
            "i": envelope.chat_message_id,
            "q": envelope.quoted,
            "r": envelope.replied_to,
            "h": envelope.language_hint,
        },
        ensure_ascii=False,
    )


def decode_envelope(data: str) -> Envelope:
    raw = json.loads(data)
    location = Location(*raw["l"]) if raw["l"] else None
    inbound = Inbound(Channel(raw["c"]), raw["t"], location, raw["p"], raw["m"])
    return Envelope(inbound, raw["a"], raw["x"], raw["i"], raw.get("q"), raw.get("r"), raw.get("h"))


@dataclass(frozen=True, slots=True)
class Message:
    """A claimed outbox row, address decrypted in memory only."""

    id: int
    channel: str
    address: str
    kind: str
    text: str
    options: tuple[Option, ...]
    attempts: int
    contact_id: int | None
    template: str | None = None
    outside_window: bool = False


@dataclass(frozen=True, slots=True)
class Result:
    status: str  # sent | retry | failed | not_sent | template
    provider_id: str | None = None
    retry_after: float | None = None
    error: str | None = None
    unreachable: bool = False
    pause_channel: bool = False


class Sender(Protocol):
    channel: str
    rate_per_second: float

    async def send(self, message: Message) -> Result: ...


def render_plain(text: str, options: tuple[Option, ...]) -> str:
    """Numbered lines for menus; commands that buttons carry elsewhere are already in the text."""
    lines = [text]
    numbered = [f"{o.key}. {o.label}" for o in options if o.key.isdigit()]
    if numbered:
        lines.append("\n".join(numbered))
    return "\n".join(lines)
