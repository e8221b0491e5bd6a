"""A person talking to the pure core: `say(...)`, then ask what she read by text id."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.effects import Effect, Escalate, SafeToContact
from flows.engine import Content, step
from flows.session import Session, Turn
from flows.types import Channel, Inbound, Severity

NOW = datetime(2026, 6, 17, 15, 0, tzinfo=UTC)


class Chat:
    """`say` a message; `text`, `labels`, `effects`, `said(id)` describe the last turn."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self.session = Session()
        self.turn: Turn | None = None

    def say(self, text: str = "", **kwargs: object) -> Chat:
        inbound = Inbound(Channel.WHATSAPP, text=text, **kwargs)  # type: ignore[arg-type]
        self.turn = step(self.session, inbound, self.content, NOW)
        self.session = self.turn.session
        return self

    def t(self, text_id: str) -> str:
        """The content's wording of a text id, in the conversation's language."""
        return self.content.in_language(self.session.language).texts[text_id]

    @property
    def text(self) -> str:
        assert self.turn is not None
        return "\n".join(r.text for r in self.turn.replies)

    @property
    def replies(self) -> list[str]:
        assert self.turn is not None
        return [r.text for r in self.turn.replies]

    @property
    def labels(self) -> list[str]:
        assert self.turn is not None
        return [o.label for r in self.turn.replies for o in r.options]

    @property
    def effects(self) -> list[Effect]:
        assert self.turn is not None
        return list(self.turn.effects)

    @property
    def kinds(self) -> list[str]:
        return [e.kind for e in self.effects]

    def said(self, *text_ids: str) -> bool:
        """Every one of these texts was in this turn's replies."""
        return all(self.t(i) in self.text for i in text_ids)

    def first(self, text_id: str) -> bool:
        """This text opens the turn's replies."""
        return bool(self.replies) and self.replies[0].startswith(self.t(text_id))

    @property
    def shows_menu(self) -> bool:
        return bool(self.labels) and self.t("menu_main") in self.text

    @property
    def paged(self) -> Severity | None:
        """The severity this turn asked the shell to page at, if any."""
        found = [e.severity for e in self.effects if isinstance(e, Escalate)]
        return found[-1] if found else None

    @property
    def safe(self) -> bool | None:
        found = [e.safe for e in self.effects if isinstance(e, SafeToContact)]
        return found[-1] if found else None
