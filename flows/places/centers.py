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


MIN_SHOWN = 3
"""A district with fewer CEMs of its own is completed with the nearest of its neighbours."""
MAX_SHOWN = 6
"""At most this many of a district's own CEMs (nearest first when a point is known)."""


def centers_for_district(
    index: PlaceIndex,
    district: str,
    limit: int = MIN_SHOWN,
    *,
    point: tuple[float, float] | None = None,
    most: int = MAX_SHOWN,
) -> list[CenterHit]:
    """All the district's own CEMs (up to `most`; nearest to `point` first when one is known),
    then the nearest others until there are `limit` (from the point, else the district capital).

    A zone's point is approximate, so the district's own CEMs carry no distance.
    """
    if district not in index.districts:
        raise KeyError(f"unknown district {district!r}")
    own_centers = index.centers_by_district[district]
    if point is not None:
        near = {
            h.center.id: h
            for h in nearest_centers(index, *point, limit=len(index.directory.centers))
        }
        ordered = sorted(own_centers, key=lambda c: near[c.id].distance_km or 0.0)
        own = [CenterHit(c, None) for c in ordered]
    else:
        own = [CenterHit(c, None) for c in own_centers]
    own = own[: max(most, 0)]
    if len(own) >= limit:
        return own
    d = index.districts[district]
    origin = point or (d.capital_latitude, d.capital_longitude)
    rest = [
        h
        for h in nearest_centers(index, *origin, limit=len(index.directory.centers))
        if h.center.district != district
    ]
    return own + rest[: limit - len(own)]
