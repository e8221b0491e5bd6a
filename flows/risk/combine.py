"""Concept combinations: every part of a ``together`` rule found near the others.

A part is a phrase (usually one concept list, ``{kill}``); the combination matches when each
part occurs in the same sentence, in any order, with any words in between, the whole group
spanning at most ``within`` characters of the key text.
"""

from __future__ import annotations

import re
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

    Parts are looked for sentence by sentence (``chunks``), only in sentences holding their
    words, so a group never spans two sentences."""
    index = model.concepts
    if index is None:
        return []
    per_chunk = [index.candidate_set(pre) for _, _, pre in chunks]
    possible = set().union(*per_chunk)
    found: list[tuple[int, int, int, tuple[int, ...]]] = []
    cache: dict[int, list[Span]] = {}
    bounds = [lo for lo, _, _ in chunks[1:]]
    for combo in model.combos:
        if not possible.issuperset(combo.parts):
            continue
        spans: list[list[Span]] = []
        for part in combo.parts:
            if part not in cache:
                cache[part] = _concept_spans(index.patterns[part], part, blanked, chunks, per_chunk)
            if not cache[part]:
                break
            spans.append(cache[part])
        else:
            group = _closest(spans, combo.within, bounds)
            if group is not None:
                start = min(group)[0]
                end = max(e for _, e in group)
                found.append((combo.rule, start, end, tuple(s for s, _ in group)))
    return found


def _concept_spans(
    pattern: re.Pattern[str],
    part: int,
    blanked: str,
    chunks: list[Chunk],
    per_chunk: list[set[int]],
) -> list[Span]:
    spans: list[Span] = []
    for (lo, hi, _), possible in zip(chunks, per_chunk, strict=True):
        if part in possible:
            spans.extend([m.span() for m in pattern.finditer(blanked, lo, hi)])
            if len(spans) >= MAX_SPANS:
                return spans[:MAX_SPANS]
    return spans


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
