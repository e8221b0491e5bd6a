"""The data key and the database it wrote (issue 13 item 1), on SQLite and PostgreSQL: a key is
created only for an empty database, a lost or changed key is refused with a message that says
where the key was sought, and a row no key can read fails alone instead of blocking the queue."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlmodel import delete, select

from bot.app import App, build_app
from bot.privacy import DataKeyError, Vault
from bot.store import unit_of_work
from bot.store.models import DataKeyFingerprint, Outbox, OutboxStatus
from bot.store.outbox import claim_batch
from flows.engine import Content
from tests.conftest import make_settings
from tests.factories import run_cli, subscribe_many

NOW = datetime(2026, 6, 17, 15, 0, tzinfo=UTC)


Start = Callable[..., App]


@pytest.fixture
def start(database_url: str, content: Content) -> Iterator[Start]:
    """Start the app as a new process would (its own engine); every engine closed at the end."""
    started: list[App] = []

    def _start(**settings: object) -> App:
        app = build_app(make_settings(database_url, **settings), content=content, migrate=True)
        started.append(app)
        return app

    yield _start
    for app in started:
        app.engine.dispose()


def test_a_key_is_created_for_an_empty_database_and_never_again(
    start: Start, tmp_path: Path
) -> None:
    key_file = tmp_path / "keys" / "data.key"
    first = start(data_key=None, data_key_file=key_file)
    assert key_file.stat().st_mode & 0o777 == 0o600
    subscribe_many(first, telegram=1, whatsapp=1)
    again = start(data_key=None, data_key_file=key_file)
    assert again.vault.fingerprint == first.vault.fingerprint

    key_file.unlink()  # a new container, a restored backup without its key
    with pytest.raises(DataKeyError, match=str(key_file)):
        start(data_key=None, data_key_file=key_file)
    assert not key_file.exists()  # refused: no new key made over data it could never read


def test_another_key_is_refused_and_the_right_one_accepted(start: Start) -> None:
    right, wrong = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    subscribe_many(start(data_key=right), telegram=1, whatsapp=0)
    with pytest.raises(DataKeyError, match="DATA_KEY"):
        start(data_key=wrong)
    assert start(data_key=right).vault.fingerprint


def test_a_database_from_before_fingerprints_is_checked_by_reading_it(start: Start) -> None:
    right, wrong = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app = start(data_key=right)
    subscribe_many(app, telegram=1, whatsapp=0)
    with unit_of_work(app.engine) as db:
        db.exec(delete(DataKeyFingerprint))
    with pytest.raises(DataKeyError):
        start(data_key=wrong)
    start(data_key=right)  # reads its rows: accepted and recorded
    with unit_of_work(app.engine) as db:
        assert db.exec(select(DataKeyFingerprint)).one().fingerprint == app.vault.fingerprint


def test_a_start_from_another_directory_says_where_the_key_was_sought(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "DATA_KEY_FILE": "defensoras.key"}
    first = run_cli(["chat"], "hola\n", home, **env)
    assert first.returncode == 0, first.stderr
    assert str(home / "defensoras.key") in first.stderr  # the notice names the absolute path
    moved = run_cli(["chat"], "hola\n", elsewhere, **env)
    assert moved.returncode == 2
    assert str(elsewhere / "defensoras.key") in moved.stderr
    assert "Traceback" not in moved.stderr
    assert os.listdir(elsewhere) == []


def test_an_outbox_row_no_key_can_read_fails_alone(app: App) -> None:
    foreign = Vault(Fernet.generate_key())
    with unit_of_work(app.engine) as db:
        for address_enc in (foreign.encrypt("93001"), app.vault.encrypt("93002")):
            row = Outbox(channel="telegram", address_enc=address_enc, text="x", created_at=NOW)
            row.next_attempt_at = NOW
            db.add(row)
    claimed = claim_batch(app.engine, "telegram", 10, NOW, app.vault)
    assert [message.address for message in claimed] == ["93002"]
    with unit_of_work(app.engine) as db:
        rows = db.exec(select(Outbox).order_by(Outbox.id)).all()  # type: ignore[arg-type]
        assert [(r.status, r.error) for r in rows] == [
            (OutboxStatus.FAILED, "undecryptable_address"),
            (OutboxStatus.SENDING, None),
        ]
