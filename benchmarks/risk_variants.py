"""Spelling variants of a labelled message: how the same words arrive from other phones.

Misspellings, SMS spelling, words run together, no accents, capitals, invisible characters,
stretched letters. Used by :mod:`benchmarks.train_risk` (seeded: the same variants each run).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from functools import cache
from pathlib import Path

from flows.text import fold

LEXICON = Path(__file__).resolve().parents[1] / "content" / "risk.yaml"

_SMS = {
    "que": "q",
    "porque": "xq",
    "por": "x",
    "de": "d",
    "también": "tb",
    "tambien": "tb",
    "estoy": "toy",
    "para": "pa",
    "ahorita": "orita",
    "mensaje": "msj",
    "quiere": "kiere",
    "casa": "ksa",
    "favor": "fa",
}
_SWAPS = (("c", "s"), ("s", "z"), ("v", "b"), ("b", "v"), ("ll", "y"), ("y", "ll"), ("qu", "k"))
_INVISIBLE = ("\u200b", "\u00ad", "\u2060", "\u200c", "\ufeff")


def _no_accents(text: str, _: random.Random) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _capitals(text: str, _: random.Random) -> str:
    return text.upper()


def _sms(text: str, _: random.Random) -> str:
    return " ".join(_SMS.get(word.lower(), word) for word in text.split(" "))


def _misspell(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for _ in range(max(1, len(words) // 6)):
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) < 4:
            continue
        kind = rng.randrange(4)
        j = rng.randrange(1, len(word) - 1)
        if kind == 0:
            word = word[:j] + word[j + 1 :]
        elif kind == 1:
            word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        elif kind == 2:
            word = word[:j] + word[j] * 2 + word[j + 1 :]
        else:
            old, new = _SWAPS[rng.randrange(len(_SWAPS))]
            word = word.replace(old, new, 1)
        words[i] = word
    return " ".join(words)


def _run_together(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for _ in range(max(1, len(words) // 8)):
        if len(words) < 2:
            break
        i = rng.randrange(len(words) - 1)
        words[i : i + 2] = [words[i] + words[i + 1]]
    return " ".join(words)


def _invisible(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for _ in range(max(1, len(words) // 5)):
        i = rng.randrange(len(words))
        if len(words[i]) > 3:
            j = rng.randrange(1, len(words[i]) - 1)
            mark = _INVISIBLE[rng.randrange(len(_INVISIBLE))]
            words[i] = words[i][:j] + mark + words[i][j:]
    return " ".join(words)


def _stretch(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    i = rng.randrange(len(words))
    if words[i]:
        words[i] = words[i] + words[i][-1] * rng.randrange(2, 5)
    return " ".join(words)


TRANSFORMS: tuple[Callable[[str, random.Random], str], ...] = (
    _no_accents,
    _capitals,
    _sms,
    _misspell,
    _run_together,
    _invisible,
    _stretch,
)


def variants(text: str, rng: random.Random, count: int, reworded: int = 0) -> list[str]:
    """``count`` variants of one message, each with one or two transforms; then ``reworded``
    ones whose words are swapped for others of the same list (:func:`reword`)."""
    out = []
    for _ in range(count):
        varied = text
        for _ in range(rng.randrange(1, 3)):
            varied = TRANSFORMS[rng.randrange(len(TRANSFORMS))](varied, rng)
        out.append(varied)
    for _ in range(reworded):
        varied = reword(text, rng)
        if varied != text:
            out.append(varied)
    return out


_COMMON = frozenset(
    [
        "para",
        "pero",
        "como",
        "cuando",
        "donde",
        "porque",
        "esta",
        "este",
        "esto",
        "estos",
        "estas",
        "todo",
        "toda",
        "todos",
        "todas",
        "tiene",
        "tienen",
        "nada",
        "algo",
        "alguien",
        "mismo",
        "misma",
        "desde",
        "hasta",
        "sobre",
        "entre",
        "hacia",
        "that",
        "this",
        "with",
        "from",
        "what",
        "when",
        "your",
        "they",
        "them",
        "have",
        "their",
        "there",
        "were",
    ]
)
"""Function words that also sit in the lexicon's lists: never swapped."""
_GROUP = re.compile(r"\(([^()]*)\)")


@cache
def alternatives() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Folded word -> the one-word alternation groups of the lexicon it belongs to
    (``(pega|golpea|chanca)``, ``(pollo|cuy|chancho)``): words a counsellor listed as saying
    the same thing, in risk rules, concepts, contexts and false friends alike."""
    groups: dict[str, list[tuple[str, ...]]] = {}
    for found in _GROUP.findall(LEXICON.read_text("utf-8")):
        words = tuple(dict.fromkeys(w.strip() for w in found.split("|")))
        single = tuple(w for w in words if w.isalpha() and len(w) > 3 and w not in _COMMON)
        if len(single) < 3 or len(single) < len(words) // 2:
            continue
        for word in single:
            groups.setdefault(word, []).append(single)
    return {word: tuple(found) for word, found in groups.items()}


def reword(text: str, rng: random.Random, share: float = 0.4) -> str:
    """The message, folded, with about ``share`` of its listed words swapped for another word
    of one of their lists: another writer's words for the same thing ('me pega' ->
    'me golpea', 'pelar el pollo' -> 'pelar el cuy'). Concepts, not phrases, are learned."""
    table = alternatives()
    words = fold(text).split()
    for i, word in enumerate(words):
        found = table.get(word)
        if found and rng.random() < share:
            group = found[rng.randrange(len(found))]
            words[i] = group[rng.randrange(len(group))]
    return " ".join(words)
