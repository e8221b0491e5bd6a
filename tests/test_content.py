"""Content is validated at start-up; bad content is refused naming the file, key and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content import DEFAULT_CONTENT_DIR, ContentError, load_content
from flows.diagram import mermaid


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


def test_shipped_content_loads(folder: Path) -> None:
    content = load_content(folder)
    assert content.menus.start == "main"
    assert set(content.menus.reachable()) == set(content.menus.nodes)


def test_unknown_menu_target_is_named(folder: Path) -> None:
    edit(folder / "menus.yaml", "goto: helplines", "goto: nowhere")
    with pytest.raises(ContentError, match=r"menus\.yaml.*nowhere"):
        load_content(folder)


def test_unreachable_node_is_named(folder: Path) -> None:
    with (folder / "menus.yaml").open("a", encoding="utf-8") as f:
        f.write("  orphan:\n    text: about\n")
    with pytest.raises(ContentError, match="orphan"):
        load_content(folder)


def test_unknown_placeholder_is_refused_before_an_alert_needs_it(folder: Path) -> None:
    edit(folder / "cases.yaml", "Persona: {pseudonym}", "Persona: {seudonimo}")
    with pytest.raises(ContentError, match=r"detail_person.*seudonimo"):
        load_content(folder)


def test_missing_text_id_is_named(folder: Path) -> None:
    edit(folder / "texts.yaml", "  fallback:", "  fallbackk:")
    with pytest.raises(ContentError, match="fallback"):
        load_content(folder)


def test_error_names_the_line(folder: Path) -> None:
    edit(
        folder / "menus.yaml",
        '{label: "Volver al menú", goto: main}',
        '{label: "x", goto: main, action: forget}',
    )
    with pytest.raises(
        ContentError, match=r"menus\.yaml: line \d+, key nodes\.cem_ask\.options\.0"
    ):
        load_content(folder)


def test_invalid_yaml_is_named(folder: Path) -> None:
    (folder / "texts.yaml").write_text("texts: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"texts\.yaml: invalid YAML"):
        load_content(folder)


def test_missing_file_is_named(folder: Path) -> None:
    (folder / "helplines.yaml").unlink()
    with pytest.raises(ContentError, match=r"helplines\.yaml: file is missing"):
        load_content(folder)


def test_menu_diagram_is_generated_from_content(folder: Path) -> None:
    diagram = mermaid(load_content(folder).menus)
    assert diagram.startswith("flowchart TD")
    assert 'main -- "1. Buscar un Centro Emergencia Mujer (CEM)" --> cem_ask' in diagram


def test_readme_menu_diagram_matches_the_content(folder: Path) -> None:
    readme = (DEFAULT_CONTENT_DIR.parent / "README.md").read_text(encoding="utf-8")
    assert mermaid(load_content(folder).menus) in readme
