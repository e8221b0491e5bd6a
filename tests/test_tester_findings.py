"""Findings of the exploratory tester (main, 07:00), each held by a row or a transcript.

The tester's own wordings sit next to new wordings of the same concept: the fix is the concept or
the policy, never the sentence."""

from __future__ import annotations

import pytest

from flows.effects import Forget, Subscribe, Unsubscribe
from flows.engine import Content
from flows.risk import assess_risk
from flows.session import Awaiting
from flows.types import Severity
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
