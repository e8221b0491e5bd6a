"""The defensora side's words (content/cases.yaml): verbs, confirmations, the case-list line,
weekdays and texts, validated once at start-up."""

from __future__ import annotations

from string import Formatter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from flows.episodes import REMINDER_FORBIDDEN_WORDS
from flows.text import fold

Verb = Literal["tomar", "responder", "cerrar", "casos", "turno", "ayuda", "enviar", "cancelar"]
HELP_VERBS: tuple[Verb, ...] = ("tomar", "responder", "cerrar", "casos", "turno", "ayuda")
"""The verbs the help text must name (with their slash)."""

_CASE = frozenset({"id", "severity", "categories", "details"})
TEXT_FIELDS: dict[str, frozenset[str]] = {
    "ping": _CASE,
    "ping_no_shift": _CASE,
    "reping": _CASE | {"minutes", "told"},
    "reping_last": _CASE | {"minutes", "told"},
    "upgraded": _CASE,
    "upgraded_held": _CASE | {"holder"},
    "danger_held": frozenset({"id", "holder", "pseudonym", "text"}),
    "detail_person": frozenset({"pseudonym", "channel"}),
    "detail_district": frozenset({"district"}),
    "detail_excerpt": frozenset({"excerpt"}),
    "excerpt_joined": frozenset({"first", "latest"}),
    "safety_yes": frozenset(),
    "safety_no": frozenset(),
    "safety_unknown": frozenset(),
    "safety_changed": frozenset({"id", "safety"}),
    "take_button": frozenset({"id"}),
    "taken_button": frozenset({"name"}),
    "nobody_told": frozenset(),
    "no_shift_line": frozenset(),
    "taken_ok": frozenset({"id", "pseudonym", "safety"}),
    "taken_already_yours": frozenset({"id"}),
    "taken_by": frozenset({"id", "name"}),
    "taken_notice": frozenset({"id", "name"}),
    "callback_ack": frozenset({"command"}),
    "sent": frozenset({"id"}),
    "ask_send": frozenset({"id", "text"}),
    "ask_send_unsafe": frozenset({"id", "text"}),
    "send_button": frozenset({"id"}),
    "cancel_button": frozenset(),
    "draft_none": frozenset(),
    "draft_cancelled": frozenset(),
    "delivery_failed": frozenset({"id", "reason"}),
    "reason_window": frozenset(),
    "reason_blocked": frozenset(),
    "reason_other": frozenset(),
    "relay_in": frozenset({"id", "pseudonym", "text"}),
    "closed": frozenset({"id"}),
    "closed_quietly": frozenset({"id"}),
    "forgot": frozenset({"id"}),
    "cases": frozenset({"lines"}),
    "no_cases": frozenset(),
    "holder_none": frozenset(),
    "safety_short_yes": frozenset(),
    "safety_short_no": frozenset(),
    "safety_short_unknown": frozenset(),
    "on_duty": frozenset({"names"}),
    "nobody_on_duty": frozenset(),
    "help": frozenset(),
    "not_found": frozenset({"id"}),
    "not_yours": frozenset({"id", "name"}),
    "not_taken": frozenset({"id"}),
    "hint_unknown_verb": frozenset({"verb"}),
    "hint_missing_number": frozenset({"verb", "example"}),
    "hint_bad_number": frozenset({"verb", "arg", "example"}),
    "hint_missing_text": frozenset({"id"}),
    "hint_free_text": frozenset({"held"}),
    "held_none": frozenset(),
    "held_some": frozenset({"ids"}),
    "example_text": frozenset(),
    "example_note": frozenset(),
    "person_from_defensora": frozenset({"text"}),
    "person_taken": frozenset({"stop"}),
    "person_on_duty": frozenset(),
    "person_no_shift": frozenset({"next_shift"}),
    "person_nobody": frozenset(),
    "person_waiting": frozenset({"next_shift"}),
    "person_closed": frozenset(),
    "next_shift": frozenset({"when"}),
    "when_today": frozenset({"time"}),
    "when_tomorrow": frozenset({"time"}),
    "when_later": frozenset({"weekday", "day", "time"}),
    "stop_whatsapp": frozenset(),
    "stop_telegram": frozenset(),
    "stop_console": frozenset(),
}
"""Every text id the defensora side uses, with the only {fields} it may use."""

LIST_FIELDS = frozenset({"id", "severity", "age", "safety", "holder", "pseudonym", "channel"})
LOCK_SCREEN_WORDS = frozenset(
    {*REMINDER_FORBIDDEN_WORDS, "defensora", "defensoras", "policia", "105", "linea", "caso"}
)
"""Words that must not show in the first line of a text to the person (her lock screen)."""


def _fields(template: str, where: str) -> set[str]:
    try:
        return {name for _, name, _, _ in Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def indiscreet_word(text: str) -> str | None:
    """The first word of the lock-screen line (up to the first line break) that gives her away."""
    first_line = text.split("\n", 1)[0]
    words = set(fold(first_line.replace("{", " ").replace("}", " ")).split())
    found = sorted(words & LOCK_SCREEN_WORDS)
    return found[0] if found else None


class CaseWords(BaseModel):
    """content/cases.yaml, checked: every text present, known placeholders, discreet openings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    verbs: dict[Verb, tuple[str, ...]]
    confirm_yes: tuple[str, ...]
    confirm_no: tuple[str, ...]
    list_line: str
    weekdays: tuple[str, ...]
    texts: dict[str, str]

    @field_validator("verbs")
    @classmethod
    def _every_verb(cls, value: dict[Verb, tuple[str, ...]]) -> dict[Verb, tuple[str, ...]]:
        missing = sorted(set(Verb.__args__) - set(value))  # type: ignore[attr-defined]
        if missing:
            raise ValueError(f"missing verbs: {missing}")
        aliases = [fold(a) for names in value.values() for a in names]
        clashes = sorted({a for a in aliases if aliases.count(a) > 1})
        if clashes or not all(aliases):
            raise ValueError(f"a word may name only one verb (repeated or empty: {clashes})")
        return value

    @field_validator("weekdays")
    @classmethod
    def _seven(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) != 7:
            raise ValueError("weekdays needs 7 names, Monday first")
        return value

    @field_validator("list_line")
    @classmethod
    def _list_fields(cls, value: str) -> str:
        unknown = sorted(_fields(value, "list_line") - LIST_FIELDS)
        if unknown:
            raise ValueError(f"unknown placeholder(s) {unknown}; known: {sorted(LIST_FIELDS)}")
        return value

    @model_validator(mode="after")
    def _texts_sound(self) -> CaseWords:
        missing = sorted(set(TEXT_FIELDS) - set(self.texts))
        if missing:
            raise ValueError(f"texts: missing {missing}")
        for key, text in self.texts.items():
            allowed = TEXT_FIELDS.get(key)
            if allowed is None:
                raise ValueError(f"texts.{key}: unknown text id (known: see flows/cases/words.py)")
            unknown = sorted(_fields(text, f"texts.{key}") - allowed)
            if unknown:
                raise ValueError(f"texts.{key}: unknown placeholder(s) {unknown}")
            if key.startswith(("person_", "stop_")):
                word = indiscreet_word(text)
                if word is not None:
                    raise ValueError(f"texts.{key}: first line shows {word!r} on a lock screen")
        for verb in HELP_VERBS:
            if f"/{self.verbs[verb][0]}" not in self.texts["help"]:
                raise ValueError(f"texts.help must name /{self.verbs[verb][0]}")
        return self

    def __getitem__(self, text_id: str) -> str:
        return self.texts[text_id]

    def text(self, text_id: str, **values: object) -> str:
        return self.texts[text_id].format(**values)

    def verb_for(self, word: str) -> Verb | None:
        """The verb a word names (folded: no accents, any case), or None."""
        folded = fold(word)
        for verb, aliases in self.verbs.items():
            if folded in {fold(a) for a in aliases}:
                return verb
        return None

    def command(self, verb: Verb) -> str:
        """How the help text spells a verb: its first word."""
        return self.verbs[verb][0]


def load_case_words(data: Any) -> CaseWords:
    """Validate the parsed YAML; a ValueError names the key."""
    try:
        return CaseWords.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ValueError(f"cases.yaml: key {where}: {first['msg']}") from exc
