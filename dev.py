#!/usr/bin/env python3
"""Set-up and tasks on a fresh machine, with nothing but Python 3.11+.

    python3 dev.py chat     create .venv if needed, install, talk to the bot in the terminal
    python3 dev.py test     create .venv if needed, install dev extras, run ruff, mypy, pytest
    python3 dev.py bench    the benchmark reports (figures, not pass/fail)
    python3 dev.py serve    web + dispatcher + scheduler on the embedded default
    python3 dev.py lock     regenerate requirements.lock (hashes) after changing pyproject.toml;
                            `python3 dev.py lock --upgrade` moves every pin to the newest release
    python3 dev.py train-risk   retrain the risk classifier (content/risk_classifier.tsv) on the
                            development sets (scikit-learn comes with the dev extras)
    python3 dev.py train-intents  retrain the intent classifier (content/intent_model.json)

Every install comes from requirements.lock with hashes (`pip install --require-hashes`), so a fresh
machine gets the versions that were tested; the project itself is then installed without deps.

Any further arguments go to the underlying command (e.g. `python3 dev.py test -k risk`).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
LOCK = ROOT / "requirements.lock"
UV = "uv==0.13.9"  # the lock tool, pinned so every regeneration resolves the same way
LOCK_COMMAND = [
    "pip", "compile", "pyproject.toml", "--extra", "dev", "--generate-hashes",
    "--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28",
    "--custom-compile-command", "python3 dev.py lock", "--output-file", "requirements.lock",
]  # fmt: skip


def _name(requirement: str) -> str:
    """The normalized project name of a requirement line (PEP 503)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def declared_requirements() -> list[str]:
    """Every requirement pyproject.toml declares (runtime and all extras), self-references out."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines += extra
    return [line for line in lines if _name(line) != _name(project["name"])]


def locked_versions(text: str) -> dict[str, str]:
    """Pinned `name==version` lines of a requirements lock, by normalized name."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", text, re.M)
    return {_name(name): version for name, version in pins}


def missing_from_lock(declared: list[str], lock_text: str) -> list[str]:
    """Declared requirements that the lock does not pin: a dependency added without relocking."""
    pinned = locked_versions(lock_text)
    return [line for line in declared if _name(line) not in pinned]


def _ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (this script may be run by an older python3)
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    lock_text = LOCK.read_text("utf-8") if LOCK.exists() else ""
    missing = missing_from_lock(declared_requirements(), lock_text)
    if missing:
        sys.exit(
            f"requirements.lock does not pin {', '.join(missing)}: run `python3 dev.py lock`"
            " after changing pyproject.toml, and commit both files"
        )
    digest = hashlib.sha256()
    for source in (ROOT / "pyproject.toml", LOCK):
        digest.update(source.read_bytes())
    stamp = f"lock {digest.hexdigest()}"
    if STAMP.exists() and STAMP.read_text().strip() == stamp:
        return
    print("installing dependencies (first run only) ...", flush=True)
    pip = [PY, "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    # The lock holds the dev extras (a superset of what chat and serve need): one tested set.
    subprocess.run([*pip, "--require-hashes", "-r", LOCK], check=True, cwd=ROOT)
    subprocess.run([*pip, "--no-deps", "-e", "."], check=True, cwd=ROOT)
    STAMP.write_text(stamp)


def _lock(rest: list[str]) -> int:
    """Regenerate requirements.lock with uv (installed into .venv on first use)."""
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not (BIN / "uv").exists():
        subprocess.run([PY, "-m", "pip", "install", "-q", UV], check=True)
    return _run(BIN / "uv", *LOCK_COMMAND, *rest)


def _run(*command: str | Path) -> int:
    return subprocess.run([str(c) for c in command], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    task, rest = (argv[0], argv[1:]) if argv else ("chat", [])
    if task in {"chat", "serve", "worker"}:
        _ensure_venv()
        return _run(BIN / "defensoras", task, *rest)
    if task == "test":
        _ensure_venv()
        for check in (
            [BIN / "ruff", "check", "."],
            [BIN / "ruff", "format", "--check", "."],
            [BIN / "mypy"],
        ):
            if _run(*check) != 0:
                return 1
        return _run(PY, "-m", "pytest", *rest)
    if task == "lock":
        return _lock(rest)
    if task == "bench":
        _ensure_venv()
        return _run(PY, "-m", "benchmarks", *rest)
    if task == "train-risk":
        _ensure_venv()
        return _run(PY, "-m", "benchmarks.train_risk", *rest)
    if task == "train-intents":
        _ensure_venv()
        return _run(PY, "-m", "benchmarks.train_intents", *rest)
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
