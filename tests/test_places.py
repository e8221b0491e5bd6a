"""Content validation, district resolution, nearest centres and the CEM answer."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.helplines import OrientationTexts, load_texts
from flows.places import (
    Directory,
    PlaceIndex,
    answer_for_text,
    build_place_index,
    cem_json,
    centers_for_district,
    format_centers_answer,
    nearest_centers,
    resolve_district,
)
from flows.spelling import load_spelling

ROOT = Path(__file__).parents[1]
SHARED = Path(__file__).parents[2] / "shared" / "data"


def content(name: str) -> Any:
    return yaml.safe_load(ROOT.joinpath("content", name).read_text("utf-8"))


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return {n: content(f"{n}.yaml") for n in ("cems", "districts", "landmarks")}


@pytest.fixture(scope="module")
def index(raw: dict[str, Any]) -> PlaceIndex:
    return build_place_index(
        Directory.from_content(raw["cems"], raw["districts"], raw["landmarks"]),
        load_spelling(content("spelling.yaml")),
    )


@pytest.fixture(scope="module")
def texts() -> OrientationTexts:
    return load_texts(content("orientation.yaml"))


def test_content_counts_and_provenance(index: PlaceIndex) -> None:
    d = index.directory
    assert len(d.centers) == 73
    assert len(d.districts) == 50
    assert d.verified_on
    assert all(c.source.startswith("https://www.mimp.gob.pe/") for c in d.centers)
    assert sum(c.latitude is None for c in d.centers) == 2


@pytest.mark.skipif(not (SHARED / "cem_lima.yaml").exists(), reason="shared data not at ../shared")
def test_every_cem_matches_shared_data(index: PlaceIndex) -> None:
    shared = yaml.safe_load((SHARED / "cem_lima.yaml").read_text("utf-8"))
    ours = {(c.name, c.address): c for c in index.directory.centers}
    assert len(shared) == len(ours) == 73
    for item in shared:
        c = ours[(item["name"], item["address"])]
        assert list(c.phones) == item["phone"]
        assert c.hours == item["hours"]
        assert (c.latitude, c.longitude) == (item["latitude"], item["longitude"])
        assert item["district"].startswith(c.district)


def test_unknown_district_refused_naming_key(raw: dict[str, Any]) -> None:
    cems = copy.deepcopy(raw["cems"])
    cems["centers"][5]["district"] = "Atlantis"
    with pytest.raises(ValueError, match=r"cems\.yaml: centers\[5\].*Atlantis"):
        Directory.from_content(cems, raw["districts"], raw["landmarks"])


def test_missing_id_refused_naming_key(raw: dict[str, Any]) -> None:
    cems = copy.deepcopy(raw["cems"])
    del cems["centers"][2]["id"]
    with pytest.raises(ValueError, match=r"cems\.yaml: centers\[2\].*id"):
        Directory.from_content(cems, raw["districts"], raw["landmarks"])


def test_duplicate_id_and_bad_coordinates_refused(raw: dict[str, Any]) -> None:
    cems = copy.deepcopy(raw["cems"])
    cems["centers"][1]["id"] = cems["centers"][0]["id"]
    with pytest.raises(ValueError, match="duplicate"):
        Directory.from_content(cems, raw["districts"], raw["landmarks"])
    cems = copy.deepcopy(raw["cems"])
    cems["centers"][0]["latitude"] = -16.4
    with pytest.raises(ValueError, match=r"cems\.yaml: centers\[0\].*Lima/Callao"):
        Directory.from_content(cems, raw["districts"], raw["landmarks"])


def test_landmark_with_unknown_district_refused(raw: dict[str, Any]) -> None:
    lms = copy.deepcopy(raw["landmarks"])
    lms["landmarks"][0]["district"] = "Narnia"
    with pytest.raises(ValueError, match=r"landmarks\.yaml: landmarks\[0\].*Narnia"):
        Directory.from_content(raw["cems"], raw["districts"], lms)


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("vivo en SJL", "San Juan de Lurigancho"),
        ("sanjuandelurigancho", "San Juan de Lurigancho"),
        ("SAN JUAN DE MIRAFLORESSS", "San Juan de Miraflores"),
        ("toy x vmt", "Villa María del Triunfo"),
        ("smp", "San Martín de Porres"),
        ("chorrios", "Chorrillos"),
        ("surkillo", "Surquillo"),
        ("cercado", "Lima"),
        ("cerca al mercado central", "Lima"),
        ("por el jockey plaza", "Santiago de Surco"),
        ("megamercado huamantanga", "Puente Piedra"),
        ("bellavista, callao", "Bellavista"),
        ("soy venezolana y vivo en comas", "Comas"),
        ("lima cercado jr cañete", "Lima"),
        ("playa rimac", "Callao"),
    ],
)
def test_resolves_district(index: PlaceIndex, text: str, district: str) -> None:
    assert resolve_district(text, index).district == district


def test_san_juan_is_asked(index: PlaceIndex) -> None:
    res = resolve_district("San Juan", index)
    assert res.district is None
    assert res.candidates == ("San Juan de Lurigancho", "San Juan de Miraflores")


def test_villa_is_asked(index: PlaceIndex) -> None:
    res = resolve_district("vivo en villa", index)
    assert res.district is None
    assert set(res.candidates) == {"Villa El Salvador", "Villa María del Triunfo"}


def test_ambiguous_question_text(index: PlaceIndex, texts: OrientationTexts) -> None:
    reply = answer_for_text("san juan", index, texts)
    assert "San Juan de Lurigancho o San Juan de Miraflores?" in reply


@pytest.mark.parametrize("text", ["vivo en arequipa", "estoy en caracas", "huacho"])
def test_outside_lima(index: PlaceIndex, texts: OrientationTexts, text: str) -> None:
    res = resolve_district(text, index)
    assert (res.district, res.candidates, res.outside) == (None, (), True)
    assert "Línea 100" in answer_for_text(text, index, texts)


def test_en_mi_casa_is_unplaceable(index: PlaceIndex, texts: OrientationTexts) -> None:
    res = resolve_district("en mi casa", index)
    assert (res.district, res.outside, res.kind) == (None, True, "unplaceable")
    assert "distrito" in answer_for_text("en mi casa", index, texts)


def test_lima_alone_asks_for_district(index: PlaceIndex) -> None:
    res = resolve_district("vivo en lima", index)
    assert (res.district, res.outside, res.kind) == (None, False, "broad")


def test_location_pin_near_mercado_central(index: PlaceIndex) -> None:
    hits = nearest_centers(index, -12.0455, -77.0264)  # Mercado Central, Cercado de Lima
    assert len(hits) == 3
    assert hits[0].center.district == "Lima"
    assert hits[0].distance_km is not None and hits[0].distance_km < 2
    assert [h.distance_km for h in hits] == sorted(h.distance_km or 0 for h in hits)


def test_centre_without_coordinates_uses_capital(index: PlaceIndex) -> None:
    hits = nearest_centers(index, -11.855, -77.125, limit=73)  # Mi Perú capital
    mi_peru = next(h for h in hits if h.center.district == "Mi Perú")
    assert mi_peru.approximate and mi_peru.distance_km == 0.0


def test_district_without_cem_gets_nearest(index: PlaceIndex, texts: OrientationTexts) -> None:
    hits = centers_for_district(index, "Miraflores")
    assert len(hits) == 3 and all(h.center.district != "Miraflores" for h in hits)
    assert all(h.distance_km is not None and h.distance_km < 5 for h in hits)
    reply = format_centers_answer(hits, texts, district="Miraflores")
    assert "En Miraflores no hay un CEM" in reply


def test_district_first_then_nearest(index: PlaceIndex) -> None:
    hits = centers_for_district(index, "Lince")
    assert hits[0].center.district == "Lince" and hits[0].distance_km is None
    assert len(hits) == 3 and hits[1].center.district != "Lince"


def test_answer_has_contacts_hours_and_emergency(
    index: PlaceIndex, texts: OrientationTexts
) -> None:
    reply = answer_for_text("vivo en comas", index, texts)
    assert "CEM Comisaría De Familia Collique" in reply
    assert "941526977" in reply
    assert "Horario: no lo sabemos" in reply
    assert "llama antes" in reply
    assert "105" in reply and "Línea 100" in reply
    assert "Ref.: Al Frente del Colegio Fe y Alegria 13" in reply  # read cleanly
    assert len(reply) < 1400
    assert "*" not in reply and "<" not in reply


def test_known_hours_are_shown(index: PlaceIndex, texts: OrientationTexts) -> None:
    reply = answer_for_text("chorrillos", index, texts)
    assert "24 horas, 7 días a la semana" in reply


def test_district_answer_lists_all_its_cems(index: PlaceIndex, texts: OrientationTexts) -> None:
    reply = answer_for_text("sjl", index, texts)
    sjl = index.centers_by_district["San Juan de Lurigancho"]
    assert len(sjl) == 6
    assert all(c.name in reply for c in sjl)
    assert "Hay 6" not in reply  # nothing trimmed, nothing to announce


def test_trimmed_answer_says_how_many_there_are(index: PlaceIndex, texts: OrientationTexts) -> None:
    hits = centers_for_district(index, "San Juan de Lurigancho", most=3)
    reply = format_centers_answer(
        hits, texts, district="San Juan de Lurigancho", total_in_district=6
    )
    assert len(hits) == 3
    assert (
        texts.header_district_more.format(count=6, district="San Juan de Lurigancho", shown=3)
        in reply
    )


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("vivo en bayovar", "CEM Comisaría Bayovar"),  # north end of SJL
        ("estoy por caja de agua", "CEM Comisaría Caja De Agua"),  # south end of SJL
        ("en huaycan", "CEM Comisaría Huaycan"),
        ("palacio de la juventud", "CEM Regular Los Olivos"),
    ],
)
def test_neighbourhood_puts_the_nearest_cem_first(
    index: PlaceIndex, texts: OrientationTexts, text: str, first: str
) -> None:
    res = resolve_district(text, index)
    assert res.point is not None
    hits = centers_for_district(index, res.district or "", point=res.point)
    assert hits[0].center.name == first
    assert answer_for_text(text, index, texts).index(first) < 200


def test_zone_points_come_from_the_cem_they_name(index: PlaceIndex) -> None:
    centers = {c.id: c for c in index.directory.centers}
    points = [p for d in index.directory.districts for p in d.zone_points.values()]
    assert len(points) >= 30
    for point in points:
        cem = centers[point.source.split("CEM ")[1].split()[0]]
        assert (cem.latitude, cem.longitude) == (point.latitude, point.longitude)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Lima", "broad"),
        ("no sé", "dont_know"),
        ("ni idea", "dont_know"),
        ("en mi casa", "unplaceable"),
        ("el mercado de mi barrio", "market_unknown"),
        ("Arequipa", "outside_lima"),
    ],
)
def test_vague_places_get_specific_replies(
    index: PlaceIndex, texts: OrientationTexts, text: str, field: str
) -> None:
    reply = answer_for_text(text, index, texts)
    expected = getattr(texts, field)
    assert reply == (expected.format(place=text) if field == "broad" else expected)


def test_a_market_of_the_programme_is_a_place(index: PlaceIndex, texts: OrientationTexts) -> None:
    assert resolve_district("mercado central", index).district == "Lima"
    assert resolve_district("megamercado huamantanga", index).district == "Puente Piedra"


@pytest.mark.parametrize(
    "text", ["quién está detrás de esto", "quien esta detras", "de que trata el programa"]
)
def test_questions_do_not_fuzzy_match_a_place(index: PlaceIndex, text: str) -> None:
    assert resolve_district(text, index).district is None


def test_addresses_read_cleanly(index: PlaceIndex, texts: OrientationTexts) -> None:
    reply = answer_for_text("bayovar", index, texts)
    assert "Jr. Primero de Mayo S/N Cuadra 3 III Zona, Bayovar, SJL, Lima" in reply
    assert " - " not in reply and "-Lima" not in reply
    callao = answer_for_text("juan ingunza valdivia", index, texts)
    assert "Callao, Callao, Callao" not in callao and "Callao - Callao" not in callao


def test_cem_json_contract(index: PlaceIndex) -> None:
    out = cem_json("cercado de lima", index)
    assert out["district"] == "Lima"
    centers = out["centers"]
    assert isinstance(centers, list) and len(centers) == len(index.centers_by_district["Lima"])
    assert {"name", "address", "phones", "hours", "distance_km"} <= set(centers[0])
    amb = cem_json("san juan", index)
    assert amb["district"] is None and amb["centers"] == [] and len(amb["candidates"]) == 2  # type: ignore[arg-type]
    pin = cem_json("-12.0455, -77.0264", index)
    assert pin["district"] is None and len(pin["centers"]) == 3  # type: ignore[arg-type]


def test_far_pin_says_outside(index: PlaceIndex, texts: OrientationTexts) -> None:
    reply = answer_for_text("-16.3989, -71.5350", index, texts)  # Arequipa
    assert "lejos de Lima" in reply and "Línea 100" in reply


@pytest.mark.parametrize(
    "text", ["a" * 10_000, "🙂" * 5000, "comas " + "x" * 10_000, "\x00\u200b", "", "😢😢 sjl 😢"]
)
def test_hostile_inputs(index: PlaceIndex, text: str) -> None:
    res = resolve_district(text, index)
    assert res.district in (None, "Comas", "San Juan de Lurigancho")
    cem_json(text, index)


def test_a_province_name_after_a_street_word_is_a_street(index: PlaceIndex) -> None:
    assert resolve_district("Cañete", index).kind == "outside"
    assert resolve_district("vivo en el jr. cañete", index).kind != "outside"
    assert resolve_district("av. cañete, cercado", index).district == "Lima"
