"""Concept combinations: every part of a ``together`` rule found near the others.

A part is a phrase (usually one concept list, ``{kill}``); the combination matches when each
part occurs in the same sentence, in any order, with any words in between, the whole group
spanning at most ``within`` characters of the key text.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import pairwise, product

from flows.risk.model import RiskModel
from flows.risk.prepare import TextIndex

MAX_SPANS = 400
"""Per concept and sentence: a bound for pathological input only."""

Span = tuple[int, int]


def find_combos(
    model: RiskModel, blanked: str, words: TextIndex
) -> list[tuple[int, int, int, tuple[int, ...]]]:
    """(rule number, start, end, start of every part) for each combination that matches.

    Each concept is found once in the whole text (only at the word starts it may begin with),
    its spans grouped by sentence; a combination is looked for in the first sentence holding
    all its parts where a close enough group exists."""
    index = model.concepts
    if index is None:
        return []
    places = words.places(index)
    begin = places.keys() | index.unopened
    found: list[tuple[int, int, int, tuple[int, ...]]] = []
    cache: dict[int, dict[int, list[Span]]] = {}
    starts = [lo for lo, _ in words.chunks[1:]]
    bounds = starts
    for combo in model.combos:
        if not begin.issuperset(combo.parts):  # a part that begins nowhere
            continue
        # Parts already looked for first: one found in no sentence holding the others rules
        # the combination out without looking for the rest (per_part keeps the parts' order
        # for _closest's ties).
        common: set[int] | None = None
        for part in sorted(combo.parts, key=lambda p: p not in cache):
            if part not in cache:
                by_chunk: dict[int, list[Span]] = {}
                if index.candidate(part, words.prefixes):
                    for m in words.find(index, part, places, blanked):
                        spans = by_chunk.setdefault(bisect_right(starts, m.start()), [])
                        if len(spans) < MAX_SPANS:
                            spans.append(m.span())
                cache[part] = by_chunk
            common = set(cache[part]) if common is None else common.intersection(cache[part])
            if not common:
                break
        else:
            per_part = [cache[part] for part in combo.parts]
            for number in sorted(common or ()):
                group = _closest([p[number] for p in per_part], combo.within, bounds)
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
    """Parts must not share words (one word is not two concepts: 'cansada de todo' is not
    also the 'todo' of a second part)."""
    ordered = sorted(group)
    return all(a[1] <= b[0] for a, b in pairwise(ordered))
