"""The burst benchmark runs end to end and prints its table (never its speed: figures only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks.load import Run, row_states
from bot.app import App
from bot.channels.telegram import parse_update
from tests.fakes.telegram_api import make_message_update

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


def test_a_chat_without_a_reply_shows_where_its_rows_stopped(
    sqlite_app: App, sqlite_url: str
) -> None:
    """The burst benchmark's diagnosis of a missing reply: the POST's answer, the receipt and
    the outbox rows' states, read from the database (never an address or a text)."""
    parsed = parse_update(make_message_update(7001, 7001, "hola"))
    assert parsed.envelope is not None
    handled = sqlite_app.service.handle(parsed.envelope)  # the turn ran; nothing was sent
    assert handled.outbox_ids
    run = Run({7001: 0.0, 7002: 0.0}, {}, 1, 1.0, refused={7002: "HTTP 503"})

    lines = row_states(sqlite_url, run)
    text = "\n".join(lines)

    assert "update 7001: POST answered 200" in text
    assert "'status': 'done'" in text and "'erased': 1" in text
    first = handled.outbox_ids[0]
    assert f"outbox {{'id': {first}, 'kind': 'reply', 'status': 'pending'" in text
    assert "update 7002: POST answered HTTP 503\n    no inbound receipt: never stored" in text
    assert "hola" not in text and "address" not in text
