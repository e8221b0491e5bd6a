"""Shared by tests and benchmarks: subscribers built straight into the store (the conversation
paths are tested elsewhere) and the `defensoras` CLI run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import insert, text

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


def turns_written(app: App) -> tuple[int, int, int, int]:
    """What a burst of turns left: outbox rows, usage rows, messages marked hers with their text
    erased, and contacts with a session and a last message."""
    with app.engine.connect() as connection:
        counts = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM usage_event),"
                " (SELECT count(*) FROM inbound_receipt WHERE status = 'done' AND payload IS NULL"
                " AND contact_id IS NOT NULL),"
                " (SELECT count(*) FROM contact WHERE session <> '{}' AND last_inbound_at IS NOT"
                " NULL)"
            )
        ).one()
    return counts[0], counts[1], counts[2], counts[3]


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
