"""Train the risk assessor's learned second opinion: ``python3 dev.py train-risk``.

(or ``python -m benchmarks.train_risk`` once scikit-learn is installed by hand: it is kept out
of the locked extras because only this offline step uses it.)

Reads the labelled DEVELOPMENT sets only (never ``*blind*`` or ``*final*`` files), adds
generated variants (misspellings, SMS spelling, words run together, no accents, capitals,
invisible characters, stretched letters; words swapped within the lexicon's lists), fits three
logistic heads with scikit-learn (imminent; high or above; moderate or above) over the features
of :mod:`flows.risk.classifier`, and writes ``content/risk_classifier.tsv``. Serving reads that
file in pure Python. Same inputs and seed give a byte-identical file.

The thresholds are chosen leave-one-WRITER-set-out (:data:`HELD_OUT`): for each of the newest
sets, each written by a different writer who never saw the rules, a model trained on all the
other sets scores it, combined with the rules that first scored that set (before anyone tuned
on it, :mod:`benchmarks.risk_first_run`) and with today's. That is what a new writer meets.
``--loso`` prints that table (rules alone, + the model, + thresholds chosen without the set)
and writes nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
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
"""Generated spelling variants per labelled message."""
REWORDED = 1
"""...and variants with words swapped for others of the same lexicon list (the corpus is then
about 4x the sets)."""
C = 10.0
"""Inverse regularisation, chosen leave one set out (first-run rules, pooled): C 1 gave 0.4 points
less high+imm recall than C 4 at the same added false escalations; C 10 the same recall as C 4
(96.6 vs 96.7 %) with 0.4 points fewer false escalations (5.8 vs 6.2 %)."""
OVER_ESCALATION = 0.04
"""Over-escalation is a failure too (a defensora paged for a moderate message): on the held-out
sets the classifier may lift at most this share of the messages labelled moderate to high.
Measured on the six held-out sets with first-run rules: the high head at 0.56 instead of 0.68
gains 1 point of high+imminent recall and lifts 6.5 % of moderates instead of 3.3 %."""
OVER_ESCALATION_IMMINENT = 0.02
"""...and at most this share of those labelled high to imminent (the police number for a high
message). The imminent head at 0.40 instead of 0.60 gains 1.7 points of imminent recall (far
above its target) and lifts 7.5 % of highs instead of 1.8 %."""
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
        made = variants(row.text, rng, count, REWORDED)
        out.extend(Example(v, row.severity, group, False) for v in made)
    return out


def _targets(severity: Severity) -> tuple[int, int, int]:
    return (
        int(severity is Severity.IMMINENT),
        int(severity.at_least(Severity.HIGH)),
        int(severity.at_least(Severity.MODERATE)),
    )


_FEATURES: dict[tuple[int, str], dict[str, float]] = {}
"""Features of a text under a model (offline memo: leave-one-set-out reads each text 7 times)."""


def text_features(text: str, model: RiskModel) -> dict[str, float]:
    """The classifier's features of a text with their value (1/sqrt(count)), as served."""
    memo = (id(model), text)
    if memo not in _FEATURES:
        found = features(prepare(text, model)[1])
        value = 1.0 / len(found) ** 0.5 if found else 0.0
        _FEATURES[memo] = dict.fromkeys(sorted(found), value)
    return _FEATURES[memo]


def _matrix(texts: Sequence[str], model: RiskModel):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction import DictVectorizer

    dicts = [text_features(text, model) for text in texts]
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
    digest = hashlib.sha256(f"{seed} {count} {REWORDED} {C} {PRUNE}".encode())
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
# The combined verdict


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


# --------------------------------------------------------------------------------------------
# Leave one writer's set out


HELD_OUT = ("dev3", "spent1", "spent2", "dev4", "hardneg", "dev5")
"""The newest development sets, each written by a different writer who saw no rules."""

Probs = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class HeldOut:
    """One writer's set, scored by a model trained on every other set."""

    name: str
    rows: list[Row]
    probs: list[Probs]
    today: list[Stage]
    """Today's rules (tuned on this set too)."""
    first: list[Stage] | None = None
    """The rules of the commit that first scored the set (:mod:`benchmarks.risk_first_run`)."""
    shipped: list[Severity] | None = None
    """What that commit's shipped model (its own classifier included) said."""


def leave_one_set_out(
    rows: Sequence[Row],
    model: RiskModel,
    names: Sequence[str] = HELD_OUT,
    first_run: bool = True,
    jobs: int = 1,
) -> list[HeldOut]:
    """For each named set: train on all other rows (and their variants), predict the set
    (``jobs`` sets at a time, in child processes; the same result in any order)."""
    from benchmarks.risk_first_run import first_run_stages

    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            probs = list(pool.map(_held_out_probs, [(rows, model, n) for n in names]))
    else:
        probs = [_held_out_probs((rows, model, name)) for name in names]
    out = []
    for name, p in zip(names, probs, strict=True):
        held = [row for row in rows if row.source == DEVELOPMENT[name][0].name]
        today = [rules_verdict(row.text, model) for row in held]
        first = shipped = None
        if first_run:
            first, shipped = first_run_stages(name, [row.text for row in held], model)
        out.append(HeldOut(name, held, p, today, first, shipped))
    return out


def _held_out_probs(job: tuple[Sequence[Row], RiskModel, str]) -> list[Probs]:
    """One held-out set's probabilities from a model trained on every other row."""
    rows, model, name = job
    source = DEVELOPMENT[name][0].name
    held = [row for row in rows if row.source == source]
    vectorizer, heads = fit_heads(corpus([r for r in rows if r.source != source]), model)
    x = vectorizer.transform([text_features(row.text, model) for row in held])
    p = [head.predict_proba(x)[:, 1] for head in heads]
    print(f"  held out {name}: {len(held)} rows", file=sys.stderr, flush=True)
    return [(float(a), float(b), float(c)) for a, b, c in zip(*p, strict=True)]


_PASS = tuple(product((False, True), repeat=3))
"""Which heads pass their threshold (imminent, high, flag): the combined verdict of a message
depends on nothing else, so it is computed once per case, with the serving function."""


def _outcomes(stage: Stage) -> tuple[int, ...]:
    """The combined verdict's rank for each of the eight cases of :data:`_PASS`."""
    return tuple(
        _combined(stage, (float(a), float(b), float(c)), (0.5, 0.5, 0.5)).rank for a, b, c in _PASS
    )


class _Scored:
    """A held-out set as arrays: labels, probabilities and the verdict of each case."""

    def __init__(self, h: HeldOut, first: bool) -> None:
        import numpy as np

        stages = h.first if first and h.first is not None else h.today
        self.expected = np.array([r.severity.rank for r in h.rows])
        self.probs = np.array(h.probs).reshape(-1, 3)
        self.rules = np.array([s[0].rank for s in stages])
        self.cases = np.array([_outcomes(s) for s in stages]).reshape(-1, 8)

    def verdicts(self, t: Sequence[float] | None):  # type: ignore[no-untyped-def]
        import numpy as np

        if t is None:
            return self.rules
        passed = self.probs >= np.array(t)
        case = passed[:, 0] * 4 + passed[:, 1] * 2 + passed[:, 2]
        return self.cases[np.arange(len(case)), case]


def _rank_figures(expected, got) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """:func:`figures` on severity ranks (numpy arrays)."""

    def share(keep, ok, empty: float = 1.0) -> float:  # type: ignore[no-untyped-def]
        n = int(keep.sum())
        return float((keep & ok).sum()) / n if n else empty

    return {
        "high_recall": share(expected >= 2, got >= 2),
        "imminent": share(expected == 3, got == 3),
        "moderate": share(expected == 1, got >= 1),
        "false_esc": share(expected == 0, got >= 2),
        "false_flag": share(expected == 0, got >= 1),
        "high_to_imminent": share(expected == 2, got == 3, 0.0),
        "moderate_to_high": share(expected == 1, got >= 2, 0.0),
    }


def _pooled(scored: Sequence[_Scored], t: Sequence[float] | None) -> dict[str, float]:
    import numpy as np

    expected = np.concatenate([s.expected for s in scored])
    return _rank_figures(expected, np.concatenate([s.verdicts(t) for s in scored]))


MAX_ADDED_ESCALATIONS = 0.0075
"""Threshold choice on held-out sets: the classifier may add at most this share of false
escalations (none lifted to high) over the rules alone, pooled over the held-out sets (measured:
0.5 % gives about 2 points less recall of high+imminent, 1 % about 0.3 more)."""
MAX_ADDED_FLAGS = 0.01
"""...and at most this share of false flags (none lifted to moderate)."""
GRID = (*(x / 100 for x in range(20, 100, 2)), 1.01)


def loso_thresholds(sets: Sequence[HeldOut]) -> tuple[tuple[float, float, float], dict[str, float]]:
    """Thresholds that maximise recall of a new writer's dangerous messages (high+imm, then
    moderate; then imminent) with the rules that had not seen the writer, pooled over held-out
    sets, within :data:`MAX_ADDED_ESCALATIONS` and :data:`MAX_ADDED_FLAGS` over those rules
    and over today's; moderate lifted to high within :data:`OVER_ESCALATION` and high to
    imminent within :data:`OVER_ESCALATION_IMMINENT` (with either rules)."""
    first = [_Scored(h, True) for h in sets]
    today = [_Scored(h, False) for h in sets]
    base_first, base_today = _pooled(first, None), _pooled(today, None)
    best: tuple[tuple[float, ...], tuple[float, float, float]] | None = None
    for t_high in GRID:
        for t_flag in GRID:
            trial = (1.01, t_high, t_flag)
            got = _pooled(first, trial)
            if not _within(got, base_first) or not _within(_pooled(today, trial), base_today):
                continue
            if max(_over_escalation(x, trial, Severity.MODERATE) for x in (first, today)) > (
                OVER_ESCALATION
            ):
                continue
            key = (got["high_recall"], got["moderate"], t_high, t_flag)
            if best is None or key > best[0]:
                best = (key, trial)
    assert best is not None  # 1.01 everywhere adds nothing
    t_high, t_flag = best[1][1], best[1][2]
    chosen: tuple[float, float, float] = best[1]
    chosen_key: tuple[float, ...] = (-1.0,)
    for t_imm in GRID:  # imminent: most imminent recall within an over-escalation bound
        trial = (t_imm, t_high, t_flag)
        over = max(_over_escalation(x, trial, Severity.HIGH) for x in (first, today))
        if over > OVER_ESCALATION_IMMINENT:
            continue
        key = (_pooled(first, trial)["imminent"], t_imm)
        if key > chosen_key:
            chosen, chosen_key = trial, key
    return chosen, _pooled(first, chosen)


def _within(got: dict[str, float], base: dict[str, float]) -> bool:
    return (
        got["false_esc"] <= base["false_esc"] + MAX_ADDED_ESCALATIONS
        and got["false_flag"] <= base["false_flag"] + MAX_ADDED_FLAGS
    )


def _over_escalation(scored: Sequence[_Scored], t: Sequence[float], label: Severity) -> float:
    """Share of the messages labelled ``label`` that the classifier lifts above their level
    (the rules had not)."""
    total = over = 0
    for s in scored:
        got = s.verdicts(t)
        chosen = s.expected == label.rank
        total += int(chosen.sum())
        over += int((chosen & (got > label.rank) & (s.rules <= label.rank)).sum())
    return over / max(1, total)


def loso_table(sets: Sequence[HeldOut], thresholds: Sequence[float], nested: bool = True) -> str:
    """Per held-out set: rules alone, rules + the model that never saw the set (thresholds as
    given, and chosen on the other held-out sets only when ``nested``), for the rules that first
    scored the set and for today's rules."""
    names = ("high_recall", "imminent", "moderate", "false_esc", "false_flag")
    names += ("high_to_imminent", "moderate_to_high")
    titles = ("high+imm", "imm=imm", "moderate", "false esc", "false flag", "high>imm", "mod>high")
    lines = ["set       rules     " + " ".join(f"{n:>10}" for n in titles)]

    def line(label: str, kind: str, f: dict[str, float]) -> str:
        return f"{label:<10}{kind:<10}" + " ".join(f"{f[n]:>10.1%}" for n in names)

    for h in sets:
        others = [o for o in sets if o is not h]
        inner = loso_thresholds(others)[0] if nested and others else None
        for first in (True, False):
            if first and (h.first is None or h.shipped is None):
                continue
            s = _Scored(h, first)
            lines.append(line(h.name if first else "", "first" if first else "today",
                              _pooled([s], None)))  # fmt: skip
            if first and h.shipped is not None:
                expected = [r.severity for r in h.rows]
                lines.append(line("", " +its clf", figures(expected, h.shipped)))
            lines.append(line("", " +clf", _pooled([s], thresholds)))
            if inner is not None:
                lines.append(line("", " +nested", _pooled([s], inner)))
        if inner is not None:
            lines.append(f"{'':<20}(nested thresholds, chosen without {h.name}: {inner})")
    for first in (True, False):
        scored = [_Scored(h, first) for h in sets]
        lines.append(line("pooled", "first" if first else "today", _pooled(scored, None)))
        lines.append(line("", " +clf", _pooled(scored, thresholds)))
    return "\n".join(lines)


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
    parser.add_argument(
        "--loso", action="store_true", help="leave-one-writer-set-out figures only; write nothing"
    )
    parser.add_argument("--sets", nargs="+", choices=HELD_OUT, default=list(HELD_OUT))
    parser.add_argument("--today-only", action="store_true", help="skip the first-run rules")
    parser.add_argument("--save", type=Path, help="pickle the held-out predictions here")
    parser.add_argument("--load", type=Path, help="reuse pickled held-out predictions")
    parser.add_argument("--jobs", type=int, default=2, help="held-out sets trained at a time")
    parser.add_argument(
        "--thresholds", type=float, nargs=3, help="no leave-one-set-out: these (imm, high, flag)"
    )
    args = parser.parse_args(argv)
    model = load_risk_model(DEFAULT_CONTENT_DIR).without_classifier()
    rows = development_rows() + service_rows(model)
    if args.thresholds:
        text = train(rows, model, thresholds=args.thresholds)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out} with thresholds {args.thresholds} (no leave-one-set-out)")
        return 0
    if args.load:
        sets = pickle.loads(args.load.read_bytes())
    else:
        sets = leave_one_set_out(rows, model, args.sets, not args.today_only, args.jobs)
    if args.save:
        args.save.write_bytes(pickle.dumps(sets))
    thresholds, _ = loso_thresholds(sets)
    shipped = model_thresholds()
    if shipped is not None and args.loso:
        print(f"shipped thresholds {shipped}:")
        print(loso_table(sets, shipped, nested=False))
    print(f"rows {len(rows)} (+{VARIANTS} variants each); thresholds {thresholds}")
    print(loso_table(sets, thresholds))
    if args.loso:
        return 0
    text = train(rows, model, thresholds=thresholds)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.encode()) // 1024} KiB, {text.count(chr(10))} lines)")
    return 0


def model_thresholds() -> tuple[float, float, float] | None:
    """The thresholds of the shipped weights file (to score them leave-one-set-out)."""
    shipped = load_risk_model(DEFAULT_CONTENT_DIR).classifier
    return shipped.thresholds if shipped is not None else None


if __name__ == "__main__":
    sys.exit(main())
