"""The dialogue's declared words and states are checked when the bot starts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content import DEFAULT_CONTENT_DIR, ContentError, load_content
from flows.dialogue.words import Keyword
from flows.engine import Content
from flows.menus import Node


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(
        DEFAULT_CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_node_the_engine_uses_is_declared_in_menus(content: Content) -> None:
    assert {node.value for node in Node} <= set(content.menus.nodes)


def test_a_menu_without_a_node_the_engine_needs_is_refused(folder: Path) -> None:
    option = '      - {label: "Sobre Defensoras al Parlante", goto: about}\n'
    edit(folder / "menus.yaml", option, "")
    menus = (folder / "menus.yaml").read_text(encoding="utf-8")
    start = menus.index("  about:\n")
    (folder / "menus.yaml").write_text(menus[:start], encoding="utf-8")
    with pytest.raises(ContentError, match="'about'"):
        load_content(folder)


def test_a_keyword_under_two_actions_is_refused(folder: Path) -> None:
    edit(folder / "keywords.yaml", "subscribe: [alta", "subscribe: [alta, baja")
    with pytest.raises(ContentError, match=r"keywords\.yaml"):
        load_content(folder)


def test_an_answer_list_read_as_booleans_is_refused(folder: Path) -> None:
    """YAML reads a bare `no` as false: the loader must say so rather than lose the word."""
    edit(folder / "keywords.yaml", '"no": ["no", ', '"no": [no, ')
    with pytest.raises(ContentError, match=r"keywords\.yaml"):
        load_content(folder)


def test_keywords_are_editable_in_content(folder: Path) -> None:
    edit(folder / "keywords.yaml", "forget: [borrar, salir,", "forget: [borrar, salir, chau chau,")
    words = load_content(folder).words
    assert words.keyword("Chau chau") is Keyword.FORGET
    assert words.keyword("chau chau por favor") is None
