"""The burst benchmark runs end to end and prints its table (never its speed: figures only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_turns_benchmark_quick_run_answers_every_chat_and_prints_the_table() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONPATH")}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.turns", "--quick", "--no-postgres"],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "turns/s" in out and "SQLite, serve all-in-one" in out
    assert "errors:" not in out  # every POST answered 200 and every new chat got its reply
    assert "RSS of serve" in out
    assert "broadcast to 300 at 300/s: 300 sent" in out
