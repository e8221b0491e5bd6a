"""Transcripts: the questions people ask beside the menu get their own answer, then the menu."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.answers import all_venues, venues_answer
from flows.engine import Content
from tests.test_conversation import Chat

NOW = datetime(2026, 6, 17, 15, 0, tzinfo=UTC)


@pytest.fixture
def chat(content: Content) -> Chat:
    return Chat(content)


@pytest.mark.parametrize(
    ("says", "text_id"),
    [
        ("es gratis? es oficial esto?", "about"),
        ("quien esta detras de este bot", "about"),
        ("es confidencial? guardan mi numero?", "privacy_answer"),
        ("como puedo ser defensora", "defensora_info"),
        ("estoy en cusco, donde pido ayuda", "outside_lima_help"),
        ("receta de ceviche", "out_of_scope"),
        ("cuanto esta el dolar hoy", "out_of_scope"),
    ],
)
def test_question_gets_its_answer(chat: Chat, content: Content, says: str, text_id: str) -> None:
    chat.say(says)
    assert content.texts[text_id] in chat.text
    assert chat.effects == []


def test_out_of_scope_is_kind_and_shows_the_menu(chat: Chat, content: Content) -> None:
    chat.say("me ayudas con mi tarea de matematica")
    assert content.texts["out_of_scope"] in chat.text
    assert content.texts["fallback"] not in chat.text
    assert len(chat.labels) == 5 and chat.session.node == "main"


def test_privacy_question_is_answered_and_erases_nothing(chat: Chat, content: Content) -> None:
    chat.say("hola").say("los mensajes se borran solos o quedan?")
    assert content.texts["privacy_answer"] in chat.text
    assert "forget" not in chat.effects
    assert content.texts["forgotten"] not in chat.text


def test_who_is_behind_this_never_lists_cems(chat: Chat, content: Content) -> None:
    chat.say("quién está detrás de esto")
    assert content.texts["about"] in chat.text
    assert "CEM Comisar" not in chat.text and "Tel.:" not in chat.text


def test_outside_lima_gives_the_national_lines(chat: Chat) -> None:
    chat.say("vivo en huancayo, hay cem?")
    assert "Línea 100" in chat.text and "Chat 100" in chat.text


def test_markets_are_listed_from_the_episodes_content(chat: Chat, content: Content) -> None:
    chat.say("en que mercados suena el programa?")
    venues = all_venues(content.episodes)
    assert len(venues) == 4
    for venue in venues:
        assert venue.display_name in chat.text
    assert content.texts["venues_intro"] in chat.text


def test_markets_answer_names_a_date_only_when_the_schedule_has_one(content: Content) -> None:
    during = venues_answer(
        content.episodes, content.texts, datetime(2021, 6, 10, 12, tzinfo=UTC), content.orientation
    )
    assert "18" in during and content.texts["venues_no_date"] not in during
    after = venues_answer(content.episodes, content.texts, NOW, content.orientation)
    assert content.texts["venues_no_date"] in after


@pytest.mark.parametrize("says", ["me siento muy sola", "estoy triste", "estoy agotada"])
def test_feelings_are_acknowledged_with_a_defensora_and_linea_100(
    chat: Chat, content: Content, says: str
) -> None:
    chat.say(says)
    assert content.texts["feelings_answer"] in chat.text
    assert "Línea 100" in content.texts["feelings_answer"]
    assert any("defensora" in label.lower() for label in chat.labels)


@pytest.mark.parametrize(
    ("says", "field"),
    [
        ("no sé", "dont_know"),
        ("en mi casa", "unplaceable"),
        ("el mercado de mi barrio", "market_unknown"),
    ],
)
def test_vague_places_after_the_cem_question(
    chat: Chat, content: Content, says: str, field: str
) -> None:
    chat.say("hola").say("1").say(says)
    assert chat.text == getattr(content.orientation, field)
    assert chat.session.node == "cem_ask"


def test_the_city_alone_asks_for_the_district(chat: Chat, content: Content) -> None:
    chat.say("hola").say("1").say("Lima")
    assert chat.text == content.orientation.broad.format(place="Lima")
    chat.say("sjl")
    assert "CEM Comisaría Bayovar" in chat.text


def test_a_question_at_the_cem_prompt_is_answered_not_placed(chat: Chat, content: Content) -> None:
    chat.say("hola").say("1").say("quién está detrás de esto")
    assert content.texts["about"] in chat.text
    assert "Ancón" not in chat.text


def test_neighbourhood_gets_its_own_cem_first(chat: Chat) -> None:
    chat.say("vivo en caja de agua, donde hay un cem?")
    first = chat.text.split("\n1. ")[1].split("\n")[0]
    assert first == "CEM Comisaría Caja De Agua"
    assert "CEM Comisaría Bayovar" in chat.text  # all six of SJL, the far end last


@pytest.mark.parametrize("says", ["mercado unicachi", "el unicachi", "UNICACHI"])
def test_a_market_of_several_districts_asks_which_district(
    chat: Chat, content: Content, says: str
) -> None:
    """Unicachi markets stand in more than one district: she is asked which, not told the bot
    does not know it, and never given a guessed address."""
    chat.say("hola").say("1").say(says)
    assert chat.text == content.orientation.market_chain.format(market="Unicachi")
    assert chat.text != content.orientation.market_unknown and chat.session.node == "cem_ask"
    chat.say("villa el salvador")
    assert "CEM Regular Villa El Salvador" in chat.text


def test_the_programmes_unicachi_is_placed_in_its_district(chat: Chat) -> None:
    chat.say("hola").say("1").say("mercado unicachi de villa el salvador")
    assert "Villa El Salvador" in chat.text.split("\n")[0]


@pytest.mark.parametrize("says", ["ate vitarte", "Ate-Vitarte", "vivo en vitarte"])
def test_ate_vitarte_lists_vitartes_cem_first(chat: Chat, says: str) -> None:
    """'Ate-Vitarte' names the district by its zone: Vitarte's CEM first, then the rest of Ate's
    (the plain 'Ate' keeps the district's own order)."""
    chat.say("hola").say("1").say(says)
    first = chat.text.split("\n1. ")[1].split("\n")[0]
    assert first == "CEM Comisaría Vitarte"
    assert "CEM Comisaría Huaycan" in chat.text and "CEM Comisaría Santa Clara" in chat.text
    chat.say("0").say("1").say("Ate")
    assert chat.text.split("\n1. ")[1].split("\n")[0] != "CEM Comisaría Vitarte"
