"""Exactly one scheduler: a PostgreSQL advisory lock (a file lock on SQLite) elects it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bot.app import App, build_app
from bot.scheduler import build_scheduler, run_elected_scheduler
from flows.engine import Content
from tests.conftest import FakeClock, make_settings


@pytest.fixture
def two_workers(database_url: str, clock: FakeClock, content: Content) -> Iterator[tuple[App, App]]:
    settings = make_settings(database_url)
    first = build_app(settings, clock=clock, content=content, migrate=True)
    second = build_app(settings, clock=clock, content=content, migrate=True)
    yield first, second
    first.engine.dispose()
    second.engine.dispose()


async def _until(event: asyncio.Event, timeout: float = 10) -> bool:
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        return False
    return True


async def test_one_leader_and_a_hot_standby_that_takes_over(two_workers: tuple[App, App]) -> None:
    first, second = two_workers
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    lead_first, lead_second = asyncio.Event(), asyncio.Event()
    task_first = asyncio.create_task(run_elected_scheduler(first, stop_first, 0.1, lead_first))
    assert await _until(lead_first)
    task_second = asyncio.create_task(run_elected_scheduler(second, stop_second, 0.1, lead_second))
    await asyncio.sleep(0.5)
    assert not lead_second.is_set()  # standby while the first holds the lock
    stop_first.set()  # the leader stops (or dies: its session, and so its lock, goes)
    await task_first
    assert await _until(lead_second)
    stop_second.set()
    await task_second


async def test_jobs_coalesce_and_tolerate_a_short_outage(sqlite_app: App) -> None:
    scheduler = build_scheduler(sqlite_app)
    scheduler.start(paused=True)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {"reminders", "reescalate", "retention"}
    for job in jobs.values():
        assert job.coalesce is True
        assert job.misfire_grace_time == 300
        assert job.max_instances == 1
