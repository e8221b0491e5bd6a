"""Reading a defensora's message: a command (with or without the slash), a reply to a relayed
message, an answer to "¿Enviar a #N?", or free text. Never raises, whatever the input."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flows.cases.words import CaseWords, Verb
from flows.text import fold

MAX_CASE_ID = 2_147_483_647
"""PostgreSQL INTEGER (SQLite allows more): a larger number cannot name a case."""
MAX_TEXT = 3500
"""What she writes for the person: room for the prefix within one Telegram message."""
PREVIEW = 300
"""How much of a draft the confirmation question repeats."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_SLASH = re.compile(r"^/(?P<word>[^\s@]*)(?:@\S*)?(?P<rest>.*)$", re.S)
_GLUED = re.compile(r"^(?P<word>[^\W\d_]+)#?(?P<digits>[0-9]+)$")
_ARG = re.compile(r"^(?P<arg>\S+)(?:\s+(?P<rest>.*))?$", re.S)
_CASE_NUMBER = re.compile(r"^#?(?P<digits>[0-9]{1,30})[.:,]?$")
_QUOTED_CASE = re.compile(r"#([0-9]{1,10})\b")
_NEEDS_CASE: frozenset[Verb] = frozenset({"tomar", "responder", "cerrar"})


@dataclass(frozen=True, slots=True)
class Message:
    """What the shell knows when she writes: her words, a button, the message she replied to,
    the cases she holds and the case a draft of hers waits for."""

    text: str = ""
    payload: str | None = None
    quoted: str | None = None
    held: tuple[int, ...] = ()
    draft_case: int | None = None


@dataclass(frozen=True, slots=True)
class Take:
    case_id: int


@dataclass(frozen=True, slots=True)
class Reply:
    case_id: int
    text: str


@dataclass(frozen=True, slots=True)
class Close:
    case_id: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class ListCases:
    pass


@dataclass(frozen=True, slots=True)
class OnDuty:
    pass


@dataclass(frozen=True, slots=True)
class Help:
    pass


@dataclass(frozen=True, slots=True)
class AskSend:
    """Plain text while she holds exactly one case: ask before relaying it."""

    case_id: int
    text: str


@dataclass(frozen=True, slots=True)
class SendDraft:
    pass


@dataclass(frozen=True, slots=True)
class CancelDraft:
    pass


@dataclass(frozen=True, slots=True)
class Hint:
    """Nothing to do: answer with this text (a specific hint, never a stack trace)."""

    text_id: str
    values: dict[str, str] = field(default_factory=dict)


Command = (
    Take | Reply | Close | ListCases | OnDuty | Help | AskSend | SendDraft | CancelDraft | Hint
)


def sanitize(text: str, limit: int = MAX_TEXT) -> str:
    """Control and invisible characters out (NUL breaks PostgreSQL), line breaks kept."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")[: limit * 2])
    return text.strip()[:limit]


def read_message(message: Message, words: CaseWords) -> Command:
    """Decide what a registered defensora's message means."""
    raw = sanitize(message.payload if message.payload else message.text)
    slashed = _SLASH.match(raw)
    if slashed is not None:
        return _slash_command(slashed.group("word"), slashed.group("rest").strip(), words)
    bare = _bare_command(raw, words)
    if bare is not None:
        return bare
    return _free_text(raw, message, words)


def _slash_command(word: str, rest: str, words: CaseWords) -> Command:
    verb = words.verb_for(word)
    glued = _GLUED.match(word) if verb is None else None
    if glued is not None and words.verb_for(glued.group("word")) in _NEEDS_CASE:
        verb = words.verb_for(glued.group("word"))
        rest = f"{glued.group('digits')} {rest}".strip()
    if verb is None:
        return Hint("hint_unknown_verb", {"verb": "/" + word[:30]})
    return _with_arguments(verb, rest, words)


def _bare_command(raw: str, words: CaseWords) -> Command | None:
    """Without the slash only the exact shapes count ("tomar 3", "casos")."""
    parts = raw.split(None, 1)
    if not parts:
        return None
    verb = words.verb_for(parts[0])
    rest = parts[1].strip() if len(parts) > 1 else ""
    if verb is None:
        glued = _GLUED.match(parts[0])
        verb = words.verb_for(glued.group("word")) if glued else None
        if glued is None or verb not in _NEEDS_CASE:
            return None
        rest = f"{glued.group('digits')} {rest}".strip()
    if verb in _NEEDS_CASE:
        first = _ARG.match(rest)
        if first is None or _CASE_NUMBER.match(first.group("arg")) is None:
            return None
        return _with_arguments(verb, rest, words)
    return _with_arguments(verb, rest, words) if not rest else None


def _with_arguments(verb: Verb, rest: str, words: CaseWords) -> Command:
    simple: dict[Verb, Command] = {
        "casos": ListCases(),
        "turno": OnDuty(),
        "ayuda": Help(),
        "enviar": SendDraft(),
        "cancelar": CancelDraft(),
    }
    if verb in simple:
        return simple[verb]
    shown = words.command(verb)
    example = {"responder": "example_text", "cerrar": "example_note"}.get(verb)
    example_text = words[example] if example else ""
    parts = _ARG.match(rest)
    if parts is None:
        return Hint("hint_missing_number", {"verb": shown, "example": example_text})
    case_id = parse_case_id(parts.group("arg"))
    if isinstance(case_id, Hint):
        if case_id.text_id == "hint_bad_number":
            case_id.values.update(verb=shown, example=example_text)
        return case_id
    text = (parts.group("rest") or "").strip()
    if verb == "tomar":
        return Take(case_id)
    if verb == "cerrar":
        return Close(case_id, text)
    if not text:
        return Hint("hint_missing_text", {"id": str(case_id)})
    return Reply(case_id, text)


def parse_case_id(arg: str) -> int | Hint:
    """A case number as typed ('12', '#12', '12.'); a hint for anything else."""
    found = _CASE_NUMBER.match(arg)
    if found is None:
        return Hint("hint_bad_number", {"arg": arg[:20]})
    digits = found.group("digits")
    number = int(digits)
    if not 1 <= number <= MAX_CASE_ID:
        return Hint("not_found", {"id": digits[:20]})
    return number


def _free_text(raw: str, message: Message, words: CaseWords) -> Command:
    folded = fold(raw)
    if message.draft_case is not None and folded:
        if folded in {fold(w) for w in words.confirm_yes}:
            return SendDraft()
        if folded in {fold(w) for w in words.confirm_no}:
            return CancelDraft()
    quoted = _QUOTED_CASE.search(message.quoted or "")
    if quoted is not None and raw:
        case_id = parse_case_id(quoted.group(1))
        if isinstance(case_id, int):
            return Reply(case_id, raw)
    if len(message.held) == 1 and raw:
        return AskSend(message.held[0], raw)
    return free_text_hint(message.held)


def free_text_hint(held: tuple[int, ...]) -> Hint:
    """Text that goes nowhere: say so, with her open cases."""
    if not held:
        return Hint("hint_free_text", {"held_id": "held_none"})
    listed = ", ".join(f"#{n}" for n in sorted(held))
    return Hint("hint_free_text", {"held_id": "held_some", "ids": listed})
