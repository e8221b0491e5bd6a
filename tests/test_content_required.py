"""Content that loads but would break a turn is refused at start-up (issue 13 item 7): every
text id and menu node the code names must exist, and a text may only use the placeholders its
code fills. The list of what the code names is checked against the code itself."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.content import DEFAULT_CONTENT_DIR, ContentError, load_content
from flows.menus import REQUIRED_NODES, REQUIRED_TEXTS, TEXT_FIELDS

ROOT = Path(__file__).resolve().parents[1]
ELSEWHERE = {"person_from_defensora", "cat_none", "cat_requested"}
"""Ids that are also keys of texts.yaml but which the code reads from content/cases.yaml."""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(
        DEFAULT_CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    return target


def _texts(folder: Path) -> dict[str, str]:
    loaded = yaml.safe_load((folder / "texts.yaml").read_text(encoding="utf-8"))
    texts: dict[str, str] = loaded["texts"]
    return texts


def _rewrite_texts(folder: Path, texts: dict[str, str]) -> None:
    path = folder / "texts.yaml"
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    loaded["texts"] = texts
    path.write_text(yaml.safe_dump(loaded, allow_unicode=True), encoding="utf-8")


def _named_in_code() -> set[str]:
    """Every string literal in flows/ and bot/ that is also a text id of texts.yaml."""
    keys = set(_texts(DEFAULT_CONTENT_DIR))
    found = set()
    for source in [*ROOT.joinpath("flows").rglob("*.py"), *ROOT.joinpath("bot").rglob("*.py")]:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in keys:
                found.add(node.value)
    return found


def test_every_text_the_code_names_is_required() -> None:
    menus = yaml.safe_load((DEFAULT_CONTENT_DIR / "menus.yaml").read_text(encoding="utf-8"))
    node_texts = {node["text"] for node in menus["nodes"].values()}
    unlisted = _named_in_code() - set(REQUIRED_TEXTS) - node_texts - ELSEWHERE
    assert not unlisted, f"add to flows.menus.REQUIRED_TEXTS: {sorted(unlisted)}"


@pytest.mark.parametrize("text_id", REQUIRED_TEXTS)
def test_deleting_a_required_text_is_a_start_up_error_naming_it(folder: Path, text_id: str) -> None:
    texts = _texts(folder)
    del texts[text_id]
    _rewrite_texts(folder, texts)
    with pytest.raises(ContentError, match=rf"missing text id '{text_id}'"):
        load_content(folder)


@pytest.mark.parametrize("node", REQUIRED_NODES)
def test_renaming_a_node_the_code_goes_to_is_a_start_up_error_naming_it(
    folder: Path, node: str
) -> None:
    path = folder / "menus.yaml"
    text = path.read_text(encoding="utf-8")
    renamed = re.sub(rf"\b{node}\b(?=:|\s*}}|,)", f"{node}_renamed", text)
    renamed = re.sub(rf"^start: {node}$", f"start: {node}_renamed", renamed, flags=re.M)
    path.write_text(renamed, encoding="utf-8")
    with pytest.raises(ContentError, match=rf"missing node '{node}'"):
        load_content(folder)


@pytest.mark.parametrize("text_id", ["risk_imminent", "option_yes", "venues_next"])
def test_a_placeholder_the_code_does_not_fill_is_refused(folder: Path, text_id: str) -> None:
    texts = _texts(folder)
    texts[text_id] += " {nombre}"
    _rewrite_texts(folder, texts)
    with pytest.raises(ContentError, match=rf"text '{text_id}': placeholder \{{nombre\}}"):
        load_content(folder)


def test_the_placeholders_the_code_fills_are_accepted(folder: Path) -> None:
    assert {"when", "markets"} <= TEXT_FIELDS["venues_next"]
    assert load_content(folder).texts["venues_next"].count("{") >= 1
