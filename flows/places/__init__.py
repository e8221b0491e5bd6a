"""CEM directory, district resolution from free text, nearest centres and the plain-text answer.

Pure: no I/O, no clock. The shell loads content/cems.yaml, districts.yaml and landmarks.yaml with
yaml.safe_load and passes the dicts to Directory.from_content(), which refuses broken content naming
the file and the key.
"""

from flows.places.answer import (
    FAR_KM,
    OUTSIDE_KM,
    answer_for_text,
    beyond_lima,
    cem_json,
    center_json,
    district_answer,
    format_centers_answer,
    format_resolution_prompt,
    parse_coordinates,
)
from flows.places.centers import (
    CenterHit,
    centers_for_district,
    haversine_km,
    nearest_centers,
    on_earth,
)
from flows.places.directory import (
    LAT_BOUNDS,
    LON_BOUNDS,
    AmbiguousName,
    Center,
    Directory,
    District,
    Landmark,
)
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
    build_place_index,
)
from flows.places.resolve import DistrictResolution, resolve_district

__all__ = [
    "AMBIGUOUS",
    "BROAD",
    "DONT_KNOW",
    "EXPLICIT",
    "FAR_KM",
    "LANDMARK",
    "LAT_BOUNDS",
    "LON_BOUNDS",
    "MARKET",
    "MARKET_CHAIN",
    "MAX_TOKENS",
    "OUTSIDE",
    "OUTSIDE_KM",
    "UNPLACEABLE",
    "AmbiguousName",
    "Center",
    "CenterHit",
    "Directory",
    "District",
    "DistrictResolution",
    "Landmark",
    "PlaceIndex",
    "answer_for_text",
    "beyond_lima",
    "build_place_index",
    "cem_json",
    "center_json",
    "centers_for_district",
    "district_answer",
    "format_centers_answer",
    "format_resolution_prompt",
    "haversine_km",
    "nearest_centers",
    "on_earth",
    "parse_coordinates",
    "resolve_district",
]
