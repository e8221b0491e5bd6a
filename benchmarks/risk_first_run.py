"""The rules as they were when a development set was first run, before anyone tuned on it.

Leave-one-writer-set-out (``python -m benchmarks.train_risk --loso``) scores a model trained
without a set on that set. Today's rules were tuned on every development set, so with them the
classifier has almost nothing left to catch there; what it adds for a *new* writer shows only
with the rules that had never seen the writer: those of the commit on which the set was first
scored (:data:`FIRST_RUN`). This module extracts that commit's code and content (``git archive``
into the system's temporary folder), reads each row's rules verdict there in a child process,
and caches it as JSON beside that copy.

Where that commit has no ``rules_verdict`` (older code), the guards of the second opinion are
today's, with ``alone`` taken from the old verdict.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import fields
from pathlib import Path

from flows.risk import RiskModel
from flows.risk.assess import Guards, rules_verdict
from flows.types import Severity

ROOT = Path(__file__).resolve().parents[1]
FIRST_RUN = {
    "dev3": "9ae7f33^",  # first run before tuning: 89.4 / 86.4 / 94.3 / 3.7 / 5.1
    "spent1": "9328b9b^",  # scored once as the final set of stop 19
    "spent2": "6928e8b^",  # scored once as the final set of stop 20
    "dev4": "6928e8b",  # 96.8 / 94.2 / 95.8 / 8.2 / 9.4
    "hardneg": "409541e",  # 93.3 / 84.4 / 90.0 / 8.3 / 10.0
    "dev5": "fce2c42",  # 90.8 / 90.9 / 92.6 / 4.0 / 4.0
}
"""Held-out set -> the commit whose rules first scored it (git revision)."""

_CHILD = r"""
import dataclasses, json, sys
import bot
from bot.content import DEFAULT_CONTENT_DIR, load_risk_model
from flows.risk import assess_risk
if not bot.__file__.startswith(sys.argv[1]):
    raise SystemExit(f"imported {bot.__file__}, not the old tree")
full = load_risk_model(DEFAULT_CONTENT_DIR)
rules = full.without_classifier() if hasattr(full, "without_classifier") else full
try:
    from flows.risk.assess import rules_verdict
except ImportError:
    rules_verdict = None
for line in sys.stdin:
    text = json.loads(line)
    shipped = assess_risk(text, full).severity.value
    if rules_verdict is not None:
        severity, follow_up, guards = rules_verdict(text, rules)
        out = [severity.value, follow_up, dataclasses.asdict(guards), shipped]
    else:
        verdict = assess_risk(text, rules)
        out = [verdict.severity.value, verdict.follow_up, None, shipped]
    print(json.dumps(out))
"""

Stage = tuple[Severity, bool, Guards]


def _tree(revision: str) -> Path:
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", revision],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    tree = Path(tempfile.gettempdir()) / "risk_first_run" / commit[:12]
    if not (tree / "flows").exists():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "bot", "flows", "content"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def first_run_stages(
    name: str, texts: list[str], model: RiskModel
) -> tuple[list[Stage], list[Severity]]:
    """Each text's rules stage at the set's first-run commit, and the verdict the shipped model
    of that commit gave (its own classifier included)."""
    tree = _tree(FIRST_RUN[name])
    cache = tree.parent / f"{tree.name}_{name}.json"
    if cache.exists():
        saved = json.loads(cache.read_text("utf-8"))
        if saved["texts"] == texts:
            return _decode(saved["out"], texts, model)
    env = {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tree)],
        input="".join(json.dumps(t) + "\n" for t in texts),
        cwd=tree, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    out = [json.loads(line) for line in done.stdout.splitlines()]
    cache.write_text(json.dumps({"texts": texts, "out": out}), "utf-8")
    return _decode(out, texts, model)


def _decode(
    out: list[list[object]], texts: list[str], model: RiskModel
) -> tuple[list[Stage], list[Severity]]:
    names = {f.name for f in fields(Guards)}
    stages: list[Stage] = []
    shipped: list[Severity] = []
    for (severity, follow_up, guards, full), text in zip(out, texts, strict=True):
        sev = Severity(str(severity))
        if isinstance(guards, dict):
            kept = Guards(**{k: bool(v) for k, v in guards.items() if k in names})
        else:  # older code: today's guards, alone as the old verdict says
            today = rules_verdict(text, model)[2]
            alone = sev is Severity.NONE and not follow_up
            kept = Guards(alone, today.too_short, today.told_before, today.laughing,
                          today.harmless, today.calmed)  # fmt: skip
        stages.append((sev, bool(follow_up), kept))
        shipped.append(Severity(str(full)))
    return stages, shipped
