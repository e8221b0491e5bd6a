"""Exact keywords and the words of natural answers, from content/keywords.yaml. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from flows.text import fold

_DOUBLES = re.compile(r"(\w)\1+")


def squeeze(folded: str) -> str:
    """Every repeated letter once: 'siii' -> 'si', 'noo' -> 'no' (both sides of a comparison)."""
    return _DOUBLES.sub(r"\1", folded)


def key_of(text: str) -> str:
    """The comparison form of a message or a listed word: folded, then squeezed."""
    return squeeze(fold(text))


class Keyword(StrEnum):
    """Words that act on their own, only when they are the whole message."""

    FORGET = "forget"
    MENU = "menu"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    DEFENSORA = "defensora"


class Reading(StrEnum):
    """What a short answer to a yes/no question means, before knowing which question it was."""

    YES = "yes"
    NO = "no"
    OK = "ok"
    """'ok', 'okey', 'bueno' alone: agreed, or only heard (she may be acknowledging what she was
    just told). A yes where a wrong yes costs her nothing; never consent to write to her."""
    LATER = "later"
    """'después', 'ahora no': not now."""
    CANT = "cant"
    """'no puedo': she cannot talk or write now."""
    PRESENCE = "presence"
    """'está aquí', 'lee mi celular': he is with her or reads her phone (itself imminent)."""
    FINE = "fine"
    """'estoy bien', 'estoy sola': safe at the moment."""
    HELP = "help"
    """'ayuda', 'tengo miedo': asks for help without a yes."""
    UNSURE = "unsure"
    UNKNOWN = "unknown"


class Mood(StrEnum):
    """A message that is not a request but a feeling, or a figure of speech."""

    FEELINGS = "feelings"
    LEAVING = "leaving"
    NO_ANSWER = "no_answer"
    HYPERBOLE = "hyperbole"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeywordLists(_Strict):
    forget: tuple[str, ...]
    menu: tuple[str, ...]
    subscribe: tuple[str, ...]
    unsubscribe: tuple[str, ...]
    defensora: tuple[str, ...]


class AnswerLists(_Strict):
    yes: tuple[str, ...]
    no: tuple[str, ...]
    ok: tuple[str, ...]
    later: tuple[str, ...]
    cant: tuple[str, ...]
    presence: tuple[str, ...]
    fine: tuple[str, ...]
    help: tuple[str, ...]
    unsure: tuple[str, ...]
    negators: tuple[str, ...]
    """Words that cancel a presence phrase right after them ('no está aquí')."""
    undenied: tuple[str, ...]
    """Words opening a presence or 'fine' phrase that a negator before them does not deny: the
    'no' is the answer ('no he is here', 'no ya llegó', 'no im fine'); Spanish denies the verb
    itself ('no está aquí')."""
    hedges: tuple[str, ...]
    """'creo que sí', 'supongo', 'i guess so': a yes that is a guess. Where a wrong yes costs
    her (is it safe to write), it is unsure; to "are you in danger now?" still a yes."""
    fillers: tuple[str, ...]
    """Words skipped before a yes or no ('bueno, sí', 'pues no', 'mejor no')."""
    after_si: tuple[str, ...]
    """What may follow an unaccented 'si' in its clause and keep it a yes ('si por favor', 'si me
    pueden escribir'); any other word makes it the conditional 'if' ('si lo denuncio me mata')."""
    company: tuple[str, ...]
    """Who may be 'aquí' without danger: 'mi mamá está aquí', 'ya llegó la policía' (fine)."""
    contrast: tuple[str, ...]
    """'pero', 'aunque': a no or 'estoy bien' followed by one is not good news ('ya se fue pero
    va a volver'): it reads as unsure."""
    unsafe: tuple[str, ...]
    """'ya no es seguro', 'no me escriban': with nothing asked, after a risk reply."""
    yes_emoji: tuple[str, ...]
    no_emoji: tuple[str, ...]
    max_words: int = 10
    """Longer messages are not read as a bare yes or no (phrases still count)."""


class MoodLists(_Strict):
    leaving: tuple[str, ...]
    """A wish or a plan to leave him or the house, or whether leaving is safe: orientation."""
    feelings: tuple[str, ...]
    """Fear, not being believed, exhaustion, shame ('tengo miedo', 'nadie me cree')."""
    feelings_emoji: tuple[str, ...]
    no_answer: tuple[str, ...]
    """A help line that does not answer ('la 100 no contesta', 'el 105 tampoco')."""
    hyperbole: tuple[str, ...]
    """Figures of speech with violent words that the risk assessment found harmless."""


class WordsFile(_Strict):
    keywords: KeywordLists
    answers: AnswerLists
    moods: MoodLists

    @model_validator(mode="after")
    def _keywords_apart(self) -> WordsFile:
        seen: dict[str, str] = {}
        for name in Keyword:
            for word in getattr(self.keywords, name.value):
                key = key_of(word)
                if not key:
                    raise ValueError(f"keywords.{name.value}: {word!r} has no letters or digits")
                if seen.setdefault(key, name.value) != name.value:
                    raise ValueError(f"keyword {word!r} is listed under two actions")
        return self


Phrase = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Words:
    """Compiled: keyword forms by action, answer phrases as word tuples."""

    keywords: Mapping[str, Keyword]
    phrases: Mapping[Reading, tuple[Phrase, ...]]
    negators: frozenset[str]
    undenied: frozenset[str]
    hedges: frozenset[str]
    fillers: frozenset[str]
    after_si: tuple[Phrase, ...]
    company: frozenset[str]
    contrast: frozenset[str]
    unsafe: tuple[Phrase, ...]
    yes_emoji: tuple[str, ...]
    no_emoji: tuple[str, ...]
    max_words: int
    moods: Mapping[Mood, tuple[Phrase, ...]]
    feelings_emoji: tuple[str, ...]

    def mood(self, text: str) -> Mood | None:
        """Feelings first (they deserve a person), then leaving (a plan deserves orientation), a
        line that does not answer, then hyperbole; None for anything else."""
        tokens = key_of(text).split()
        if not tokens:
            return Mood.FEELINGS if any(e in text for e in self.feelings_emoji) else None
        for mood in Mood:
            for phrase in self.moods[mood]:
                n = len(phrase)
                if any(tuple(tokens[i : i + n]) == phrase for i in range(len(tokens) - n + 1)):
                    return mood
        return None

    def says_unsafe(self, text: str) -> bool:
        """A short message saying it is not (or no longer) safe to write to her here."""
        tokens = key_of(text).split()
        if len(tokens) > self.max_words:
            return False
        return any(
            tuple(tokens[i : i + len(p)]) == p
            for p in self.unsafe
            for i in range(len(tokens) - len(p) + 1)
        )

    def keyword(self, text: str) -> Keyword | None:
        """The action of a message that is exactly a keyword ('BORRAR', 'baja.'), else None."""
        return self.keywords.get(key_of(text))

    def listed(self, keyword: Keyword) -> tuple[str, ...]:
        return tuple(form for form, kw in self.keywords.items() if kw is keyword)


def _phrases(items: Iterable[str]) -> tuple[Phrase, ...]:
    found = {tuple(key_of(item).split()) for item in items}
    return tuple(sorted((p for p in found if p), key=len, reverse=True))


def compile_words(data: Mapping[str, Any]) -> Words:
    """Validate the parsed keywords.yaml; errors name the file and the key."""
    try:
        parsed = WordsFile.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"keywords.yaml: {exc}") from exc
    keywords = {
        key_of(word): name for name in Keyword for word in getattr(parsed.keywords, name.value)
    }
    answers = parsed.answers
    readings = (r for r in Reading if r not in {Reading.UNKNOWN})
    return Words(
        keywords=keywords,
        phrases={r: _phrases(getattr(answers, r.value)) for r in readings},
        negators=frozenset(key_of(w) for w in answers.negators),
        undenied=frozenset(key_of(w) for w in answers.undenied),
        hedges=frozenset(key_of(w) for w in answers.hedges),
        fillers=frozenset(key_of(w) for w in answers.fillers),
        after_si=_phrases(answers.after_si),
        company=frozenset(key_of(w) for w in answers.company),
        contrast=frozenset(key_of(w) for w in answers.contrast),
        unsafe=_phrases(answers.unsafe),
        yes_emoji=answers.yes_emoji,
        no_emoji=answers.no_emoji,
        max_words=answers.max_words,
        moods={m: _phrases(getattr(parsed.moods, m.value)) for m in Mood},
        feelings_emoji=parsed.moods.feelings_emoji,
    )
