"""Decisions the core hands to the shell, one typed value each; the shell carries them out
inside the same transaction as the turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flows.types import Severity


@dataclass(frozen=True, slots=True)
class Escalate:
    """Open (or join) a case; `requested` when she asked for a person rather than the risk."""

    kind: ClassVar[str] = "escalate"
    severity: Severity
    categories: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    excerpt: str | None = None
    requested: bool = False
    language: str = "es"
    """The conversation's language: defensoras who speak it are paged first."""


@dataclass(frozen=True, slots=True)
class Relay:
    """A defensora holds her case: this text goes to her."""

    kind: ClassVar[str] = "relay"
    case_id: int
    text: str


@dataclass(frozen=True, slots=True)
class Subscribe:
    kind: ClassVar[str] = "subscribe"


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    kind: ClassVar[str] = "unsubscribe"


@dataclass(frozen=True, slots=True)
class Forget:
    """BORRAR / SALIR or a confirmed request: erase her data and close her case."""

    kind: ClassVar[str] = "forget"


@dataclass(frozen=True, slots=True)
class SafeToContact:
    """Her answer to "is it safe to write to you here?". False: nothing automatic reaches her
    until she writes again."""

    kind: ClassVar[str] = "safe_to_contact"
    safe: bool


Effect = Escalate | Relay | Subscribe | Unsubscribe | Forget | SafeToContact
