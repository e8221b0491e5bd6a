"""The learned second opinion: a linear text classifier, applied in pure Python.

Trained offline with scikit-learn (``python3 dev.py train-risk``, see
``benchmarks/train_risk.py``) on the labelled development sets and generated spelling variants;
only the weights ship, in ``content/risk_classifier.tsv``. Serving needs no numpy or
scikit-learn.

Three logistic heads read the same features: ``imminent``, ``high`` (high or above) and
``flag`` (moderate or above). Features are taken from the assessor's *key* spelling (folded,
SMS words expanded, forgiving spelling), so training and serving see the same text:

- every word, prefixed ``_`` (``_matar``);
- every pair of neighbouring words, joined by ``+`` (``me+mata``);
- every 4-character slice of the padded text, spaces included (`` mat``, ``ata ``), which
  survives words run together and misspellings the key spelling does not forgive.

Each present feature counts once; the sum is scaled by 1/sqrt(number of features) so a long
testimony and a short cry are on one scale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import InitVar, dataclass, field
from itertools import pairwise
from operator import add, itemgetter
from typing import cast

HEADS = ("imminent", "high", "flag")
GRAM = 4
MAX_FEATURE_CHARS = 400
"""Longer texts are read in their first and last 200 characters (speed: p99 <= 1 ms; the
rules read the whole text)."""


_SLICES = tuple(slice(i, i + GRAM) for i in range(MAX_FEATURE_CHARS + 8))
"""Precomputed slices: taking the 4-character slices with map() is about twice as fast."""


def features(keyed: str) -> set[str]:
    """The feature names of a text in key spelling (see the module docstring)."""
    if len(keyed) > MAX_FEATURE_CHARS:
        half = MAX_FEATURE_CHARS // 2
        keyed = f"{keyed[:half]} {keyed[-half:]}"
    words = keyed.split()
    padded = f" {' '.join(words)} "
    found = set(map(padded.__getitem__, _SLICES[: len(padded) - GRAM + 1]))
    found.update(["_" + w for w in words])
    found.update(map("+".join, pairwise(words)))
    return found


@dataclass(frozen=True, slots=True)
class Scores:
    """Probabilities of the three heads for one message."""

    imminent: float
    high: float
    flag: float


DECIMALS = 12
"""Weights are summed as whole multiples of 10**-d, d the fewest decimals (at most DECIMALS) that
write every weight (the shipped file has 4): the sums are then exact, whatever order the
features come in, and each probability is the one of the exact decimal sum."""
MAX_FEATURES_BITS = 11
"""A text has at most 2**11 features (a text of MAX_FEATURE_CHARS has about 800)."""
REMEMBERED_WORDS = 10_000
"""Words whose own features the classifier remembers (~280 bytes each); then it starts afresh."""


_Word = tuple[tuple[int, ...], tuple[str, ...], str, str, str, str, dict[str, int]]
"""A remembered word: the packed integers of the features it makes alone (its word feature
and the slices of `` word ``), the names of those the model does not know (counted, not
weighed), its right edges (``ta ``, ``a ``), its left edges (``ma``, ``m``) and the pairs it
begins (:attr:`Classifier.follows`)."""
_NO_PAIRS: dict[str, int] = {}
"""The pairs of a word that begins none the model knows (never written)."""


@dataclass(frozen=True, slots=True)
class Classifier:
    """Weights of the three heads and the thresholds chosen on the development sets."""

    version: str
    bias: tuple[float, float, float]
    weights: InitVar[dict[str, tuple[float, float, float]]]
    """Feature -> its three weights; kept only packed (44,000 tuples of floats were ~8 MiB)."""
    thresholds: tuple[float, float, float]
    """A head at or above its threshold may raise the rules' verdict (imminent, high, flag)."""
    alone: dict[str, int] = field(init=False, repr=False, compare=False)
    """Word features and 4-character slices inside one padded word -> the feature's three
    weights and its number in one integer (:func:`_pack`): one lookup and one sum in C per
    feature. The number (1, 2, ...) makes each feature's integer its own: a set of them holds
    each feature once."""
    across: dict[str, int] = field(init=False, repr=False, compare=False)
    """4-character slices holding the space between two words (a small table, looked up for
    every message: it stays in the CPU's caches)."""
    follows: dict[str, dict[str, int]] = field(init=False, repr=False, compare=False)
    """Pairs of neighbouring words: first word -> second word -> packed integer (the first
    word's small table is remembered with it: no name to join per pair, no large table)."""
    edges: dict[str, str] = field(init=False, repr=False, compare=False)
    """The words' edges (``ta ``, ``a ``, ``ma``) that slices between words the model knows
    are made of, each kept once: the remembered words share them."""
    base: int = field(init=False, repr=False, compare=False)
    unit: int = field(init=False, repr=False, compare=False)
    """10**d: weights are whole multiples of 10**-d."""
    shift: int = field(init=False, repr=False, compare=False)
    """Bits under the packed weights: the sum of the features' numbers."""
    own: dict[str, _Word] = field(init=False, repr=False, compare=False, default_factory=dict)
    """Key word -> what the classifier needs of it (:data:`_Word`), remembered: most words were
    seen before."""

    def __post_init__(self, weights: dict[str, tuple[float, float, float]]) -> None:
        largest = max((abs(w) for ws in weights.values() for w in ws), default=0.0)
        unit = 10 ** _decimals(weights.values(), largest)
        # A sum of up to 2**11 features fits in half a base.
        base = 1 << (int(largest * unit).bit_length() + MAX_FEATURES_BITS + 1)
        shift = len(weights).bit_length() + MAX_FEATURES_BITS
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "shift", shift)
        alone: dict[str, int] = {}
        across: dict[str, int] = {}
        follows: dict[str, dict[str, int]] = {}
        words: dict[str, str] = {}
        for number, (name, ws) in enumerate(weights.items(), start=1):
            # Fresh names, not the parser's: what stays is then packed together, and the
            # parse's passing objects free whole arenas instead of pinning them.
            packed = _pack(ws, number, unit, base, shift)
            if "+" in name:  # each word kept once
                first, second = (
                    words.setdefault(w, w.encode().decode()) for w in name.split("+", 1)
                )
                follows.setdefault(first, {})[second] = packed
            elif _across(name):
                across[name.encode().decode()] = packed
            else:
                alone[name.encode().decode()] = packed
        edges = [n[:3] if n[2] == " " else n[:2] for n in across]
        edges += [n[2:] for n in across if n[1] == " "]
        object.__setattr__(self, "alone", alone)
        object.__setattr__(self, "across", across)
        object.__setattr__(self, "follows", follows)
        object.__setattr__(self, "edges", {e: e for e in edges})

    def packed(self, name: str) -> int | None:
        """The packed integer of a feature (None when the model does not know it)."""
        if "+" in name:
            first, _, second = name.partition("+")
            return self.follows.get(first, {}).get(second)
        return (self.across if _across(name) else self.alone).get(name)

    def names(self) -> list[str]:
        """Every feature the model knows."""
        pairs = (
            f"{first}+{second}" for first, seconds in self.follows.items() for second in seconds
        )
        return [*self.alone, *self.across, *pairs]

    def scores(self, keyed: str) -> Scores:
        """The three probabilities for a text in key spelling."""
        total, count = self._sum(keyed)
        if not count:
            return Scores(0.0, 0.0, 0.0)
        scale = 1.0 / math.sqrt(count)
        imminent, high, flag = (
            _sigmoid(head * scale + bias)
            for head, bias in zip(
                _unpack(total >> self.shift, self.base, self.unit), self.bias, strict=True
            )
        )
        return Scores(imminent, high, flag)

    def _sum(self, keyed: str) -> tuple[int, int]:
        """The sum of the packed integers of the text's features the model knows, and the
        number of its features (:func:`features`).

        A text's 4-character slices are those inside one padded word (`` mata ``) and those
        holding the space between two words (``ta m``, ``a ma``): a word's own features are
        remembered per word with its edges, and a slice between two words is the left word's
        right edge and the right word's left edge. The kinds share no feature (slices between
        words hold an inner space, pairs a ``+``, word features a ``_``), so their counts add
        up."""
        text = keyed
        if len(text) > MAX_FEATURE_CHARS:
            half = MAX_FEATURE_CHARS // 2
            text = f"{text[:half]} {text[-half:]}"
        words = text.split()
        if not words or "_" in text or "+" in text:
            # Such a word could make a word or pair feature look like another kind.
            found = features(keyed)
            return sum(filter(None, map(self.packed, found))), len(found)
        own = self.own
        mine = list(map(own.get, words))
        if None in mine:
            mine = [self._learn(w) if m is None else m for w, m in zip(words, mine, strict=True)]
        alone, unknown, right3, right2, left2, left1, follows = zip(
            *cast("list[_Word]", mine), strict=True
        )
        known: set[int] = set().union(*alone)
        across = set(map(add, right3, left1[1:]))
        across.update(map(add, right2, left2[1:]))
        pairs = dict(zip(pairwise(words), follows, strict=False))  # each pair once
        count = len(known) + len(set().union(*unknown)) + len(across) + len(pairs)
        total = sum(known) + sum(filter(None, map(self.across.get, across)))
        seconds = map(itemgetter(1), pairs)
        return total + sum(filter(None, map(dict.get, pairs.values(), seconds))), count

    def _learn(self, word: str) -> _Word:
        """Remember what the classifier needs of a word (:data:`_Word`)."""
        padded = f" {word} "
        names = {padded[i : i + GRAM] for i in range(len(padded) - GRAM + 1)}
        names.add("_" + word)
        get = self.alone.get
        known = tuple(v for v in map(get, names) if v is not None)
        unknown = tuple(n for n in names if get(n) is None) if len(known) < len(names) else ()
        edge = self.edges.get
        right3, right2, left2 = padded[-3:], padded[-2:], padded[1:3]
        mine = (
            known,
            unknown,
            edge(right3, right3),
            edge(right2, right2),
            edge(left2, left2),
            word[0],
            self.follows.get(word, _NO_PAIRS),
        )
        if len(self.own) >= REMEMBERED_WORDS:
            self.own.clear()
        self.own[word] = mine
        return mine


def _across(name: str) -> bool:
    """Whether a feature without ``+`` is a slice holding the space between two words
    (:attr:`Classifier.across`; else ``alone``)."""
    return len(name) == GRAM and " " in name[1:3]


def _decimals(weights: Iterable[tuple[float, float, float]], largest: float) -> int:
    """The fewest decimals that write every weight exactly, at most DECIMALS (and DECIMALS for
    weights too large for a 10**-12 unit to be exact in a float product)."""
    every = [w for ws in weights for w in ws]
    if largest * 10**DECIMALS >= 2**50:
        return DECIMALS
    for decimals in range(DECIMALS):
        unit = 10**decimals
        if all(round(w * unit) / unit == w for w in every):
            return decimals
    return DECIMALS


def _pack(
    weights: tuple[float, float, float], number: int, unit: int, base: int, shift: int
) -> int:
    """Three weights and a feature's number as one integer: each weight in units of 1/unit,
    one per digit of ``base`` (signed digits; sums of packed weights are the packed sums while
    each stays within half a base), above ``shift`` bits that hold the number (the sum of up to
    2**11 numbers stays under them)."""
    imminent, high, flag = (round(w * unit) for w in weights)
    return ((imminent + high * base + flag * base * base) << shift) + number


def _unpack(total: int, base: int, unit: int) -> tuple[float, float, float]:
    """The three sums of a sum of packed weights (shifted down), as floats."""
    half = base // 2
    imminent = (total + half) % base - half
    total = (total - imminent) // base
    high = (total + half) % base - half
    flag = (total - high) // base
    return imminent / unit, high / unit, flag / unit


def _sigmoid(x: float) -> float:
    if x < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def parse_classifier(text: str) -> Classifier:
    """Read the shipped weights file (TSV; header lines start with ``#``).

    ``# version <id>``, ``# bias <imm> <high> <flag>``, ``# thresholds <imm> <high> <flag>``,
    then ``feature<TAB>w_imm<TAB>w_high<TAB>w_flag`` per line. Raises ValueError when malformed.
    """
    header: dict[str, list[str]] = {}
    weights: dict[str, tuple[float, float, float]] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line:
            continue
        if line.startswith("# "):
            name, *values = line[2:].split(" ")
            header[name] = values
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            raise ValueError(f"line {number}: expected feature and three weights")
        weights[parts[0]] = (float(parts[1]), float(parts[2]), float(parts[3]))
    try:
        bias = tuple(float(v) for v in header["bias"])
        thresholds = tuple(float(v) for v in header["thresholds"])
        version = header["version"][0]
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"header: needs version, bias and thresholds ({exc})") from exc
    if len(bias) != 3 or len(thresholds) != 3:
        raise ValueError("header: bias and thresholds need three values each")
    return Classifier(version, (bias[0], bias[1], bias[2]), weights, _three(thresholds))


def _three(values: tuple[float, ...]) -> tuple[float, float, float]:
    return (values[0], values[1], values[2])
