"""The alias index over the directory: every way of naming a district or landmark, keyed by
key spelling for fuzzy matching."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flows.places.directory import Center, Directory, District
from flows.spelling import Spelling, key
from flows.text import fold

EXPLICIT, LANDMARK, AMBIGUOUS, OUTSIDE, UNPLACEABLE, BROAD, DONT_KNOW, MARKET, MARKET_CHAIN = (
    "district",
    "landmark",
    "ambiguous",
    "outside",
    "unplaceable",
    "broad",
    "dont_know",
    "market",
    "market_chain",
)
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "el", "i"})
_COMISARIA = re.compile(r"^CEM\s+Comisar[ií]a\s+(De\s+Familia\s+)?", re.IGNORECASE)
MAX_TOKENS = 120
"""Only the first words are scanned: a district sits near the start of a real message."""


@dataclass(frozen=True)
class _Entry:
    kind: str
    districts: tuple[str, ...]
    label: str


class PlaceIndex:
    """Alias table (key spelling, spaces removed) built once from a Directory."""

    def __init__(self, directory: Directory, spelling: Spelling | None = None) -> None:
        # Slightly over ~50 lines: one pass that builds the alias tables together, so each
        # table is filled in the order the resolver consults them.
        self.directory = directory
        self.spelling = spelling or Spelling()
        self.districts: dict[str, District] = {d.name: d for d in directory.districts}
        self.centers_by_district: dict[str, list[Center]] = {d: [] for d in self.districts}
        for c in directory.centers:
            self.centers_by_district[c.district].append(c)
        self.stop = frozenset(key(w) for p in directory.stop_words for w in fold(p).split())
        """Common words never fuzzy-matched to a place ('cercano' is not 'Cercado')."""
        self.market_words = frozenset(self.spelling.keys(" ".join(directory.market_words)))
        self.street_words = frozenset(self.spelling.keys(" ".join(directory.street_words)))
        """'Jr. Cañete' is a street, not the province of Cañete."""
        self.points: dict[str, tuple[float, float]] = {}
        """Alias -> coordinates, for zones and landmarks that have a sourced point."""
        self.exact: dict[str, _Entry] = {}
        for d in directory.districts:
            for zone, point in d.zone_points.items():
                self.points[zone] = (point.latitude, point.longitude)
            for compound in (*d.colloquial_names, *d.extra_aliases):  # 'Ate Vitarte': Vitarte's
                named = _zone_named(compound, d)
                if named is not None:
                    self.points[compound] = self.points[named]
            names = (d.name, *d.abbreviations, *d.colloquial_names, *d.zones, *d.extra_aliases)
            for alias in names:
                self._add(alias, _Entry(EXPLICIT, (d.name,), alias))
        for lm in directory.landmarks:
            if lm.point is not None:
                self.points.update({a: (lm.point.latitude, lm.point.longitude) for a in lm.aliases})
            kind, targets = (
                (LANDMARK, (lm.district,)) if lm.district else (AMBIGUOUS, lm.candidates)
            )
            for alias in lm.aliases:
                self._add(alias, _Entry(kind, tuple(t for t in targets if t), alias))
        for c in directory.centers:  # 'la comisaría Laura Caller': names people know
            place = _COMISARIA.sub("", c.name).strip(" -")
            if "Comisar" in c.name and place and not (self._alias_keys(place) & self.exact.keys()):
                self._add(place, _Entry(LANDMARK, (c.district,), place))
        for amb in directory.ambiguous:  # overrides: these names are never guessed
            for k in self._alias_keys(amb.alias):
                self.exact[k] = _Entry(AMBIGUOUS, amb.candidates, amb.alias)
        for kind, names in (
            (OUTSIDE, directory.outside),
            (UNPLACEABLE, directory.unplaceable),
            (DONT_KNOW, directory.dont_know),
            (MARKET_CHAIN, directory.market_chains),
        ):
            for alias in names:
                for k in self._alias_keys(alias):
                    self.exact.setdefault(k, _Entry(kind, (), alias))
        for alias in directory.broad:  # 'Lima' alone is the city, not the Cercado: ask
            for k in self._alias_keys(alias):
                self.exact[k] = _Entry(BROAD, (), alias)
        self.max_words = max(len(self.spelling.keys(e.label)) for e in self.exact.values())
        fuzzy_kinds = (EXPLICIT, LANDMARK, AMBIGUOUS, OUTSIDE)
        self.fuzzy_keys = [
            k for k, e in self.exact.items() if e.kind in fuzzy_kinds and len(k) >= 5
        ]

    def _add(self, alias: str, entry: _Entry) -> None:
        for k in self._alias_keys(alias):
            old = self.exact.get(k)
            if old is None or old.districts == entry.districts:
                self.exact[k] = old or entry
            elif old.kind == EXPLICIT and entry.kind != EXPLICIT:
                continue  # a district name beats a landmark spelled the same
            else:
                merged = tuple(dict.fromkeys((*old.districts, *entry.districts)))
                self.exact[k] = _Entry(AMBIGUOUS, merged, old.label)

    def _alias_keys(self, alias: str) -> set[str]:
        """Lookup keys of an alias: as written, without inner particles, 'll' typed as 'l'."""
        keys: set[str] = set()
        for written in {alias, alias.lower().replace("ll", "l")}:
            toks = self.spelling.keys(written)
            keys.add(_join(toks))
            inner = [t for i, t in enumerate(toks) if i == 0 or t not in _PARTICLES]
            if len(inner) >= 2:
                keys.add(_join(inner))
        return {k for k in keys if k}


def _zone_named(alias: str, district: District) -> str | None:
    """The zone with a sourced point a compound name ends with ('Ate-Vitarte' -> 'Vitarte'),
    when the name is more than the zone itself."""
    words = fold(alias).replace("-", " ").split()
    for zone in district.zone_points:
        tail = fold(zone).split()
        if len(words) > len(tail) and words[-len(tail) :] == tail:
            return zone
    return None


_DOUBLE = re.compile(r"(.)\1+")


def _join(toks: Sequence[str]) -> str:
    """Words glued together, as people type them without spaces ('santaanita' -> 'santanita')."""
    return _DOUBLE.sub(r"\1", "".join(toks))


def build_place_index(directory: Directory, spelling: Spelling | None = None) -> PlaceIndex:
    return PlaceIndex(directory, spelling)
