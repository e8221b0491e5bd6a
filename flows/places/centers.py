"""Nearest centres to a point, and the centres that serve a district."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flows.places.directory import Center
from flows.places.index import PlaceIndex


@dataclass(frozen=True)
class CenterHit:
    center: Center
    distance_km: float | None
    approximate: bool = False
    """True when the centre has no coordinates and its district capital was used."""


def on_earth(latitude: float, longitude: float) -> bool:
    """A real position: finite, latitude within ±90 and longitude within ±180 (not NaN, not inf)."""
    return (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and abs(latitude) <= 90
        and abs(longitude) <= 180
    )


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
    """The `limit` closest CEMs by great-circle distance (district capital when a CEM has none);
    none for a position that is not on Earth."""
    if not on_earth(latitude, longitude):
        return []
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
