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
from dataclasses import InitVar, dataclass, field
from itertools import pairwise

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
"""Weights are summed as whole multiples of 10**-DECIMALS (the shipped file has 4 decimals: its
sums are then exact, whatever order the features come in)."""
_UNIT: int = 10**DECIMALS


@dataclass(frozen=True, slots=True)
class Classifier:
    """Weights of the three heads and the thresholds chosen on the development sets."""

    version: str
    bias: tuple[float, float, float]
    weights: InitVar[dict[str, tuple[float, float, float]]]
    """Feature -> its three weights; kept only packed (44,000 tuples of floats were ~8 MiB)."""
    thresholds: tuple[float, float, float]
    """A head at or above its threshold may raise the rules' verdict (imminent, high, flag)."""
    packed: dict[str, int] = field(init=False, repr=False, compare=False)
    """Feature -> its three weights in one integer (:func:`_pack`): one lookup and one sum in C
    per feature, no tuple of floats to unpack (~10 % faster on long messages)."""
    base: int = field(init=False, repr=False, compare=False)

    def __post_init__(self, weights: dict[str, tuple[float, float, float]]) -> None:
        largest = max((abs(w) for ws in weights.values() for w in ws), default=0.0)
        # A sum of up to 2**11 features (a message has at most ~810) fits in half a base.
        base = 1 << (int(largest * _UNIT).bit_length() + 12)
        object.__setattr__(self, "base", base)
        # Fresh names, not the parser's: what stays is then packed together, and the parse's
        # passing objects free whole arenas instead of pinning them.
        packed = {name.encode().decode(): _pack(ws, base) for name, ws in weights.items()}
        object.__setattr__(self, "packed", packed)

    def scores(self, keyed: str) -> Scores:
        """The three probabilities for a text in key spelling."""
        found = features(keyed)
        if not found:
            return Scores(0.0, 0.0, 0.0)
        # One lookup per feature, in C: unknown features give None, which filter drops.
        total = sum(filter(None, map(self.packed.get, found)))
        scale = 1.0 / math.sqrt(len(found))
        imminent, high, flag = (
            _sigmoid(head * scale + bias)
            for head, bias in zip(_unpack(total, self.base), self.bias, strict=True)
        )
        return Scores(imminent, high, flag)


def _pack(weights: tuple[float, float, float], base: int) -> int:
    """Three weights as one integer: each in units of 10**-DECIMALS, one per digit of ``base``
    (signed digits; sums of packed weights are the packed sums while each stays within half
    a base)."""
    imminent, high, flag = (round(w * _UNIT) for w in weights)
    return imminent + high * base + flag * base * base


def _unpack(total: int, base: int) -> tuple[float, float, float]:
    """The three sums of a sum of :func:`_pack` values, as floats."""
    half = base // 2
    imminent = (total + half) % base - half
    total = (total - imminent) // base
    high = (total + half) % base - half
    flag = (total - high) // base
    return imminent / _UNIT, high / _UNIT, flag / _UNIT


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
