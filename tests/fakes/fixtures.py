"""Pytest fixtures for the fakes. Import them into a conftest (or a test module)::

    from tests.fakes.fixtures import fake_telegram, fake_twilio  # noqa: F401

Each fake's server is started once per pytest run, lazily on first use (a uvicorn
start/stop costs ~0.2 s), and stopped via ``config.add_cleanup`` at the end of the run.
Each test gets it after ``reset()`` (calls, queued updates, injected failures, webhook,
latency cleared); afterwards it is reset again and clients made by
``FakeTwilio.make_client()`` are closed.

``fake_telegram`` also sets ``PTB_TIMEDELTA=true``: without it PTB 22 emits a
``PTBDeprecationWarning`` whenever a duration attribute is read -- including inside
``RetryAfter.__init__`` -- which ``filterwarnings = error`` turns into the exception raised
instead of ``RetryAfter``.  With it, ``RetryAfter.retry_after`` is a ``datetime.timedelta``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

__all__ = ["fake_telegram", "fake_twilio"]

F = TypeVar("F", FakeTelegram, FakeTwilio)

_lock = threading.Lock()
_running: dict[tuple[int, str], Any] = {}


def _shared(config: pytest.Config, name: str, factory: Callable[[], F]) -> F:
    key = (id(config), name)
    with _lock:
        fake = _running.get(key)
        if fake is None:
            fake = factory()
            fake.start()
            _running[key] = fake

            def _stop() -> None:
                with _lock:
                    _running.pop(key, None)
                fake.stop()

            config.add_cleanup(_stop)
        return fake


@pytest.fixture
def fake_telegram(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeTelegram]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake = _shared(request.config, "telegram", FakeTelegram)
    fake.reset()
    try:
        yield fake
    finally:
        fake.reset()


@pytest.fixture
def fake_twilio(request: pytest.FixtureRequest) -> Iterator[FakeTwilio]:
    fake = _shared(request.config, "twilio", FakeTwilio)
    fake.reset()
    try:
        yield fake
    finally:
        fake.close_clients()
        fake.reset()
