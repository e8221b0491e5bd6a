"""Database engine, migrations and the unit of work."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Dialect,
    Engine,
    Result,
    create_engine,
    event,
    make_url,
    text,
)
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session

if TYPE_CHECKING:  # alembic (and every dialect it knows) loads only when a schema moves
    from alembic.config import Config

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
    engine = create_engine(url, pool_size=10, max_overflow=10, hide_parameters=True)
    event.listen(engine.pool, "checkin", _idle_since)
    event.listen(engine.pool, "checkout", partial(_ping_if_idle, engine.dialect))
    return engine


PING_AFTER_IDLE = 5.0
"""Seconds a pooled connection may sit unused before it is checked on its way out (a server
restart or an idle timeout ends it meanwhile). A connection in steady use is not: the check
would be one more round trip on every transaction (every webhook, every turn)."""


def _idle_since(_dbapi: Any, record: ConnectionPoolEntry) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect: Dialect, dbapi: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """`pool_pre_ping`, for connections that sat idle: a dead one is replaced (the pool retries
    the checkout on DisconnectionError)."""
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < PING_AFTER_IDLE:
        return  # new, or in steady use: a failure mid-use still invalidates the pool
    try:
        alive = dialect.do_ping(dbapi)
    except Exception as exc:
        raise DisconnectionError("the pooled connection is gone") from exc
    if not alive:
        raise DisconnectionError("the pooled connection is gone")


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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


_REVISION = re.compile(r"^revision\b[^=\n]*=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN = re.compile(r"^down_revision\b[^=\n]*=(.*)$", re.M)


def _file_head() -> str | None:
    """The head revision read from the migration files without alembic; None when a file does
    not read plainly (alembic decides then)."""
    revisions, parents = set(), set()
    files = sorted((MIGRATIONS / "versions").glob("*.py"))
    for path in files:
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(revisions) == len(files) and len(heads) == 1 else None


def schema_is_current(engine: Engine) -> bool:
    """The database is at the code's head, checked without loading alembic (a long-running
    process then never holds it: about 10 MiB)."""
    head = _file_head()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            stamped = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no table yet: nothing migrated
        return False
    return [row[0] for row in stamped] == [head]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every pending migration (up to `revision`: tests of one migration's data)."""
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def ensure_schema(engine: Engine, *, migrate: bool) -> None:
    """Migrate on start (embedded default) or refuse to start on an old schema (production)."""
    if schema_is_current(engine) or current_revision(engine) == head_revision():
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
def single_statement(engine: Engine) -> Iterator[Connection]:
    """A connection for a transaction of one statement. On PostgreSQL it runs in autocommit:
    the statement is its own transaction, committed (durably, as COMMIT would) before it
    returns, in one round trip instead of three (BEGIN, the statement, COMMIT). On SQLite, a
    serialized transaction (`engine.begin`)."""
    if engine.dialect.name != "postgresql":
        with serialized(engine), engine.begin() as connection:
            yield connection
        return
    with engine.connect() as connection:
        yield connection.execution_options(isolation_level="AUTOCOMMIT")


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
