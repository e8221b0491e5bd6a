"""Precision of the risk assessor: false escalations and one level too high, by class.

Each table is one class of messages the assessor used to read too high (a match, a ring, a
class, a period; someone else's suicide threat; control read as confinement...), written in
wordings of our own, with the real reports that share its words beside them so a fix that
silences the class cannot silence the danger. The whole assessor is used (rules and the
learned second opinion), as the bot serves it.
"""

from __future__ import annotations

import pytest

from benchmarks.risk_report import load_model
from flows.risk import Classifier, RiskModel, assess_risk
from flows.types import Severity

NONE, MODERATE, HIGH, IMMINENT = (Severity(v) for v in ("none", "moderate", "high", "imminent"))
SERVED = load_model()
"""Rules and learned second opinion, as the bot serves them."""


@pytest.fixture(scope="module")
def model() -> RiskModel:
    return SERVED


def _check(model: RiskModel, text: str, expected: Severity) -> None:
    result = assess_risk(text, model)
    assert result.severity is expected, (text, result.evidence)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a match: the team, or the score, beside the beating
        ("cristal les dio una goleada tremenda a los de arequipa", NONE),
        ("el domingo la U nos metio una paliza 5 a 1, que roche", NONE),
        ("nos dieron una golpiza 3-0 en el clasico, estoy muerta de la pena", NONE),
        ("alianza nos va a dar una paliza el sabado, ya veras", NONE),
        # the ring, martial arts, a self-defence class
        ("en la pelea de box del sabado le reventaron la ceja al mexicano", NONE),
        ("en karate el profe nos agarra del cuello para practicar las llaves", NONE),
        ("en el taller nos enseñaron que hacer si alguien te agarra del cuello", NONE),
        ("si un desconocido me jala del pelo en la calle como me suelto?", NONE),
        # the danger beside a match or a class stays
        ("mi esposo me dio una paliza porque perdio alianza 2 a 0", HIGH),
        ("cuando pierde su equipo me pega, anoche me rompio la boca", HIGH),
    ],
)
def test_sport_ring_and_classes(model: RiskModel, text: str, expected: Severity) -> None:
    _check(model, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # her period, a nosebleed, an attack of anxiety: nobody did it
        ("estoy sangrando un monton con mi periodo, me duele la barriga", NONE),
        ("la regla me vino con coagulos y sangre, es normal?", NONE),
        ("me dan ataques de panico y siento que no puedo respirar", NONE),
        ("no podia respirar de tanto llorar anoche", NONE),
        # a cooking class: the blood of a duck, not of a person
        ("en la clase de cocina degollamos las gallinas, habia sangre por todos lados", NONE),
        # animals fighting, a scratch when separating them
        ("mis perros se pelean por la comida y me mordieron al separarlos", NONE),
        # the danger with the same words stays
        ("me agarro del cuello y no podia respirar", IMMINENT),
        ("estoy sangrando, me pego con la correa en la cabeza", IMMINENT),
    ],
)
def test_body_animals_and_cooking(model: RiskModel, text: str, expected: Severity) -> None:
    _check(model, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a witness in general, a class project, a role-play, a professional asking
        ("si yo veo que un señor le pega a su esposa en la calle, a que numero llamo?", NONE),
        ("si escucho que le pegan a alguien en mi edificio que debo hacer? pa saber nomas", NONE),
        ("How can I report domestic violence in Lima? It's for a school project", NONE),
        ("Hi, what happens when someone reports domestic violence? It's for my essay", NONE),
        (
            "somos promotoras de salud y vamos a hacer un sociodrama donde el esposo amenaza "
            "con matar a la señora, nos pueden mandar afiches de la linea 100?",
            NONE,
        ),
        (
            "soy profesora y en mi clase haremos una dramatizacion de un caso donde el "
            "enamorado le pega a la chica, tienen material?",
            NONE,
        ),
        # her own danger in the same shape stays
        ("si mi esposo me vuelve a pegar a que numero llamo", HIGH),
        ("Hi, my husband hit me last night and I don't know who to call", HIGH),
    ],
)
def test_talk_about_violence(model: RiskModel, text: str, expected: Severity) -> None:
    _check(model, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # going somewhere (a meeting, a birthday): control of her activities, not confinement
        ("mi marido no me deja ir a la casa de mi mama los domingos", MODERATE),
        ("no me deja ir ni a la reunion de padres del colegio, es bien celoso", MODERATE),
        ("mi pareja no me deja ir con mis amigas a ningun lado", MODERATE),
        # 'rapido' in 'contestar rapido' is no sign of now
        ("si no le respondo rapido se molesta y me revisa el celular", MODERATE),
        # shut in stays
        ("no me deja salir de la casa, cerro con llave y se fue", IMMINENT),
    ],
)
def test_control_is_not_confinement(model: RiskModel, text: str, expected: Severity) -> None:
    _check(model, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # his threat to kill himself (FVR item 15) is high, not a threat to her life
        ("dice que si lo dejo se mata y que sera mi culpa", HIGH),
        ("mi enamorado dijo que si termino con el se va a matar", HIGH),
        # her own wish to disappear is not someone threatening to make her disappear
        ("a veces pienso que seria mejor desaparecer, ya no quiero nada", HIGH),
        # a murder-suicide threat stays imminent
        ("dice que si lo dejo me mata y despues se mata el", IMMINENT),
        ("me dijo que me va a matar y despues se va a matar", IMMINENT),
        ("amenaza con matarse pero dice que primero me mata a mi", IMMINENT),
        ("si lo denuncio dice que se tira del puente y se lleva a los chicos con el", IMMINENT),
    ],
)
def test_his_suicide_threat(model: RiskModel, text: str, expected: Severity) -> None:
    _check(model, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a thing thrown, hung or slaughtered is not herself
        ("voy a tirar la ropa vieja que ya no uso", NONE),
        ("quiero colgar los cuadros en la sala", NONE),
        ("mañana voy a ahorcar al gallo para el caldo", NONE),
        # he threw her to the floor: a blow, not a jump
        ("anoche me tiro al piso y me pateo", HIGH),
        # herself stays
        ("me voy a tirar del puente esta noche", IMMINENT),
        ("ya no aguanto, me voy a ahorcar", IMMINENT),
        ("me tome todas las pastillas de mi mama", IMMINENT),
    ],
)
def test_self_harm_needs_herself(model: RiskModel, text: str, expected: Severity) -> None:
    _check(model, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an exam, a report card: hyperbole
        ("no estudie nada para el examen, la profe me va a matar", NONE),
        ("mi mama me va a matar si ve mi libreta", NONE),
        # burns and cuts of the kitchen, medicine for a cold, a teething baby
        ("el aceite me quemo la mano friendo pescado", NONE),
        ("casi me corto el dedo pelando papas", NONE),
        ("tengo gripe y ya tome un paracetamol", NONE),
        ("mi hijita me muerde cuando le estan saliendo los dientes", NONE),
        # locked in by a child at play or a broken lock
        ("mi sobrinito me encerro en el cuarto jugando", NONE),
        ("me quede encerrada en el baño porque se malogro la chapa", NONE),
        # asking what a protection order is
        ("que es una medida de proteccion? lo escuche en la radio", NONE),
        # asking in general, for someone else
        ("How do I report domestic violence if I see it on the street? just in case", NONE),
        ("si una amiga me cuenta que su esposo le pega, como puede denunciar?", NONE),
        # pressed against her in the bus: harassment, not a blow
        ("en la combi un tipo se me pegaba mucho", MODERATE),
        # the danger in the same words stays
        ("mi esposo me va a matar si no llego temprano", IMMINENT),
        ("me encerro en el cuarto y se llevo la llave", IMMINENT),
        ("tengo medidas de proteccion y igual me sigue", HIGH),
    ],
)
def test_everyday_words(model: RiskModel, text: str, expected: Severity) -> None:
    _check(model, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a shove she says did her no harm: moderate (unharmed)
        ("me empujo contra la puerta pero no me paso nada", MODERATE),
        ("anoche me empujó contra el ropero, no me dejó marca, solo el susto", MODERATE),
        # with an injury, or going on now, it stays
        ("me empujo contra la pared y me rompio la cabeza", HIGH),
        (
            "ahorita me empujo contra la pared, no me paso nada pero sigue gritando afuera",
            IMMINENT,
        ),
    ],
)
def test_no_harm_done(model: RiskModel, text: str, expected: Severity) -> None:
    _check(model, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a story long over (he is dead or gone, she is well): blows told in it are moderate
        (
            "mi primer esposo me rompio el brazo hace muchos años, el ya murio, ahora estoy "
            "tranquila con mis nietos",
            MODERATE,
        ),
        # 'hace 3 años' is a time, not a child's age
        ("hace 3 años me pegaba y ahora ha vuelto a buscarme", HIGH),
        # sexual violence told years later stays high; a story that is not over stays
        ("hace años me violo mi tio, nunca lo conte, ya sali de eso pero no duermo bien", HIGH),
        ("mi hija de 3 años tiene moretones y llora cuando ve a su papa", HIGH),
    ],
)
def test_story_that_is_over(model: RiskModel, text: str, expected: Severity) -> None:
    _check(model, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a match, a video game, hyperbole of school and the TV
        ("le metieron una goleada a la U en el estadio, 3 a 1", NONE),
        ("en el GTA me dispararon toda la tarde, q colera", NONE),
        ("me voy a colgar con tanta tarea jaja", NONE),
        ("socorro tengo examen de fisica mañana y no estudie", NONE),
        ("mi pareja me tiene secuestrada viendo la novela toda la noche", NONE),
        # his threat against himself; a photo of where she is (control)
        ("dice que se va a matar si me voy y que sera mi culpa", HIGH),
        ("mi enamorado me pide fotos de donde estoy a cada rato", MODERATE),
        ("a mi hija de 15 su enamorado le pide foto de donde esta cada hora", MODERATE),
        # the same words in danger stay
        ("mi hija de 12 me conto que su profesor le pide fotos", HIGH),
        ("help he is here right now", IMMINENT),
        # a long account whose 'right now' says she is safe and whose 'help' asks for a service
        (
            "my husband hit me last month and left a bruise. Right now he is at work and I am "
            "safe, but can you help me find a lawyer? I have some questions about custody of my "
            "kids, about the house, about how long it takes in Peru, whether he will be told "
            "when I file and what documents I need to bring",
            HIGH,
        ),
    ],
)
def test_fresh_writers_hyperbole_and_accounts(
    model: RiskModel, text: str, expected: Severity
) -> None:
    _check(model, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # again and again, not this moment: high (habitual)
        (
            "mi vecina le pega a su hijo todas las noches, se escuchan los golpes hasta mi casa",
            HIGH,
        ),
        (
            "mi sobrina de 7 me contó que su padrastro la manosea cuando su mamá se va a trabajar",
            HIGH,
        ),
        # told as over: when she lived with him; 'va a volver a pasar' is no coming back
        ("cuando vivía con él me encerraba en el cuarto, ahora vivo con mi mamá", HIGH),
        ("me pegó el mes pasado y sé que va a volver a pasar", HIGH),
        # English 'just' that is no 'just now'
        ("I just feel empty, I don't want to live anymore", HIGH),
        # the same things happening now stay imminent
        ("se escuchan golpes en la casa de al lado, la señora esta gritando auxilio", IMMINENT),
        (
            "mi sobrina de 7 me conto que su padrastro la esta tocando ahorita en su cuarto",
            IMMINENT,
        ),
        ("he just hit me and left", IMMINENT),
        ("ya llamo 3 veces y dice q ya viene para aca a matarme", IMMINENT),
    ],
)
def test_again_and_again_is_not_now(model: RiskModel, text: str, expected: Severity) -> None:
    _check(model, text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # English negation with an apostrophe
        ("My boyfriend doesn't hit me but he checks my phone every night", MODERATE),
        # thinking of a way, without a plan: high
        ("a veces he pensado en colgarme pero no lo haria por mi mama", HIGH),
        # 'ahorita' that gives a child's age now
        ("me pego cuando estaba embarazada, ahorita mi hijo ya tiene 3 años", HIGH),
        # her things kept from her are not her children kept from her
        (
            "me separe y el se quedo con todas mis cosas, mi ropa y mi cocina, no me las quiere "
            "devolver",
            MODERATE,
        ),
        # a plan with the means stays imminent
        ("me voy a colgar esta noche, ya tengo la soga", IMMINENT),
    ],
)
def test_negation_thoughts_and_ages(model: RiskModel, text: str, expected: Severity) -> None:
    _check(model, text, expected)


@pytest.mark.parametrize(
    ("text", "rules_say"),
    [
        ("me empujo contra la pared pero no me paso nada", MODERATE),
        ("mi vecina le pega a su hijo todas las noches, se escuchan los golpes", HIGH),
        ("cuando vivía con él me encerraba en el cuarto, ahora vivo con mi mamá", HIGH),
    ],
)
def test_sure_classifier_does_not_raise_what_context_lowered(
    text: str, rules_say: Severity
) -> None:
    """Long ago, again and again, no harm done: the rules lowered the reading and the learned
    second opinion, blind to that context, does not raise it even when it is sure."""
    sure = SERVED.with_classifier(Classifier("sure", (30.0, 30.0, 30.0), {}, (0.5, 0.5, 0.5)))
    assert assess_risk(text, sure).severity is rules_say, text
    # without the lowering context the same sure classifier does raise
    assert assess_risk("me empujo contra la pared", sure).severity is IMMINENT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the kicks of a game, a vaccine 'shot', shut in to study, killing oneself with study,
        # a shotgun for hunting
        ("cuando juego fulbito con mis primos siempre me patean las canillas", NONE),
        ("me pusieron la vacuna en el brazo y me duele", NONE),
        ("estoy encerrada en mi cuarto estudiando para el examen de admision", NONE),
        ("me voy a matar estudiando este fin de semana", NONE),
        ("mi vecino tiene una escopeta para cazar palomas en su chacra", NONE),
        # a noise complaint; a phone locked in a drawer
        ("quiero denunciar a la vecina porque pone su musica a todo volumen", NONE),
        ("mi mama me encerro el celular en un cajon para que estudie", NONE),
        ("me encerro en el cuarto y se llevo el celular", IMMINENT),
        # the danger beside the same words stays
        ("despues del partido llego borracho y me pateo", HIGH),
        ("mi esposo tiene una escopeta y dice que es para mi", IMMINENT),
    ],
)
def test_games_shots_and_study(model: RiskModel, text: str, expected: Severity) -> None:
    _check(model, text, expected)
