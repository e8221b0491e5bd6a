#!/usr/bin/env python3
"""Set-up and tasks on a fresh machine, with nothing but Python 3.11+.

    python3 dev.py chat     create .venv if needed, install, talk to the bot in the terminal
    python3 dev.py test     create .venv if needed, install dev extras, run ruff, mypy, pytest
    python3 dev.py bench    the benchmark reports (figures, not pass/fail)
    python3 dev.py serve    web + dispatcher + scheduler on the embedded default

Any further arguments go to the underlying command (e.g. `python3 dev.py test -k risk`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def _ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (this script may be run by an older python3)
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = f"{extras or 'base'} {digest}"
    if STAMP.exists() and STAMP.read_text().strip() == stamp:
        return
    print("installing dependencies (first run only) ...", flush=True)
    subprocess.run([PY, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    target = f".[{extras}]" if extras else "."
    subprocess.run([PY, "-m", "pip", "install", "-q", "-e", target], check=True, cwd=ROOT)
    STAMP.write_text(stamp)


def _run(*command: str | Path) -> int:
    return subprocess.run([str(c) for c in command], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    task, rest = (argv[0], argv[1:]) if argv else ("chat", [])
    if task in {"chat", "serve", "worker"}:
        # Reuse a dev install (it includes everything chat needs) rather than reinstalling.
        _ensure_venv("dev" if STAMP.exists() and STAMP.read_text().startswith("dev ") else "")
        return _run(BIN / "defensoras", task, *rest)
    if task == "test":
        _ensure_venv("dev")
        for check in (
            [BIN / "ruff", "check", "."],
            [BIN / "ruff", "format", "--check", "."],
            [BIN / "mypy"],
        ):
            if _run(*check) != 0:
                return 1
        return _run(PY, "-m", "pytest", *rest)
    if task == "bench":
        _ensure_venv("dev")
        return _run(PY, "-m", "benchmarks", *rest)
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
