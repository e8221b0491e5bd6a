"""Reading a message for the assessor: folded words for evidence, key spelling for matching."""

from __future__ import annotations

import re

from flows.risk.model import RiskModel
from flows.risk.phrases import _CLITICS, key
from flows.text import MAX_TEXT_CHARS, drop_invisible, fold

SENTENCE = "#"
_SENTENCE_WORD_BARE = "0sentence0"
_SENTENCE_WORD = f" {_SENTENCE_WORD_BARE} "
_SENTENCE_RUN = re.compile(rf"{_SENTENCE_WORD_BARE}(?: {_SENTENCE_WORD_BARE})*")
_SENTENCES = re.compile(r"[.!?;¡¿\n\r]+")


def prepare(text: str, model: RiskModel) -> tuple[list[str], str]:
    """Folded words (for evidence) and the key text (for matching); word i <-> key word i.

    Invisible format characters are removed first (they hide inside words), decorative and
    fullwidth letters folded, emoji of the lexicon turned into words.
    """
    text = drop_invisible(text[:MAX_TEXT_CHARS])
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


def prefixes(keyed: str) -> frozenset[str]:
    """Starts of every word (and of words glued after a clitic: 'mequiere')."""
    out: set[str] = set()
    for word in set(keyed.split()):
        out.update((word[:2], word[:3], word[:4], word[:5]))
        if len(word) > 4 and word.startswith(_CLITICS):
            rest = word[3:] if word.startswith("nos") else word[2:]
            out.update((rest[:2], rest[:3], rest[:4], rest[:5]))
    return frozenset(out)
