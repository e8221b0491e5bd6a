"""Train the risk assessor's learned second opinion: ``python3 dev.py train-risk``.

(or ``python -m benchmarks.train_risk`` once scikit-learn is installed by hand: it is kept out
of the locked extras because only this offline step uses it.)

Reads the labelled DEVELOPMENT sets only (never ``*blind*`` or ``*final*`` files), adds
generated spelling variants (misspellings, SMS spelling, words run together, no accents,
capitals, invisible characters, stretched letters), fits three logistic heads with
scikit-learn (imminent; high or above; moderate or above) over the features of
:mod:`flows.risk.classifier`, picks each head's threshold on out-of-fold predictions combined
with the rules' own verdict, and writes ``content/risk_classifier.tsv``. Serving reads that
file in pure Python. Same inputs and seed give a byte-identical file.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.risk_report import DATA, DEVELOPMENT, Row, load_rows
from benchmarks.risk_variants import variants
from bot.content import DEFAULT_CONTENT_DIR, RISK_CLASSIFIER, load_risk_model
from flows.risk import RiskModel, assess_risk
from flows.risk.assess import Guards, rules_verdict, second_opinion
from flows.risk.classifier import HEADS, Scores, features
from flows.risk.prepare import prepare
from flows.types import Severity

SEED = 20261130
VARIANTS = 2
"""Generated variants per labelled message (the corpus is then about 3x the sets)."""
C = 4.0
OVER_ESCALATION = 0.08
"""The imminent head's threshold is the lowest that lifts at most this share of the messages
labelled high to imminent (out of fold): over-escalation is a failure too. The high head's
threshold likewise lifts at most this share of the messages labelled moderate to high."""
PRUNE = 0.002
"""Weights smaller than this are dropped from the shipped file (size; no measurable loss)."""


# --------------------------------------------------------------------------------------------
# Training


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    severity: Severity
    group: int
    """Index of the labelled message it comes from (variants share it; folds split by it)."""
    original: bool


def corpus(rows: Sequence[Row], seed: int = SEED, count: int = VARIANTS) -> list[Example]:
    """The labelled messages and their generated variants, in a fixed order."""
    rng = random.Random(seed)
    out = []
    for group, row in enumerate(rows):
        out.append(Example(row.text, row.severity, group, True))
        out.extend(Example(v, row.severity, group, False) for v in variants(row.text, rng, count))
    return out


def _targets(severity: Severity) -> tuple[int, int, int]:
    return (
        int(severity is Severity.IMMINENT),
        int(severity.at_least(Severity.HIGH)),
        int(severity.at_least(Severity.MODERATE)),
    )


def _matrix(texts: Sequence[str], model: RiskModel):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction import DictVectorizer

    dicts = []
    for text in texts:
        found = features(prepare(text, model)[1])
        value = 1.0 / len(found) ** 0.5 if found else 0.0
        dicts.append(dict.fromkeys(sorted(found), value))
    vectorizer = DictVectorizer(sort=True)
    return vectorizer, vectorizer.fit_transform(dicts), dicts


def fit_heads(examples: Sequence[Example], model: RiskModel, c: float = C):  # type: ignore[no-untyped-def]
    """Three fitted logistic regressions and the vectorizer they share."""
    from sklearn.linear_model import LogisticRegression

    vectorizer, x, _ = _matrix([e.text for e in examples], model)
    heads = []
    for h in range(len(HEADS)):
        y = [_targets(e.severity)[h] for e in examples]
        clf = LogisticRegression(C=c, solver="lbfgs", max_iter=3000)
        clf.fit(x, y)
        heads.append(clf)
    return vectorizer, heads


def export(vectorizer, heads, thresholds: Sequence[float], notes: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    """The weights file: header lines, then one feature per line (sorted, rounded)."""
    names = vectorizer.get_feature_names_out()
    rows = []
    for i, name in enumerate(names):
        w = [float(head.coef_[0][i]) for head in heads]
        if max(abs(v) for v in w) < PRUNE or "\t" in name or "\n" in name:
            continue
        rows.append(f"{name}\t" + "\t".join(f"{v:.4f}" for v in w))
    bias = " ".join(f"{float(head.intercept_[0]):.4f}" for head in heads)
    header = [f"# {k} {v}" for k, v in notes.items()]
    header += [f"# bias {bias}", "# thresholds " + " ".join(f"{t:.2f}" for t in thresholds)]
    return "\n".join([*header, *rows]) + "\n"


def _version(rows: Sequence[Row], seed: int, count: int) -> str:
    digest = hashlib.sha256(f"{seed} {count} {C} {PRUNE}".encode())
    for row in rows:
        digest.update(f"{row.severity.value}\t{row.text}\n".encode())
    return digest.hexdigest()[:12]


def train(rows: Sequence[Row], model: RiskModel, *, seed: int = SEED, count: int = VARIANTS,
          thresholds: Sequence[float] = (0.5, 0.5, 0.5)) -> str:  # fmt: skip
    """Fit on every row (and its variants) and return the weights file's text."""
    examples = corpus(rows, seed, count)
    vectorizer, heads = fit_heads(examples, model)
    notes = {"version": _version(rows, seed, count), "messages": str(len(examples))}
    return export(vectorizer, heads, thresholds, notes)


# --------------------------------------------------------------------------------------------
# Thresholds on out-of-fold predictions


def out_of_fold(rows: Sequence[Row], model: RiskModel, folds: int = 5, seed: int = SEED):  # type: ignore[no-untyped-def]
    """Each original message's three probabilities from a model that never saw it."""
    from sklearn.model_selection import GroupKFold

    examples = corpus(rows, seed)
    groups = [e.group for e in examples]
    probs: dict[int, tuple[float, float, float]] = {}
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(examples, groups=groups):
        vectorizer, heads = fit_heads([examples[i] for i in train_idx], model)
        tests = [examples[i] for i in test_idx if examples[i].original]
        dicts = []
        for e in tests:
            found = features(prepare(e.text, model)[1])
            value = 1.0 / len(found) ** 0.5 if found else 0.0
            dicts.append(dict.fromkeys(found, value))
        x = vectorizer.transform(dicts)
        p = [head.predict_proba(x)[:, 1] for head in heads]
        for k, e in enumerate(tests):
            probs[e.group] = (float(p[0][k]), float(p[1][k]), float(p[2][k]))
    return [probs[g] for g in range(len(rows))]


Stage = tuple[Severity, bool, Guards]
"""The rules' verdict of a message, its follow-up and the second opinion's guards
(:func:`flows.risk.assess.rules_verdict`)."""


def _combined(rule: Stage, p: tuple[float, float, float], t: Sequence[float]) -> Severity:
    """The assessor's final verdict: the very function serving uses (guards included)."""
    severity, follow_up, guards = rule
    return second_opinion(severity, follow_up, Scores(*p), (t[0], t[1], t[2]), guards)[0]


_HIGH, _IMM, _MOD, _NONE = Severity.HIGH, Severity.IMMINENT, Severity.MODERATE, Severity.NONE
_FIGURES: dict[str, tuple[Callable[[Severity], bool], Callable[[Severity], bool]]] = {
    "high_recall": (lambda e: e.at_least(_HIGH), lambda g: g.at_least(_HIGH)),
    "imminent": (lambda e: e is _IMM, lambda g: g is _IMM),
    "moderate": (lambda e: e is _MOD, lambda g: g.at_least(_MOD)),
    "false_esc": (lambda e: e is _NONE, lambda g: g.at_least(_HIGH)),
    "false_flag": (lambda e: e is _NONE, lambda g: g is not _NONE),
    "high_to_imminent": (lambda e: e is _HIGH, lambda g: g is _IMM),
    "moderate_to_high": (lambda e: e is _MOD, lambda g: g.at_least(_HIGH)),
}
"""The benchmark's five figures and the two over-escalations: (which labels count, which verdicts
are hits)."""
_OVER = frozenset({"high_to_imminent", "moderate_to_high"})


def figures(expected: Sequence[Severity], got: Sequence[Severity]) -> dict[str, float]:
    """The benchmark's five figures for paired labels and verdicts."""
    out = {}
    for name, (keep, ok) in _FIGURES.items():
        chosen = [g for e, g in zip(expected, got, strict=True) if keep(e)]
        empty = 0.0 if name in _OVER else 1.0  # nothing to over-escalate: none over-escalated
        out[name] = sum(ok(g) for g in chosen) / len(chosen) if chosen else empty
    return out


def choose_thresholds(
    rows: Sequence[Row], rules: Sequence[Stage], probs: Sequence[tuple[float, float, float]]
) -> tuple[tuple[float, float, float], dict[str, float]]:
    """Lowest thresholds that keep false escalations and flags within a small margin of the
    rules' own (each head chosen in turn: high, then flag, then imminent)."""
    expected = [r.severity for r in rows]
    base = figures(expected, [r[0] for r in rules])
    grid = [x / 100 for x in range(30, 100, 2)] + [1.01]
    t = [1.01, 1.01, 1.01]

    def score(candidate: list[float]) -> dict[str, float]:
        got = [_combined(r, p, candidate) for r, p in zip(rules, probs, strict=True)]
        return figures(expected, got)

    for head, limit in ((1, "false_esc"), (2, "false_flag")):
        margin = 0.005 if head == 1 else 0.01
        for value in grid:
            trial = list(t)
            trial[head] = value
            figures_ = score(trial)
            if figures_[limit] <= base[limit] + margin and (
                head != 1 or figures_["moderate_to_high"] <= OVER_ESCALATION
            ):  # high: few moderates lifted to high either
                t = trial
                break
    for value in grid:  # imminent: raise high to imminent only where few highs get raised
        trial = list(t)
        trial[0] = value
        if score(trial)["high_to_imminent"] <= OVER_ESCALATION:
            t = trial
            break
    return (t[0], t[1], t[2]), score(t)


# --------------------------------------------------------------------------------------------


SERVICE_SETS = ("intents_dev.tsv", "intents_dev2.tsv")
"""Development sets of the intent matcher: what people ask the bot (episodes, centres, help
lines, greetings...). Their messages the rules read as ``none`` train the classifier as
``none`` too, so short service questions are not taken for danger. ``feelings`` is left out."""


def service_rows(model: RiskModel) -> list[Row]:
    """Service questions from the intent development sets, as ``none`` examples."""
    rows = []
    for name in SERVICE_SETS:
        path = DATA / name
        if not path.exists():
            continue
        for line in path.read_text("utf-8").splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) < 2 or parts[0] in ("feelings", "intent"):
                continue
            if assess_risk(parts[1], model).severity is Severity.NONE:
                rows.append(Row(Severity.NONE, (), parts[1], name))
    return rows


def development_rows() -> list[Row]:
    """The development sets (the blind ones are refused even if named here by mistake)."""
    paths = [p for paths in DEVELOPMENT.values() for p in paths if p.exists()]
    for path in paths:
        if "blind" in path.name or "final" in path.name:
            raise SystemExit(f"{path.name} is a blind set: never train on it")
    return [row for path in paths for row in load_rows(path)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_CONTENT_DIR / RISK_CLASSIFIER)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    model = load_risk_model(DEFAULT_CONTENT_DIR).without_classifier()
    rows = development_rows() + service_rows(model)
    rules = [rules_verdict(row.text, model) for row in rows]  # guards as serving reads them
    probs = out_of_fold(rows, model, args.folds)
    risk = [i for i, row in enumerate(rows) if row.source not in SERVICE_SETS]
    thresholds, cv = choose_thresholds(  # on the risk sets: easy service questions would
        [rows[i] for i in risk], [rules[i] for i in risk], [probs[i] for i in risk]
    )  # dilute the false-escalation margin
    base = figures([r.severity for r in rows], [r[0] for r in rules])
    print(f"rows {len(rows)} (+{VARIANTS} variants each); thresholds {thresholds}")
    for name in base:
        print(f"  {name:<12} rules {base[name]:.1%}  rules+classifier (out of fold) {cv[name]:.1%}")
    for source in sorted({row.source for row in rows}):
        chosen = [i for i, row in enumerate(rows) if row.source == source]
        expected = [rows[i].severity for i in chosen]
        alone = figures(expected, [rules[i][0] for i in chosen])
        both = figures(expected, [_combined(rules[i], probs[i], thresholds) for i in chosen])
        print(f"  {source}: " + ", ".join(f"{k} {alone[k]:.1%}->{both[k]:.1%}" for k in alone))
    text = train(rows, model, thresholds=thresholds)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.encode()) // 1024} KiB, {text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
