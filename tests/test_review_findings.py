"""Findings of the conversation review (stop 20, review20), each as a conversation.

Messages were written for this review, not copied from the development sets; assertions name
text ids, never a copy of the wording."""

from __future__ import annotations

import pytest

from flows.dialogue.answers import read_answer
from flows.dialogue.words import Reading
from flows.effects import SafeToContact, Subscribe, Unsubscribe
from flows.engine import Content
from flows.session import Awaiting
from flows.types import Severity
from tests.case_pipeline import (
    ANA,
    Pipeline,
    lite,  # noqa: F401  (a fixture)
    roster,
)
from tests.transcript import Chat

THREAT = "mi ex me dijo que me va a matar"


@pytest.fixture
def chat(content: Content) -> Chat:
    return Chat(content)


# ------------------------------- 1. after the safety questions: "he is here", "not safe any more"


@pytest.mark.parametrize(
    "later", ["no puedo hablar el esta aqui", "ya llegó", "he is here", "ahorita está en la sala"]
)
def test_he_is_here_after_a_threat_is_danger_now_even_with_nothing_asked(
    chat: Chat, later: str
) -> None:
    chat.say(THREAT).say("si")  # safe to write: nothing pending any more
    assert chat.session.awaiting is None
    chat.say(later)
    assert chat.paged is Severity.IMMINENT
    assert chat.safe is False
    assert chat.replies == [chat.t("not_safe")]  # discreet, no menu


def test_a_long_story_that_mentions_his_arrival_is_not_presence_now(chat: Chat) -> None:
    chat.say(THREAT).say("si")
    chat.say(
        "mi hermana ya llegó de Huancayo y me está ayudando con los niños, gracias por todo lo "
        "que me dijeron ayer"
    )
    assert chat.safe is not False  # (what the risk reader makes of the story is its own matter)


@pytest.mark.parametrize(
    "company", ["mi mamá ya llegó", "ya llegó mi amiga", "mi hermana está aquí conmigo"]
)
def test_someone_safe_arriving_is_not_him_arriving(chat: Chat, company: str) -> None:
    chat.say(THREAT).say("si")
    chat.say(company)
    assert chat.paged is None
    assert chat.safe is not False


@pytest.mark.parametrize(
    ("answer", "reading"),
    [("mi mamá está aquí", Reading.FINE), ("ya llegó mi amiga", Reading.FINE),
     ("mi esposo ya llegó", Reading.PRESENCE), ("está aquí con mi mamá", Reading.PRESENCE),
     ("no, ya llegó", Reading.PRESENCE), ("no está aquí", Reading.FINE)],
)  # fmt: skip
def test_who_is_there(content: Content, answer: str, reading: Reading) -> None:
    assert read_answer(answer, content.words) is reading


def test_he_is_here_without_any_danger_before_is_not_a_page(chat: Chat) -> None:
    chat.say("hola").say("mi mamá ya llegó, gracias")
    assert chat.paged is None


@pytest.mark.parametrize("later", ["ya no es seguro", "no es seguro", "not safe anymore"])
def test_not_safe_any_more_stops_the_messages(chat: Chat, later: str) -> None:
    chat.say(THREAT).say("si")
    assert chat.safe is True
    chat.say(later)
    assert chat.safe is False
    assert chat.replies == [chat.t("not_safe")]
    assert not chat.said("privacy_answer")


def test_a_question_about_safety_without_a_case_is_still_the_privacy_answer(chat: Chat) -> None:
    chat.say("hola").say("no es seguro este chat?")
    assert chat.safe is None


# ------------------------------------------------------------- 2. answers read more naturally


def test_mejor_no_declines_a_confirmation(chat: Chat) -> None:
    chat.say("quiero que me avisen del programa")
    assert chat.session.awaiting is Awaiting.CONFIRM_SUBSCRIBE
    chat.say("mejor no")
    assert not any(isinstance(e, Subscribe) for e in chat.effects)
    assert chat.said("confirm_cancelled")


def test_mejor_si_confirms(chat: Chat) -> None:
    chat.say("ya no quiero los avisos del programa")
    assert chat.session.awaiting is Awaiting.CONFIRM_UNSUBSCRIBE
    chat.say("mejor sí")
    assert any(isinstance(e, Unsubscribe) for e in chat.effects)


def test_a_question_that_starts_with_no_is_not_a_no_to_safe_to_write(chat: Chat) -> None:
    chat.say("el pata con el que vivo me cayó a golpes anoche")
    assert chat.session.awaiting is Awaiting.SAFE_TO_WRITE
    chat.say("no tengo papeles, me pueden atender igual?")
    assert chat.safe is None  # not read as "no, it is not safe": she is still written to
    assert chat.replies != [chat.t("not_safe")]


@pytest.mark.parametrize(
    ("answer", "reading"),
    [("no tengo papeles me pueden ayudar igual?", Reading.UNKNOWN),
     ("no sé si me creen?", Reading.UNSURE),
     ("si, me pueden llamar?", Reading.YES),
     ("¿sí?", Reading.YES),
     ("no?", Reading.NO),
     ("no, ¿por qué?", Reading.NO)],
)  # fmt: skip
def test_a_yes_or_no_inside_a_question(content: Content, answer: str, reading: Reading) -> None:
    assert read_answer(answer, content.words) is reading


@pytest.mark.parametrize(
    "answer",
    ["ya se fue pero va a volver", "no, pero tengo miedo que regrese",
     "estoy bien pero él vuelve a las 8"],
)  # fmt: skip
def test_safe_now_but_he_comes_back_is_not_good_news(chat: Chat, answer: str) -> None:
    chat.say("auxilio")
    assert chat.session.awaiting is Awaiting.DANGER_NOW
    chat.say(answer)
    assert not chat.said("danger_no")  # no "me alegra"
    assert chat.paged is Severity.HIGH
    assert chat.said("ask_safe")


@pytest.mark.parametrize("bare", ["si", "sí pues", "no", "nop", "yes", "ari"])
def test_a_bare_yes_or_no_with_nothing_asked_shows_the_menu(chat: Chat, bare: str) -> None:
    chat.say("hola").say("3").say("3")  # programme screen, then back to the menu
    chat.say(bare)
    assert chat.session.awaiting is None
    assert chat.shows_menu
    assert not chat.said("out_of_scope")
    assert not chat.said("fallback")


# ---------------------------------------------------- 3. a wrong option among district choices


def test_a_wrong_number_among_districts_lists_the_districts_again(chat: Chat) -> None:
    chat.say("1").say("san juan")
    offered = chat.labels
    assert len(offered) == 2
    chat.say("3")
    assert chat.said("unknown_option")
    assert chat.labels == offered  # not "1. Volver al menú", which 1 does not do here
    chat.say("1")
    assert offered[0] in chat.text


# ------------------------------------------------ 4. the defensora screen promises nobody


def test_the_defensora_screen_does_not_promise_that_someone_will_write(chat: Chat) -> None:
    chat.say("4")
    assert chat.session.awaiting is Awaiting.CONFIRM_DEFENSORA
    assert "puede escribirte" not in chat.text
    chat.say("english").say("4")
    assert "can write to you" not in chat.text


def test_safe_to_contact_effect_of_a_bare_yes_is_unchanged(chat: Chat) -> None:
    chat.say(THREAT).say("sí")
    assert any(isinstance(e, SafeToContact) and e.safe for e in chat.effects)


# ------------------------------------- 5. what the defensora reads about a case without category


async def test_a_cry_answered_unsure_is_not_shown_as_a_request_to_talk(
    lite: Pipeline,  # noqa: F811
) -> None:
    roster(lite.app, on_duty=("Ana",))
    lite.whatsapp("auxilio")
    lite.whatsapp("no sé")  # to "¿Estás en peligro ahora?": a high case, no category
    await lite.drain()
    texts = lite.app.content.texts
    ping = lite.tg_texts(ANA)[0]
    assert texts["cat_none"] in ping
    assert texts["cat_requested"] not in ping


# ------------------------------------------------------ 6. nowhere to go is a feeling, not noise


@pytest.mark.parametrize(
    "text",
    ["quiero salir de mi casa pero no tengo a donde ir", "no tengo a dónde ir con mis hijos",
     "I have nowhere to go", "no tengo a quién acudir", "hola, no tengo a nadie"],
)  # fmt: skip
def test_nowhere_to_go_is_acknowledged_with_a_defensora_and_linea_100(
    chat: Chat, text: str
) -> None:
    chat.say(text)
    assert chat.said("feelings_answer")
    assert not chat.said("fallback") and not chat.said("out_of_scope")
    assert not chat.said("about")


# ----------------------------------------- 7. ALTA or BAJA with a courtesy is asked, not ignored


@pytest.mark.parametrize(
    ("text", "awaiting"),
    [("alta por favor", Awaiting.CONFIRM_SUBSCRIBE), ("ALTA gracias", Awaiting.CONFIRM_SUBSCRIBE),
     ("baja porfa", Awaiting.CONFIRM_UNSUBSCRIBE)],
)  # fmt: skip
def test_a_keyword_with_a_courtesy_is_confirmed_first(
    chat: Chat, text: str, awaiting: Awaiting
) -> None:
    chat.say(text)
    assert chat.session.awaiting is awaiting
    assert not any(isinstance(e, Subscribe | Unsubscribe) for e in chat.effects)
    chat.say("sí")
    assert any(isinstance(e, Subscribe | Unsubscribe) for e in chat.effects)
