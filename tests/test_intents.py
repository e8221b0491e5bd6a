"""Intent matching at the main menu, and the accuracy regression guard."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.intents import (
    INTENTS,
    IntentMatcher,
    build_intent_matcher,
    intent_json,
    load_intent_model,
    match_intent,
)
from flows.places import Directory, build_place_index, resolve_district

DATA = Path(__file__).parent / "data"


def content(name: str) -> Any:
    return yaml.safe_load(Path(__file__).parents[1].joinpath("content", name).read_text("utf-8"))


@pytest.fixture(scope="module")
def matcher() -> IntentMatcher:
    directory = Directory.from_content(
        content("cems.yaml"), content("districts.yaml"), content("landmarks.yaml")
    )
    return build_intent_matcher(
        load_intent_model(content("intents.yaml")), build_place_index(directory)
    )


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("holaaa", "greeting_menu"),
        ("menu", "greeting_menu"),
        ("donde keda el cem", "find_cem"),
        ("kiero denunciar", "find_cem"),
        ("linea100", "helplines"),
        ("auxilio", "helplines"),
        ("cuando sale el proximo episodio", "next_episode"),
        ("quiero suscribirme", "subscribe"),
        ("avisenme del siguiente programa", "subscribe"),
        ("ya no quiero recibir alertas", "unsubscribe"),
        ("STOP", "unsubscribe"),
        ("kiero ablar con una defensora", "talk_to_defensora"),
        ("eres un bot?", "about"),
        ("borra mis datos", "forget_me"),
        ("grasias", "thanks_bye"),
        ("thank you", "thanks_bye"),
        ("asdfgh", "other"),
        ("tal vez", "other"),
        ("", "other"),
    ],
)
def test_intents(matcher: IntentMatcher, text: str, intent: str) -> None:
    assert match_intent(text, matcher).intent == intent


def test_examples_in_content_match(matcher: IntentMatcher) -> None:
    for name, terms in matcher.model.intents.items():
        for example in terms.examples:
            assert match_intent(example, matcher).intent == name, example


def test_district_goes_to_find_cem(matcher: IntentMatcher) -> None:
    m = match_intent("hola buenas, vivo en sjl", matcher)
    assert (m.intent, m.district) == ("find_cem", "San Juan de Lurigancho")
    amb = match_intent("estoy en san juan", matcher)
    assert amb.intent == "find_cem" and amb.district is None and len(amb.candidates) == 2


def test_forget_me_not_swallowed_by_district(matcher: IntentMatcher) -> None:
    m = match_intent("borra mis datos, soy de comas", matcher)
    assert (m.intent, m.district) == ("forget_me", "Comas")


def test_intent_json(matcher: IntentMatcher) -> None:
    out = intent_json("línea 100", matcher)
    assert out["intent"] == "helplines" and out["intent"] in INTENTS
    assert intent_json("comas", matcher)["district"] == "Comas"


@pytest.mark.parametrize("text", ["x" * 10_000, "🙏" * 3000, "gracias " * 2000, "\u200b\x00"])
def test_hostile_inputs(matcher: IntentMatcher, text: str) -> None:
    assert match_intent(text, matcher).intent in INTENTS


def test_unknown_intent_refused() -> None:
    data = copy.deepcopy(content("intents.yaml"))
    data["intents"]["dance"] = {"strong": ["baila"]}
    with pytest.raises(ValueError, match="dance"):
        load_intent_model(data)


def _rows(name: str) -> list[tuple[str, str]]:
    lines = (DATA / name).read_text("utf-8").splitlines()[1:]
    return [(a, b) for a, _, b in (line.partition("\t") for line in lines if line.strip())]


def test_accuracy_thresholds_regression_guard(matcher: IntentMatcher) -> None:
    """Done-when thresholds on the full labelled sets (dev + held-out). Not a timing test."""
    index = matcher.index
    placed = placeable = refused = unplaceable = 0
    for label, text in _rows("districts_dev.tsv") + _rows("districts_heldout.tsv"):
        res = resolve_district(text, index)
        if label == "-":
            unplaceable += 1
            refused += res.district is None and len(res.candidates) < 2
        elif label != "?":
            placeable += 1
            placed += res.district == label
    rows = _rows("intents_dev.tsv") + _rows("intents_heldout.tsv")
    correct = sum(match_intent(text, matcher).intent == label for label, text in rows)
    assert placeable >= 300 and unplaceable >= 100 and len(rows) >= 400
    assert placed / placeable >= 0.95
    assert refused / unplaceable >= 0.85
    assert correct / len(rows) >= 0.92
