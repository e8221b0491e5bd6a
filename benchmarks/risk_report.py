"""Figures of the risk assessor on the labelled sets: ``python -m benchmarks.risk_report``.

Prints, for the development set, the held-out set and both together: recall of high+imminent,
imminent recognised as imminent, moderate recognised (moderate or above), false escalations
(none assessed high or above), false flags (none assessed above none); then microseconds per
message (mean and p99) and the miss list (expected vs got).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from flows.risk import CATEGORIES, RiskLexicon, RiskModel, assess_risk, compile_lexicon
from flows.text import fold
from flows.types import Severity

ROOT = Path(__file__).resolve().parents[1]
LEXICON = ROOT / "content" / "risk.yaml"
DEV = ROOT / "tests" / "data" / "risk_dev.tsv"
HELDOUT = ROOT / "tests" / "data" / "risk_heldout.tsv"

HARD_NEGATIVE_STEMS = (
    "mat",
    "muer",
    "muri",
    "mori",
    "peg",
    "golpe",
    "golpi",
    "cuchill",
    "encerr",
    "ahorc",
    "viol",
    "pistol",
    "arma",
    "sangr",
    "cort",
    "chanc",
    "romp",
    "kill",
    "abus",
    "secuestr",
    "acos",
    "feminicid",
    "cachud",
    "amenaz",
    "mugre",
    "navaja",
    "machete",
    "toca",
    "pata",
    "pate",
)
"""A 'none' message containing one of these word starts counts as a hard negative."""


@dataclass(frozen=True, slots=True)
class Row:
    severity: Severity
    categories: tuple[str, ...]
    text: str
    source: str

    @property
    def hard_negative(self) -> bool:
        return self.severity is Severity.NONE and any(
            word.startswith(HARD_NEGATIVE_STEMS) for word in fold(self.text).split()
        )


@dataclass
class Figures:
    rows: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    hard_negatives: int = 0
    high_recall: float = 0.0
    imminent_recall: float = 0.0
    moderate_recall: float = 0.0
    false_escalations: float = 0.0
    false_flags: float = 0.0
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(kind, expected, got, text)."""


def load_rows(path: Path) -> list[Row]:
    """Read a labelled TSV: header, then ``severity<TAB>categories<TAB>text``."""
    rows = []
    lines = path.read_text("utf-8").splitlines()
    if not lines or lines[0].split("\t") != ["severity", "categories", "text"]:
        raise ValueError(f"{path}: header must be severity, categories, text")
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"{path}:{number}: expected 3 tab-separated columns")
        severity = Severity(parts[0])
        categories = tuple(c for c in parts[1].split(",") if c)
        for category in categories:
            if category not in CATEGORIES:
                raise ValueError(f"{path}:{number}: unknown category {category!r}")
        rows.append(Row(severity, categories, parts[2], path.name))
    return rows


def load_model(path: Path = LEXICON) -> RiskModel:
    return compile_lexicon(RiskLexicon.model_validate(yaml.safe_load(path.read_text("utf-8"))))


def _ratio(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def evaluate(rows: list[Row], model: RiskModel) -> Figures:
    """Score every row; misses are false negatives (any level too low) and false flags."""
    fig = Figures(rows=len(rows))
    counts = {"hi": 0, "hi_ok": 0, "imm": 0, "imm_ok": 0, "mod": 0, "mod_ok": 0}
    none_total = none_escalated = none_flagged = 0
    for row in rows:
        fig.by_severity[row.severity.value] = fig.by_severity.get(row.severity.value, 0) + 1
        fig.hard_negatives += row.hard_negative
        got = assess_risk(row.text, model).severity
        expected = row.severity
        if expected.at_least(Severity.HIGH):
            counts["hi"] += 1
            counts["hi_ok"] += got.at_least(Severity.HIGH)
        if expected is Severity.IMMINENT:
            counts["imm"] += 1
            counts["imm_ok"] += got is Severity.IMMINENT
        if expected is Severity.MODERATE:
            counts["mod"] += 1
            counts["mod_ok"] += got.at_least(Severity.MODERATE)
        if expected is Severity.NONE:
            none_total += 1
            none_escalated += got.at_least(Severity.HIGH)
            none_flagged += got is not Severity.NONE
        if got.rank < expected.rank:
            fig.misses.append(("missed", expected.value, got.value, row.text))
        elif expected is Severity.NONE and got is not Severity.NONE:
            kind = "false escalation" if got.at_least(Severity.HIGH) else "false flag"
            fig.misses.append((kind, expected.value, got.value, row.text))
        elif got.rank > expected.rank:
            fig.misses.append(("over", expected.value, got.value, row.text))
    fig.high_recall = _ratio(counts["hi_ok"], counts["hi"])
    fig.imminent_recall = _ratio(counts["imm_ok"], counts["imm"])
    fig.moderate_recall = _ratio(counts["mod_ok"], counts["mod"])
    fig.false_escalations = _ratio(none_escalated, none_total) if none_total else 0.0
    fig.false_flags = _ratio(none_flagged, none_total) if none_total else 0.0
    return fig


def timing(rows: list[Row], model: RiskModel, repeats: int = 20) -> tuple[float, float]:
    """Mean and p99 microseconds per message over ``repeats`` passes of every row."""
    samples = []
    for _ in range(repeats):
        for row in rows:
            start = time.perf_counter_ns()
            assess_risk(row.text, model)
            samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return statistics.fmean(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def _table(named: list[tuple[str, Figures]]) -> str:
    lines = [
        f"{'set':<10}{'rows':>6}{'hard-':>7}{'high+imm':>10}{'imm=imm':>9}{'moderate':>10}"
        f"{'false esc':>11}{'false flag':>11}",
        f"{'':<10}{'':>6}{'neg':>7}{'recall':>10}{'recall':>9}{'recall':>10}"
        f"{'(<=3%)':>11}{'(<=8%)':>11}",
    ]
    for name, f in named:
        lines.append(
            f"{name:<10}{f.rows:>6}{f.hard_negatives:>7}{f.high_recall:>10.1%}"
            f"{f.imminent_recall:>9.1%}{f.moderate_recall:>10.1%}"
            f"{f.false_escalations:>11.1%}{f.false_flags:>11.1%}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20, help="timing passes over all rows")
    parser.add_argument("--only", choices=["dev", "heldout"], help="score one set only")
    args = parser.parse_args(argv)
    model = load_model()
    sets = {"dev": load_rows(DEV) if DEV.exists() else [], "heldout": load_rows(HELDOUT)}
    if args.only:
        sets = {args.only: sets[args.only]}
    named = [(name, evaluate(rows, model)) for name, rows in sets.items()]
    every = [row for rows in sets.values() for row in rows]
    if len(sets) > 1:
        named.append(("all", evaluate(every, model)))
    print(_table(named))
    for name, f in named:
        print(f"  {name}: {f.by_severity}")
    mean, p99 = timing(every, model, args.repeats)
    print(f"\nspeed: {mean:.1f} us/message mean, {p99:.1f} us p99 ({len(every)} x {args.repeats})")
    for name, f in named:
        if name == "all":
            continue
        print(f"\nmisses in {name} ({len(f.misses)}):")
        for kind, expected, got, text in f.misses:
            print(f"  [{kind}] expected {expected}, got {got}: {text}")


if __name__ == "__main__":
    main()
