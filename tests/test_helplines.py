"""Help lines content and wording."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.helplines import (
    Helpline,
    OrientationTexts,
    emergency_line,
    format_helplines,
    line_by_id,
    load_helplines,
    load_texts,
)

SHARED = Path(__file__).parents[2] / "shared" / "data"


def content(name: str) -> Any:
    return yaml.safe_load(Path(__file__).parents[1].joinpath("content", name).read_text("utf-8"))


@pytest.fixture(scope="module")
def lines() -> tuple[Helpline, ...]:
    return load_helplines(content("helplines.yaml"))


@pytest.fixture(scope="module")
def texts() -> OrientationTexts:
    return load_texts(content("orientation.yaml"))


def test_linea_100_and_105_exact(lines: tuple[Helpline, ...]) -> None:
    l100 = line_by_id(lines, "linea_100")
    police = line_by_id(lines, "pnp_105")
    assert l100 is not None and l100.number == "100" and l100.name == "Línea 100"
    assert l100.cost == "gratuita" and l100.hours and "24 horas" in l100.hours
    assert police is not None and police.number == "105"


def test_shown_lines_have_sources_and_911_hidden(lines: tuple[Helpline, ...]) -> None:
    shown = [line for line in lines if line.show]
    assert {"linea_100", "chat_100", "pnp_105", "samu_106", "minsa_113_opcion_5"} <= {
        line.id for line in shown
    }
    assert all(line.sources for line in shown)
    assert not any(line.number == "911" for line in shown)


@pytest.mark.skipif(not (SHARED / "helplines.yaml").exists(), reason="shared data not at ../shared")
def test_numbers_match_shared(lines: tuple[Helpline, ...]) -> None:
    shared = yaml.safe_load((SHARED / "helplines.yaml").read_text("utf-8"))
    for item in shared:
        ours = line_by_id(lines, item["id"])
        assert ours is not None and ours.number == item["number"]


def test_format_helplines(lines: tuple[Helpline, ...], texts: OrientationTexts) -> None:
    text = format_helplines(lines, texts)
    first = text.splitlines()[1]
    assert first.startswith("• 105")
    assert "Línea 100" in text and "Chat 100" in text and "113, opción 5" in text
    assert "911" not in text
    assert len(text) < 1500


def test_emergency_line(lines: tuple[Helpline, ...], texts: OrientationTexts) -> None:
    short = emergency_line(lines, texts)
    assert "105" in short and "Línea 100" in short and len(short) < 120


def test_broken_helplines_refused() -> None:
    data = content("helplines.yaml")
    bad = copy.deepcopy(data)
    next(x for x in bad["lines"] if x["id"] == "linea_100")["number"] = "101"
    with pytest.raises(ValueError, match="linea_100"):
        load_helplines(bad)
    bad = copy.deepcopy(data)
    del bad["lines"][0]["id"]
    with pytest.raises(ValueError, match=r"helplines\.yaml: lines\[0\]"):
        load_helplines(bad)


def test_orientation_texts_refuse_missing_key() -> None:
    data = content("orientation.yaml")
    del data["hours_unknown"]
    with pytest.raises(ValueError, match="hours_unknown"):
        load_texts(data)
