"""Concept combinations: every part of a ``together`` rule found near the others.

A part is a phrase (usually one concept list, ``{kill}``); the combination matches when each
part occurs in the same sentence, in any order, with any words in between, the whole group
spanning at most ``within`` characters of the key text.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import product

from flows.risk.model import RiskModel

MAX_SPANS = 12
"""Per concept and message: enough for long testimonies, bounded for speed."""

Span = tuple[int, int]


def find_combos(
    model: RiskModel, blanked: str, prefixes: frozenset[str], bounds: list[int]
) -> list[tuple[int, int, int, tuple[int, ...]]]:
    """(rule number, start, end, start of every part) for each combination that matches."""
    found: list[tuple[int, int, int, tuple[int, ...]]] = []
    cache: dict[int, list[Span]] = {}
    concepts = model.concepts
    for combo in model.combos:
        if not all(concepts[p].may_match(prefixes) for p in combo.parts):
            continue
        spans: list[list[Span]] = []
        for part in combo.parts:
            if part not in cache:
                matches = concepts[part].pattern.finditer(blanked)
                cache[part] = [m.span() for m, _ in zip(matches, range(MAX_SPANS), strict=False)]
            if not cache[part]:
                break
            spans.append(cache[part])
        else:
            group = _closest(spans, combo.within, bounds)
            if group is not None:
                start = min(s for s, _ in group)
                end = max(e for _, e in group)
                found.append((combo.rule, start, end, tuple(s for s, _ in group)))
    return found


def _closest(spans: list[list[Span]], within: int, bounds: list[int]) -> tuple[Span, ...] | None:
    """The tightest group with one span per part, inside one sentence and ``within``."""
    best: tuple[Span, ...] | None = None
    best_size = within + 1
    for group in product(*spans):
        start = min(s for s, _ in group)
        end = max(e for _, e in group)
        size = end - start
        if size >= best_size or _distinct(group) is False:
            continue
        if bisect_right(bounds, start) == bisect_right(bounds, end - 1):
            best, best_size = group, size
    return best


def _distinct(group: tuple[Span, ...]) -> bool:
    """Parts must not be the very same words (one word is not two concepts)."""
    return len(set(group)) == len(group)
