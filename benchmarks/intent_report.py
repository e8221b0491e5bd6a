"""Intent accuracy per labelled set (and of its English rows, told by the bot's own language
detector), per intent, a confusion table and the misses.

    python -m benchmarks.intent_report [--no-misses] [--keywords-only] [--blind]

Development sets (read and tuned on): tests/data/intents_dev2.tsv (450, independent writer, the
target labels) and the older intents_dev.tsv / intents_heldout.tsv (project's own hands; their
'other' is out_of_scope). The blind set (intent_blind1.tsv) is scored ONLY with --blind, by the
lead engineer; never tune on it. intents_spent1.tsv and intents_spent2.tsv are the final blind sets
of stops 19 and 20, each scored once and development since.

First run of the matcher as it stood before issue 12 on intents_dev2: 270/450 = 60.0 %
(the new labels are never produced by it: venues, privacy, defensora_info, feelings,
outside_lima; out_of_scope was 'other').

intents_probe.tsv (107), intents_probe2.tsv (70), intents_probe3.tsv (73) and intents_probe4.tsv
(66, English and out-of-scope heavy) were written by the intents helper after tuning on dev2, each
scored once before being tuned on: probe 100/107 = 93.5 % (keywords + model), probe2 59/70 =
84.3 %, probe3 68/73 = 93.2 %, probe4 56/66 = 84.8 %. They are development sets now; only the blind
sets measure generalisation.

intents_dev3.tsv (400, writer N, stop 20): first run before tuning 371/400 = 92.8 % (main as it
stood, and again after the spent1 concepts). Tuned on since, with spent1 and dev2; the learned
model's settings were chosen by leaving dev3 / spent1 out (`python -m benchmarks.train_intents
--cv SET`, figures in its docstring). intents_probe5.tsv (65, this helper's wordings, the weak
labels and English) was written after that and scored once before tuning: 62/65 = 95.4 %;
intents_probe6.tsv (43, longer colloquial messages) likewise after probe5: 41/43 = 95.3 %.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.languages import is_english
from benchmarks.orientation_report import DATA, load_index, load_yaml, per_message_us
from flows.intents import (
    INTENTS,
    IntentMatcher,
    LinearModel,
    build_intent_matcher,
    load_intent_model,
    match_intent,
)

ROOT = Path(__file__).resolve().parents[1]
DEV_SETS = (
    "intents_dev2.tsv",
    "intents_spent1.tsv",
    "intents_spent2.tsv",
    "intents_dev3.tsv",
    "intents_dev.tsv",
    "intents_heldout.tsv",
    "intents_probe.tsv",
    "intents_probe2.tsv",
    "intents_probe3.tsv",
    "intents_probe4.tsv",
    "intents_probe5.tsv",
    "intents_probe6.tsv",
)
BLIND_SETS = ("intent_blind1.tsv",)
OLD_NAMES = {"other": "out_of_scope"}


def read_rows(path: Path) -> list[tuple[str, str]]:
    """(intent, text) pairs of a labelled TSV; older label names mapped to the current ones."""
    rows = []
    for line in path.read_text("utf-8").splitlines()[1:]:
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t")[:2]
            rows.append((OLD_NAMES.get(label.strip(), label.strip()), text))
    return rows


def load_learned() -> LinearModel | None:
    path = ROOT / "content" / "intent_model.json"
    if not path.exists():
        return None
    import json

    return LinearModel.from_json(json.loads(path.read_text("utf-8")))


def load_matcher(*, learned: bool = True) -> IntentMatcher:
    model = load_intent_model(load_yaml("intents.yaml"))
    return build_intent_matcher(model, load_index(), load_learned() if learned else None)


@dataclass
class Score:
    total: int = 0
    correct: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def per_intent(self, name: str) -> tuple[int, int]:
        n = sum(c for (want, _), c in self.confusion.items() if want == name)
        return self.confusion[(name, name)], n


def score(rows: list[tuple[str, str]], matcher: IntentMatcher) -> Score:
    s = Score()
    for label, text in rows:
        got = match_intent(text, matcher).intent
        s.total += 1
        s.correct += got == label
        s.confusion[(label, got)] += 1
        if got != label:
            s.misses.append(f"  want {label:18} got {got:18} {text[:80]!r}")
    return s


def print_score(name: str, s: Score, *, misses: bool) -> None:
    print(f"== {name}: {s.correct}/{s.total} = {s.correct / max(s.total, 1):.1%}")
    for intent in INTENTS:
        ok, n = s.per_intent(intent)
        if n:
            print(f"  {intent:18} {ok:3}/{n:<3} = {ok / n:4.0%}")
    wrong = [(k, c) for k, c in s.confusion.most_common() if k[0] != k[1]]
    print("  confusions (want -> got: count):")
    for (want, got), c in wrong[:20]:
        print(f"    {want:18} -> {got:18} {c}")
    if misses:
        print("  misses:", *sorted(s.misses), sep="\n")


def main(argv: list[str]) -> int:
    matcher = load_matcher(learned="--keywords-only" not in argv)
    sets = DEV_SETS + (BLIND_SETS if "--blind" in argv else ())
    texts: list[str] = []
    for name in (n for n in sets if (DATA / n).exists()):
        rows = read_rows(DATA / name)
        texts += [t for _, t in rows]
        show = "--no-misses" not in argv and name not in BLIND_SETS
        print_score(name, score(rows, matcher), misses=show)
        english = score([(label, text) for label, text in rows if is_english(text)], matcher)
        print(f"  English rows (language detector): {english.correct}/{english.total}", end="")
        print(f" = {english.correct / max(english.total, 1):.1%}")
    print(f"== speed: match_intent {per_message_us(match_intent, texts, matcher):.0f} µs/message")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
