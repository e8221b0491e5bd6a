"""Transcripts through the pure step function: what a person writes, what the bot answers."""

from __future__ import annotations

import pytest

from flows.effects import Relay, SafeToContact
from flows.engine import Content
from flows.types import Location, Severity
from tests.transcript import Chat


@pytest.fixture
def chat(content: Content) -> Chat:
    return Chat(content)


def test_hola_answers_with_the_numbered_main_menu(chat: Chat) -> None:
    chat.say("hola")
    assert "Defensoras al Parlante" in chat.text
    assert len(chat.labels) == 5
    assert any("CEM" in label for label in chat.labels)
    assert any("defensora" in label.lower() for label in chat.labels)


@pytest.mark.parametrize("word", ["hola", "HOLA", "menu", "Menú", "0", "inicio", "holaaaa"])
def test_global_keywords_reach_the_main_menu_from_any_node(chat: Chat, word: str) -> None:
    chat.say("hola").say("1")
    assert chat.session.node == "cem_ask"
    chat.say(word)
    assert chat.session.node == "main"


def test_numbers_pick_options_and_unknown_numbers_get_the_menu_again(chat: Chat) -> None:
    chat.say("hola").say("2")
    assert chat.session.node == "helplines"
    assert "100" in chat.text and "105" in chat.text
    chat.say("0").say("9")
    assert chat.said("unknown_option")
    assert chat.session.node == "main" and len(chat.labels) == 5


def test_helplines_include_linea_100_and_105(chat: Chat) -> None:
    chat.say("hola").say("2")
    assert "Línea 100" in chat.text
    assert "105" in chat.text


def test_find_cem_by_district_after_the_menu(chat: Chat) -> None:
    chat.say("hola").say("1").say("comas")
    assert "Comas" in chat.text
    assert "CEM" in chat.text


def test_district_in_free_text_goes_straight_to_the_cem_answer(chat: Chat) -> None:
    chat.say("vivo en sjl donde hay un cem")
    assert "San Juan de Lurigancho" in chat.text


def test_ambiguous_district_is_asked_not_guessed(chat: Chat) -> None:
    chat.say("hola").say("1").say("san juan")
    assert "San Juan de Lurigancho" in chat.labels and "San Juan de Miraflores" in chat.labels
    picked = chat.labels.index("San Juan de Miraflores") + 1
    chat.say(str(picked))
    assert "San Juan de Miraflores" in chat.text


def test_location_pin_gets_nearest_centres(chat: Chat) -> None:
    chat.say(location=Location(-12.0553, -77.0311))  # near Mercado Central
    assert "km" in chat.text


def test_alta_and_baja_are_effects(chat: Chat) -> None:
    chat.say("ALTA")
    assert chat.kinds == ["subscribe"]
    chat.say("stop")
    assert chat.kinds == ["unsubscribe"]
    chat.say("ya no quiero recibir recordatorios")  # a sentence, not the keyword: asked first
    assert chat.kinds == [] and chat.said("confirm_unsubscribe")
    chat.say("si")
    assert chat.kinds == ["unsubscribe"]


def test_borrar_forgets(chat: Chat) -> None:
    chat.say("hola").say("BORRAR")
    assert chat.kinds == ["forget"]
    assert chat.said("forgotten")


def test_imminent_risk_is_escalated_first_whatever_the_menu(chat: Chat) -> None:
    chat.say("hola").say("1")
    chat.say("me esta pegando ahora ayuda")
    assert chat.paged is Severity.IMMINENT
    assert chat.session.severity is Severity.IMMINENT
    assert chat.text.index("105") < chat.text.index("Línea 100")
    assert chat.said("risk_imminent", "ask_safe")


def test_severity_never_goes_down_by_itself(chat: Chat) -> None:
    chat.say("me amenazo de muerte mi pareja")
    high = chat.session.severity
    chat.say("hola").say("gracias")
    assert chat.session.severity is high


def test_safety_question_is_asked_once(chat: Chat) -> None:
    chat.say("me quiere matar mi marido")
    assert chat.said("ask_safe")
    chat.say("1")
    assert chat.safe is True
    chat.say("me quiere matar mi marido")
    assert not chat.said("ask_safe")


def test_person_never_reads_that_someone_was_alerted(chat: Chat) -> None:
    chat.say("me puso un cuchillo en el cuello")
    lowered = chat.text.lower()
    assert "alert" not in lowered and "avisamos" not in lowered and "notific" not in lowered


def test_bare_cry_gets_a_gentle_follow_up(chat: Chat) -> None:
    chat.say("auxilio")
    assert chat.said("ask_danger_now")
    chat.say("si")
    assert chat.paged is Severity.IMMINENT


def test_talk_to_defensora_asks_if_it_is_safe_then_escalates_on_request(chat: Chat) -> None:
    chat.say("hola").say("4")
    assert chat.said("defensora_intro")
    chat.say("1")
    assert chat.kinds == ["escalate", "safe_to_contact"]
    assert chat.paged is Severity.MODERATE and chat.safe is True


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀😀😀",
        "x" * 10_000,
        "\x00\x07\x1b[31m hola \u202e",
        "🙏" * 3000,
        "asdkjh qwe zzz",
    ],
)
def test_any_text_gets_a_sensible_reply(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.text.strip()
    assert chat.labels  # the menu is always offered back


def test_media_gets_a_kind_reply_with_linea_100(chat: Chat) -> None:
    chat.say(media="voice")
    assert chat.said("media_unsupported")


def test_relay_mode_sends_text_to_the_defensora(chat: Chat) -> None:
    chat.session = chat.session.evolve(relay_case=7)
    chat.say("gracias por escribirme")
    assert chat.effects == [Relay(case_id=7, text="gracias por escribirme")]
    assert chat.replies == []
    chat.say("BORRAR")
    assert chat.kinds == ["forget"]


def test_safety_answer_counts_even_when_a_defensora_already_holds_the_case(chat: Chat) -> None:
    chat.say("me quiere matar mi marido")
    chat.session = chat.session.evolve(relay_case=3)  # taken before she answered
    chat.say("2")
    assert chat.effects == [Relay(case_id=3, text="2"), SafeToContact(safe=False)]
    assert chat.session.awaiting is None


def test_danger_now_while_a_defensora_holds_the_case_still_gets_105(chat: Chat) -> None:
    chat.session = chat.session.evolve(relay_case=5)
    chat.say("ya llego y tiene un cuchillo me va a matar ahora")
    assert chat.kinds[:2] == ["relay", "escalate"]
    assert chat.said("risk_imminent")


def test_a_renamed_menu_node_does_not_lock_anyone_out(chat: Chat) -> None:
    chat.session = chat.session.evolve(node="a_node_that_was_removed")
    chat.say("1")
    assert chat.session.node == "cem_ask"
