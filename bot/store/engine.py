"""Database engine, migrations and the unit of work."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CursorResult, Engine, Result, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaOutOfDate(RuntimeError):
    """The database schema is behind the code: run `defensoras db upgrade`."""


class StoreBusy(RuntimeError):
    """SQLite stayed locked (by another process or a long transaction) past the bounded wait."""


DEFAULT_LOCK_WAIT = 5.0
_LOCK_WAIT: dict[str, float] = {}


def make_engine(url: str, lock_wait: float = DEFAULT_LOCK_WAIT) -> Engine:
    """An engine with the pragmas SQLite needs to be a safe embedded default.

    `lock_wait` (SQLite) bounds how long a transaction waits for a lock before `StoreBusy`: a
    webhook then answers 503 quickly, and the provider retries, instead of timing out."""
    if url.startswith("sqlite"):
        _private_file(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": lock_wait},
            hide_parameters=True,  # errors must never carry a number or a message into logs
        )
        _LOCK_WAIT[str(engine.url)] = lock_wait
        event.listen(engine, "connect", partial(_sqlite_pragmas, int(lock_wait * 1000)))
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True
    )


def _private_file(url: str) -> None:
    """Create the SQLite file readable by its owner only (0600), like the data key; SQLite gives
    its -wal and -shm files the same permissions."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_pragmas(busy_ms: int, dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")  # erased rows are overwritten, not left in pages
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every pending migration (up to `revision`: tests of one migration's data)."""
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def ensure_schema(engine: Engine, *, migrate: bool) -> None:
    """Migrate on start (embedded default) or refuse to start on an old schema (production)."""
    if current_revision(engine) == head_revision():
        return
    if migrate:
        upgrade(engine)
        return
    raise SchemaOutOfDate(
        f"the database schema is at {current_revision(engine) or 'nothing'}, the code needs "
        f"{head_revision()}: run `defensoras db upgrade`"
    )


def affected(result: Result[Any]) -> int:
    """Rows touched by an UPDATE or DELETE."""
    return int(cast("CursorResult[Any]", result).rowcount)


_SQLITE_WRITERS: dict[str, threading.RLock] = {}


def serialized(engine: Engine) -> AbstractContextManager[object]:
    """SQLite has one writer: queue this process's transactions on a lock, not on the busy
    handler (which sleeps up to 100 ms per retry and made p99 latency ~0.6 s under load)."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    key = str(engine.url)
    return _bounded(_SQLITE_WRITERS.setdefault(key, threading.RLock()), _LOCK_WAIT.get(key))


@contextmanager
def _bounded(lock: threading.RLock, wait: float | None) -> Iterator[None]:
    if not lock.acquire(timeout=-1 if wait is None else wait):
        raise StoreBusy("another transaction of this process held the database too long")
    try:
        yield
    finally:
        lock.release()


def is_lock_error(exc: BaseException) -> bool:
    """SQLite's 'database is locked' (or busy), after its bounded busy wait."""
    return isinstance(exc, OperationalError) and any(
        word in str(exc.orig) for word in ("database is locked", "database is busy")
    )


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with serialized(engine), Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException as exc:
            session.rollback()
            if is_lock_error(exc):
                raise StoreBusy("the database stayed locked past SQLITE_LOCK_WAIT_SECONDS") from exc
            raise
