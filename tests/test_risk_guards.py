"""Guards of the risk lexicon (``guards:`` in ``content/risk.yaml``): a harmless frame around
risky words (a laugh, a baby or a pet, a boss or a teacher, an accident, cooking, an illness)
moves the hits it explains down, and says so in the evidence; a weapon, an injury, a man or fear
keeps the risk. Wordings of our own, none copied from a labelled set, through the public API
with the shipped model (rules and learned second opinion)."""

from __future__ import annotations

import pytest

from benchmarks.risk_report import load_model
from flows.risk import RiskLexicon, RiskModel, assess_risk
from flows.types import Severity


@pytest.fixture(scope="module")
def model() -> RiskModel:
    return load_model()


def _assert_none(model: RiskModel, text: str, guard: str | None = None) -> None:
    """None; with ``guard``, the evidence says that guard moved a rule's hit."""
    result = assess_risk(text, model)
    assert result.severity is Severity.NONE, (text, result.evidence)
    if guard is not None:
        notes = [note for note in result.evidence if note.startswith(f"guard {guard}: ")]
        assert notes, result.evidence


def _assert_at_least(model: RiskModel, text: str, expected: Severity) -> None:
    result = assess_risk(text, model)
    assert result.severity.at_least(expected), (text, result.severity, result.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "jajaja mi prima me quiere ahorcar porque le spoilee la serie",
        "te voy a ahorcar por comerte mi helado jsjsjs",
        "jajaja mi cuñada me quiere ahorcar por romper su taza",
        "mi enamorado me quiere ahorcar por ganarle en el ludo xd",
        "lol my sister wants to strangle me for taking her charger",
    ],
)
def test_laughter_without_a_serious_cue_is_none(model: RiskModel, text: str) -> None:
    result = assess_risk(text, model)
    assert result.severity is Severity.NONE, (text, result.evidence)
    if any(note.startswith("guard laughter: ") for note in result.evidence):
        assert result.follow_up, "a laugh may hide fear: a gentle question is asked"


def test_the_laughter_guard_names_what_it_moved(model: RiskModel) -> None:
    result = assess_risk("jsjs mi primo me quiere ahorcar por perder en el ludo", model)
    assert result.severity is Severity.NONE, result.evidence
    assert "guard laughter: strangulation" in result.evidence
    assert result.follow_up


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a nervous laugh with a weapon, an injury, fear or 'no es broma' stays escalated
        ("jaja no sé por qué me río, me amenazó con el cuchillo", Severity.IMMINENT),
        ("jajaja me quiere ahorcar y tengo mucho miedo", Severity.IMMINENT),
        ("me ahorcó anoche jaja ya no sé qué hacer", Severity.IMMINENT),
        ("me quiere matar jaja no es broma, lo dijo en serio", Severity.IMMINENT),
        ("jsjs me pegó otra vez, tengo moretones en la cara", Severity.HIGH),
        ("jaja me encerró en el cuarto y está afuera en la puerta", Severity.IMMINENT),
        ("mi prima me encerró en el depósito jajaja y se llevó la llave", Severity.HIGH),
        ("😂 me dijo que me va a matar y sacó la pistola", Severity.IMMINENT),
    ],
)
def test_a_laugh_does_not_hide_real_danger(model: RiskModel, text: str, expected: Severity) -> None:
    _assert_at_least(model, text, expected)


@pytest.mark.parametrize(
    "text",
    [
        "el cachorro me mordió la mano",
        "mi hijita de 3 años me pateó la cara sin querer",
        "la beba me jaló el pelo y me arañó la cara",
        "mi wawa me golpea con su sonajero",
    ],
)
def test_a_baby_or_a_pet_is_no_aggressor(model: RiskModel, text: str) -> None:
    _assert_none(model, text, "small_agent")


@pytest.mark.parametrize(
    "text",
    [
        "mi gatito me arañó la cara cuando lo bañé",
        "mi hijito de 2 años me pega si no le doy la tablet",
        "el perro de mi vecina me mordió la pierna",
        "mi wawa me patea la cara cuando le cambio el pañal",
        "mi bebito me muerde cuando le doy pecho, es normal?",
    ],
)
def test_a_baby_or_a_pet_is_none(model: RiskModel, text: str) -> None:
    _assert_none(model, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("el papá de mi bebe me pegó en la cara anoche", Severity.HIGH),
        ("cuando estaba embarazada de mi hijito me pateó la barriga", Severity.HIGH),
        ("mi esposo le da con la correa a mi bebe y llora y llora", Severity.HIGH),
        ("mi bebe llora porque su papá me pegó en la cara, tengo miedo", Severity.HIGH),
    ],
)
def test_a_baby_near_a_blow_by_a_man_stays(model: RiskModel, text: str, expected: Severity) -> None:
    _assert_at_least(model, text, expected)


@pytest.mark.parametrize(
    "text",
    [
        "el profe nos va a degollar si no traemos la maqueta",
        "mi jefa nos va a descuartizar si no cerramos la venta",
    ],
)
def test_a_boss_or_a_teacher_threatening_is_hyperbole(model: RiskModel, text: str) -> None:
    _assert_none(model, text, "authority")


@pytest.mark.parametrize(
    "text",
    [
        "el coordinador no nos deja salir del taller hasta las 8 por la feria",
        "mi jefe me quiere matar si no termino el reporte hoy",
        "la directora nos tiene secuestrados en la formación",
    ],
)
def test_a_teacher_or_a_boss_is_none(model: RiskModel, text: str) -> None:
    _assert_none(model, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mi jefe me quiere matar, me amenazó con una pistola", Severity.IMMINENT),
        ("mi jefa me quitó el dni y no me deja salir de la casa donde trabajo", Severity.HIGH),
        ("my boss took my passport and locked me in the house", Severity.HIGH),
        ("mi jefe me dijo que si lo denuncio a la policía me va a matar", Severity.HIGH),
        ("mi jefe me acosa y me toca cuando estamos solos", Severity.HIGH),
        ("no me deja salir con mis amigas, me revisa el celular", Severity.MODERATE),
    ],
)
def test_what_no_boss_may_do_stays(model: RiskModel, text: str, expected: Severity) -> None:
    _assert_at_least(model, text, expected)


@pytest.mark.parametrize(
    ("text", "guard"),
    [
        ("casi me quemo el brazo con la sartén, salto el aceite", None),
        ("se me volteó la olla y me quemé feo la pierna", None),
        ("hay que golpear bien la pechuga con el mazo para el apanado", None),
        ("mañana voy a ahorcar la gallina para el caldo", None),
    ],
)
def test_accidents_and_cooking_are_none(model: RiskModel, text: str, guard: str | None) -> None:
    _assert_none(model, text, guard)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mi esposo me quemó el brazo con la plancha caliente", Severity.HIGH),
        ("me tiró el aceite hirviendo de la sartén", Severity.HIGH),
        ("su papá lo metió al agua hirviendo, tiene quemaduras en las manos", Severity.HIGH),
        ("dice que fue sin querer pero me quemó con la olla a propósito", Severity.HIGH),
        ("agarró el cuchillo de la cocina y me persiguió", Severity.IMMINENT),
        ("su mamá la quema con la cuchara caliente si se porta mal, tiene 6", Severity.HIGH),
    ],
)
def test_a_burn_or_a_blow_done_by_someone_stays(
    model: RiskModel, text: str, expected: Severity
) -> None:
    _assert_at_least(model, text, expected)


@pytest.mark.parametrize(
    "text",
    [
        "tengo una migraña horrible, ya me tomé un ibuprofeno",
        "mi hija tiene fiebre y ya le di paracetamol, ya tomé yo también por la gripe",
    ],
)
def test_medicine_for_an_illness_is_no_overdose(model: RiskModel, text: str) -> None:
    result = assess_risk(text, model)
    assert result.severity is Severity.NONE, (text, result.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "me duele la cabeza, me tomé todas las pastillas del frasco",
        "tengo gripe pero me tomé 20 pastillas de paracetamol para no despertar",
        "ya no quiero vivir, tengo fiebre y me tomé el frasco de paracetamol",
    ],
)
def test_an_overdose_with_an_illness_word_stays_imminent(model: RiskModel, text: str) -> None:
    _assert_at_least(model, text, Severity.IMMINENT)


def test_joking_levels_need_the_laughter_guard() -> None:
    rule = {
        "id": "r",
        "category": "physical",
        "severity": "high",
        "joking": "none",
        "phrases": ["me pega"],
    }
    with pytest.raises(ValueError, match="laughter"):
        RiskLexicon.model_validate({"version": 1, "rules": [rule]})
    guard = {"id": "laughter", "phrases": ["jaja*"], "rules": ["nope"]}
    with pytest.raises(ValueError, match="unknown rule"):
        RiskLexicon.model_validate({"version": 1, "rules": [rule], "guards": [guard]})


@pytest.mark.parametrize(
    "text",
    [
        "me operaron la rodilla y me duele como si me hubieran pateado toda la noche",
        "la enfermera me puso la vacuna y siento q me golpearon el brazo jaja, todo hinchado",
        "grité tan fuerte que los vecinos subieron pensando que me estaban matando 😂",
    ],
)
def test_a_comparison_or_care_is_no_blow(model: RiskModel, text: str) -> None:
    _assert_none(model, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mi esposo me miró como si me fuera a matar y agarró el cuchillo", Severity.IMMINENT),
        ("pensé que me mataba, me apretó el cuello hasta que no pude respirar", Severity.IMMINENT),
        ("el doctor me dijo que los golpes de mi pareja me rompieron la costilla", Severity.HIGH),
    ],
)
def test_a_comparison_beside_real_danger_stays(
    model: RiskModel, text: str, expected: Severity
) -> None:
    _assert_at_least(model, text, expected)


@pytest.mark.parametrize(
    "text",
    [
        "mi cuñada se quemó el brazo con la plancha en la lavandería, ya está sanando",
        "mi hermana se quemó la mano con el aceite de la freidora, ya está mejor",
    ],
)
def test_an_accident_keeps_the_classifier_from_acting_alone(model: RiskModel, text: str) -> None:
    result = assess_risk(text, model)
    assert result.severity is Severity.NONE, (text, result.evidence)
    assert not result.learned_only


@pytest.mark.parametrize(
    "text",
    [
        "la vecina le esta echando agua caliente a su hijita, se escucha que grita",
        "mi esposo me echó el aceite hirviendo de la freidora en el brazo",
    ],
)
def test_a_burn_someone_gives_is_still_heard(model: RiskModel, text: str) -> None:
    _assert_at_least(model, text, Severity.HIGH)


@pytest.mark.parametrize(
    "text",
    [
        "los primos me escondieron en el clóset como broma por mi santo",
        "mi gato me ataca los pies todas las noches, me deja arañada",
        "la miss nos va a matar si no traemos la tarea",
        "me corté con el cuchillo picando cebolla, me salió harta sangre",
    ],
)
def test_more_harmless_frames_are_none(model: RiskModel, text: str) -> None:
    _assert_none(model, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jsjs mi papá me quema con la plancha cuando me porto mal", Severity.HIGH),
        ("el perro ladra porque él está afuera golpeando la puerta", Severity.IMMINENT),
        ("mi esposo me cortó con el cuchillo de la cocina", Severity.HIGH),
        ("la miss le pega a mi hijo con la regla", Severity.HIGH),
    ],
)
def test_punishment_presence_and_a_cut_he_gave_stay(
    model: RiskModel, text: str, expected: Severity
) -> None:
    _assert_at_least(model, text, expected)


@pytest.mark.parametrize(
    "text",
    [
        "la tesis me va a matar, no duermo hace tres días",
        "el examen de admisión me tiene ahorcada, no avanzo nada",
        "el entrenador me reventó en el gym, me duele todo",
    ],
)
def test_chores_and_workouts_are_hyperbole(model: RiskModel, text: str) -> None:
    _assert_none(model, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("me tiene secuestrada en la casa desde que vio la serie, no me deja salir", Severity.HIGH),
        ("después del gym mi enamorado me pegó porque vio un mensaje", Severity.HIGH),
        ("mi ex me amenazó con matarme si presento el informe a la fiscalía", Severity.IMMINENT),
        ("por el alquiler me dijo que me rocía gasolina y quema la casa", Severity.HIGH),
    ],
)
def test_a_chore_beside_real_danger_stays(model: RiskModel, text: str, expected: Severity) -> None:
    _assert_at_least(model, text, expected)


def test_a_giggle_emoji_laughs(model: RiskModel) -> None:
    result = assess_risk(
        "mi prima dice q me va a descuartizar si no le devuelvo su vestido 🤭", model
    )
    assert result.severity is Severity.NONE, result.evidence
    assert "guard laughter: threat_kill" in result.evidence
