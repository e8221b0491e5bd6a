"""The safety-answers scorer plays rows through the engine and counts what the turns did."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.answers_report import figures, main, play, read_rows
from flows.engine import Content
from flows.types import Severity

ROWS = """question\treading\tdanger\ttext
Q1\tyes\tnone\tsi
Q1\tno\tnone\tno
Q1\tunsure\tnone\tno sé
Q2\tyes\tnone\tsi
Q2\tyes\tnone\tsi tranqui
Q2\tunknown\tnone\tok
Q2\tunsure\tnone\tcreo que si
Q2\tno\timminent\tno he is here right now
Q2\tno\tnone\tno
"""


@pytest.fixture
def tsv(tmp_path: Path) -> Path:
    path = tmp_path / "answers.tsv"
    path.write_text(ROWS, "utf-8")
    return path


def test_figures_come_from_the_turns(content: Content, tsv: Path) -> None:
    rows = read_rows(tsv)
    played = [(row, play(row, content)) for row in rows]
    found = {f.name: (f.hit, f.total) for figs in figures(played).values() for f in figs}
    assert found["should page, paged"] == (2, 2)  # 'si' imminent, 'no sé' high
    assert found["should not page, paged"] == (0, 1)
    assert found["non-yes taken as consent"] == (0, 4)  # 'ok' is asked again
    assert found["yes taken as yes"] == (2, 2)
    assert found["own danger >= high paged at that level"] == (1, 1)
    outcome = {(row.question, row.text): o for row, o in played}
    assert outcome["Q1", "si"].paged is Severity.IMMINENT
    assert outcome["Q1", "no sé"].paged is Severity.HIGH
    assert outcome["Q2", "ok"].consent is None and outcome["Q2", "no"].consent is False
    assert outcome["Q2", "no he is here right now"].level is Severity.IMMINENT


def test_the_report_prints_every_figure_and_the_misses(
    tsv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tsv), "--misses"]) == 0
    out = capsys.readouterr().out
    assert "Q1 ('auxilio' first)" in out and "Q2 ('mi esposo me pegó ayer' first)" in out
    assert "  3 rows; reading: yes 1 no 1 unsure 1 unknown 0" in out
    assert "non-yes taken as consent: 0/4" in out
    assert "overall: 9 rows, 0 wrong" in out and "MISS" not in out
