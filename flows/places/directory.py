"""The CEM directory content (centres, districts, landmarks, ambiguous names), validated
with pydantic; broken content is refused naming the file and the key."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

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


class Point(BaseModel):
    """Coordinates of a zone or landmark, with where they come from (never guessed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latitude: float
    longitude: float
    source: str = Field(min_length=5)

    @model_validator(mode="after")
    def _check(self) -> Point:
        if not _in_bounds(self.latitude, self.longitude):
            raise ValueError(f"coordinates {self.latitude},{self.longitude} outside Lima/Callao")
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
    zone_points: dict[str, Point] = Field(default_factory=dict)
    """Coordinates of some zones (see districts.yaml for how each was derived)."""
    capital_latitude: float
    capital_longitude: float
    source: str

    @model_validator(mode="after")
    def _check(self) -> District:
        if not _in_bounds(self.capital_latitude, self.capital_longitude):
            raise ValueError("capital coordinates outside Lima/Callao")
        unknown = set(self.zone_points) - set(self.zones)
        if unknown:
            raise ValueError(f"zone_points for zones not listed in zones: {sorted(unknown)}")
        return self


class Landmark(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    aliases: tuple[str, ...] = Field(min_length=1)
    district: str | None = None
    candidates: tuple[str, ...] = ()
    note: str = Field(min_length=3)
    point: Point | None = None

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
    dont_know: tuple[str, ...] = ()
    broad: tuple[str, ...] = ()
    stop_words: tuple[str, ...] = ()
    """Common words never fuzzy-matched to a place ('cercano' is not 'Cercado')."""
    street_words: tuple[str, ...] = ()
    """Words before a street name ('jirón'): a place name after them is a street."""
    market_words: tuple[str, ...] = ()
    """Words that name a market ('mercado'): an unknown market gets its own question."""
    market_chains: tuple[str, ...] = ()
    """Market names found in several districts ('Unicachi'): the bot asks which district."""

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
                dont_know=tuple(landmarks.get("dont_know") or ()),
                broad=tuple(landmarks.get("broad") or ()),
                stop_words=tuple(landmarks.get("stop_words") or ()),
                market_words=tuple(landmarks.get("market_words") or ()),
                market_chains=tuple(landmarks.get("market_chains") or ()),
                street_words=tuple(landmarks.get("street_words") or ()),
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
