"""Assessment of one message against a compiled :class:`RiskModel`."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from flows.risk.lexicon import CATEGORIES
from flows.risk.model import RiskModel, _CompiledRule, _Matcher
from flows.risk.phrases import _CLITICS, key
from flows.text import MAX_TEXT_CHARS, fold
from flows.types import Severity

MAX_EVIDENCE = 8
EVIDENCE_CHARS = 60
CONTEXT_CHARS = 70
"""How far (in key characters, same sentence only) a context marker may sit from a hit."""
PERSONAL_CHARS = 30
"""How far before a hit a first-person word anchors it when the message talks *about* violence."""
SENTENCE = "#"
BLANK = "~"
"""False friends are overwritten with this (not a word character, not a sentence break)."""
_SENTENCE_WORD_BARE = "0sentence0"
_SENTENCE_WORD = f" {_SENTENCE_WORD_BARE} "
_SENTENCE_RUN = re.compile(rf"{_SENTENCE_WORD_BARE}(?: {_SENTENCE_WORD_BARE})*")

_SENTENCES = re.compile(r"[.!?;¡¿\n\r]+")


# --------------------------------------------------------------------------------------------
# Assessment


@dataclass(frozen=True, slots=True)
class Assessment:
    severity: Severity
    categories: tuple[str, ...]
    """Category ids, most severe first."""
    evidence: tuple[str, ...]
    """``rule_id: matched words`` for the defensora (folded spelling)."""
    follow_up: bool = False
    """Ask a gentle question (bare cry, ambiguous hyperbole) even if severity is low."""
    pregnancy: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "categories": list(self.categories),
            "evidence": list(self.evidence),
            "follow_up": self.follow_up,
        }


NOTHING = Assessment(Severity.NONE, (), ())


@dataclass(frozen=True, slots=True)
class _Hit:
    rule: _CompiledRule
    start: int
    end: int


def _prepare(text: str, model: RiskModel) -> tuple[list[str], str]:
    """Folded words (for evidence) and the key text (for matching); word i <-> key word i."""
    text = text[:MAX_TEXT_CHARS]
    if model.emoji is not None:
        emoji_words = model.emoji_words
        text = model.emoji.sub(lambda m: emoji_words[m.group()], text)
    folded = _fold(_SENTENCES.sub(_SENTENCE_WORD, text))
    if _SENTENCE_WORD_BARE in folded:
        folded = _SENTENCE_RUN.sub(SENTENCE, folded).strip(f" {SENTENCE}")
    shown = folded.split()
    spelling = model.spelling
    keyed = key(" ".join([spelling.get(w, w) for w in shown]))
    return shown, keyed


_ACCENTS = str.maketrans(
    "áéíóúàèìòùäëïöüâêîôûãõñçÁÉÍÓÚÀÈÌÒÙÄËÏÖÜÂÊÎÔÛÃÕÑÇ",
    "aeiouaeiouaeiouaeiouaoncAEIOUAEIOUAEIOUAEIOUAONC",
)
_NON_ASCII_SYMBOL = re.compile(r"[^\x00-\x7f\w]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_REPEATS = re.compile(r"(\w)\1{2,}")
_NON_WORD = re.compile(r"[^\w\s]+|_")
_SPACES = re.compile(r"\s+")


def _fold(text: str) -> str:
    """Same result as :func:`flows.text.fold`, with a fast path for (nearly) ASCII text."""
    text = _NON_ASCII_SYMBOL.sub(" ", text.translate(_ACCENTS))
    if not text.isascii():
        return fold(text)
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text)).lower()
    text = _NON_WORD.sub(" ", _REPEATS.sub(r"\1", text))
    return _SPACES.sub(" ", text).strip()


def _prefixes(keyed: str) -> frozenset[str]:
    """Starts of every word (and of words glued after a clitic: 'mequiere')."""
    out: set[str] = set()
    for word in set(keyed.split()):
        out.update((word[:2], word[:3], word[:4], word[:5]))
        if len(word) > 4 and word.startswith(_CLITICS):
            rest = word[3:] if word.startswith("nos") else word[2:]
            out.update((rest[:2], rest[:3], rest[:4], rest[:5]))
    return frozenset(out)


def _spans(matcher: _Matcher | None, text: str, prefixes: frozenset[str]) -> list[tuple[int, int]]:
    if matcher is None or not matcher.may_match(prefixes):
        return []
    return [m.span() for m in matcher.pattern.finditer(text)]


def _found(matcher: _Matcher | None, text: str, prefixes: frozenset[str]) -> bool:
    return (
        matcher is not None
        and matcher.may_match(prefixes)
        and matcher.pattern.search(text) is not None
    )


def _near(spans: list[tuple[int, int]], lo: int, hi: int) -> bool:
    return any(s < hi and e > lo for s, e in spans)


def assess_risk(text: str, model: RiskModel) -> Assessment:
    """Assess one message. Never raises on odd input; empty or emoji-only text is ``none``."""
    shown, keyed = _prepare(text, model)
    if not keyed:
        return NOTHING
    prefixes = _prefixes(keyed)

    follow_up = False
    blanked = keyed
    ff_index = model.false_friend_index
    for i in ff_index.candidates(prefixes):
        pattern = ff_index.patterns[i]
        if pattern.search(blanked):
            blanked = pattern.sub(lambda m: BLANK * len(m.group()), blanked)
            follow_up = follow_up or model.false_friends[ff_index.owners[i]][1]

    hits: list[_Hit] = []
    rule_index = model.rule_index
    for i in rule_index.candidates(prefixes):
        rule = model.rules[rule_index.owners[i]]
        for m in rule_index.patterns[i].finditer(blanked):
            if m.end() > m.start():
                hits.append(_Hit(rule, m.start(), m.end()))

    if hits:
        overriding = [h for h in hits if h.rule.overrides]
        if overriding:
            hits = [
                h
                for h in hits
                if not any(
                    h.rule.id in o.rule.overrides and h.start < o.end and h.end > o.start
                    for o in overriding
                )
            ]
        if model.negation is not None:
            negation = model.negation
            hits = [
                h
                for h in hits
                if not (
                    h.rule.negatable and negation.search(blanked, max(0, h.start - 24), h.start)
                )
            ]

    if hits and _found(model.topic, blanked, prefixes):
        personal = _spans(model.personal, blanked, prefixes)
        hits = [h for h in hits if _near(personal, h.start - PERSONAL_CHARS, h.end)]

    severities: dict[str, Severity] = {}
    evidence: list[str] = []
    if hits:
        bounds = [m.start() for m in _SENTENCE_MARK.finditer(blanked)]
        now = _spans(model.now, blanked, prefixes)
        recent = _spans(model.recent, blanked, prefixes)
        past = _spans(model.past, blanked, prefixes)
        laughing = _found(model.laughter, blanked, prefixes)
        word_starts = [0, *(m.end() for m in _SPACE.finditer(keyed))]
        for hit in hits:
            rule = hit.rule
            level = rule.severity
            lo, hi = _window(bounds, hit.start, hit.end, len(blanked))
            if rule.past is not None and _near(past, lo, hi):
                level = rule.past
            elif rule.now is not None and _near(now, lo, hi):
                level = rule.now
            elif rule.recent is not None and _near(recent, lo, hi):
                level = rule.recent
            if rule.joking is not None and laughing:
                level = rule.joking
                follow_up = True
            if level is Severity.NONE:
                continue
            if level.rank > severities.get(rule.category, Severity.NONE).rank:
                severities[rule.category] = level
            note = f"{rule.id}: {_fragment(shown, word_starts, hit)}"
            if len(evidence) < MAX_EVIDENCE and note not in evidence:
                evidence.append(note)

    severity = Severity.highest(*severities.values())
    pregnancy = False
    if severity is not Severity.NONE:
        pregnancy = _found(model.pregnancy, blanked, prefixes)
        serious = sum(1 for s in severities.values() if s.at_least(Severity.HIGH))
        if serious >= 2 or (pregnancy and severity is Severity.HIGH):
            severity = Severity.IMMINENT
        elif pregnancy and severity is Severity.MODERATE:
            severity = Severity.HIGH
        if pregnancy:
            evidence.append("pregnancy")
    else:
        pregnancy = _found(model.pregnancy, blanked, prefixes)

    if (
        not severity.at_least(Severity.HIGH)
        and not follow_up
        and (
            _found(model.follow_up, blanked, prefixes)
            or (
                not severities
                and len(shown) <= model.cry_max_words
                and _found(model.cries, blanked, prefixes)
            )
        )
    ):
        follow_up = True

    order = {c: i for i, c in enumerate(CATEGORIES)}
    categories = tuple(
        sorted(severities, key=lambda c: (-severities[c].rank, order.get(c, len(order))))
    )
    return Assessment(
        severity=severity,
        categories=categories,
        evidence=tuple(evidence),
        follow_up=follow_up,
        pregnancy=pregnancy,
    )


_SENTENCE_MARK = re.compile(re.escape(SENTENCE))
_SPACE = re.compile(" ")


def _window(bounds: list[int], start: int, end: int, size: int) -> tuple[int, int]:
    """The context window of a hit: CONTEXT_CHARS either side, inside its sentence."""
    i = bisect_right(bounds, start)
    sentence_lo = bounds[i - 1] if i > 0 else 0
    sentence_hi = bounds[i] if i < len(bounds) else size
    return max(sentence_lo, start - CONTEXT_CHARS), min(sentence_hi, end + CONTEXT_CHARS)


def _fragment(shown: list[str], word_starts: list[int], hit: _Hit) -> str:
    first = bisect_right(word_starts, hit.start) - 1
    last = bisect_right(word_starts, max(hit.start, hit.end - 1)) - 1
    return " ".join(shown[first : last + 1])[:EVIDENCE_CHARS]
