"""Concept combinations: every part of a ``together`` rule found near the others.

A part is a phrase (usually one concept list, ``{kill}``); the combination matches when each
part occurs in the same sentence, in any order, with any words in between, the whole group
spanning at most ``within`` characters of the key text.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import product

from flows.risk.model import RiskModel
from flows.risk.prepare import Chunk

MAX_SPANS = 400
"""Per concept and message: a bound for pathological input only."""

Span = tuple[int, int]


def find_combos(
    model: RiskModel, blanked: str, chunks: list[Chunk]
) -> list[tuple[int, int, int, tuple[int, ...]]]:
    """(rule number, start, end, start of every part) for each combination that matches.

    A group never spans two sentences, so each combination is looked for sentence by sentence
    (``chunks``), only in sentences holding the words of all its parts, scanning the rarest
    part first: most combinations are ruled out by one cheap scan."""
    index = model.concepts
    if index is None:
        return []
    per_chunk = [index.candidate_set(pre) for _, _, pre in chunks]
    possible = set().union(*per_chunk)
    rarity = {part: sum(part in p for p in per_chunk) for part in possible}
    found: list[tuple[int, int, int, tuple[int, ...]]] = []
    cache: dict[tuple[int, int], list[Span]] = {}
    bounds = [lo for lo, _, _ in chunks[1:]]
    for combo in model.combos:
        if not possible.issuperset(combo.parts):
            continue
        order = sorted(combo.parts, key=rarity.__getitem__)
        for number, (lo, hi, _) in enumerate(chunks):
            if not per_chunk[number].issuperset(combo.parts):
                continue
            spans: list[list[Span]] = []
            for part in order:
                key = (part, number)
                if key not in cache:
                    cache[key] = [m.span() for m in index.patterns[part].finditer(blanked, lo, hi)]
                if not cache[key]:
                    break
                spans.append(cache[key][:MAX_SPANS])
            else:
                group = _closest(spans, combo.within, bounds)
                if group is not None:
                    start = min(group)[0]
                    end = max(e for _, e in group)
                    found.append((combo.rule, start, end, tuple(s for s, _ in group)))
                    break
    return found


def _closest(spans: list[list[Span]], within: int, bounds: list[int]) -> tuple[Span, ...] | None:
    """The tightest group with one span per part, inside one sentence and ``within``.

    Spans of the part with the fewest matches are the pivots; the other parts only offer
    their spans near a pivot, so long testimonies with many common words stay cheap."""
    pivot = min(range(len(spans)), key=lambda i: len(spans[i]))
    best: tuple[Span, ...] | None = None
    best_size = within + 1
    for anchor in spans[pivot]:
        lo, hi = anchor[1] - within, anchor[0] + within
        near = [
            [anchor] if i == pivot else [sp for sp in part if sp[0] >= lo and sp[1] <= hi]
            for i, part in enumerate(spans)
        ]
        for group in product(*near):
            start = min(group)[0]
            end = max(e for _, e in group)
            size = end - start
            if size >= best_size or not _distinct(group):
                continue
            if bisect_right(bounds, start) == bisect_right(bounds, end - 1):
                best, best_size = group, size
    return best


def _distinct(group: tuple[Span, ...]) -> bool:
    """Parts must not be the very same words (one word is not two concepts)."""
    return len(set(group)) == len(group)
