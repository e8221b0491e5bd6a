"""A linear model over character and word n-grams: the second opinion beside the keywords.

Trained offline with scikit-learn (`python -m benchmarks.train_intents`, dev extra) as TF-IDF of
`char_wb` n-grams plus word n-grams (one analyzer, `features` below) + multinomial logistic
regression, exported to content/intent_model.json and applied here in pure Python, so the bot
itself needs no scikit-learn. Character n-grams carry spelling variants; word n-grams carry the
structure ('no|me', 'me|llamen') a bag of letters blurs.
"""

from __future__ import annotations

import json
import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from operator import add
from sys import intern
from typing import Any


def char_wb_ngrams(text: str, low: int, high: int) -> Iterator[str]:
    """The n-grams of scikit-learn's `char_wb` analyzer: inside words padded with one space."""
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            if size <= n:  # a short word counts once, whole
                yield padded
                break
            for start in range(size - n + 1):
                yield padded[start : start + n]


WORD = "|"
"""Prefix of a word n-gram feature ('|no|me'); the key spelling never holds it."""


def word_ngrams(text: str, low: int, high: int) -> Iterator[str]:
    """Runs of `low` to `high` words, each as one feature ('|no|me')."""
    tokens = text.split()
    for n in range(low, high + 1):
        for start in range(len(tokens) - n + 1):
            yield WORD + WORD.join(tokens[start : start + n])


def features(text: str, chars: tuple[int, int], words: tuple[int, int] | None) -> Iterator[str]:
    """Every feature of one text: its `char_wb` n-grams, then its word n-grams, if any."""
    yield from char_wb_ngrams(text, *chars)
    if words is not None:
        yield from word_ngrams(text, *words)


@dataclass(frozen=True)
class LinearModel:
    classes: tuple[str, ...]
    ngram_range: tuple[int, int]
    idf: Mapping[str, float]
    rows: Mapping[str, int]
    """n-gram -> its row in `scaled` (n-grams whose weights were all dropped at export have
    none). One dict of ints and one flat array, not a dict of weights per n-gram: the nested
    objects cost ~20 MiB of the server's memory for a 1.4 MB model."""
    scaled: array[float]
    """Row after row, each n-gram's weight for every class times its idf: one vector added
    per n-gram of a text."""
    intercept: tuple[float, ...]
    threshold: float
    """Least probability at which the model alone names an intent."""
    blend: float
    """Weight of a probability against keyword scores (a key term weighs 5)."""
    word_ngrams: tuple[int, int] | None = None
    """Word n-gram sizes beside the character n-grams; None: characters only."""
    overrule: float = 1.0
    """Least probability at which the model overrules a lone key phrase (1: never)."""
    _grams: Callable[[str], tuple[str, ...]] = field(init=False, repr=False, compare=False)
    """A word's known character n-grams, remembered (bounded): words repeat far more than texts
    do. The n-grams are the model's own strings, so a remembered word costs a tuple."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_grams", lru_cache(maxsize=8192)(self._word_grams))

    def _word_grams(self, word: str) -> tuple[str, ...]:
        known = self.idf.keys()
        return tuple(intern(g) for g in char_wb_ngrams(word, *self.ngram_range) if g in known)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LinearModel:
        """Read the exported model; refuses a model whose shapes disagree."""
        return cls._from_flat(_Flat.read(data))

    @classmethod
    def from_text(cls, text: str) -> LinearModel:
        """Read the exported model from its JSON text (as :meth:`from_json`), with a lower
        peak: the parsed tree (hundreds of thousands of lists and floats, ~15 MiB for 1.4 MB of
        JSON) is gone before the model's own objects are made, and its equal weights share one
        float."""
        floats: dict[str, float] = {}
        flat = _Flat.read(json.loads(text, parse_float=lambda s: floats.setdefault(s, float(s))))
        floats.clear()
        return cls._from_flat(flat)

    @classmethod
    def _from_flat(cls, flat: _Flat) -> LinearModel:
        data = flat.head
        classes = tuple(str(c) for c in data["classes"])
        low, high = (int(n) for n in data["ngram_range"])
        k = len(classes)
        idf: dict[str, float] = {}
        rows: dict[str, int] = {}
        for gram, factor, has_row in zip(
            flat.grams.split(_SEP), flat.factors, flat.has_row, strict=True
        ):
            gram = intern(gram)
            idf[gram] = factor
            if has_row:
                rows[gram] = len(rows)
        intercept = tuple(float(b) for b in data["intercept"])
        if len(intercept) != k or not 0 < low <= high:
            raise ValueError("intent_model.json: intercept or ngram_range does not fit")
        threshold, blend = float(data["threshold"]), float(data["blend"])
        words = data.get("word_ngrams")
        word_range = (int(words[0]), int(words[1])) if words else None
        if word_range is not None and not 0 < word_range[0] <= word_range[1]:
            raise ValueError("intent_model.json: word_ngrams does not fit")
        overrule = float(data.get("overrule", 1.0))
        return cls(
            classes,
            (low, high),
            idf,
            rows,
            flat.scaled,
            intercept,
            threshold,
            blend,
            word_range,
            overrule,
        )

    def probabilities(self, text: str) -> dict[str, float]:
        """Softmax over the classes for one (already normalised) text."""
        idf, grams = self.idf, self._grams
        counts: Counter[str] = Counter()
        for word in text.split():
            counts.update(grams(word))
        if self.word_ngrams is not None:
            counts.update(g for g in word_ngrams(text, *self.word_ngrams) if g in idf)
        total_sq = 0.0
        k = len(self.classes)
        sums = [0.0] * k
        rows, scaled = self.rows, self.scaled
        for g, c in counts.items():
            tf = 1.0 + math.log(c) if c > 1 else 1.0
            total_sq += (tf * idf[g]) ** 2
            row = rows.get(g)
            if row is not None:
                ws = scaled[row * k : row * k + k]
                sums = (
                    list(map(add, sums, ws))
                    if c == 1
                    else [s + w * tf for s, w in zip(sums, ws, strict=True)]
                )
        norm = math.sqrt(total_sq) or 1.0
        logits = [b + s / norm for b, s in zip(self.intercept, sums, strict=True)]
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}

    def predict(self, text: str) -> tuple[str, float]:
        """The likeliest class and its probability."""
        probs = self.probabilities(text)
        best = max(probs, key=probs.__getitem__)
        return best, probs[best]


_SEP = "\x00"
"""Between the n-grams of :attr:`_Flat.grams` (no n-gram of a text holds it)."""


@dataclass(frozen=True, slots=True)
class _Flat:
    """An exported model read into a few flat buffers, no object per n-gram: the parsed JSON
    can go before the model's dicts are made (those are then made fresh, together, instead of
    between the parse's passing objects, which would keep their memory from being freed)."""

    head: dict[str, Any]
    """Everything but the features."""
    grams: str
    """The n-grams, in the file's order, joined by _SEP."""
    factors: array[float]
    """Each n-gram's idf."""
    has_row: bytes
    """1 where the n-gram has weights (a row in `scaled`)."""
    scaled: array[float]
    """As :attr:`LinearModel.scaled`."""

    @staticmethod
    def read(data: Mapping[str, Any]) -> _Flat:
        k = len(data["classes"])
        factors = array("d")
        has_row = bytearray()
        scaled = array("d")
        vector = [0.0] * k
        for g, (weight, sparse) in data["features"].items():
            if _SEP in str(g):
                raise ValueError("intent_model.json: an n-gram holds a NUL")
            factor = float(weight) * 1.0
            factors.append(factor)
            has_row.append(1 if sparse else 0)
            if not sparse:
                continue
            vector[:] = (0.0,) * k
            for i, w in sparse:
                if not 0 <= int(i) < k:
                    raise ValueError("intent_model.json: a weight names an unknown class")
                vector[int(i)] = float(w)
            scaled.extend(w * factor for w in vector)
        head = {key: value for key, value in data.items() if key != "features"}
        return _Flat(head, _SEP.join(map(str, data["features"])), factors, bytes(has_row), scaled)
