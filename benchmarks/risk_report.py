"""Figures of the risk assessor on the labelled sets: ``python -m benchmarks.risk_report``.

Prints, per set side by side (development sets always; the blind sets only with ``--blind``):
rows, recall of high+imminent, imminent recognised as imminent, moderate recognised (moderate or
above), false escalations (none assessed high or above), false flags (none assessed above none),
and microseconds per message (mean, p99; the learned second opinion included); then one line per
set for its English rows (told by the bot's own language detector). Then the misses
(expected vs got) of the development sets; a blind set's misses only with ``--misses-blind``.

Blind sets (``tests/data/risk_blind1*.tsv``, ``tests/data/risk_final3*.tsv``) are scored by the lead
engineer only: nobody tunes on them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.languages import is_english
from bot.content import DEFAULT_CONTENT_DIR, load_risk_model
from flows.risk import CATEGORIES, Assessment, RiskModel, assess_risk
from flows.text import fold
from flows.types import Severity

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
DEV = DATA / "risk_dev.tsv"
HELDOUT = DATA / "risk_heldout.tsv"
DEV2 = DATA / "risk_dev2.tsv"
PROBE = DATA / "risk_probe.tsv"
SPENT1 = DATA / "risk_spent1.tsv"
DEV3 = DATA / "risk_dev3.tsv"
SPENT2 = DATA / "risk_spent2.tsv"
DEV4 = DATA / "risk_dev4.tsv"
HARDNEG = DATA / "risk_hardneg.tsv"
DEV5 = DATA / "risk_dev5.tsv"
DEVELOPMENT = {
    "dev": (DEV,),
    "heldout": (HELDOUT,),
    "dev2": (DEV2,),
    "probe": (PROBE,),
    "spent1": (SPENT1,),
    **({"dev3": (DEV3,)} if DEV3.exists() else {}),
    **{
        name: (path,)
        for name, path in (
            ("spent2", SPENT2),
            ("dev4", DEV4),
            ("hardneg", HARDNEG),
            ("dev5", DEV5),
        )
        if path.exists()
    },
}
"""Development sets: read, tuned on, misses listed. dev2 was written blind by an independent
writer (tests/data/briefs/risk_brief.md); dev, heldout and probe by the lexicon's own hands;
spent1 is the first final blind set (writer F), scored once at stop 19 and development since;
spent2 the second (writers G + H), scored once at stop 20. dev4 (writer R) and hardneg (writer S, a
brief with more hard negatives and borderline rows) were written for stop 21's tuning; dev5 (writer
T) was a checkpoint scored once by the lead mid-session (11:41, fce2c42), development since."""


def blind_sets() -> dict[str, tuple[Path, ...]]:
    """The blind sets (several files of the first one are scored as one set)."""
    return {
        "blind1": tuple(sorted(DATA.glob("risk_blind1*.tsv"))),
        "final": tuple(sorted(DATA.glob("risk_final3*.tsv"))),
    }


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
    mean_us: float = 0.0
    p99_us: float = 0.0
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(kind, expected, got, text)."""


def load_rows(path: Path) -> list[Row]:
    """Read a labelled TSV: header, then ``severity, categories, text`` and maybe ``reason``."""
    rows = []
    lines = path.read_text("utf-8").splitlines()
    header = lines[0].split("\t") if lines else []
    if header[:3] != ["severity", "categories", "text"] or len(header) > 4:
        raise ValueError(f"{path}: header must be severity, categories, text[, reason]")
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) not in (3, 4):
            raise ValueError(f"{path}:{number}: expected 3 or 4 tab-separated columns")
        severity = Severity(parts[0].strip())
        categories = tuple(c.strip() for c in parts[1].split(",") if c.strip() not in ("", "-"))
        for category in categories:
            if category not in CATEGORIES:
                raise ValueError(f"{path}:{number}: unknown category {category!r}")
        rows.append(Row(severity, categories, parts[2], path.name))
    return rows


def load_model() -> RiskModel:
    """The shipped model: lexicon and learned second opinion, as the bot loads them."""
    return load_risk_model(DEFAULT_CONTENT_DIR)


def _ratio(hits: int, total: int) -> float:
    return hits / total if total else 1.0


Assess = Callable[[str], Assessment]


def evaluate(rows: list[Row], model: RiskModel | Assess) -> Figures:
    """Score every row; misses are false negatives (any level too low) and false flags."""
    assess = model if callable(model) else (lambda text: assess_risk(text, model))
    fig = Figures(rows=len(rows))
    counts = {"hi": 0, "hi_ok": 0, "imm": 0, "imm_ok": 0, "mod": 0, "mod_ok": 0}
    none_total = none_escalated = none_flagged = 0
    for row in rows:
        fig.by_severity[row.severity.value] = fig.by_severity.get(row.severity.value, 0) + 1
        fig.hard_negatives += row.hard_negative
        got = assess(row.text).severity
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


def timing(texts: list[str], assess: Assess, repeats: int = 10) -> tuple[float, float]:
    """Mean and p99 over messages of each message's best time out of ``repeats`` runs (µs).

    Thread CPU time, best of several runs: the message's own cost. On a shared machine wall
    time mostly measures the neighbours (preemption, other processes' caches)."""
    best = [float("inf")] * len(texts)
    for _ in range(repeats):
        for i, text in enumerate(texts):
            start = time.thread_time_ns()
            assess(text)
            best[i] = min(best[i], (time.thread_time_ns() - start) / 1000)
    if not best:
        return 0.0, 0.0
    best.sort()
    return statistics.fmean(best), best[min(len(best) - 1, int(len(best) * 0.99))]


_COLUMNS = (
    ("rows", "", "{:d}"),
    ("hard-neg", "", "{:d}"),
    ("high+imm", "recall", "{:.1%}"),
    ("imm=imm", "recall", "{:.1%}"),
    ("moderate", "recall", "{:.1%}"),
    ("false esc", "(<=3%)", "{:.1%}"),
    ("false flag", "(<=8%)", "{:.1%}"),
    ("mean us", "", "{:.0f}"),
    ("p99 us", "", "{:.0f}"),
)


def table(named: list[tuple[str, Figures]]) -> str:
    """The sets side by side: one column per set."""
    width = max([10, *(len(name) + 2 for name, _ in named)])
    lines = [f"{'':<20}" + "".join(f"{name:>{width}}" for name, _ in named)]
    for (title, note, fmt), attr in zip(_COLUMNS, _ATTRS, strict=True):
        label = f"{title} {note}".strip()
        cells = "".join(f"{fmt.format(getattr(f, attr)):>{width}}" for _, f in named)
        lines.append(f"{label:<20}{cells}")
    return "\n".join(lines)


_ATTRS = (
    "rows",
    "hard_negatives",
    "high_recall",
    "imminent_recall",
    "moderate_recall",
    "false_escalations",
    "false_flags",
    "mean_us",
    "p99_us",
)


def english_line(f: Figures) -> str:
    """One line of a subset's figures (the English rows of a set)."""
    return (
        f"{f.rows} rows ({f.by_severity}), high+imm {f.high_recall:.1%}, imm=imm"
        f" {f.imminent_recall:.1%}, moderate {f.moderate_recall:.1%}, false esc"
        f" {f.false_escalations:.1%}, false flag {f.false_flags:.1%}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=10, help="timing passes over all rows")
    parser.add_argument("--only", choices=sorted(DEVELOPMENT), help="score one development set")
    parser.add_argument("--set", type=Path, action="append", default=[], help="also score a TSV")
    parser.add_argument("--rules-only", action="store_true", help="without the classifier")
    parser.add_argument("--blind", action="store_true", help="also score the blind sets (lead)")
    parser.add_argument("--misses-blind", action="store_true", help="list blind-set misses too")
    parser.add_argument("--no-misses", action="store_true", help="figures only")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    model = load_model()
    if args.rules_only:
        model = model.without_classifier()
    sets = {name: paths for name, paths in DEVELOPMENT.items() if paths[0].exists()}
    if args.only:
        sets = {args.only: DEVELOPMENT[args.only]}
    sets.update({path.stem: (path,) for path in args.set})
    blind = blind_sets() if args.blind else {}
    sets.update({name: paths for name, paths in blind.items() if paths})

    def assess(text: str) -> Assessment:
        return assess_risk(text, model)

    named: list[tuple[str, Figures]] = []
    for name, paths in sets.items():
        rows = [row for path in paths for row in load_rows(path)]
        figures = evaluate(rows, assess)
        figures.mean_us, figures.p99_us = timing([r.text for r in rows], assess, args.repeats)
        named.append((name, figures))
    print(table(named))
    for name, f in named:
        print(f"  {name}: {f.by_severity}")
    print("\nEnglish rows (the bot's language detector), per set:")
    for name, paths in sets.items():
        english = [row for path in paths for row in load_rows(path) if is_english(row.text)]
        print(f"  {name}: {english_line(evaluate(english, assess))}")
    long_texts = [row.text for _, paths in sets.items() for p in paths for row in load_rows(p)]
    long_texts = [t for t in long_texts if len(t) >= 400]
    mean, p99 = timing(long_texts, assess, args.repeats)
    print(
        f"\nlong messages (>= 400 chars, {len(long_texts)}): {mean:.0f} us mean, {p99:.0f} us p99"
    )
    if args.no_misses:
        return
    for name, f in named:
        if name in blind and not args.misses_blind:
            continue
        print(f"\nmisses in {name} ({len(f.misses)}):")
        for kind, expected, got, text in f.misses:
            print(f"  [{kind}] expected {expected}, got {got}: {text}")


if __name__ == "__main__":
    main()
