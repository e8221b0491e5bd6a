"""District resolution from free text."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from flows.places.index import (
    AMBIGUOUS,
    BROAD,
    DONT_KNOW,
    EXPLICIT,
    LANDMARK,
    MARKET,
    MARKET_CHAIN,
    MAX_TOKENS,
    OUTSIDE,
    UNPLACEABLE,
    PlaceIndex,
    _Entry,
    _join,
)
from flows.spelling import key
from flows.text import fold


@dataclass(frozen=True)
class DistrictResolution:
    district: str | None
    candidates: tuple[str, ...] = ()
    """More than one: ambiguous, ask which."""
    outside: bool = False
    """Outside Lima/Callao, or a place that is no district ('en mi casa')."""
    matched: str | None = None
    """The alias that decided it, e.g. 'SJL', 'Jockey Plaza', 'Arequipa'."""
    kind: str = "unknown"
    """district | landmark | ambiguous | outside | unplaceable | dont_know | broad | market |
    market_chain | unknown ('market': a market the directory does not know; 'market_chain': a
    market name found in several districts, 'Unicachi')"""
    point: tuple[float, float] | None = None
    """Coordinates of the zone or landmark named, when known: nearest CEMs first."""


def _cutoff(length: int) -> float:
    return 90.0 if length <= 6 else 85.0 if length <= 9 else 82.0


def _scan(raw: list[str], index: PlaceIndex) -> list[tuple[int, _Entry]]:
    toks = [key(t) for t in raw]
    stop = index.stop
    hits: list[tuple[int, _Entry]] = []
    taken = [False] * len(toks)

    def claim(i: int, n: int, entry: _Entry) -> None:
        if len(entry.label) <= 3 and "".join(raw[i : i + n]) != fold(entry.label):
            return  # 'VES' must be typed v-e-s: 'tal vez' is not Villa El Salvador
        if entry.kind == OUTSIDE and i > 0 and toks[i - 1] in index.street_words:
            entry = _Entry("street", (), entry.label)  # 'Jr. Cañete' is a street, not Cañete
        hits.append((i, entry))
        for j in range(i, i + n):
            taken[j] = True

    for n in range(min(index.max_words, len(toks)), 0, -1):
        for i in range(len(toks) - n + 1):  # exact aliases of n words
            if not any(taken[i : i + n]):
                entry = index.exact.get(_join(toks[i : i + n]))
                if entry is not None:
                    claim(i, n, entry)
        if n > 4:
            continue
        for i in range(len(toks) - n + 1):  # then misspellings of n words, before shorter aliases
            seg = toks[i : i + n]
            if any(taken[i : i + n]) or seg[-1] in stop or seg[0] in stop:
                continue  # 'esta detras' is no misspelt 'Esteras'
            joined = _join(seg)
            if len(joined) < 5 or (n > 1 and any(len(t) == 1 for t in seg)):
                continue
            best = process.extractOne(
                joined, index.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=_cutoff(len(joined))
            )
            if best is not None:
                claim(i, n, index.exact[best[0]])
    hits.sort(key=lambda h: h[0])
    return hits


def resolve_district(text: str, index: PlaceIndex) -> DistrictResolution:
    """The district a free-text message names; ambiguity comes back as candidates, never guessed."""
    words = index.spelling.tokens(text)[:MAX_TOKENS]
    hits = _scan(words, index)
    by_kind: dict[str, list[_Entry]] = {}
    for _, entry in hits:
        by_kind.setdefault(entry.kind, []).append(entry)
    for kind in (EXPLICIT, LANDMARK):
        if kind == LANDMARK and OUTSIDE in by_kind:  # 'la Plaza de Armas del Cusco': every town
            continue  # has its own; the place outside Lima says where
        entries = by_kind.get(kind, [])
        found = list(dict.fromkeys(d for e in entries for d in e.districts))
        if len(found) > 1 and "Callao" in found:  # 'Bellavista, Callao': Callao is the province
            others = [d for d in found if d != "Callao"]
            if all(index.districts[d].province == "Callao" for d in others):
                found = others
        if found:
            for amb in by_kind.get(AMBIGUOUS, []):
                narrowed = [d for d in found if d in amb.districts]
                found = narrowed or found
            label = entries[0].label
            if len(found) == 1:
                point = next(
                    (index.points[e.label] for e in entries if e.label in index.points), None
                )
                return DistrictResolution(
                    found[0], (found[0],), matched=label, kind=kind, point=point
                )
            return DistrictResolution(None, tuple(found), matched=label, kind=AMBIGUOUS)
    if AMBIGUOUS in by_kind:
        sets = by_kind[AMBIGUOUS]
        found = list(sets[0].districts)
        for other in sets[1:]:
            found = [d for d in found if d in other.districts] or found
        if len(found) == 1:
            return DistrictResolution(found[0], (found[0],), matched=sets[0].label, kind=LANDMARK)
        return DistrictResolution(None, tuple(found), matched=sets[0].label, kind=AMBIGUOUS)
    kinds = ((OUTSIDE, True), (BROAD, False), (MARKET_CHAIN, False), (DONT_KNOW, True))
    for kind, outside in (*kinds, (UNPLACEABLE, True)):
        if kind in by_kind:
            return DistrictResolution(None, (), outside, by_kind[kind][0].label, kind)
    if any(key(t) in index.market_words for t in words):
        return DistrictResolution(None, kind=MARKET)
    return DistrictResolution(None)
