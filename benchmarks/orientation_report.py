"""Accuracy and speed of district resolution on the labelled sets.

    python -m benchmarks.orientation_report [--no-misses]

Sets: tests/data/districts_{dev,heldout}.tsv (district = official name, '?' must ask,
'-' unplaceable). Intents: `python -m benchmarks.intent_report`.

Held-out figures measured ONCE before any tuning (first run, 2026-11-28):
  districts_heldout: placeable 100/102 = 98.0%, refusals 20/20 = 100%, asked 8/8
  intents_heldout:   117/123 = 95.1%
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flows.places import Directory, PlaceIndex, build_place_index, resolve_district
from flows.spelling import load_spelling

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def load_yaml(name: str) -> Any:
    return yaml.safe_load((ROOT / "content" / name).read_text("utf-8"))


def load_index() -> PlaceIndex:
    directory = Directory.from_content(
        load_yaml("cems.yaml"), load_yaml("districts.yaml"), load_yaml("landmarks.yaml")
    )
    return build_place_index(directory, load_spelling(load_yaml("spelling.yaml")))


def read_tsv(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text("utf-8").splitlines()[1:]:
        if line.strip() and not line.startswith("#"):
            label, _, text = line.partition("\t")
            rows.append((label.strip(), text))
    return rows


@dataclass
class DistrictScore:
    placeable: int = 0
    placed: int = 0
    ambiguous: int = 0
    asked: int = 0
    unplaceable: int = 0
    refused: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def district_accuracy(self) -> float:
        return self.placed / max(self.placeable, 1)

    @property
    def refusal_rate(self) -> float:
        return self.refused / max(self.unplaceable, 1)

    @property
    def ask_rate(self) -> float:
        return self.asked / max(self.ambiguous, 1)


def score_districts(rows: list[tuple[str, str]], index: PlaceIndex) -> DistrictScore:
    s = DistrictScore()
    for label, text in rows:
        res = resolve_district(text, index)
        asked = res.district is None and len(res.candidates) > 1
        if label == "?":
            s.ambiguous += 1
            ok = asked
            s.asked += ok
        elif label == "-":
            s.unplaceable += 1
            ok = res.district is None and not asked
            s.refused += ok
        else:
            s.placeable += 1
            ok = res.district == label
            s.placed += ok
        if not ok:
            got = res.district or (f"ask{list(res.candidates)}" if asked else f"none:{res.kind}")
            s.misses.append(f"  want {label!r:28} got {got!r:40} {text[:70]!r}")
    return s


def per_message_us(func: Any, texts: list[str], arg: Any, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            func(text, arg)
        best = min(best, time.perf_counter() - start)
    return best / max(len(texts), 1) * 1e6


def main(argv: list[str]) -> int:
    show_misses = "--no-misses" not in argv
    index = load_index()
    for part in ("dev", "heldout"):
        drows = read_tsv(DATA / f"districts_{part}.tsv")
        ds = score_districts(drows, index)
        print(f"== districts_{part}: {len(drows)} messages")
        print(f"  district accuracy (placeable): {ds.placed}/{ds.placeable}", end="")
        print(f" = {ds.district_accuracy:.1%}")
        print(f"  correct refusals (unplaceable): {ds.refused}/{ds.unplaceable}", end="")
        print(f" = {ds.refusal_rate:.1%}")
        print(f"  ambiguity asked: {ds.asked}/{ds.ambiguous} = {ds.ask_rate:.1%}")
        if show_misses:
            print(f"-- district misses ({part}):", *ds.misses, sep="\n")
    all_d = [t for p in ("dev", "heldout") for _, t in read_tsv(DATA / f"districts_{p}.tsv")]
    print("== speed (best of 3)")
    print(f"  resolve_district: {per_message_us(resolve_district, all_d, index):.0f} µs/message")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
