"""Findings of the exploratory tester (main, 07:00), each held by a row or a transcript.

The tester's own wordings sit next to new wordings of the same concept: the fix is the concept or
the policy, never the sentence."""

from __future__ import annotations

import pytest

from bot.casebook import mask_numbers
from flows.cases import indiscreet_word
from flows.effects import Forget, Subscribe, Unsubscribe
from flows.engine import Content
from flows.risk import assess_risk
from flows.session import Awaiting
from flows.text import fold
from flows.types import Location, Severity
from tests.transcript import Chat


@pytest.fixture
def chat(content: Content) -> Chat:
    return Chat(content)


# ---------------------------------------------- 1. the classifier alone on very short messages


@pytest.mark.parametrize(
    "text",
    ["ya", "Ya.", "yaa", "ya!", "ya 👍", "ya pe", "ok ya", "ya no", "ya no me interesa",
     "ya no me manden nada porfa", "ya no quiero recibir mensajes", "listo, ya está",
     "borra todo lo que te escribi", "me quiero salir de esa relacion"],
)  # fmt: skip
def test_the_classifier_alone_does_not_act_on_a_short_message(content: Content, text: str) -> None:
    found = assess_risk(text, content.risk)
    assert found.severity is Severity.NONE
    assert not found.follow_up


@pytest.mark.parametrize("answer", ["ya", "Ya.", "yaa", "ya 👍"])
def test_ya_confirms_a_subscription_and_opens_no_case(chat: Chat, answer: str) -> None:
    chat.say("quiero que me avisen del programa")
    assert chat.session.awaiting is Awaiting.CONFIRM_SUBSCRIBE
    chat.say(answer)
    assert chat.paged is None
    assert any(isinstance(e, Subscribe) for e in chat.effects)


# ------------------------------------- 2. requests to stop or erase are requests, not danger


@pytest.mark.parametrize(
    "text",
    ["ya no me manden nada porfa", "ya no quiero recibir mensajes",
     "por favor ya no quiero recibir mas mensajes de ustedes en mi celular",
     "dejen de mandarme mensajes"],
)  # fmt: skip
def test_a_request_to_stop_is_confirmed_and_si_unsubscribes(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.session.awaiting is Awaiting.CONFIRM_UNSUBSCRIBE
    assert not chat.said("ask_danger_now")
    chat.say("si")
    assert chat.paged is None
    assert any(isinstance(e, Unsubscribe) for e in chat.effects)


@pytest.mark.parametrize("text", ["borra todo lo que te escribi", "borra mis mensajes porfa"])
def test_erasing_after_telling_of_control_asks_to_confirm_not_about_danger(
    chat: Chat, text: str
) -> None:
    chat.say("mi esposo revisa mi cel todas las noches")
    chat.say(text)
    assert chat.session.awaiting is Awaiting.CONFIRM_FORGET
    assert not chat.said("ask_danger_now")
    chat.say("si")
    assert chat.paged is None
    assert any(isinstance(e, Forget) for e in chat.effects)


def test_a_short_no_to_the_programme_is_not_danger(chat: Chat) -> None:
    for text in ("ya no", "ya no me interesa"):
        chat.say(text)
        assert chat.paged is None
        assert chat.session.awaiting is not Awaiting.DANGER_NOW


# ------------------------------------------------------------------- 3. missed danger now


@pytest.mark.parametrize(
    "text",
    ["me encerre en el cuarto, el esta rompiendo la puerta",
     "me encerre en el baño con mis hijos, mi esposo quiere tumbar la puerta",
     "nos metimos al cuarto con los niños y el esta forzando la chapa",
     "estoy escondida en el baño, mi marido tiene un cuchillo",
     "me escondi debajo de la cama, el tiene un machete",
     "mi marido esta borracho y esta buscando el cuchillo",
     "mi pareja se fue a buscar la pistola, tengo miedo",
     "mi ex esta sacando el cuchillo de la cocina"],
)  # fmt: skip
def test_breaking_in_hiding_from_a_weapon_and_fetching_one_are_imminent(
    content: Content, text: str
) -> None:
    assert assess_risk(text, content.risk).severity is Severity.IMMINENT


@pytest.mark.parametrize(
    "text",
    ["me encerre en mi cuarto a estudiar toda la tarde", "me encerre afuera sin llaves jaja",
     "mi mama esta buscando el cuchillo para cortar el pollo",
     "el carpintero esta arreglando la puerta", "el viento golpea la ventana toda la noche"],
)  # fmt: skip
def test_doors_knives_and_shutting_oneself_in_without_danger(content: Content, text: str) -> None:
    assert not assess_risk(text, content.risk).severity.at_least(Severity.HIGH)


def test_hiding_from_him_with_a_knife_pages_and_is_not_a_privacy_question(chat: Chat) -> None:
    chat.say("estoy escondida en el baño, mi marido tiene un cuchillo")
    assert chat.paged is Severity.IMMINENT
    assert chat.said("risk_imminent")


# ----------------------------------------------- 4. football, balls, coughs, her own purse


@pytest.mark.parametrize(
    "text",
    ["vamos alianza!! hoy los matamos a la U 3-0", "este domingo matamos a cristal en el clasico",
     "hoy vamos a matar a chile, vamos peru", "mi hermano le pego al balon con fuerza",
     "el chico le pateo fuerte a la pelota y rompio la ventana",
     "mi hijito tiene una tos que le pega fuerte en las noches", "la tos le pega fuerte al bebe",
     "mi bebe tiene fiebre y tos fuerte, le pega en el pecho",
     "a mi hijita le dio una fiebre fuerte anoche", "no tengo plata para el pasaje",
     "no me alcanza el dinero para el pasaje de mis hijos"],
)  # fmt: skip
def test_sport_play_illness_and_her_own_lack_of_money_are_not_risk(
    content: Content, text: str
) -> None:
    assert assess_risk(text, content.risk).severity is Severity.NONE


@pytest.mark.parametrize(
    ("text", "least"),
    [("mi esposo me va a matar, es hincha de alianza", Severity.IMMINENT),
     ("el hincha de la u me dijo que me va a matar", Severity.IMMINENT),
     ("mi bebe tiene fiebre porque su papa le pega", Severity.HIGH),
     ("mi hijito tiene tos y su padrastro le pega", Severity.HIGH),
     ("mi hermano le pego a mi hijo con la correa", Severity.HIGH),
     ("mi esposo no me da plata y no tengo ni para el pasaje", Severity.MODERATE)],
)  # fmt: skip
def test_the_same_words_next_to_real_harm_still_count(
    content: Content, text: str, least: Severity
) -> None:
    assert assess_risk(text, content.risk).severity.at_least(least)


# ------------------------------------------------------------- 5. severity by the taxonomy


@pytest.mark.parametrize(
    ("text", "expected"),
    [("mi ex me amenaza con quitarme a mis hijos", Severity.HIGH),
     ("mi expareja dice que se va a llevar a mis hijas", Severity.HIGH),
     ("mi esposo me controla la plata y no me deja salir", Severity.HIGH),
     ("mi novio no me deja salir", Severity.HIGH),
     ("no me deja salir con mis amigas", Severity.MODERATE),
     ("chamo mi marido me cayo a coñazos anoche", Severity.HIGH),
     ("ayer mi esposo me pego en la cara", Severity.HIGH),
     # still imminent: locked in now, two dangers, happening now
     ("no me deja salir de la casa desde hace una semana", Severity.IMMINENT),
     ("ahorita no me deja salir, tiene las llaves", Severity.IMMINENT),
     ("mi ex me amenaza con matarme y quitarme a mis hijos", Severity.IMMINENT),
     ("anoche me pego y ahorita esta afuera gritando", Severity.IMMINENT)],
)  # fmt: skip
def test_severity_follows_the_taxonomy(content: Content, text: str, expected: Severity) -> None:
    assert assess_risk(text, content.risk).severity is expected


# ------------------------------------------------- 6. e-mails and spelled numbers masked


@pytest.mark.parametrize(
    ("text", "leak", "mark"),
    [("me pega, mi correo ana.perez@gmail.com", "ana.perez@gmail.com", "[correo]"),
     ("escribeme a ana_p+1@hotmail.com.pe porfa", "hotmail", "[correo]"),
     ("mi correo es ana.perez @ gmail . com, me pega", "gmail", "[correo]"),
     ("ana punto perez arroba gmail punto com", "perez", "[correo]"),
     ("llamame al nueve ocho siete seis cinco cuatro tres dos uno", "siete seis", "[número]"),
     ("mi cel es 9 ocho 7 seis 5 cuatro 3 dos 1", "seis 5", "[número]")],
)  # fmt: skip
def test_the_ping_excerpt_masks_emails_and_spelled_numbers(text: str, leak: str, mark: str) -> None:
    masked = mask_numbers(text)
    assert leak not in masked and mark in masked


def test_small_numbers_in_words_are_kept() -> None:
    text = "tengo dos hijos de tres y cinco años, me pega"
    assert mask_numbers(text) == text


# ------------------------------------------------------------------------ 7. wording


@pytest.mark.parametrize(("lat", "lon"), [(-16.39, -71.53), (-8.11, -79.03), (-3.74, -73.25)])
def test_a_location_far_from_lima_gets_the_outside_lima_answer(
    chat: Chat, lat: float, lon: float
) -> None:
    chat.say(location=Location(lat, lon))
    assert chat.said("outside_lima_help")
    assert "CEM Regular" not in chat.text


def test_a_location_in_lima_still_lists_its_cems(chat: Chat) -> None:
    chat.say(location=Location(-12.05, -77.03))
    assert "CEM" in chat.text and not chat.said("outside_lima_help")


def test_unknown_hours_are_said_once_under_the_list(chat: Chat) -> None:
    chat.say(location=Location(-12.05, -77.03))
    assert chat.text.count(chat.content.orientation.hours_unknown) == 1


@pytest.mark.parametrize(
    "text",
    ["hay vacantes para defensora?", "estan contratando defensoras?",
     "hay plazas para ser defensora", "quiero trabajar con ustedes"],
)  # fmt: skip
def test_asking_for_a_job_as_defensora_explains_what_a_defensora_is(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.said("defensora_info")
    assert chat.paged is None and chat.session.awaiting is None


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("text_id", ["person_on_duty", "person_no_shift", "person_nobody"])
def test_the_staffing_notice_mid_conversation_does_not_greet_again(
    content: Content, language: str, text_id: str
) -> None:
    """It follows the bot's own risk reply: a neutral, discreet first line, no 'Hola'."""
    first = content.in_language(language).cases[text_id].split("\n")[0]
    assert not fold(first).lstrip("💜 ").startswith(("hola", "hi ", "buenas"))
    assert first and indiscreet_word(first) is None


@pytest.mark.parametrize(
    "text",
    ["la vecina de al lado le pega a su hijito con la correa todos los dias",
     "el esposo de mi prima la golpea",
     "su padrastro le pega a la niña del tercer piso"],
)  # fmt: skip
def test_a_report_about_someone_else_is_answered_in_the_third_person(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.paged is not None
    assert chat.said("risk_other_high") or chat.said("risk_other_imminent")
    assert not chat.said("risk_high") and not chat.said("risk_imminent")


@pytest.mark.parametrize(
    ("text", "text_id"),
    [("mi esposo me pega", "risk_high"), ("me va a matar", "risk_imminent"),
     ("ya entro con un cuchillo", "risk_imminent")],
)  # fmt: skip
def test_her_own_danger_keeps_the_second_person(chat: Chat, text: str, text_id: str) -> None:
    chat.say(text)
    assert chat.first(text_id)


# ------------------------------------------- noticed on the way: 'me mató a golpes', 'partido'


@pytest.mark.parametrize(
    ("text", "least"),
    [("mi esposo me mato a golpes", Severity.HIGH),
     ("anoche me mato a patadas", Severity.HIGH),
     ("mi esposo me dijo que me va a matar a la salida del partido", Severity.IMMINENT)],
)  # fmt: skip
def test_beaten_half_to_death_and_a_threat_near_a_trivial_word_count(
    content: Content, text: str, least: Severity
) -> None:
    assert assess_risk(text, content.risk).severity.at_least(least)


@pytest.mark.parametrize(
    "text",
    ["me va a matar el examen de mañana", "me mata el dolor de cabeza", "me mata tanto calor",
     "mañana me mato estudiando para el parcial", "me mataron a preguntas en la entrevista"],
)  # fmt: skip
def test_hyperbole_about_trivial_things_stays_silent(content: Content, text: str) -> None:
    assert assess_risk(text, content.risk).severity is Severity.NONE
