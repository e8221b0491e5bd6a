"""Risk concepts checked with wordings of our own (none copied from a labelled set).

Each table exercises one concept combination of ``content/risk.yaml`` (who, act, target,
weapon, presence, time to come, age of a child...) in other words, other orders and other
spellings than the development sets, plus the hard negatives that share its words.
"""

from __future__ import annotations

import pytest

from benchmarks.risk_report import load_model
from flows.risk import RiskModel, assess_risk
from flows.types import Severity

NONE, MODERATE, HIGH, IMMINENT = (
    Severity.NONE,
    Severity.MODERATE,
    Severity.HIGH,
    Severity.IMMINENT,
)


@pytest.fixture(scope="module")
def rules() -> RiskModel:
    """The shipped lexicon without the learned second opinion: these are the rules' own cases."""
    return load_model().without_classifier()


def _check(model: RiskModel, text: str, expected: Severity, category: str | None) -> None:
    result = assess_risk(text, model)
    assert result.severity is expected, (text, result.evidence)
    if category is not None:
        assert category in result.categories, (text, result.categories)


@pytest.mark.parametrize(
    ("text", "expected", "category"),
    [
        # threat to life, order-free, words in between, tied to a moment to come
        ("el dia que me encuentre sola dice que me mata", IMMINENT, "threat_to_life"),
        ("cuando regrese de la chacra me va a terminar de matar", IMMINENT, "threat_to_life"),
        ("matarme, eso dijo que iba a hacer mi conviviente", IMMINENT, "threat_to_life"),
        ("tengo miedo de que un dia de estos me mate", IMMINENT, "threat_to_life"),
        ("dice q me va a echar acido en la cara si lo dejo", IMMINENT, "threat_to_life"),
        ("amenaza con quemar la casa con nosotros adentro", IMMINENT, "threat_to_life"),
        ("he said he will kill me when he gets out", IMMINENT, "threat_to_life"),
        # a blow that has just happened ("acaba de" + the verb's infinitive) is happening now
        ("mi pareja me acaba de golpear", IMMINENT, "physical"),
        ("ahorita me acaban de pegar en la casa", IMMINENT, "physical"),
        # routine medicine at its usual time is no overdose; a bottle or all of them is
        ("ya me tome mis pastillas de la noche, gracias", NONE, None),
        ("I took my meds this morning as usual", NONE, None),
        ("me tome todas mis pastillas de la noche de golpe", IMMINENT, "self_harm"),
        # English third-person reports of a man beating his family
        ("the guy upstairs beats his girlfriend every weekend", HIGH, "physical"),
        # weapons fetched, shown, kept; emoji carry them
        ("fue a traer el machete de la casa de su hermano", IMMINENT, "weapon_strangulation"),
        ("tiene una escopeta guardada y hoy la saco", IMMINENT, "weapon_strangulation"),
        ("🔫 me apunto anoche", IMMINENT, "weapon_strangulation"),
        ("me agarro del cuello hasta que casi me desmayo", IMMINENT, "weapon_strangulation"),
        # presence, pursuit and hiding
        ("estoy escondida en el baño y el me esta buscando", IMMINENT, None),
        ("ya esta subiendo las escaleras borracho, tengo miedo", IMMINENT, "physical"),
        ("se oyen golpes y gritos donde la vecina", IMMINENT, "physical"),
        ("he is outside the house with a knife", IMMINENT, None),
        # confinement, keys, phone and papers taken
        ("me dejo encerrada con candado y se fue", IMMINENT, "confinement"),
        ("se llevo las llaves y mi celular, no puedo salir", IMMINENT, "confinement"),
        ("la señora me retiene el pasaporte y no me paga", IMMINENT, "confinement"),
        # children, with ages, relatives, teachers, neighbours
        ("el abuelo manosea a mi nieta de 7", HIGH, "child_dependant"),
        ("mi sobrino de 4 años llego con el labio sangrando de la casa del papa", IMMINENT, None),
        ("el papa de mi hija amenaza con llevarse a la niña a Tacna", HIGH, "child_dependant"),
        ("mi abuelito pasa el dia solo y sin comida, mi tio no lo atiende", HIGH, None),
        # sexual violence: recent, by a stranger, intimate images
        ("anoche me violo el esposo de mi prima", IMMINENT, "sexual"),
        ("un desconocido me toco el trasero en el mercado", HIGH, None),
        ("dice q va a subir el video intimo si no le doy plata", HIGH, "sexual"),
        # stalking after separation
        ("desde que nos separamos me espera afuera del trabajo", HIGH, "stalking_control"),
    ],
)
def test_danger_concepts(rules: RiskModel, text: str, expected: Severity, category: str) -> None:
    _check(rules, text, expected, category)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # attempt under way, something already taken, a plan with a time or means: imminent
        ("me acabo de tomar un frasco de pastillas", IMMINENT),
        ("esta noche me tiro del puente", IMMINENT),
        ("tengo la soga lista, ya no aguanto", IMMINENT),
        ("les deje una carta a mis hijos, perdonenme", IMMINENT),
        # thoughts, wishes, a past attempt: high
        ("a veces pienso en quitarme la vida", HIGH),
        ("quisiera dormir y no despertar", HIGH),
        ("el año pasado intente matarme con pastillas", HIGH),
    ],
)
def test_self_harm_attempt_versus_thoughts(rules: RiskModel, text: str, expected: Severity) -> None:
    _check(rules, text, expected, "self_harm")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("mi marido decide que ropa me pongo y a quien puedo ver", "stalking_control"),
        ("mi pareja me pide la clave de mi correo y se molesta si no se la doy", None),
        ("el papa de mis hijos no da ni un sol para los utiles", "economic"),
        ("mi esposo me dice inutil delante de la familia", "psychological"),
        ("un señor del paradero me silba y me dice cosas de mi cuerpo", "harassment"),
        ("no me quisieron atender en la posta por ser venezolana", "discrimination"),
        ("no se si es violencia que mi novio me revise todo", None),
        ("mi esposo empeño mis joyas sin decirme nada", "economic"),
        ("mi enamorado me borra los numeros de mis amigos", "stalking_control"),
        ("ayudenme, no tengo a quien mas contarle esto", "psychological"),
        ("en la tienda nos hablan de mala manera por ser venezolanas", "discrimination"),
    ],
)
def test_moderate_concepts(rules: RiskModel, text: str, category: str | None) -> None:
    _check(rules, text, MODERATE, category)


@pytest.mark.parametrize(
    "text",
    [
        # illness, cooking, glue, games, football, songs, small children, jokes, the news
        "esta gripe me esta matando, no me levanto",
        "para la parrillada vamos a matar dos pollos",
        "se me pego la olla y se quemo el arroz",
        "en el fulbito nos dieron una paliza 5 a 1",
        "mi hijo de 3 le jalo el pelo a su primita por un juguete",
        "mi jefe me va a matar si llego tarde otra vez jaja",
        "en la novela de la noche la encierran en un sotano",
        "compre un cuchillo nuevo para la cocina",
        "ya llego el gas, gracias",
        "como puedo denunciar si mi vecina no quiere?",
        "la profe dice que la violencia no es normal, buen taller",
        "tengo pastillas para la presion, me las tomo con el desayuno?",
        "como subo las fotos del cumpleaños a mi facebook?",
        "numeros de ayuda para mujeres",
    ],
)
def test_hard_negatives_stay_none(rules: RiskModel, text: str) -> None:
    _check(rules, text, NONE, None)


def test_invisible_and_decorative_characters_do_not_hide_risk(rules: RiskModel) -> None:
    plain = "me va a matar esta noche"
    for hidden in (
        "me va a ma\u200btar esta noche",
        "me va a ma\u00adtar esta no\u2060che",
        "me\ufeff va a matar esta noche",
        "ｍｅ ｖａ ａ ｍａｔａｒ esta noche",
        "𝐦𝐞 𝐯𝐚 𝐚 𝐦𝐚𝐭𝐚𝐫 esta noche",
    ):
        assert assess_risk(hidden, rules).severity is assess_risk(plain, rules).severity, hidden
    assert assess_risk("🔪\ufe0f esta afuera", rules).severity is IMMINENT


def test_long_narrative_of_past_violence_is_at_least_moderate(rules: RiskModel) -> None:
    story = (
        "Buenas tardes, les escribo porque escuche el programa en el mercado. "
        "Estuve casada once años con el papa de mis hijos. Al comienzo todo era bonito, "
        "trabajabamos juntos en la bodega y los domingos ibamos a la playa. "
        "Despues empezo a tomar y cuando llegaba mareado me pegaba y me insultaba. "
        "Hace cuatro años me fui a vivir con mi hermana a Chosica y el se fue a Piura. "
        "Ya no me busca ni me llama, mis hijos estan bien en el colegio. "
        "Solo queria saber si hay grupos de apoyo para mujeres como yo, gracias."
    )
    assert 400 < len(story) < 1500
    assert assess_risk(story, rules).severity.at_least(MODERATE)


def test_long_narrative_with_the_danger_in_the_middle(rules: RiskModel) -> None:
    filler = "les cuento que vivimos en un cuarto alquilado y yo vendo comida en el mercado. "
    story = filler * 6 + "Anoche me dijo que cuando salga del trabajo me va a matar. " + filler * 6
    assert assess_risk(story, rules).severity is IMMINENT


def test_negation_and_talk_about_violence(rules: RiskModel) -> None:
    assert assess_risk("mi esposo nunca me ha pegado", rules).severity is NONE
    news = "en la radio hablaron de un hombre que mato a su pareja"
    assert assess_risk(news, rules).severity is NONE


def test_a_long_testimony_of_past_control_is_never_silence(rules: RiskModel) -> None:
    opening = (
        "Hola, les escribo despues de mucho tiempo de pensarlo. Vivo en Carabayllo con mis "
        "dos hijas y trabajo en una panaderia desde las cinco de la manana. "
    )
    past = "Con el papa de mis hijas vivi ocho años y me controlaba cada paso. "
    closing = (
        "Ahora estoy tranquila, el vive en Huaral y no nos busca, pero me cuesta confiar en "
        "la gente y quisiera saber si hay grupos de apoyo cerca. Gracias por leerme."
    )
    testimony = assess_risk(opening + past + closing, rules)
    assert testimony.severity is MODERATE
    assert "past violence told at length" in testimony.evidence
    about = "En la novela de la tarde el esposo la controlaba cada paso. "
    assert assess_risk(opening + about + closing, rules).severity is NONE
    assert assess_risk(past, rules).severity is NONE  # short: the rules alone decide


@pytest.mark.parametrize(
    "text",
    ["socorro me quiere pegar", "AUXILIO me va a matar", "help he has a knife"],
)
def test_a_strong_cry_with_danger_is_imminent(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity is IMMINENT


_SCAN_TEXTS = [
    "mi ex me dijo que esta noche me mata. yo tengo miedo, esta afuera con un cuchillo",
    "mequiere matar ami y ami hija! la vecina dice q lo vio con la pistola; ya viene",
    "hace años me pegaba. hoy me amenazo con quitarme a mis hijos y me encerro en el cuarto",
    " ".join(["el sabado fui a la fiesta con mis amigas y tome dos vasos nomas."] * 12)
    + " despues me jalo del pelo y me dijo que me va a matar si lo denuncio",
]


@pytest.mark.parametrize("text", _SCAN_TEXTS)
def test_word_start_scan_finds_what_a_full_scan_finds(rules: RiskModel, text: str) -> None:
    """Trying a phrase only at the word starts its first words allow finds exactly what a
    regex scan of every sentence finds, for every phrase, concept and context of the lexicon."""
    from flows.risk.prepare import index, prepare

    keyed = prepare(text, rules)[1]
    words = index(keyed)
    tables = [rules.rule_index, rules.false_friend_index]
    tables += [rules.concepts] if rules.concepts is not None else []
    checked = 0
    for table in tables:
        for pattern, first in zip(table.patterns, table.starts, strict=True):
            full = [m.span() for lo, hi in words.chunks for m in pattern.finditer(keyed, lo, hi)]
            assert [m.span() for m in words.scan(pattern, first, keyed)] == full, pattern.pattern
            checked += bool(full)
    assert checked >= 5  # the texts do hold phrases of the lexicon


@pytest.mark.parametrize(
    ("text", "expected", "category"),
    [
        # someone else being hurt right now; blows told with emoji and 'now'
        ("el borracho de mi tio esta golpeando a mi abuela", IMMINENT, "physical"),
        ("👊👊 en este momento", IMMINENT, "physical"),
        # he is near and has just seen or found her
        ("ya me encontraron, esta afuera del colegio", IMMINENT, "physical"),
        # a weapon kept 'for her'
        ("tiene un machete debajo de la cama y dice que es para mi", IMMINENT, None),
        # a service weapon pointed at her (not only carried)
        ("cuando se emborracha me apunta con su arma de servicio", IMMINENT, None),
        # writing from the bathroom, pushed around just now
        ("les escribo del baño porque empezo a empujarme", IMMINENT, None),
        # taking a child away, with the child after the act
        ("quiere ir a la escuela a sacar a mis hijas sin mi permiso", HIGH, "child_dependant"),
        # intimate images being sent out
        ("alguien esta pasando mis fotos intimas a mi familia", HIGH, "sexual"),
        # a stranger rubbing against her in transport
        ("en el bus un tipo se me arrimaba por detras", HIGH, "sexual"),
        # a broken wrist, a child with old fractures, documents taken (English)
        ("mi pareja me fracturo la muneca el mes pasado", HIGH, "physical"),
        ("the boss took her passport and does not let her go out", IMMINENT, "confinement"),
        # the partner threatens to kill himself if she ends it
        ("si termino con el dice que se tira del puente", HIGH, "self_harm"),
        # soft wishes and a farewell letter with an act
        ("pienso que si me muero nadie me va a extrañar", HIGH, "self_harm"),
        ("para que sirve seguir viviendo asi", HIGH, "self_harm"),
        ("ya deje mi carta, al amanecer me voy a tirar", IMMINENT, "self_harm"),
        # out of prison and coming for her; belief that she will not come out alive
        ("lo soltaron ayer de la carcel y me escribio que me va a buscar", IMMINENT, None),
        ("si me separo de el no salgo viva de esta casa", IMMINENT, "threat_to_life"),
        ("he told me tonight is your last night", IMMINENT, "threat_to_life"),
        # a blade put to her neck (the weapon named earlier), hands around the throat
        ("agarro la navaja y me la puso en el cuello", IMMINENT, "weapon_strangulation"),
        ("he put his hands around my neck and squeezed", IMMINENT, "weapon_strangulation"),
        # sexual assault within 72 hours, a threat to hang or burn her
        ("el viernes en la noche me drogaron y hoy recien me doy cuenta", IMMINENT, "sexual"),
        ("dice que un dia de estos me va a colgar del techo", IMMINENT, "threat_to_life"),
        # regional words for a beating; a fire set to the house
        ("mi marido me dio una tunda por no tener la comida", HIGH, "physical"),
        ("anoche le prendieron fuego al cuarto donde dormimos", IMMINENT, "threat_to_life"),
        # pressed into sex by a boyfriend; woke up undressed at the weekend
        ("mi pareja me presiona para tener relaciones cuando no quiero", HIGH, "sexual"),
        ("me desperte en un cuarto que no conocia sin ropa, fue el sabado", IMMINENT, "sexual"),
        # a girl with a grown man as 'boyfriend'; followed to the bus stop by an ex
        ("mi prima de 13 sale con un señor de 35 años", HIGH, "child_dependant"),
        ("desde que lo deje me sigue hasta el paradero", HIGH, "stalking_control"),
    ],
)
def test_concepts_of_stop_20(
    rules: RiskModel, text: str, expected: Severity, category: str
) -> None:
    _check(rules, text, expected, category)


@pytest.mark.parametrize(
    "text",
    [
        # cooking and slaughtering animals (boiling water, 'mañana matamos')
        "el domingo matan al cuy y lo pelan con agua hirviendo",
        "para el caldo hay que hervir la gallina en agua caliente",
        # she hurt herself, a thing broke or burst
        "me queme el brazo con la plancha, que me pongo?",
        "se me revento la llanta de la moto en la pista",
        # children fighting among themselves, a child hitting classmates
        "los mellizos se pelean todo el dia y uno le mordio la mano al otro",
        "mi hijito le pega a sus compañeritos del nido, que hago",
        # games, exams and work as hyperbole
        "en el ludo mi suegra casi me mata de la colera jaja",
        "que paliza nos dio la profesora con ese parcial",
        "me mato la jornada de hoy, estoy muerta",
        # a hypothetical witness question
        "si alguien ve que un hombre le pega a su pareja en la calle, que hace?",
        # a show where someone is hit, with the child watching it
        "en la telenovela el esposo la golpea, mi hija de 10 la mira conmigo",
        # everyday uses: pests, social networks, a job left, old photos burnt, a pet
        "compramos raticida para las ratas del almacen",
        "voy a desaparecer de facebook un tiempo",
        "ya no quiero seguir estudiando contabilidad",
        "hoy queme todas las cartas de mi ex, ya fue",
        "mi suegra le grita a sus gallinas desde temprano",
        # taking a child to the doctor, a child who took something
        "mi bebe tiene tos, a que posta lo llevo?",
        "mi hija se llevo mi cargador al colegio",
    ],
)
def test_hard_negatives_of_stop_20(rules: RiskModel, text: str) -> None:
    _check(rules, text, NONE, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # reports that co-occur but do not compound: high, not imminent
        ("la profesora de mi sobrina de 8 me aviso que un primo le toco sus partes", HIGH),
        ("mi ex me amenaza con pasar mis fotos intimas a mi familia", HIGH),
        ("desde que lo deje me escribe de otros numeros y dice que me voy a arrepentir", HIGH),
        # then and now: 'ahora' contrasting past and present is no 'happening now'
        ("antes me jalaba el pelo, ahora ya me pega con el puño", HIGH),
        ("cuando estaba embarazada de mi hijo me pateaba, ahora tiene 5 años", HIGH),
        ("hace tres años me corte las venas, ahorita estoy en terapia y mejor", HIGH),
        # a thing thrown to the floor is neither jumping nor a farewell
        ("me tiro el plato al piso y se fue a dormir", MODERATE),
        # abused now by a man of her own home, and beaten right now
        ("mi nieta de 9 dice que su padrastro la toca en las noches", IMMINENT),
        ("mi marido me golpea ahora, ayudenme", IMMINENT),
    ],
)
def test_co_occurrence_and_contrast_do_not_over_escalate(
    rules: RiskModel, text: str, expected: Severity
) -> None:
    _check(rules, text, expected, None)
