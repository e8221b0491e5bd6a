"""Risk assessor: representative cases, lexicon validation, and a recall regression guard.

The full figures (per severity, per set, speed, miss list) come from
``python -m benchmarks.risk_report``; nothing here measures wall-clock time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from benchmarks.risk_report import DEV, HELDOUT, evaluate, load_rows
from flows.risk import CATEGORIES, Assessment, RiskLexicon, RiskModel, assess_risk, compile_lexicon
from flows.types import Severity

NONE, MODERATE, HIGH, IMMINENT = (
    Severity.NONE,
    Severity.MODERATE,
    Severity.HIGH,
    Severity.IMMINENT,
)


def _raw() -> dict[str, Any]:
    content = Path(__file__).parents[1] / "content"
    data: dict[str, Any] = yaml.safe_load(content.joinpath("risk.yaml").read_text("utf-8"))
    sms = yaml.safe_load(content.joinpath("spelling.yaml").read_text("utf-8"))["sms"]
    return {**data, "spelling": sms}  # the bot's one SMS dictionary, as bot/content.py gives it


@pytest.fixture(scope="module")
def model() -> RiskModel:
    return compile_lexicon(RiskLexicon.model_validate(_raw()))


def _sev(model: RiskModel, text: str) -> Severity:
    return assess_risk(text, model).severity


@pytest.mark.parametrize(
    "text",
    [
        "me esta pegando ahorita",
        "AUXILIO ME ESTA GOLPEANDO",
        "mequiere matar ayudenme",
        "me dijo q me va a matar",
        "mi marido me amenasa con un cuchiyo",
        "me puso un cuchillo en el cuello",
        "me apreto el cuello hasta que no podia respirar",
        "me tiene encerrada y se llevo mi celular",
        "esta noche me mato, ya tengo las pastillas",
        "me violo anoche",
        "mi vecina grita, el marido le esta pegando ahorita",
        "help my husband is hitting me right now",
        "estoy embarazada y me pateo la barriga",
        "si lo denuncio me mata",
        "me quito mi DNI",
    ],
)
def test_imminent(model: RiskModel, text: str) -> None:
    assert _sev(model, text) is IMMINENT


@pytest.mark.parametrize(
    "text",
    [
        "me pegó ayer",
        "me obligo a tener relaciones",
        "ya no quiero vivir",
        "le pega a mis hijos",
        "mi ex me escribe desde otros numeros",
        "mi hermana vive con un tipo que le pega",
        "de niña mi tio abuso de mi",
    ],
)
def test_high(model: RiskModel, text: str) -> None:
    assert _sev(model, text) is HIGH


@pytest.mark.parametrize(
    "text",
    [
        "me revisa el celu y me cela con todos",
        "me insulta todo el tiempo",
        "no me da plata para la comida",
        "en la calle un tipo me silbo y me dijo cosas asquerosas",
        "no me atendieron por ser venezolana",
        "me empujo pero no me hizo daño",
        "me pegaba de niña",
    ],
)
def test_moderate(model: RiskModel, text: str) -> None:
    assert _sev(model, text) is MODERATE


@pytest.mark.parametrize(
    "text",
    [
        "me muero de risa",
        "mi mamá me va a matar si llego tarde",
        "me mata el calor",
        "este examen me esta matando",
        "compre un cuchillo para el puesto de pescado",
        "estoy encerrada estudiando",
        "me corte el pelo",
        "me cortaron la luz",
        "nos chancaron 3-0",
        "me rompio el corazon",
        "vi en las noticias que un hombre mato a su pareja",
        "en la novela el esposo la golpeaba",
        "como denuncio violencia psicologica?",
        "mi profe dijo que la violencia no es normal",
        "te voy a matar jaja",
        "mi hermana me pego la gripe",
        "nunca me ha pegado",
        "a mi hija le toca la vacuna",
    ],
)
def test_false_friends_stay_none(model: RiskModel, text: str) -> None:
    assert _sev(model, text) is NONE


def test_present_past_and_recent(model: RiskModel) -> None:
    assert _sev(model, "me esta pegando") is IMMINENT
    assert _sev(model, "me pego ayer") is HIGH
    assert _sev(model, "me pegaba de niña") is MODERATE


def test_hyperbole_with_real_marker_still_escalates(model: RiskModel) -> None:
    text = "mi mama me va a matar si llego tarde, ayer me pego con la correa"
    assert _sev(model, text).at_least(HIGH)


def test_co_occurrence_and_pregnancy(model: RiskModel) -> None:
    two_high = assess_risk("me pega y me obliga a tener relaciones", model)
    assert two_high.severity is IMMINENT
    assert set(two_high.categories) >= {"physical", "sexual"}
    pregnant = assess_risk("me pego ayer y estoy embarazada", model)
    assert pregnant.severity is IMMINENT
    assert pregnant.pregnancy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ayuda", MODERATE),
        ("ayudenme porfa", MODERATE),
        ("AUXILIOOO", HIGH),
        ("socorro socorro!!", HIGH),
        ("s o c o r r o", NONE),  # spelled out letter by letter: not a word we read
        ("ayuda por favor señorita", MODERATE),
        ("numero de la linea de ayuda", NONE),  # a question about help lines, not a cry
        ("gracias por la ayuda", NONE),
    ],
)
def test_bare_cries_ask_the_danger_question(
    model: RiskModel, text: str, expected: Severity
) -> None:
    result = assess_risk(text, model)
    assert result.severity is expected, text
    assert result.follow_up is (expected is not NONE)


@pytest.mark.parametrize(
    "text",
    [
        "SOCORRO YA ENTRO",
        "auxilio esta en la puerta",
        "ayuda ya llego",
        "help he is here",
        "socorro me esta siguiendo",
    ],
)
def test_cry_with_presence_is_imminent(model: RiskModel, text: str) -> None:
    assert _sev(model, text) is IMMINENT


def test_ambiguous_hyperbole_asks(model: RiskModel) -> None:
    ambiguous = assess_risk("mi ex me dejo y me quiero morir de la pena jaja", model)
    assert ambiguous.severity is NONE and ambiguous.follow_up
    assert not assess_risk("ayuda con el link del programa porfa", model).follow_up


def test_sms_spelling_and_run_together(model: RiskModel) -> None:
    assert _sev(model, "xq me kiere matar") is IMMINENT
    assert _sev(model, "meva a matar") is IMMINENT
    assert _sev(model, "ayudaaaa me esta pegandoo") is IMMINENT
    assert _sev(model, "mi marido me amenaza con un kuchiyo") is IMMINENT


def test_categories_most_severe_first_and_json(model: RiskModel) -> None:
    result = assess_risk("me amenazo de muerte y me insulta", model)
    assert result.categories[0] == "threat_to_life"
    assert "psychological" in result.categories
    data = result.to_json()
    assert set(data) == {"severity", "categories", "evidence", "follow_up"}
    assert data["severity"] == "imminent"
    assert all(c in CATEGORIES for c in result.categories)
    assert any("threat_kill" in e for e in result.evidence)


@pytest.mark.parametrize("text", ["", "   ", "😀😀🙏", "\x00\x01\x1b[31m", "....!!!???"])
def test_odd_input_is_none(model: RiskModel, text: str) -> None:
    result = assess_risk(text, model)
    assert isinstance(result, Assessment)
    assert result.severity is NONE


def test_control_chars_do_not_hide_risk(model: RiskModel) -> None:
    assert _sev(model, "me\u200b esta\x00 pegando\x1b ahorita") is IMMINENT


def test_long_input(model: RiskModel) -> None:
    filler = "hola que tal el programa de hoy estuvo bonito " * 250
    assert len(filler) > 10_000
    assert _sev(model, filler) is NONE
    risky = "hola, perdon la hora. " * 20 + "me dijo que me va a matar. " + filler
    assert _sev(model, risky) is IMMINENT


def test_real_lexicon_loads() -> None:
    lexicon = RiskLexicon.model_validate(_raw())
    assert lexicon.version >= 1
    assert {rule.category for rule in lexicon.rules} == set(CATEGORIES)


def test_unknown_category_is_refused() -> None:
    raw = _raw()
    raw["rules"][0]["category"] = "bad_vibes"
    with pytest.raises(pydantic.ValidationError, match=r"bad_vibes|category"):
        RiskLexicon.model_validate(raw)


def test_bad_regex_names_the_rule() -> None:
    raw = _raw()
    raw["rules"].append(
        {"id": "broken_one", "category": "physical", "severity": "high", "regex": ["(unclosed"]}
    )
    with pytest.raises(pydantic.ValidationError, match="broken_one"):
        RiskLexicon.model_validate(raw)


def test_bad_phrase_and_unknown_list_name_the_rule() -> None:
    raw = _raw()
    raw["rules"].append(
        {"id": "broken_two", "category": "physical", "severity": "high", "phrases": ["(a|b"]}
    )
    with pytest.raises(pydantic.ValidationError, match="broken_two"):
        RiskLexicon.model_validate(raw)
    raw = _raw()
    raw["rules"].append(
        {"id": "broken_three", "category": "physical", "severity": "high", "phrases": ["{nope}"]}
    )
    with pytest.raises(pydantic.ValidationError, match="broken_three"):
        RiskLexicon.model_validate(raw)


def test_unknown_field_is_refused() -> None:
    raw = _raw()
    raw["rules"][0]["sevrity"] = "high"
    with pytest.raises(pydantic.ValidationError):
        RiskLexicon.model_validate(raw)


def test_dataset_well_formed_and_recall_guard(model: RiskModel) -> None:
    rows = load_rows(DEV) + load_rows(HELDOUT)
    assert len(rows) >= 500
    assert len(load_rows(HELDOUT)) >= 150
    assert sum(row.hard_negative for row in rows) >= 150
    assert {row.severity for row in rows} == {NONE, MODERATE, HIGH, IMMINENT}
    figures = evaluate(rows, model)
    assert figures.high_recall >= 0.97
    assert figures.false_escalations <= 0.03
