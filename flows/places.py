"""CEM directory, district resolution from free text, nearest centres and the plain-text answer.

Pure: no I/O, no clock. The shell loads content/cems.yaml, districts.yaml and landmarks.yaml with
yaml.safe_load and passes the dicts to Directory.from_content(), which refuses broken content naming
the file and the key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from rapidfuzz import fuzz, process

from flows.helplines import OrientationTexts
from flows.spelling import sound, sound_tokens, tokens
from flows.text import fold

_M = TypeVar("_M", bound=BaseModel)

LAT_BOUNDS = (-12.55, -11.55)
LON_BOUNDS = (-77.25, -76.55)
"""Lima Metropolitana + Callao, generously: Ancón/Santa Rosa to Pucusana, La Punta to Chosica."""


def _in_bounds(lat: float, lon: float) -> bool:
    return LAT_BOUNDS[0] <= lat <= LAT_BOUNDS[1] and LON_BOUNDS[0] <= lon <= LON_BOUNDS[1]


class Center(BaseModel):
    """One Centro Emergencia Mujer, fields copied from the MIMP directory (content/cems.yaml)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: str = Field(min_length=3)
    type: str | None = None
    district: str
    address: str = Field(min_length=5)
    reference: str | None = None
    phones: tuple[str, ...] = Field(min_length=1)
    hours: str | None = None
    is_24h: bool | None = None
    hours_source: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    coords_note: str | None = None
    source: str = Field(min_length=5)
    source_date: str | None = None
    verified_on: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Center:
        for phone in self.phones:
            if not re.fullmatch(r"[0-9][0-9 ()-]{4,}", phone):
                raise ValueError(f"phone {phone!r} is not a phone number")
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude must both be set or both be null")
        if self.latitude is not None and self.longitude is not None:
            if not _in_bounds(self.latitude, self.longitude):
                raise ValueError(
                    f"coordinates {self.latitude},{self.longitude} outside Lima/Callao"
                )
        elif not self.coords_note:
            raise ValueError("coordinates missing without a coords_note saying why")
        if self.hours is not None and not self.hours_source and not self.is_24h:
            raise ValueError("hours given without hours_source")
        return self


class District(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    province: str = Field(pattern=r"^(Lima|Callao)$")
    ubigeo_inei: str = Field(pattern=r"^\d{6}$")
    capital: str
    abbreviations: tuple[str, ...] = ()
    colloquial_names: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    extra_aliases: tuple[str, ...] = ()
    capital_latitude: float
    capital_longitude: float
    source: str

    @model_validator(mode="after")
    def _check(self) -> District:
        if not _in_bounds(self.capital_latitude, self.capital_longitude):
            raise ValueError("capital coordinates outside Lima/Callao")
        return self


class Landmark(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    aliases: tuple[str, ...] = Field(min_length=1)
    district: str | None = None
    candidates: tuple[str, ...] = ()
    note: str = Field(min_length=3)

    @model_validator(mode="after")
    def _check(self) -> Landmark:
        if (self.district is None) == (len(self.candidates) < 2):
            raise ValueError("give either 'district' or two or more 'candidates'")
        return self


class AmbiguousName(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    alias: str
    candidates: tuple[str, ...] = Field(min_length=2)
    note: str | None = None


class Directory(BaseModel):
    """CEMs + districts + landmarks, validated together. Build with Directory.from_content()."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    verified_on: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    source: str
    centers: tuple[Center, ...] = Field(min_length=1)
    districts: tuple[District, ...] = Field(min_length=1)
    landmarks: tuple[Landmark, ...] = ()
    ambiguous: tuple[AmbiguousName, ...] = ()
    outside: tuple[str, ...] = ()
    unplaceable: tuple[str, ...] = ()
    broad: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _cross_check(self) -> Directory:
        names = [d.name for d in self.districts]
        _no_dupes("districts.yaml: districts[].name", names)
        _no_dupes("cems.yaml: centers[].id", [c.id for c in self.centers])
        known = set(names)
        for i, c in enumerate(self.centers):
            if c.district not in known:
                raise ValueError(
                    f"cems.yaml: centers[{i}] (id '{c.id}'): district '{c.district}' "
                    "is not a district in districts.yaml"
                )
        for i, lm in enumerate(self.landmarks):
            for d in (lm.district, *lm.candidates):
                if d is not None and d not in known:
                    raise ValueError(
                        f"landmarks.yaml: landmarks[{i}] ('{lm.name}'): unknown district '{d}'"
                    )
        for i, amb in enumerate(self.ambiguous):
            for d in amb.candidates:
                if d not in known:
                    raise ValueError(
                        f"landmarks.yaml: ambiguous[{i}] ('{amb.alias}'): unknown '{d}'"
                    )
        return self

    @classmethod
    def from_content(
        cls, cems: Mapping[str, Any], districts: Mapping[str, Any], landmarks: Mapping[str, Any]
    ) -> Directory:
        """Validate the three parsed YAML files; errors name the file and the offending key."""
        verified = str(cems.get("verified_on", ""))
        centers = [
            _parse(Center, "cems.yaml", "centers", i, {**item, "verified_on": verified})
            for i, item in enumerate(_list(cems, "cems.yaml", "centers"))
        ]
        dists = [
            _parse(District, "districts.yaml", "districts", i, item)
            for i, item in enumerate(_list(districts, "districts.yaml", "districts"))
        ]
        lms = [
            _parse(Landmark, "landmarks.yaml", "landmarks", i, item)
            for i, item in enumerate(_list(landmarks, "landmarks.yaml", "landmarks"))
        ]
        ambs = [
            _parse(AmbiguousName, "landmarks.yaml", "ambiguous", i, item)
            for i, item in enumerate(
                _list(landmarks, "landmarks.yaml", "ambiguous", required=False)
            )
        ]
        try:
            return cls(
                verified_on=verified,
                source=str(cems.get("source", "")),
                centers=tuple(centers),
                districts=tuple(dists),
                landmarks=tuple(lms),
                ambiguous=tuple(ambs),
                outside=tuple(landmarks.get("outside") or ()),
                unplaceable=tuple(landmarks.get("unplaceable") or ()),
                broad=tuple(landmarks.get("broad") or ()),
            )
        except ValidationError as exc:
            raise ValueError(_first_error("cems.yaml/districts.yaml/landmarks.yaml", exc)) from exc


def _no_dupes(what: str, values: Sequence[str]) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{what}: duplicate '{v}'")
        seen.add(v)


def _list(data: Mapping[str, Any], file: str, key: str, *, required: bool = True) -> list[Any]:
    raw = data.get(key)
    if raw is None and not required:
        return []
    if not isinstance(raw, list):
        raise ValueError(f"{file}: top-level key '{key}' must be a list")
    return raw


def _first_error(where: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    return f"{where}: {loc or '(root)'}: {err['msg']}"


def _parse(model: type[_M], file: str, key: str, i: int, item: Any) -> _M:
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        ident = (
            item.get("id") or item.get("name") or item.get("alias")
            if isinstance(item, dict)
            else None
        )
        where = f"{file}: {key}[{i}]" + (f" ('{ident}')" if ident else "")
        raise ValueError(_first_error(where, exc)) from exc


# --------------------------------------------------------------------------- alias index

EXPLICIT, LANDMARK, AMBIGUOUS, OUTSIDE, UNPLACEABLE, BROAD = (
    "district",
    "landmark",
    "ambiguous",
    "outside",
    "unplaceable",
    "broad",
)
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "el", "i"})
_STREET = frozenset(
    sound(w) for w in ("avenida", "jiron", "calle", "pasaje", "cruce", "urbanizacion")
)
_STOP_WORDS = (
    "de del la las los el en y o a al por para con sin que mi mis tu su un una unos unas es soy "
    "estoy vivo esta estan cerca lejos aqui aca ahi hola gracias ayuda quiero necesito donde "
    "centro mujer emergencia cem comisaria mercado avenida jiron calle distrito zona casa favor "
    "porque tengo tiene hay como pero mas muy bien mal todo nada hijos hijo hija esposo pareja "
    "senora senorita urgente ahora hoy dia noche tarde buenas buenos cercano cercana cercanos "
    "cerquita vive viven vivimos trabajo"
)
_STOP = frozenset(sound(w) for w in _STOP_WORDS.split())
"""Common words never fuzzy-matched to a place ('cercano' is not 'Cercado')."""
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
        self.exact: dict[str, _Entry] = {}
        for d in directory.districts:
            names = (d.name, *d.abbreviations, *d.colloquial_names, *d.zones, *d.extra_aliases)
            for alias in names:
                self._add(alias, _Entry(EXPLICIT, (d.name,), alias))
        for lm in directory.landmarks:
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
        for kind, names in ((OUTSIDE, directory.outside), (UNPLACEABLE, directory.unplaceable)):
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


# --------------------------------------------------------------------------- resolution


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
    """district | landmark | ambiguous | outside | unplaceable | broad | unknown"""


def _cutoff(length: int) -> float:
    return 90.0 if length <= 6 else 85.0 if length <= 9 else 82.0


def _scan(raw: list[str], index: PlaceIndex) -> list[tuple[int, _Entry]]:
    toks = [sound(t) for t in raw]
    hits: list[tuple[int, _Entry]] = []
    taken = [False] * len(toks)

    def claim(i: int, n: int, entry: _Entry) -> None:
        if len(entry.label) <= 3 and "".join(raw[i : i + n]) != fold(entry.label):
            return  # 'VES' must be typed v-e-s: 'tal vez' is not Villa El Salvador
        if entry.kind == OUTSIDE and i > 0 and toks[i - 1] in _STREET:
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
            if any(taken[i : i + n]) or seg[-1] in _STOP or (n == 1 and seg[0] in _STOP):
                continue
            key = _join(seg)
            if len(key) < 5 or (n > 1 and any(len(t) == 1 for t in seg)):
                continue
            best = process.extractOne(
                key, index.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=_cutoff(len(key))
            )
            if best is not None:
                claim(i, n, index.exact[best[0]])
    hits.sort(key=lambda h: h[0])
    return hits


def resolve_district(text: str, index: PlaceIndex) -> DistrictResolution:
    """The district a free-text message names; ambiguity comes back as candidates, never guessed."""
    hits = _scan(tokens(text)[:MAX_TOKENS], index)
    by_kind: dict[str, list[_Entry]] = {}
    for _, entry in hits:
        by_kind.setdefault(entry.kind, []).append(entry)
    for kind in (EXPLICIT, LANDMARK):
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
                return DistrictResolution(found[0], (found[0],), matched=label, kind=kind)
            return DistrictResolution(None, tuple(found), matched=label, kind=AMBIGUOUS)
    if AMBIGUOUS in by_kind:
        sets = by_kind[AMBIGUOUS]
        found = list(sets[0].districts)
        for other in sets[1:]:
            found = [d for d in found if d in other.districts] or found
        if len(found) == 1:
            return DistrictResolution(found[0], (found[0],), matched=sets[0].label, kind=LANDMARK)
        return DistrictResolution(None, tuple(found), matched=sets[0].label, kind=AMBIGUOUS)
    for kind, outside in ((OUTSIDE, True), (BROAD, False), (UNPLACEABLE, True)):
        if kind in by_kind:
            return DistrictResolution(None, (), outside, by_kind[kind][0].label, kind)
    return DistrictResolution(None)


# --------------------------------------------------------------------------- centres


@dataclass(frozen=True)
class CenterHit:
    center: Center
    distance_km: float | None
    approximate: bool = False
    """True when the centre has no coordinates and its district capital was used."""


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def _position(index: PlaceIndex, c: Center) -> tuple[float, float, bool]:
    if c.latitude is not None and c.longitude is not None:
        return c.latitude, c.longitude, False
    d = index.districts[c.district]
    return d.capital_latitude, d.capital_longitude, True


def nearest_centers(
    index: PlaceIndex, latitude: float, longitude: float, limit: int = 3
) -> list[CenterHit]:
    """The `limit` closest CEMs by great-circle distance (district capital when a CEM has none)."""
    hits = []
    for c in index.directory.centers:
        lat, lon, approx = _position(index, c)
        hits.append(CenterHit(c, round(haversine_km(latitude, longitude, lat, lon), 1), approx))
    hits.sort(key=lambda h: (h.distance_km or 0.0, h.center.id))
    return hits[: max(limit, 0)]


def centers_for_district(index: PlaceIndex, district: str, limit: int = 3) -> list[CenterHit]:
    """The district's own CEMs first, then the nearest others (from the district capital)."""
    if district not in index.districts:
        raise KeyError(f"unknown district {district!r}")
    own = [CenterHit(c, None) for c in index.centers_by_district[district]][:limit]
    if len(own) >= limit:
        return own
    d = index.districts[district]
    rest = [
        h
        for h in nearest_centers(
            index, d.capital_latitude, d.capital_longitude, limit=len(index.directory.centers)
        )
        if h.center.district != district
    ]
    return own + rest[: limit - len(own)]


# --------------------------------------------------------------------------- answer

_REF_PREFIX = re.compile(r"^\s*(ref(erencia)?\s*[.:]*)\s*", re.IGNORECASE)
FAR_KM = 40.0
"""A location pin farther than this from every CEM is treated as outside Lima/Callao."""


def _km(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _split_reference(c: Center) -> tuple[str, str | None]:
    """The address without its literal reference tail, and the reference (both copied verbatim)."""
    if not c.reference:
        return c.address, None
    at = c.address.rfind(c.reference)
    main = c.address[:at].rstrip(" -,.;") if at > 0 else c.address
    if at <= 0 or len(main) < 5:
        return c.address, None
    ref = _REF_PREFIX.sub("", c.reference).rstrip(" .")
    return main, ref or None


def _center_lines(
    n: int, hit: CenterHit, texts: OrientationTexts, district: str | None
) -> list[str]:
    c = hit.center
    extras = []
    if district is not None and c.district != district:
        extras.append(texts.other_district.format(district=texts.display(c.district)))
    if hit.distance_km is not None:
        dist = texts.distance.format(km=_km(hit.distance_km))
        extras.append(f"{dist} {texts.approximate}" if hit.approximate else dist)
    title = f"{n}. {c.name}" + (f" ({', '.join(extras)})" if extras else "")
    address, reference = _split_reference(c)
    lines = [title, address]
    if reference:
        lines.append(texts.reference.format(reference=reference))
    lines.append(texts.phones.format(phones=" / ".join(c.phones)))
    lines.append(texts.hours.format(hours=c.hours) if c.hours else texts.hours_unknown)
    return lines


def format_centers_answer(
    hits: Sequence[CenterHit],
    texts: OrientationTexts,
    *,
    district: str | None,
    total_in_district: int | None = None,
) -> str:
    """Plain text for a phone screen: up to the given CEMs, hours honesty, emergency numbers."""
    parts: list[str] = []
    if district is None:
        parts.append(texts.header_nearest)
        if hits and (hits[0].distance_km or 0.0) > FAR_KM:
            parts = [texts.far_from_lima.format(km=_km(hits[0].distance_km or 0.0))]
    elif any(h.center.district == district for h in hits):
        parts.append(texts.header_district.format(district=texts.display(district)))
        shown = sum(h.center.district == district for h in hits)
        if total_in_district and total_in_district > shown:
            parts.append(
                texts.header_district_more.format(
                    count=total_in_district, district=texts.display(district), shown=shown
                )
            )
    else:
        parts.append(texts.header_no_cem.format(district=texts.display(district)))
    blocks = ["\n".join(_center_lines(n, h, texts, district)) for n, h in enumerate(hits, 1)]
    tail = []
    if any(not h.center.hours for h in hits):
        tail.append(texts.hours_unknown_note)
    tail.append(texts.emergency.format(police="105", line100="Línea 100"))
    dates = sorted({h.center.verified_on for h in hits if h.center.verified_on})
    if dates:
        tail.append(texts.data_note.format(verified_on=dates[0]))
    return "\n\n".join(["\n".join(parts), *blocks, "\n".join(tail)])


def format_resolution_prompt(res: DistrictResolution, texts: OrientationTexts) -> str:
    """What to say when a message gives no single district: ask which, or help anyway."""
    if len(res.candidates) > 1:
        names = [texts.display(c) for c in res.candidates]
        options = ", ".join(names[:-1]) + f" {texts.or_word} " + names[-1]
        return texts.ask_which.format(options=options)
    if res.kind == OUTSIDE:
        return texts.outside_lima
    if res.kind == BROAD:
        return texts.broad.format(place=res.matched or "Lima")
    if res.kind == UNPLACEABLE:
        return texts.unplaceable
    return texts.unknown_place


def answer_for_text(text: str, index: PlaceIndex, texts: OrientationTexts) -> str:
    """Full plain-text reply to a message naming a place (the CLI's human form)."""
    pin = parse_coordinates(text)
    if pin is not None:
        return format_centers_answer(nearest_centers(index, *pin), texts, district=None)
    res = resolve_district(text, index)
    if res.district is None:
        return format_resolution_prompt(res, texts)
    hits = centers_for_district(index, res.district)
    total = len(index.centers_by_district[res.district])
    return format_centers_answer(hits, texts, district=res.district, total_in_district=total)


_COORDS = re.compile(r"^\s*(-?\d{1,2}\.\d+)\s*[,; ]\s*(-?\d{1,3}\.\d+)\s*$")


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """'-12.0464, -77.0428' -> (lat, lon); anything else -> None."""
    m = _COORDS.match(text[:80])
    if not m:
        return None
    lat, lon = float(m.group(1)), float(m.group(2))
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def center_json(hit: CenterHit) -> dict[str, object]:
    c = hit.center
    return {
        "id": c.id,
        "name": c.name,
        "district": c.district,
        "address": c.address,
        "reference": c.reference,
        "phones": list(c.phones),
        "hours": c.hours,
        "latitude": c.latitude,
        "longitude": c.longitude,
        "distance_km": hit.distance_km,
        "distance_approximate": hit.approximate,
        "source": c.source,
        "verified_on": c.verified_on,
    }


def cem_json(text: str, index: PlaceIndex) -> dict[str, object]:
    """The `defensoras cem --json` object for one input line."""
    pin = parse_coordinates(text)
    if pin is not None:
        hits = nearest_centers(index, *pin)
        res = DistrictResolution(None, kind="location")
    else:
        res = resolve_district(text, index)
        hits = centers_for_district(index, res.district) if res.district else []
    return {
        "district": res.district,
        "centers": [center_json(h) for h in hits],
        "candidates": list(res.candidates) if res.district is None else [],
        "outside": res.outside,
        "kind": res.kind,
        "matched": res.matched,
    }
