"""Shared fixtures: no real network, a fresh database per test (SQLite, and PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.app import App, build_app
from bot.content import load_content
from bot.settings import Settings
from flows.engine import Content
from tests.fakes import block_external_network
from tests.fakes.fixtures import fake_telegram, fake_twilio

__all__ = ["fake_telegram", "fake_twilio"]

ROOT_CONTENT = Path(__file__).resolve().parents[1] / "content"
PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def _no_external_network(monkeypatch: pytest.MonkeyPatch) -> None:
    block_external_network(monkeypatch)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's .env or real tokens."""
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "TWILIO_", "WHATSAPP_", "DATABASE_URL", "DATA_KEY")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@cache
def shared_content() -> Content:
    return load_content()


@pytest.fixture
def content() -> Content:
    return shared_content()


class FakeClock:
    """Injected time: tests move it, nothing sleeps."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 6, 17, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class FakeSleeper:
    """Virtual elapsed time for rate limits and pauses: a sleep moves it on at once (to at
    least when that sleep would end), so nothing waits for or measures the wall clock.

    Time stands still while a send is in flight (`sending()`): sends take no time next to
    the waits a rate imposes, and a provider's answer is seen before time moves past it."""

    def __init__(self) -> None:
        self.now = 0.0
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + max(0.0, seconds)
        await asyncio.sleep(0)  # the others run first, as they would during a real sleep
        await self._idle.wait()
        self.now = max(self.now, until)

    @contextlib.asynccontextmanager
    async def sending(self) -> AsyncIterator[None]:
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()


@pytest.fixture
def sleeper() -> FakeSleeper:
    return FakeSleeper()


@cache
def postgres_reason() -> str | None:
    """None when a PostgreSQL server answers at 127.0.0.1:5432, else why tests skip."""
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=2
        ):
            return None
    except Exception as exc:
        return f"PostgreSQL not reachable at 127.0.0.1:5432 ({type(exc).__name__})"


def _postgres_database() -> Iterator[str]:
    import psycopg

    name = f"defensoras_test_{uuid.uuid4().hex[:10]}"
    admin = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same store tests run on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    reason = postgres_reason()
    if reason is not None:
        if os.environ.get("DEFENSORAS_REQUIRE_POSTGRES"):
            pytest.fail(f"DEFENSORAS_REQUIRE_POSTGRES is set but {reason}")
        pytest.skip(reason)
    yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_key": Fernet.generate_key().decode(),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def app(database_url: str, clock: FakeClock, content: Content) -> Iterator[App]:
    built = build_app(make_settings(database_url), clock=clock, content=content, migrate=True)
    yield built
    built.engine.dispose()


@pytest.fixture
def sqlite_app(sqlite_url: str, clock: FakeClock, content: Content) -> Iterator[App]:
    built = build_app(make_settings(sqlite_url), clock=clock, content=content, migrate=True)
    yield built
    built.engine.dispose()
