"""Transcripts: nothing destructive from a guess, and warm answers to what is not a request."""

from __future__ import annotations

import pytest

from flows.dialogue.words import Keyword, key_of
from flows.effects import Forget, Subscribe, Unsubscribe
from flows.engine import Content
from flows.session import Awaiting
from flows.types import Severity
from tests.transcript import Chat


@pytest.fixture
def chat(content: Content) -> Chat:
    return Chat(content)


# ------------------------------------------------------------------ exact keywords act at once


@pytest.mark.parametrize("word", ["BORRAR", "borrar", "Salir", "SALIR.", "borrar todo", "borrarrr"])
def test_quick_exit_keywords_erase_at_once(chat: Chat, word: str) -> None:
    chat.say("hola").say(word)
    assert chat.effects == [Forget()]
    assert chat.replies == [chat.t("forgotten")]


@pytest.mark.parametrize(
    "sentence",
    [
        "¿ustedes guardan mis datos o los borran?",
        "él borró todos mis contactos",
        "quiero salir de esta relación",
        "cómo borrar las fotos que me mandó",
    ],
)
def test_a_keyword_inside_a_sentence_never_erases(chat: Chat, sentence: str) -> None:
    chat.say(sentence)
    assert Forget() not in chat.effects


@pytest.mark.parametrize(
    "text", ["borra mis datos", "olvídame por favor", "quiero que borren mi información"]
)
def test_a_request_to_erase_in_her_words_is_confirmed_first(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.effects == [] and chat.said("confirm_forget")
    assert chat.session.awaiting is Awaiting.CONFIRM_FORGET
    chat.say("sí")
    assert chat.effects == [Forget()]


def test_no_to_the_erase_question_changes_nothing(chat: Chat) -> None:
    chat.say("me dijo que me va a matar")
    chat.say("si")  # safe to write
    chat.say("borra mis datos").say("no")
    assert chat.effects == [] and chat.said("confirm_cancelled") and chat.shows_menu
    assert chat.session.severity is Severity.IMMINENT  # her case and its level are kept


def test_the_keyword_answers_the_erase_question_too(chat: Chat) -> None:
    chat.say("borra mis datos").say("BORRAR")
    assert chat.effects == [Forget()]


@pytest.mark.parametrize(
    "answer",
    ["si me borras me muero", "si lo borras me mata", "sí, pero ¿se borra todo?",
     "si pero no quiero perder el chat", "si me ve borrando me pega", "creo que sí",
     "supongo que sí", "sí, creo", "i guess so",
     "sí, bórralo todo porque tengo miedo de que lo vea cuando llegue a la casa"],
)  # fmt: skip
def test_a_conditional_or_hedged_si_never_erases(chat: Chat, answer: str) -> None:
    """A conditional 'si' ('if') or a 'sí, pero...' is no yes to a destructive action."""
    chat.say("borra mis datos")
    assert chat.session.awaiting is Awaiting.CONFIRM_FORGET
    chat.say(answer)
    assert Forget() not in chat.effects and not chat.said("forgotten")


@pytest.mark.parametrize(
    "answer", ["ok no borres", "ok, no borres nada", "sí, mejor no", "si, mejor no", "ok, no"]
)
def test_a_yes_or_ok_taken_back_never_erases(chat: Chat, answer: str) -> None:
    """An ok or a yes followed by a no ('ok no borres') is no yes: nothing is erased."""
    chat.say("borra mis datos").say(answer)
    assert Forget() not in chat.effects and not chat.said("forgotten")


@pytest.mark.parametrize("answer", ["ya va a llegar", "ya me voy", "ya entendí, gracias"])
def test_a_yes_word_that_opens_a_sentence_never_erases(chat: Chat, answer: str) -> None:
    chat.say("borra mis datos").say(answer)
    assert Forget() not in chat.effects and not chat.said("forgotten")


@pytest.mark.parametrize("answer", ["ok no quiero", "sí, mejor no"])
def test_a_yes_or_ok_taken_back_never_unsubscribes(chat: Chat, answer: str) -> None:
    chat.say("ALTA").say("ya no quiero recibir recordatorios").say(answer)
    assert Unsubscribe() not in chat.effects


@pytest.mark.parametrize("answer", ["si", "sí", "1", "si borra todo", "si por favor", "si claro"])
def test_an_unambiguous_yes_still_erases(chat: Chat, answer: str) -> None:
    chat.say("borra mis datos").say(answer)
    assert chat.effects == [Forget()]


@pytest.mark.parametrize("answer", ["si me das de baja me muero", "si pero después"])
def test_a_conditional_or_hedged_si_never_unsubscribes(chat: Chat, answer: str) -> None:
    chat.say("ALTA").say("ya no quiero recibir recordatorios")
    assert chat.session.awaiting is Awaiting.CONFIRM_UNSUBSCRIBE
    chat.say(answer)
    assert Unsubscribe() not in chat.effects


def test_a_conditional_threat_is_no_yes_to_a_defensora_writing(chat: Chat) -> None:
    chat.say("DEFENSORA")
    assert chat.session.awaiting is Awaiting.CONFIRM_DEFENSORA
    chat.say("si me ve con el celular me pega")
    assert chat.safe is not True and not chat.said("defensora_requested")
    assert chat.paged is not None and chat.first("risk_high")


def test_leaving_a_relationship_does_not_unsubscribe(chat: Chat) -> None:
    chat.say("ALTA")
    chat.say("quiero dejar de estar con él, ya no quiero más")
    assert Unsubscribe() not in chat.effects


def test_unsubscribe_in_her_words_is_confirmed_then_done(chat: Chat) -> None:
    chat.say("ya no quiero recibir recordatorios")
    assert chat.said("confirm_unsubscribe") and chat.effects == []
    chat.say("siii")
    assert chat.effects == [Unsubscribe()]
    chat.say("BAJA")
    assert chat.effects == [Unsubscribe()]


def test_subscribe_in_her_words_is_confirmed_then_done(chat: Chat) -> None:
    chat.say("quiero que me avisen del programa")
    assert chat.said("confirm_subscribe") and chat.effects == []
    chat.say("👍")
    assert chat.effects == [Subscribe()]


def test_an_unrelated_reply_drops_the_confirmation(chat: Chat) -> None:
    chat.say("borra mis datos").say("dónde hay un cem en comas")
    assert chat.effects == [] and "Comas" in chat.text
    assert chat.session.awaiting is None


def test_asking_for_a_defensora_in_free_text_asks_if_it_is_safe_first(chat: Chat) -> None:
    chat.say("quiero hablar con una persona")
    assert chat.said("defensora_intro") and chat.effects == []
    assert chat.session.awaiting is Awaiting.CONFIRM_DEFENSORA
    chat.say("sí, es seguro")
    assert chat.paged is Severity.MODERATE and chat.safe is True
    assert chat.said("defensora_requested")


def test_ok_to_is_it_safe_that_a_defensora_writes_asks_again(chat: Chat) -> None:
    """The defensora screen asks whether it is safe to write to her: a bare 'ok' is no consent
    (no case, nothing recorded); the screen is shown again and a yes then asks for her."""
    chat.say("DEFENSORA").say("ok")
    assert chat.effects == [] and chat.said("defensora_intro")
    assert chat.session.awaiting is Awaiting.CONFIRM_DEFENSORA
    chat.say("ok, sí")
    assert chat.safe is True and chat.said("defensora_requested")


@pytest.mark.parametrize("ok", ["ok", "okey", "ok espera", "ok entendido", "vale gracias chamo"])
def test_ok_to_erase_or_unsubscribe_asks_once_more(chat: Chat, ok: str) -> None:
    """'ok' may only acknowledge: erasing and unsubscribing wait for a yes or the keyword."""
    chat.say("borra mis datos").say(ok)
    assert chat.effects == [] and chat.replies == [chat.t("confirm_forget")]
    assert chat.session.awaiting is Awaiting.CONFIRM_FORGET
    chat.say("sí")
    assert chat.effects == [Forget()]
    chat = Chat(chat.content)
    chat.say("ALTA").say("ya no quiero recibir recordatorios").say(ok)
    assert Unsubscribe() not in chat.effects and chat.said("confirm_unsubscribe")


@pytest.mark.parametrize("ok", ["ok", "okey"])
def test_ok_still_confirms_what_she_asked_for(chat: Chat, ok: str) -> None:
    chat.say("quiero que me avisen del programa").say(ok)
    assert chat.effects == [Subscribe()]


def test_defensora_keyword_then_not_safe(chat: Chat) -> None:
    chat.say("DEFENSORA")
    assert chat.said("defensora_intro") and chat.effects == []
    chat.say("ahora no")
    assert chat.paged is None and chat.safe is False
    assert chat.replies == [chat.t("not_safe")]


def test_every_confirmation_names_a_keyword_that_does_it(content: Content) -> None:
    for action, keyword in (
        ("forget", Keyword.FORGET),
        ("unsubscribe", Keyword.UNSUBSCRIBE),
        ("subscribe", Keyword.SUBSCRIBE),
    ):
        text = content.texts[f"confirm_{action}"]
        named = [w for w in text.split() if w.isupper() and len(w) > 2]
        assert named, f"confirm_{action} names no keyword"
        assert all(content.words.keyword(w) is keyword for w in named), f"confirm_{action}"
    for text_id, keyword in (
        ("safe_yes", Keyword.FORGET),
        ("not_safe", Keyword.FORGET),
        ("hyperbole", Keyword.DEFENSORA),
    ):  # the keyword a text names must do what the text says
        named = [
            w.strip(".,") for w in content.texts[text_id].split() if w.isupper() and len(w) > 2
        ]
        assert named and all(content.words.keyword(w) is keyword for w in named), text_id
    assert key_of("SALIR") in content.words.listed(Keyword.FORGET)


# ------------------------------------------------------------------ warm fallbacks


@pytest.mark.parametrize(
    "text",
    ["me siento muy sola", "estoy agotada", "me da vergüenza contarlo", "nobody believes me"],
)
def test_feelings_are_acknowledged_and_a_defensora_offered(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.first("feelings_answer")
    assert "Línea 100" in chat.t("feelings_answer")
    assert any("defensora" in label.lower() for label in chat.labels)  # the offer
    assert chat.paged is None and not chat.said("fallback")


def test_a_sad_emoji_is_answered_as_a_feeling(chat: Chat) -> None:
    chat.say("😢😢")
    assert chat.first("feelings_answer")


@pytest.mark.parametrize("text", ["🙏", "😀😀😀", "💜"])
def test_emoji_only_gets_a_kind_reply_not_no_text_arrived(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.said("emoji_only") and not chat.said("empty")
    assert chat.shows_menu


@pytest.mark.parametrize("text", ["jajaja me muero de risa", "el tráfico me mata"])
def test_hyperbole_gets_a_fitting_reply(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.paged is None
    assert chat.said("hyperbole") and not chat.said("fallback")


def test_a_wrong_option_repeats_a_short_prompt_not_the_whole_list(chat: Chat) -> None:
    chat.say("hola").say("2")
    long_screen = chat.text
    chat.say("7")
    assert chat.replies == [chat.t("unknown_option")]
    assert len(chat.text) < len(long_screen) / 3
    assert len(chat.labels) == 2  # the screen's options are still there to press
    assert chat.session.node == "helplines"
