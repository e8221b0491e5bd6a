"""Exactly one scheduler: a PostgreSQL advisory lock (a file lock on SQLite) elects it, and the
jobs it schedules do their scans when they fire."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlmodel import select

from bot.app import App, build_app
from bot.roster import add_defensora
from bot.scheduler import (
    RECEIPT_TTL,
    Leadership,
    build_scheduler,
    run_elected_scheduler,
    try_leadership,
)
from bot.store import unit_of_work
from bot.store.models import Case, CaseEvent, InboundReceipt
from flows.engine import Content
from tests.conftest import FakeClock, make_settings
from tests.test_broadcast import lima, upcoming_schedule


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


async def _lead_when_free(app: App, timeout: float = 10) -> Leadership | None:
    """Take the lock once it is free: PostgreSQL frees a closed session's advisory lock when its
    server process ends, a moment after the client has gone."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (got := try_leadership(app)) is None and loop.time() < deadline:
        await asyncio.sleep(0.05)
    return got


async def test_one_leader_and_a_hot_standby_that_takes_over(two_workers: tuple[App, App]) -> None:
    first, second = two_workers
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    lead_first, lead_second = asyncio.Event(), asyncio.Event()
    task_first = asyncio.create_task(run_elected_scheduler(first, stop_first, 0.1, lead_first))
    assert await _until(lead_first)
    assert try_leadership(second) is None  # the lock is held: nobody else can lead
    task_second = asyncio.create_task(run_elected_scheduler(second, stop_second, 0.1, lead_second))
    await asyncio.sleep(0.5)
    assert not lead_second.is_set()  # standby while the first holds the lock
    stop_first.set()  # the leader stops (or dies: its session, and so its lock, goes)
    await task_first
    assert await _until(lead_second)
    assert try_leadership(first) is None  # the old leader is now the standby
    stop_second.set()
    await task_second
    again = await _lead_when_free(first)  # a stopped leader leaves the lock free
    assert again is not None
    again.release()


@pytest.fixture
def due_work(sqlite_url: str, clock: FakeClock, content: Content) -> Iterator[App]:
    """An app with one reminder due, one case past its deadline (and a coordinator to page)
    and one expired receipt."""
    episode_day = date(2026, 6, 19)
    schedule = upcoming_schedule(content.episodes, episode_day, "18:00")
    clock.now = lima(episode_day - timedelta(days=1), 19, 1)  # just after the evening reminder
    app = build_app(
        make_settings(sqlite_url),
        clock=clock,
        content=dataclasses.replace(content, episodes=schedule),
    )
    old = clock.now - RECEIPT_TTL - timedelta(days=1)
    with unit_of_work(app.engine) as db:
        add_defensora(db, app.vault, "Ana", "telegram", "5001", coordinator=True)
        db.add(
            Case(
                channel="telegram",
                pseudonym="C-0001",
                severity="high",
                opened_at=clock.now - timedelta(hours=1),
                ack_deadline=clock.now - timedelta(minutes=1),
            )
        )
        db.add(InboundReceipt(channel="telegram", external_id="1", received_at=old, status="done"))
    yield app
    app.engine.dispose()


async def test_jobs_coalesce_and_tolerate_a_short_outage(due_work: App) -> None:
    scheduler = build_scheduler(due_work)
    finished: dict[str, JobExecutionEvent] = {}
    lock = threading.Lock()

    def record(event: JobExecutionEvent) -> None:  # called from the job's worker thread
        with lock:
            finished[event.job_id] = event

    scheduler.add_listener(record, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start(paused=True)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"reminders", "reescalate", "retention"}
    for job in jobs.values():
        assert job.coalesce is True
        assert job.misfire_grace_time == 300
        assert job.max_instances == 1
        job.modify(next_run_time=datetime.now(UTC))  # fire each one now, through APScheduler
    scheduler.resume()
    try:
        async with asyncio.timeout(20):  # a guard against a hang, not a speed check
            while len(finished) < len(jobs):
                await asyncio.sleep(0.02)
    finally:
        scheduler.shutdown(wait=True)
    assert {job: event.exception for job, event in finished.items()} == dict.fromkeys(jobs)
    assert finished["reminders"].retval == 1  # the evening-before reminder became a broadcast
    assert finished["reescalate"].retval == 1  # the overdue case was paged again
    with unit_of_work(due_work.engine) as db:
        assert db.exec(select(InboundReceipt)).all() == []  # retention purged the old receipt
        kinds = db.exec(select(CaseEvent.kind)).all()
    assert "reescalated" in kinds
