"""Shared by tests and benchmarks: subscribers built straight into the store (the conversation
paths are tested elsewhere) and the `defensoras` CLI run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import insert

from bot.app import App
from bot.store import unit_of_work
from bot.store.models import Contact

ROOT = Path(__file__).resolve().parents[1]


def subscribe_many(
    app: App, telegram: int, whatsapp: int, prefix: int = 7
) -> list[tuple[str, str]]:
    """Insert reachable, consenting subscribers on both channels; returns (channel, address)."""
    people = [("telegram", str(prefix * 100_000 + i)) for i in range(telegram)]
    people += [("whatsapp", f"+519{prefix}{i:07d}") for i in range(whatsapp)]
    rows = []
    for channel, address in people:
        digest = app.vault.address_hash(channel, address)
        rows.append(
            {
                "channel": channel,
                "address_hash": digest,
                "address_enc": app.vault.encrypt(address),
                "pseudonym": app.vault.pseudonym(digest),
                "session": "{}",
                "created_at": app.clock(),
                "last_inbound_at": app.clock(),
                "unreachable": False,
                "subscribed": True,
                "consent_at": app.clock(),
            }
        )
    with unit_of_work(app.engine) as db:
        db.execute(insert(Contact), rows)
    return people


def run_cli(args: list[str], stdin: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "TWILIO_", "DATABASE_URL", "DATA_KEY"))
    }
    environment.update({"PYTHONPATH": str(ROOT), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
    )
