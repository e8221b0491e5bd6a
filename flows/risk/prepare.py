"""Reading a message for the assessor: folded words for evidence, key spelling for matching."""

from __future__ import annotations

import re

from flows.risk.model import RiskModel
from flows.risk.phrases import _CLITICS, _PREFIX_LENGTHS
from flows.spelling import key
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
    if model.emoji is not None and not text.isascii():
        emoji_words = model.emoji_words
        text = model.emoji.sub(lambda m: emoji_words[m.group()], text)
    folded = fold(_SENTENCES.sub(_SENTENCE_WORD, text))
    if _SENTENCE_WORD_BARE in folded:
        folded = _SENTENCE_RUN.sub(SENTENCE, folded).strip(f" {SENTENCE}")
    shown = folded.split()
    spelling = model.spelling
    keyed = key(" ".join([spelling.get(w, w) for w in shown]))
    return shown, keyed


GLUED_WORD = 12
"""Words this long may be several run together ("meestapegando"): their inner letters also
start anchors, so the phrases they hold are tried."""


def prefixes(keyed: str) -> frozenset[str]:
    """Starts of every word (and of words glued after a clitic: 'mequiere')."""
    words = set(keyed.split())
    glued = [
        w[3:] if w.startswith("nos") else w[2:]
        for w in words
        if len(w) > 4 and w.startswith(_CLITICS)
    ]
    glued += [w[i:] for w in words if len(w) >= GLUED_WORD for i in range(3, len(w) - 3)]
    words.update(glued)
    return frozenset([w[:n] for w in words for n in _PREFIX_LENGTHS])


Chunk = tuple[int, int, frozenset[str]]
"""A sentence of the key text (start, end) with the word starts it holds."""
LONG_TEXT = 300
"""Longer texts are matched sentence by sentence, each phrase only where its words occur."""


def chunks(keyed: str) -> tuple[frozenset[str], list[Chunk]]:
    """Word starts of the whole text and the sentences to match (one when the text is short)."""
    if len(keyed) < LONG_TEXT or SENTENCE not in keyed:
        whole = prefixes(keyed)
        return whole, [(0, len(keyed), whole)]
    found: list[Chunk] = []
    start = 0
    while start < len(keyed):
        end = keyed.find(SENTENCE, start)
        end = len(keyed) if end < 0 else end
        if end > start:
            found.append((start, end, prefixes(keyed[start:end])))
        start = end + 1
    return frozenset().union(*(pre for _, _, pre in found)), found
