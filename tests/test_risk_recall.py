"""Recall of the rules on classes a fresh writer brings (wordings of our own, none copied from a
labelled set): each table is one concept of ``content/risk.yaml`` said several ways, English
included, with the harmless uses that share its words."""

from __future__ import annotations

import pytest

from bot.content import Content
from flows.risk import RiskModel, assess_risk
from flows.types import Severity
from tests.test_risk_concepts import HIGH, IMMINENT, MODERATE, NONE, _check
from tests.test_risk_concepts import rules as rules  # the rules alone (a shared fixture)
from tests.transcript import Chat


@pytest.mark.parametrize(
    "text",
    [
        "ya está afuera",
        "ESTA EN MI PUERTA",
        "ahí viene 😰",
        "ya llegó señorita",
        "he's outside",
        "he is at the door",
    ],
)
def test_he_is_here_said_alone_is_imminent(rules: RiskModel, text: str) -> None:
    result = assess_risk(text, rules)
    assert result.severity is IMMINENT, (text, result.evidence)
    assert "presence alone" in result.evidence


@pytest.mark.parametrize(
    "text",
    ["ya llegó la policía", "ya llegué", "ahorita", "ya está", "ahí está el número, gracias"],
)
def test_presence_needs_him_and_nothing_else(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity is NONE, text


@pytest.mark.parametrize(
    ("text", "expected", "category"),
    [
        # farewell: she will not be there any more, with a goodbye or a forgiveness
        ("perdónenme todos, ya no voy a estar para el cumple de mi hija", IMMINENT, "self_harm"),
        ("cuiden a mi perrito, ya no voy a estar mas con ustedes", IMMINENT, "self_harm"),
        ("mom I'm sorry, I won't be here tomorrow", IMMINENT, "self_harm"),
        ("mañana no voy a estar en la casa, me voy a la chacra", NONE, None),
        # soft words: death on her mind, no reason to go on living
        ("últimamente pienso a cada rato en morirme", HIGH, "self_harm"),
        ("pa q sigo viviendo, a nadie le importo", HIGH, "self_harm"),
        ("I keep thinking about dying, every single night", HIGH, "self_harm"),
        ("honestly what's the point of going on", HIGH, "self_harm"),
        ("pienso mucho en la muerte de mi abuelita, la extraño", NONE, None),
        # a daughter's attempt, told after it
        ("mi hijo de 16 se quiso ahorcar en el baño hace unas semanas", HIGH, "self_harm"),
        ("my sister tried to kill herself last month", HIGH, "self_harm"),
    ],
)
def test_self_harm_in_soft_words(
    rules: RiskModel, text: str, expected: Severity, category: str | None
) -> None:
    _check(rules, text, expected, category)


@pytest.mark.parametrize(
    ("text", "expected", "category"),
    [
        # strangling, ever, is imminent; also in the perfect tense and in English
        ("varias veces me ha ahorcado cuando llega tomado", IMMINENT, "weapon_strangulation"),
        ("he grabbed me by the throat during the fight", IMMINENT, "weapon_strangulation"),
        ("he put his hands around my neck last year", IMMINENT, "weapon_strangulation"),
        # a gun brought home, and said to be for her
        ("trajo un revolver de la casa de su hermano y lo guardó", HIGH, None),
        ("tiene su pistola en el cajon y dice que es para mi si lo dejo", IMMINENT, None),
        # the face named first, the act after (Andean order)
        ("la cara te voy a cortar dice mi marido cuando toma", IMMINENT, "threat_to_life"),
        # burning their room or their stall
        ("dicen que van a quemar mi cuartito si no me voy del barrio", IMMINENT, "threat_to_life"),
        # hair pulled right now
        ("me está jalando de los pelos mi conviviente", IMMINENT, "physical"),
        # a past blow with an injury is high, not moderate
        ("last year he hit me so hard he broke my arm", HIGH, "physical"),
        ("el año pasado me reventó la boca de un puñete", HIGH, "physical"),
        ("he shoved me down the stairs", HIGH, "physical"),
    ],
)
def test_violence_said_other_ways(
    rules: RiskModel, text: str, expected: Severity, category: str | None
) -> None:
    _check(rules, text, expected, category)


@pytest.mark.parametrize(
    ("text", "expected", "category"),
    [
        # a minor abused at home, in her own words
        ("tengo 14 y mi padrastro se mete a mi cama cuando mi mama sale", IMMINENT, None),
        ("im 13 and my uncle comes into my room when everyone sleeps", IMMINENT, None),
        ("my mom's boyfriend touched me when I was 9", HIGH, "sexual"),
        # a girl of 14 or less who is pregnant (high, and the pregnancy lifts it)
        ("la hija de mi comadre, de 12 años, esta embarazada y no dice de quien", IMMINENT, None),
        # old parents left without food
        ("a mi papá de 85 años mis hermanos no le dan de comer", HIGH, "child_dependant"),
        ("88 años tengo y mis hijos me han dejado sola sin comer", HIGH, "child_dependant"),
        # English control, sex and money
        ("he locked the door and took the keys so I can't get out", IMMINENT, "confinement"),
        ("my husband won't let me leave the house", IMMINENT, "confinement"),
        ("my ex keeps showing up at my work since we broke up", HIGH, "stalking_control"),
        ("my partner pressured me into sex when I was sick", HIGH, "sexual"),
        ("he refuses to give us money for food", MODERATE, "economic"),
    ],
)
def test_children_elders_and_english(
    rules: RiskModel, text: str, expected: Severity, category: str | None
) -> None:
    _check(rules, text, expected, category)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("en la posta no quisieron atender a mi hijo sordito, dijeron que venga otro dia", None),
        ("a mi hermano lo botaron del trabajo por ser gay", "discrimination"),
        ("mi suegra me dice que me regrese a mi pais", "discrimination"),
        ("en el cole a mi hijo le dicen el serranito y nadie lo junta", "discrimination"),
        ("en instagram gente que ni conozco me escribe que me muera", "harassment"),
        ("en el salon hicieron memes con mi foto y los pasan por whatsapp", "harassment"),
        ("un compañero del instituto me escribe a las 3am, ya le dije que pare", "harassment"),
    ],
)
def test_discrimination_and_harassment_are_moderate(
    rules: RiskModel, text: str, category: str | None
) -> None:
    _check(rules, text, MODERATE, category)


@pytest.mark.parametrize(
    "text",
    [
        "mi papá guardó su escopeta de caza en el ropero",
        "la tos de mi bebe me esta ahogando de la preocupacion",
        "compre una pistola de silicona para las manualidades",
        "me duele la garganta como si me hubieran ahorcado jaja",
    ],
)
def test_not_raised_to_imminent(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity is not IMMINENT, text


@pytest.mark.parametrize(
    ("text", "expected", "category"),
    [
        # a death threat if she leaves or reports him, the condition far from the death
        ("si te vas con otro te busco donde sea y te mato, eso me grito", IMMINENT, None),
        ("si lo denuncio dice que nos encuentra y nos mata a mi y a mi mama", IMMINENT, None),
        # burned alive or with the house, to come back and finish
        ("me amenaza que me quema viva si lo dejo", IMMINENT, "threat_to_life"),
        ("dijo que va a quemar el cuarto con nosotros adentro", IMMINENT, "threat_to_life"),
        ("salio del penal y dice que viene a terminar lo que empezo", IMMINENT, None),
        ("apenas se le pase la borrachera dice que me mata", IMMINENT, "threat_to_life"),
        # breaking in through the window; a baby shaken now
        ("alguien se esta metiendo por la ventana de la cocina", IMMINENT, None),
        ("su papa esta sacudiendo a mi bebito de 4 meses y no para", IMMINENT, None),
        # bruises, a black eye, blows getting worse; pregnancy said in months
        ("tengo la espalda llena de moretones", HIGH, "physical"),
        ("a mi prima la dejó con el ojo en tinta", HIGH, "physical"),
        ("las palizas cada vez mas fuertes", HIGH, "physical"),
        ("estoy de 4 meses y anoche me dio una cachetada", IMMINENT, None),
        ("he forced himself on me at the party", HIGH, "sexual"),
        ("si me ve con alguien ya sabes lo que te pasa, me escribio", HIGH, "threat_to_life"),
    ],
)
def test_threats_and_injuries_told_other_ways(
    rules: RiskModel, text: str, expected: Severity, category: str | None
) -> None:
    _check(rules, text, expected, category)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("mi papá me dice que soy un error y que no debí nacer", "psychological"),
        ("me compara con otras todo el tiempo", "psychological"),
        ("gritos todos los dias en mi casa", "psychological"),
        ("me pide fotos de donde estoy a cada rato", "stalking_control"),
        ("me acusa de tener otro cada vez que llego tarde", "stalking_control"),
        ("sacó una tarjeta a mi nombre y no paga", "economic"),
        ("me rompió mis herramientas para que no trabaje", "economic"),
        ("me dio un empujon en la cola del banco", "physical"),
        ("en el trabajo se burlan de mi cuerpo", "harassment"),
    ],
)
def test_more_moderate_classes(rules: RiskModel, text: str, category: str | None) -> None:
    _check(rules, text, MODERATE, category)


@pytest.mark.parametrize(
    "text",
    [
        "cada vez me pega mas fuerte, antes eran cachetadas ahora son puñetes",
        "ya dejé todo ordenado para el viaje, a las 12 me voy",
    ],
)
def test_not_imminent_either(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity is not IMMINENT, text


@pytest.mark.parametrize(
    ("text", "expected", "category"),
    [
        # locked in and not let out; the lock emoji
        ("me tiene encerrada en el cuarto y no me deja salir ni al baño", IMMINENT, None),
        ("🔒 no me deja salir desde ayer", IMMINENT, "confinement"),
        # the means in her hand, and the wish
        ("tengo la navaja en la mano y quiero cortarme", IMMINENT, "self_harm"),
        # injured now: in the emergency room
        ("mi papá le rompió la nariz a mi mamá y está en emergencia", IMMINENT, None),
        # a child touched in the last days; signs on her underwear; a teacher's messages
        ("el tío de mi sobrinita de 6 años la manoseó el sábado", IMMINENT, None),
        ("mi hijita de 4 años vino del nido con su calzoncito manchado", HIGH, "child_dependant"),
        ("el entrenador le manda mensajes a mi hija de 12 en la noche", HIGH, "child_dependant"),
        # a stranger groping; a boss's hand on her waist; a sexual threat
        ("en el corredor un desconocido me manoseó y se bajó", HIGH, "sexual"),
        ("mi jefe me agarra la cintura cuando pasa", HIGH, "sexual"),
        ("me dijo que vas a ser mia quieras o no", HIGH, "sexual"),
        ("my ex keeps texting me from fake accounts: i'm watching you", HIGH, None),
        ("dream where I died and I felt relieved", HIGH, "self_harm"),
        ("mi yerno cobra la pension de mi mama que tiene 80", HIGH, "child_dependant"),
        ("mi suegra dice que me va quitar mis wawas", HIGH, "child_dependant"),
    ],
)
def test_confinement_means_children_and_strangers(
    rules: RiskModel, text: str, expected: Severity, category: str | None
) -> None:
    _check(rules, text, expected, category)


@pytest.mark.parametrize(
    "text",
    [
        "mi esposo no quiere que hable con mis patas",
        "no es normal que no me deje ver a mi familia?",
        "el papá de mis hijos no pasa ni un sol",
        "nos botaron del restaurante por ser pareja de chicos",
        "mi cuñado me dice cosas de doble sentido",
        "some guy at the gym keeps staring and making comments about my body",
        "me pide capturas de mis chats todos los dias",
    ],
)
def test_control_money_and_strangers_are_moderate(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity is MODERATE, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # English: threats to life, smothering, coming after her, recent rape, past abuse
        ("he said I won't live to see next week", IMMINENT),
        ("my husband swore he'd finish me if I call the cops", IMMINENT),
        ("he keeps saying if he can't have me no one can", IMMINENT),
        ("he held a pillow... he covered my nose and mouth and I nearly blacked out", IMMINENT),
        ("she was raped on friday at a party", IMMINENT),
        ("my uncle sexually abused me when I was 10", HIGH),
        ("her husband punches my sister every week", HIGH),
        ("he pulled my hair and threw my phone", HIGH),
        ("my ex sent my intimate photos to my family", HIGH),
        ("I keep cutting myself when I'm alone", HIGH),
        ("I just want to disappear forever", HIGH),
        ("I left a note for my children, goodbye", IMMINENT),
        # Spanish slang and regional words
        ("ese tipo dice que me va a dar piso si lo denuncio", IMMINENT),
        ("mi marido intentó ahogarme en el río", IMMINENT),
        ("me metió la cabeza en el balde de agua", IMMINENT),
        ("me quiero ir de este mundo", HIGH),
        ("les hice una carta a mis hijos, perdónenme", IMMINENT),
    ],
)
def test_english_and_regional_words(rules: RiskModel, text: str, expected: Severity) -> None:
    _check(rules, text, expected, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("he controls where I go and what I wear", MODERATE),
        ("a guy on the bus exposed himself to me", MODERATE),
        ("the landlord refused to rent to us because we are gay", MODERATE),
        ("my mom is coming to get me after school", NONE),
        ("I said goodbye to my kids at the bus stop", NONE),
        ("me ahoga la tos en las noches", NONE),
    ],
)
def test_english_moderate_and_harmless(rules: RiskModel, text: str, expected: Severity) -> None:
    _check(rules, text, expected, None)


@pytest.mark.parametrize(
    "text",
    [
        # a second-person threat tied to a time; to finish her off
        "me escribió: hoy te mato, perra",
        "dice que viene esta noche para acabar conmigo",
        # he goes on when he wakes; he hit her and is still in the house
        "me reventó la boca y dice que apenas se despierte sigue",
        "me pegó hace un rato y ahora está durmiendo en el cuarto",
        # a rope or a knife meant for her; a girl kept from coming home
        "tiene una cuerda en el patio y dice que con eso me va a colgar",
        "el novio de mi hija de 14 no la deja regresar a la casa desde el domingo",
        # he found where she stays and comes today; a rape just now, a child bleeding now
        "ya sabe donde vivo ahora, me dijo que hoy viene",
        "mi vecino acaba de abusar de mi hermanita",
        "a mi bebe de 8 meses le esta saliendo sangre de la boca, su papa lo golpeo",
    ],
)
def test_more_imminent_wordings(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity is IMMINENT, (text, assess_risk(text, rules).evidence)


@pytest.mark.parametrize(
    "text",
    [
        "mi tío me hacía cosas cuando mis papás salían a trabajar, yo tenía 10",
        "siempre me deja moretones en los brazos",
        "dice que si lo dejo nunca mas los vas a ver a tus hijos",
        "desde que lo dejé me mandan notas que dicen te estoy mirando",
        "he has pictures of us and says he'll send them to my boss",
    ],
)
def test_more_high_wordings(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity is HIGH, (text, assess_risk(text, rules).evidence)


def test_he_is_here_as_a_first_message_pages_at_once(content: Content) -> None:
    chat = Chat(content)
    chat.say("ya está en la puerta")
    assert chat.paged is IMMINENT


@pytest.mark.parametrize(
    "text",
    [
        "el profe me dijo que si lo denuncio me mata",
        "mi jefe me dijo que si lo denuncio me va a matar",
        "si le cuentas a alguien te mato, me dijo mi tío",
        "me dice que si abres la boca te mato",
        "si dices algo a tu mamá te mato dice mi padrastro",
    ],
)
def test_a_death_threat_tied_to_telling_is_never_hyperbole(rules: RiskModel, text: str) -> None:
    """Silencing: a teacher or a boss is no hyperbole when the threat is about reporting him."""
    result = assess_risk(text, rules)
    assert result.severity is IMMINENT, (text, result.evidence)
    assert "threat_to_life" in result.categories


@pytest.mark.parametrize(
    "text",
    [
        "mi jefa me quiere matar si no lo entrego",
        "el profe me va a matar si no entrego la tarea",
        "mi mamá me mata si jalo el examen",
    ],
)
def test_hyperbole_of_a_boss_or_teacher_stays_harmless(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity is NONE, text


@pytest.mark.parametrize(
    "text", ["tiene el cuchillo", "agarró el machete", "he has a knife", "sacó la navaja"]
)
def test_a_blade_in_his_hand_said_alone_is_imminent(rules: RiskModel, text: str) -> None:
    result = assess_risk(text, rules)
    assert result.severity.at_least(Severity.HIGH), (text, result.evidence)


def test_a_blade_in_the_kitchen_is_no_alarm(rules: RiskModel) -> None:
    for text in ("mi mamá tiene un cuchillo nuevo para la cocina", "compré un cuchillo de cocina"):
        assert assess_risk(text, rules).severity is NONE, text


@pytest.mark.parametrize(
    "text",
    [
        "le está dando con la correa a mi hermanito",
        "mi papá le está dando con el palo a mi mamá",
        "mi esposo le da con el cable a mi hija cuando se porta mal",
        "le daba con la correa a mi hijo todas las noches",
    ],
)
def test_a_beating_with_a_belt_or_a_stick_is_a_blow(rules: RiskModel, text: str) -> None:
    """'Dar con la correa' is how a beating is said in Lima, of children above all."""
    result = assess_risk(text, rules)
    assert result.severity.at_least(Severity.HIGH), (text, result.evidence)


def test_a_belt_to_a_rug_or_a_pinata_is_no_blow(rules: RiskModel) -> None:
    for text in (
        "le di con la correa a la alfombra para sacarle el polvo",
        "dale con el palo a la piñata",
    ):
        assert assess_risk(text, rules).severity is NONE, text


@pytest.mark.parametrize(
    "text",
    [
        "ya me tomé todas las pastillas de la presión de mi mamá, perdón a todos",
        "me tomé un frasco de pastillas para la presión",
    ],
)
def test_an_overdose_of_someone_elses_medicine_is_no_medicine(rules: RiskModel, text: str) -> None:
    """The medicine false friend gives way where the words say how much or what for."""
    result = assess_risk(text, rules)
    assert result.severity is IMMINENT, (text, result.evidence)
    assert "self_harm" in result.categories


def test_her_own_medicine_stays_harmless(rules: RiskModel) -> None:
    for text in ("me tomé mis pastillas para la presión", "ya tomé la pastilla para la tos"):
        assert assess_risk(text, rules).severity is NONE, text


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("no, me amenazó con un cuchillo", IMMINENT),
        ("No, me quiere matar", IMMINENT),
        ("no, está aquí con un cuchillo", IMMINENT),
        ("no: me pegó ayer", HIGH),
        ("bueno no, me pegó ayer", HIGH),
        ("no, he hit me yesterday", HIGH),
    ],
)
def test_an_answers_no_does_not_deny_what_follows(
    rules: RiskModel, text: str, severity: Severity
) -> None:
    """'no,' answers a question ("¿estás bien?"): the threat after the comma stands (it was
    read as denied, none)."""
    result = assess_risk(text, rules)
    assert result.severity is severity, (text, result.evidence)


@pytest.mark.parametrize(
    "text",
    ["no me amenazó con un cuchillo", "no, no me pegó", "nunca me ha pegado", "ya no me pega"],
)
def test_a_denial_without_the_comma_still_denies(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity is NONE, (text, assess_risk(text, rules).evidence)


def test_no_comma_threat_to_the_danger_question_pages(content: Content) -> None:
    """To "¿Estás en peligro ahora?", "no, me amenazó con un cuchillo" is the threat, not a no."""
    chat = Chat(content)
    chat.say("auxilio").say("no, me amenazó con un cuchillo")
    assert chat.paged is IMMINENT
