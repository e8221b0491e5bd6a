"""Findings of the second conversation review (issue 12), each as a conversation.

Messages were written for this review, not copied from the development sets; assertions name
text ids and intents, never a copy of the wording."""

from __future__ import annotations

import pytest

from flows.engine import Content
from flows.intents import match_intent
from tests.transcript import Chat


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
