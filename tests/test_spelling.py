"""The one SMS dictionary (content/spelling.yaml) and the one key spelling."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flows.spelling import Spelling, key, load_spelling

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def spelling() -> Spelling:
    return load_spelling(yaml.safe_load(ROOT.joinpath("content/spelling.yaml").read_text("utf-8")))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("chorrillos", "chorillos"),
        ("surquillo", "surkiyo"),
        ("hola", "ola"),
        ("violencia", "biolensia"),
        ("cuchillo", "cuchiyo"),
    ],
)
def test_spellings_that_sound_alike_share_a_key(a: str, b: str) -> None:
    assert key(a) == key(b)


def test_key_keeps_ch_apart_from_k() -> None:
    assert key("chata") != key("cata")


def test_sms_words_are_expanded(spelling: Spelling) -> None:
    assert spelling.tokens("dnd keda x fa") == ["donde", "keda", "por", "fa"]
    assert spelling.tokens("linea100") == ["linea", "100"]
    assert spelling.tokens("m pega") == ["me", "pega"]


def test_initials_are_not_expanded(spelling: Spelling) -> None:
    assert spelling.tokens("s.m.p") == ["s", "m", "p"]
    assert spelling.tokens("v m t") == ["v", "m", "t"]


def test_spelling_content_is_words_to_words() -> None:
    with pytest.raises(ValueError, match="sms"):
        load_spelling({"sms": {"no": False}})
