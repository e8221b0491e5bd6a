"""The plain-text answer and the JSON of ``defensoras cem --json``."""

from __future__ import annotations

import re
from collections.abc import Sequence

from flows.helplines import OrientationTexts
from flows.places.address import readable_address
from flows.places.centers import CenterHit, centers_for_district, nearest_centers
from flows.places.directory import Center
from flows.places.index import (
    BROAD,
    DONT_KNOW,
    MARKET,
    MARKET_CHAIN,
    OUTSIDE,
    UNPLACEABLE,
    PlaceIndex,
)
from flows.places.resolve import DistrictResolution, resolve_district

_REF_PREFIX = re.compile(r"^\s*(ref(erencia)?\s*[.:]*)\s*", re.IGNORECASE)
FAR_KM = 40.0
"""A location pin farther than this from every CEM is treated as outside Lima/Callao."""
OUTSIDE_KM = 100.0
"""Farther than this, listing Lima's CEMs does not help: she gets the outside-Lima answer."""


def beyond_lima(hits: Sequence[CenterHit]) -> bool:
    """A shared location so far from every CEM that it is elsewhere in Peru (or abroad)."""
    return bool(hits) and (hits[0].distance_km or 0.0) > OUTSIDE_KM


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
    lines = [title, readable_address(address, texts.address_words)]
    if reference:
        tidy = readable_address(reference, texts.address_words)
        lines.append(texts.reference.format(reference=tidy))
    lines.append(texts.phones.format(phones=" / ".join(c.phones)))
    if c.hours:  # unknown hours are said once, under the list
        lines.append(texts.hours.format(hours=c.hours))
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
        if not any(h.center.hours for h in hits):
            tail.append(texts.hours_unknown)
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
    if res.kind == DONT_KNOW:
        return texts.dont_know
    if res.kind == MARKET:
        return texts.market_unknown
    if res.kind == MARKET_CHAIN:
        return texts.market_chain.format(market=res.matched or "")
    return texts.unknown_place


def district_answer(res: DistrictResolution, index: PlaceIndex, texts: OrientationTexts) -> str:
    """The CEMs of a resolved district: all of its own (nearest to the place named first)."""
    if res.district is None:
        raise ValueError("district_answer needs a resolved district")
    hits = centers_for_district(index, res.district, point=res.point)
    total = len(index.centers_by_district[res.district])
    return format_centers_answer(hits, texts, district=res.district, total_in_district=total)


def answer_for_text(text: str, index: PlaceIndex, texts: OrientationTexts) -> str:
    """Full plain-text reply to a message naming a place (the CLI's human form)."""
    pin = parse_coordinates(text)
    if pin is not None:
        return format_centers_answer(nearest_centers(index, *pin), texts, district=None)
    res = resolve_district(text, index)
    if res.district is None:
        return format_resolution_prompt(res, texts)
    return district_answer(res, index, texts)


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
        hits = centers_for_district(index, res.district, point=res.point) if res.district else []
    return {
        "district": res.district,
        "centers": [center_json(h) for h in hits],
        "candidates": list(res.candidates) if res.district is None else [],
        "outside": res.outside,
        "kind": res.kind,
        "matched": res.matched,
    }
