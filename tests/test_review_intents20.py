"""Findings of the second conversation review (issue 12), each as a conversation.

Messages were written for this review, not copied from the development sets; assertions name
text ids and intents, never a copy of the wording."""

from __future__ import annotations

import pytest

from flows.engine import Content
from flows.intents import match_intent
from flows.session import Awaiting
from tests.transcript import Chat

THREAT = "mi ex me dijo que me va a matar"


@pytest.fixture
def chat(content: Content) -> Chat:
    return Chat(content)


# ------------------------------- 1. a place is a place, not a job opening ('plaza' / 'plazas')


@pytest.mark.parametrize(
    ("where", "district"),
    [("y por plaza norte", "Independencia"), ("estoy en la plaza de armas", "Lima"),
     ("vivo por megaplaza, hay cem?", "Independencia")],
)  # fmt: skip
def test_a_landmark_with_plaza_in_its_name_gets_the_cems_there(
    chat: Chat, where: str, district: str
) -> None:
    chat.say("hola").say(where)
    assert chat.session.district == district
    assert not chat.said("defensora_info")
    assert "CEM" in chat.text


def test_the_plaza_de_armas_of_another_city_is_outside_lima(content: Content) -> None:
    assert match_intent("estoy en la plaza de armas del cusco", content.intents).intent == (
        "outside_lima"
    )


@pytest.mark.parametrize("ask", ["hay plazas para defensoras?", "quedan plazas de voluntarias?"])
def test_openings_for_defensoras_are_still_a_volunteering_question(
    content: Content, ask: str
) -> None:
    assert match_intent(ask, content.intents).intent == "defensora_info"


def test_a_square_without_a_name_is_no_job_question(content: Content) -> None:
    assert match_intent("estoy en la plaza", content.intents).intent != "defensora_info"


# ------------------------------- 3. a request is read by what it is about


@pytest.mark.parametrize("about_him", ["he won't stop", "he doesnt stop texting me"])
def test_he_will_not_stop_is_about_him_not_the_reminders(chat: Chat, about_him: str) -> None:
    chat.say("ALTA").say(about_him)
    assert chat.session.awaiting is None  # no 'stop the reminders?' question
    assert chat.said("feelings_answer")
    assert not chat.effects


def test_off_the_list_after_subscribing_asks_about_the_reminders_not_erasure(chat: Chat) -> None:
    chat.say("ALTA").say("borrame de la lista")
    assert chat.session.awaiting is Awaiting.CONFIRM_UNSUBSCRIBE
    assert not chat.effects


def test_off_the_list_and_everything_erased_is_still_erasure(chat: Chat) -> None:
    chat.say("ALTA").say("sácame de la lista y borra todo lo que dije")
    assert chat.session.awaiting is Awaiting.CONFIRM_FORGET


# ------------------------------- 4. deleting things on her own phone is a how-to, never erasure


@pytest.mark.parametrize(
    "on_her_phone",
    ["como hago para borrar los mensajes de este chat en mi celular?",
     "delete the photos he sent me", "how do I delete this chat from my phone"],
)  # fmt: skip
def test_deleting_on_her_phone_gets_the_privacy_answer(chat: Chat, on_her_phone: str) -> None:
    chat.say("hola").say(on_her_phone)
    assert chat.said("privacy_answer")
    assert chat.session.awaiting is None
    assert not chat.effects


def test_her_number_off_the_system_is_still_an_erasure_question(chat: Chat) -> None:
    chat.say("hola").say("borra mi número de teléfono de su sistema")
    assert chat.session.awaiting is Awaiting.CONFIRM_FORGET


# ------------------------------- 5. one letter over and over is not understood, not 'out of scope'


@pytest.mark.parametrize("noise", ["a" * 10_000, "jajajaja", "mmm", "kkkkk"])
def test_a_repeated_letter_gets_the_short_not_understood(chat: Chat, noise: str) -> None:
    chat.say("hola").say(noise)
    assert chat.said("fallback")
    assert not chat.said("out_of_scope")


def test_a_stretched_word_is_still_read(content: Content) -> None:
    assert match_intent("holaaaa", content.intents).intent == "greeting_menu"


# ------------------------------- 6. and 9. leaving him or the house: a plan, with people to help


@pytest.mark.parametrize(
    "leaving",
    ["salir de la casa es peligroso?", "quiero separarme pero no sé cómo",
     "is it safe to leave the house?"],
)  # fmt: skip
def test_a_question_about_leaving_gets_orientation_not_a_shrug(chat: Chat, leaving: str) -> None:
    chat.say("hola").say(leaving)
    assert chat.first("leaving_answer")
    assert "105" in chat.t("leaving_answer") and "Línea 100" in chat.t("leaving_answer")
    assert not chat.said("fallback")
    assert not chat.effects


def test_wanting_to_leave_while_the_safety_question_is_open_keeps_the_question(
    chat: Chat,
) -> None:
    chat.say(THREAT)
    asked = chat.session.awaiting
    assert asked is not None
    chat.say("quiero dejar a mi esposo")
    assert chat.first("leaving_answer")
    assert not chat.said("privacy_answer")
    assert chat.session.awaiting is asked  # still waiting for her answer
    chat.say("si")
    assert chat.session.awaiting is not asked


# ------------------------------- 7. a line that does not answer: another way, not the list again


def test_a_line_that_does_not_answer_gets_a_short_way_out_twice(chat: Chat) -> None:
    chat.say("la linea 100 no contesta")
    assert chat.first("line_no_answer")
    assert not chat.said("helplines_intro")
    assert len(chat.text) < 500
    chat.say("el 105 tampoco")
    assert chat.first("line_no_answer")
    assert len(chat.text) < 500


def test_asking_for_the_lines_still_gets_the_list(chat: Chat) -> None:
    chat.say("cuales son las lineas de ayuda?")
    assert chat.said("helplines_intro")


def test_neither_without_a_line_is_not_a_complaint_about_one(chat: Chat) -> None:
    chat.say("hola").say("yo tampoco sé")
    assert not chat.said("line_no_answer")


# ------------------------------- 2. a defensora asking how to register is not asking for one


def test_a_defensora_asking_how_to_register_gets_how_to_join(chat: Chat) -> None:
    chat.say("hola soy defensora de la zona, como me registro para recibir casos?")
    assert chat.said("defensora_info")
    assert chat.session.awaiting is None  # not 'may a defensora write to you?'
    assert not chat.effects


def test_by_the_municipality_is_read_as_who_runs_it(content: Content) -> None:
    assert match_intent("por la municipalidad", content.intents).intent == "about"
