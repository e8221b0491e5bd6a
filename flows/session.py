"""Conversation state: small, serialisable, never holds message text or addresses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from flows.types import Effect, Outbound, Severity


@dataclass(frozen=True, slots=True)
class Session:
    node: str = "main"
    severity: Severity = Severity.NONE
    """Highest risk seen in this conversation; it never goes down by itself."""
    asked_safe: bool = False
    awaiting: str | None = None
    """A yes/no question pending: 'safe_to_talk' or 'follow_up'."""
    choices: tuple[str, ...] = ()
    """District candidates offered after an ambiguous answer."""
    district: str | None = None
    relay_case: int | None = None
    """Set by the shell while a defensora holds this person's case: texts are relayed."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        data["choices"] = list(self.choices)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["severity"] = Severity(known.get("severity", "none"))
        known["choices"] = tuple(known.get("choices", ()))
        return cls(**known)

    def evolve(self, **changes: Any) -> Session:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Turn:
    session: Session
    replies: tuple[Outbound, ...]
    effects: tuple[Effect, ...] = field(default=())
