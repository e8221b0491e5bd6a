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
from collections.abc import Iterable, Iterator
from dataclasses import InitVar, dataclass, field
from itertools import compress, pairwise, repeat
from operator import is_
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


_Word = tuple[
    tuple[int, ...], tuple[str, ...], dict[str, int], dict[str, int], str, str, dict[str, int]
]
"""A remembered word: the packed integers of the features it makes alone (its word feature
and the slices of `` word ``), the names of those the model does not know (counted, not
weighed), the slices its right edges begin (:attr:`Classifier.after3` for ``ta ``,
:attr:`Classifier.after2` for ``a ``), its left edges (``m``, ``ma``) and the pairs it begins
(:attr:`Classifier.follows`)."""
_NONE: dict[str, int] = {}
"""The slices or pairs of an edge or a word that begins none the model knows (never written)."""


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
    after3: dict[str, dict[str, int]] = field(init=False, repr=False, compare=False)
    """4-character slices holding the space between two words third (``ta m``): the left
    word's right edge (``ta ``) -> the right word's first letter -> packed integer. Small
    tables, shared by the words that end alike: they stay in the CPU's caches, and the one-letter
    keys are one object each (no name to join or hash per slice)."""
    after2: dict[str, dict[str, int]] = field(init=False, repr=False, compare=False)
    """The slices holding the space second (``a ma``): right edge (``a ``) -> the right word's
    left edge (``ma``, ``m `` for a word of one letter, the object of :attr:`edges`) -> packed
    integer."""
    follows: dict[str, dict[str, int]] = field(init=False, repr=False, compare=False)
    """Pairs of neighbouring words: first word -> second word -> packed integer (the first
    word's small table is remembered with it: no name to join per pair, no large table)."""
    edges: dict[str, str] = field(init=False, repr=False, compare=False)
    """The left edges (``ma``, ``m ``) of :attr:`after2`, each kept once: the remembered words
    share them."""
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
        after3: dict[str, dict[str, int]] = {}
        after2: dict[str, dict[str, int]] = {}
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
                right, left = (words.setdefault(e, e.encode().decode()) for e in _split(name))
                (after3 if _cut(name) == 3 else after2).setdefault(right, {})[left] = packed
            else:
                alone[name.encode().decode()] = packed
        object.__setattr__(self, "alone", alone)
        object.__setattr__(self, "after3", after3)
        object.__setattr__(self, "after2", after2)
        object.__setattr__(self, "follows", follows)
        object.__setattr__(self, "edges", {e: e for lefts in after2.values() for e in lefts})

    def packed(self, name: str) -> int | None:
        """The packed integer of a feature (None when the model does not know it)."""
        if "+" in name:
            first, _, second = name.partition("+")
            return self.follows.get(first, _NONE).get(second)
        if _across(name):
            right, left = _split(name)
            return (self.after3 if _cut(name) == 3 else self.after2).get(right, _NONE).get(left)
        return self.alone.get(name)

    def names(self) -> list[str]:
        """Every feature the model knows."""
        pairs = (
            f"{first}+{second}" for first, seconds in self.follows.items() for second in seconds
        )
        across = (
            right + left
            for after in (self.after3, self.after2)
            for right, lefts in after.items()
            for left in lefts
        )
        return [*self.alone, *across, *pairs]

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
        remembered per word with its edges, and a slice between two words is looked up in the
        small table of the left word's right edge (:attr:`after3`, :attr:`after2`) with the
        right word's left edge. The kinds share no feature (slices between words hold an inner
        space, pairs a ``+``, word features a ``_``), and each known feature's packed integer is
        its own: one set of them holds every known feature of the text once. Those the model
        does not know are counted by name."""
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
        alone, unknown, after3, after2, left1, left2, follows = zip(
            *cast("list[_Word]", mine), strict=True
        )
        # Each word with the next (map stops at the shorter): None where the model does not
        # know the slice or pair.
        thirds = list(map(dict.get, after3, left1[1:]))
        seconds = list(map(dict.get, after2, left2[1:]))
        pairs = list(map(dict.get, follows, words[1:]))
        known: set[int | None] = set().union(*alone, thirds, seconds, pairs)
        count = len(known) + len(set().union(*unknown))
        if None in known:
            known.discard(None)
            count += _unknown_between(words, thirds, seconds, pairs) - 1
        return sum(cast("set[int]", known)), count

    def _learn(self, word: str) -> _Word:
        """Remember what the classifier needs of a word (:data:`_Word`)."""
        padded = f" {word} "
        names = {padded[i : i + GRAM] for i in range(len(padded) - GRAM + 1)}
        names.add("_" + word)
        get = self.alone.get
        known = tuple(v for v in map(get, names) if v is not None)
        unknown = tuple(n for n in names if get(n) is None) if len(known) < len(names) else ()
        left2 = padded[1:3]
        mine = (
            known,
            unknown,
            self.after3.get(padded[-3:], _NONE),
            self.after2.get(padded[-2:], _NONE),
            word[0],
            self.edges.get(left2, left2),
            self.follows.get(word, _NONE),
        )
        if len(self.own) >= REMEMBERED_WORDS:
            self.own.clear()
        self.own[word] = mine
        return mine


def _across(name: str) -> bool:
    """Whether a feature without ``+`` is a slice holding the space between two words
    (:attr:`Classifier.after3`, :attr:`Classifier.after2`; else ``alone``)."""
    return len(name) == GRAM and " " in name[1:3]


def _cut(name: str) -> int:
    """Where a slice between two words splits into the left word's right edge and the right
    word's left edge: after its space (``ta |m``, ``a |ma``)."""
    return 3 if name[2] == " " else 2


def _split(name: str) -> tuple[str, str]:
    """A slice between two words as right edge and left edge (:func:`_cut`)."""
    cut = _cut(name)
    return name[:cut], name[cut:]


def _unknown_between(
    words: list[str], thirds: list[int | None], seconds: list[int | None], pairs: list[int | None]
) -> int:
    """How many different slices and pairs between words the model does not know (None in
    the lookups of :meth:`Classifier._sum`, each word with the next), by name."""
    names = {f" {words[i]} "[-3:] + words[i + 1][0] for i in _nones(thirds)}
    names.update(f" {words[i]} "[-2:] + f" {words[i + 1]} "[1:3] for i in _nones(seconds))
    return len(names) + len({(words[i], words[i + 1]) for i in _nones(pairs)})


def _nones(found: list[int | None]) -> Iterator[int]:
    """The places of None in a list."""
    return compress(range(len(found)), map(is_, found, repeat(None)))


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
