"""Every development row's verdict, to check that a change (a speed-up) decides nothing else.

``python -m benchmarks.risk_verdicts --save before.jsonl`` on the old code, then
``python -m benchmarks.risk_verdicts --compare before.jsonl`` on the new: the rows whose severity,
categories, follow-up, evidence or classifier probabilities (rounded as in ``risk --json``)
differ are listed; exit status 1 when any does. Blind sets are never read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.risk_report import DEVELOPMENT, load_model, load_rows
from flows.risk import RiskModel, assess_risk


def verdicts(model: RiskModel) -> list[dict[str, object]]:
    """One record per development row: set, row number, and the assessment as ``to_json``."""
    out: list[dict[str, object]] = []
    for name, paths in DEVELOPMENT.items():
        rows = [row for path in paths if path.exists() for row in load_rows(path)]
        for number, row in enumerate(rows, start=1):
            result = assess_risk(row.text, model)
            out.append({"set": name, "row": number, **result.to_json()})
    return out


def differences(before: list[dict[str, object]], after: list[dict[str, object]]) -> list[str]:
    """Rows whose record changed (and rows only one side has)."""
    old = {(r["set"], r["row"]): r for r in before}
    new = {(r["set"], r["row"]): r for r in after}
    return [
        f"{where[0]}:{where[1]}: {old.get(where)} -> {new.get(where)}"
        for where in sorted(old.keys() | new.keys(), key=str)
        if old.get(where) != new.get(where)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="write the verdicts (JSON lines)")
    group.add_argument("--compare", type=Path, help="compare with verdicts saved before")
    args = parser.parse_args(argv)
    found = verdicts(load_model())
    if args.save:
        args.save.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in found))
        print(f"{len(found)} verdicts saved to {args.save}")
        return 0
    before = [json.loads(line) for line in args.compare.read_text("utf-8").splitlines() if line]
    changed = differences(before, found)
    for line in changed:
        print(line)
    print(f"{len(changed)} of {len(found)} verdicts differ")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
