"""The alias index over the directory: every way of naming a district or landmark, keyed by
sound for fuzzy matching."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flows.places.directory import Center, Directory, District
from flows.spelling import sound, sound_tokens
from flows.text import fold

EXPLICIT, LANDMARK, AMBIGUOUS, OUTSIDE, UNPLACEABLE, BROAD, DONT_KNOW, MARKET = (
    "district",
    "landmark",
    "ambiguous",
    "outside",
    "unplaceable",
    "broad",
    "dont_know",
    "market",
)
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "el", "i"})
_STREET = frozenset(
    sound(w) for w in ("avenida", "jiron", "calle", "pasaje", "cruce", "urbanizacion")
)
_COMISARIA = re.compile(r"^CEM\s+Comisar[ií]a\s+(De\s+Familia\s+)?", re.IGNORECASE)
MAX_TOKENS = 120
"""Only the first words are scanned: a district sits near the start of a real message."""


@dataclass(frozen=True)
class _Entry:
    kind: str
    districts: tuple[str, ...]
    label: str


class PlaceIndex:
    """Alias table (sound keys, spaces removed) built once from a Directory."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.districts: dict[str, District] = {d.name: d for d in directory.districts}
        self.centers_by_district: dict[str, list[Center]] = {d: [] for d in self.districts}
        for c in directory.centers:
            self.centers_by_district[c.district].append(c)
        self.stop = frozenset(sound(w) for p in directory.stop_words for w in fold(p).split())
        """Common words never fuzzy-matched to a place ('cercano' is not 'Cercado')."""
        self.market_words = frozenset(sound_tokens(" ".join(directory.market_words)))
        self.points: dict[str, tuple[float, float]] = {}
        """Alias -> coordinates, for zones and landmarks that have a sourced point."""
        self.exact: dict[str, _Entry] = {}
        for d in directory.districts:
            for zone, point in d.zone_points.items():
                self.points[zone] = (point.latitude, point.longitude)
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
            if "Comisar" in c.name and place and not (_alias_keys(place) & self.exact.keys()):
                self._add(place, _Entry(LANDMARK, (c.district,), place))
        for amb in directory.ambiguous:  # overrides: these names are never guessed
            for key in _alias_keys(amb.alias):
                self.exact[key] = _Entry(AMBIGUOUS, amb.candidates, amb.alias)
        for kind, names in (
            (OUTSIDE, directory.outside),
            (UNPLACEABLE, directory.unplaceable),
            (DONT_KNOW, directory.dont_know),
        ):
            for alias in names:
                for key in _alias_keys(alias):
                    self.exact.setdefault(key, _Entry(kind, (), alias))
        for alias in directory.broad:  # 'Lima' alone is the city, not the Cercado: ask
            for key in _alias_keys(alias):
                self.exact[key] = _Entry(BROAD, (), alias)
        self.max_words = max(len(sound_tokens(e.label)) for e in self.exact.values())
        fuzzy_kinds = (EXPLICIT, LANDMARK, AMBIGUOUS, OUTSIDE)
        self.fuzzy_keys = [
            k for k, e in self.exact.items() if e.kind in fuzzy_kinds and len(k) >= 5
        ]

    def _add(self, alias: str, entry: _Entry) -> None:
        for key in _alias_keys(alias):
            old = self.exact.get(key)
            if old is None or old.districts == entry.districts:
                self.exact[key] = old or entry
            elif old.kind == EXPLICIT and entry.kind != EXPLICIT:
                continue  # a district name beats a landmark spelled the same
            else:
                merged = tuple(dict.fromkeys((*old.districts, *entry.districts)))
                self.exact[key] = _Entry(AMBIGUOUS, merged, old.label)


_DOUBLE = re.compile(r"(.)\1+")


def _join(toks: Sequence[str]) -> str:
    """Words glued together, as people type them without spaces ('santaanita' -> 'santanita')."""
    return _DOUBLE.sub(r"\1", "".join(toks))


def _alias_keys(alias: str) -> set[str]:
    """Lookup keys of an alias: as written, without inner particles, and with 'll' typed as 'l'."""
    keys: set[str] = set()
    for spelling in {alias, alias.lower().replace("ll", "l")}:
        toks = sound_tokens(spelling)
        keys.add(_join(toks))
        inner = [t for i, t in enumerate(toks) if i == 0 or t not in _PARTICLES]
        if len(inner) >= 2:
            keys.add(_join(inner))
    return {k for k in keys if k}


def build_place_index(directory: Directory) -> PlaceIndex:
    return PlaceIndex(directory)
