"""The console channel and the line-oriented CLI contracts, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.factories import run_cli as run

ROOT = Path(__file__).resolve().parents[1]


def test_piped_chat_answers_each_line_and_exits_zero(tmp_path: Path) -> None:
    result = run(["chat"], "hola\n1\nsjl\n", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1. Buscar un Centro Emergencia Mujer" in out
    assert "¿En qué distrito" in out
    assert "San Juan de Lurigancho" in out
    assert (tmp_path / "defensoras.db").exists()
    assert "Clave de datos nueva" in result.stderr  # first run creates the key, and says so


def test_chat_keeps_the_conversation_between_runs(tmp_path: Path) -> None:
    run(["chat"], "hola\n1\n", tmp_path)
    second = run(["chat"], "comas\n", tmp_path)
    assert "Comas" in second.stdout
    assert "Clave de datos nueva" not in second.stderr


def test_chat_location_and_borrar(tmp_path: Path) -> None:
    result = run(["chat"], "/ubicacion -12.0553 -77.0311\nBORRAR\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "km" in result.stdout
    assert "Borré tus datos" in result.stdout


def test_empty_input_exits_zero(tmp_path: Path) -> None:
    assert run(["chat"], "", tmp_path).returncode == 0


def test_risk_json_one_object_per_line_in_order(tmp_path: Path) -> None:
    lines = ["me esta pegando ahora", "me muero de risa", "", "me insulta todo el dia"]
    result = run(["risk", "--json"], "\n".join(lines) + "\n", tmp_path)
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == len(lines)
    assert objects[0]["severity"] == "imminent"
    assert objects[1]["severity"] == "none"
    assert objects[2]["severity"] == "none"
    assert all(isinstance(o["categories"], list) for o in objects)


def test_cem_json_contract(tmp_path: Path) -> None:
    result = run(["cem", "--json"], "vivo en sjl\nestoy en el cercado\nen mi casa\n", tmp_path)
    assert result.returncode == 0, result.stderr
    first, cercado, home = (json.loads(line) for line in result.stdout.splitlines())
    assert first["district"] == "San Juan de Lurigancho" and first["centers"]
    assert cercado["district"] == "Lima"
    assert home["district"] is None


def test_intent_json_contract(tmp_path: Path) -> None:
    result = run(["intent", "--json"], "a quien llamo\nquiero hablar con alguien\n", tmp_path)
    assert result.returncode == 0, result.stderr
    intents = [json.loads(line)["intent"] for line in result.stdout.splitlines()]
    assert intents == ["helplines", "talk_to_defensora"]


def test_broken_content_refuses_to_start_naming_file_and_key(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    for f in (ROOT / "content").glob("*.yaml"):
        (content / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    menus = content / "menus.yaml"
    menus.write_text(
        menus.read_text(encoding="utf-8").replace("goto: helplines", "goto: nowhere"),
        encoding="utf-8",
    )
    result = run(["chat"], "hola\n", tmp_path, CONTENT_DIR=str(content))
    assert result.returncode == 2
    assert "menus.yaml" in result.stderr and "nowhere" in result.stderr


def test_console_gets_a_cem_from_name_abbreviation_misspelling_landmark_and_location(
    tmp_path: Path,
) -> None:
    lines = [
        "hola",
        "vivo en comas",  # district name, straight from the main menu
        "1",
        "sjl",  # abbreviation
        "1",
        "villa el salbador",  # misspelling
        "1",
        "estoy por gamarra",  # landmark
        "/ubicacion -12.0553 -77.0311",  # location pin near Mercado Central
    ]
    out = run(["chat"], "\n".join(lines) + "\n", tmp_path).stdout
    assert "CEM Regular Comas" in out
    assert "CEM Comisaría Bayovar" in out
    assert "CEM Regular Villa El Salvador" in out
    assert "CEM Regular La Victoria" in out
    assert "CEM Regular Lima" in out and "km" in out
    assert out.count("105") >= 5  # the emergency numbers go with every answer
