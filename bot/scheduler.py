"""Scheduled scans (reminders, re-escalation, retention), run by exactly one elected worker."""

from __future__ import annotations

import asyncio
import fcntl
import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Connection, text
from sqlmodel import col, delete

from bot import case_upkeep, escalation
from bot.app import App
from bot.broadcast import create_broadcast
from bot.defensora import DRAFT_TTL
from bot.store.engine import unit_of_work
from bot.store.models import InboundReceipt, Outbox, OutboxStatus
from flows.episodes import due_reminders

log = logging.getLogger(__name__)

REMINDER_WINDOW = timedelta(hours=6)
"""A reminder missed by up to this much (an outage) is still sent; keys keep it single."""
RECEIPT_TTL = timedelta(days=7)
FINISHED = (
    OutboxStatus.SENT,
    OutboxStatus.DELIVERED,
    OutboxStatus.FAILED,
    OutboxStatus.NOT_SENT,
    OutboxStatus.CANCELLED,
)
LOCK_ID = 0x0DEF_E450  # PostgreSQL advisory lock: the scheduler leader


def send_due_reminders(app: App) -> int:
    """Each due reminder is one broadcast, worded in every language the bot speaks: each
    subscriber gets it in her conversation's language (Spanish where it has no wording)."""
    now = app.clock()
    since = now - REMINDER_WINDOW
    created = 0
    languages = app.content.languages.localized
    with unit_of_work(app.engine) as db:  # the panel's seasons remind as the file's do
        schedule = app.service.seasons.schedule(db, app.content.episodes)
        worded = {
            code: app.service.seasons.schedule(db, app.content.in_language(code).episodes)
            for code in languages
        }
    translated = {
        code: {due.key: due.text for due in due_reminders(other, now=now, since=since)}
        for code, other in worded.items()
    }
    for due in due_reminders(schedule, now=now, since=since):
        texts = {code: found[due.key] for code, found in translated.items() if due.key in found}
        if create_broadcast(
            app.engine, key=due.key, text=due.text, kind="reminder", now=now, translations=texts
        ):
            created += 1
            log.info("reminder broadcast %s queued", due.key)
    return created


def reescalate(app: App) -> int:
    """Re-page cases past their deadline; tell holders of messages that could not be delivered."""
    now = app.clock()
    case_upkeep.report_undelivered(app.engine, now, app.service.cases)
    return escalation.reescalate_due(app.engine, now, app.service.cases)


def retention(app: App) -> None:
    now = app.clock()
    purged = case_upkeep.purge_excerpts(app.engine, now, app.service.policy.retention)
    case_upkeep.expire_drafts(app.engine, now, DRAFT_TTL)
    with unit_of_work(app.engine) as db:
        db.exec(
            delete(InboundReceipt).where(
                col(InboundReceipt.received_at) < now - RECEIPT_TTL,
                col(InboundReceipt.status) != "pending",
            )
        )
        # Finished messages hold an encrypted address and the text: kept only as long as
        # excerpts are (delivery reports and quick-exit deletion need them for a while).
        db.exec(
            delete(Outbox).where(
                col(Outbox.created_at) < now - app.service.policy.retention,
                col(Outbox.status).in_(FINISHED),
            )
        )
    if purged:
        log.info("retention: purged %d excerpt(s)", purged)


def build_scheduler(app: App) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    )
    scheduler.add_job(send_due_reminders, "interval", seconds=60, args=[app], id="reminders")
    scheduler.add_job(reescalate, "interval", seconds=15, args=[app], id="reescalate")
    scheduler.add_job(retention, "interval", minutes=30, args=[app], id="retention")
    return scheduler


@dataclass
class Leadership:
    """The scheduler lock while held: a file lock (SQLite) or a session's advisory lock."""

    file: IO[str] | None = None
    connection: Connection | None = None

    def keepalive(self) -> None:
        """Losing the session means losing the lock: this raises when it is gone."""
        if self.connection is not None:
            self.connection.execute(text("SELECT 1"))

    def release(self) -> None:
        if self.file is not None:
            self.file.close()
        if self.connection is not None:
            # Closing would only return the session (and its lock) to the pool.
            self.connection.invalidate()


def try_leadership(app: App) -> Leadership | None:
    """Take the scheduler lock if nobody holds it; never waits."""
    if app.settings.is_sqlite:
        path = Path(app.settings.database_url.removeprefix("sqlite:///") + ".scheduler.lock")
        handle = path.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        return Leadership(file=handle)
    connection = app.engine.connect()
    got = connection.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": LOCK_ID}).scalar()
    connection.commit()
    if got:
        return Leadership(connection=connection)
    connection.close()
    return None


async def run_elected_scheduler(
    app: App, stop: asyncio.Event, poll: float = 2.0, leading: asyncio.Event | None = None
) -> None:
    """Wait as a hot standby until this process holds the leader lock, then schedule."""
    while not stop.is_set():
        if app.settings.is_sqlite:
            held = try_leadership(app)
        else:
            held = await asyncio.to_thread(try_leadership, app)
        if held is not None:
            try:
                await _lead(app, stop, held, leading=leading)
            finally:
                held.release()
            return
        try:
            await asyncio.wait_for(stop.wait(), timeout=poll)
        except TimeoutError:
            continue


async def _lead(
    app: App,
    stop: asyncio.Event,
    held: Leadership,
    leading: asyncio.Event | None = None,
) -> None:
    log.info("this worker is the scheduler leader")
    scheduler = build_scheduler(app)
    scheduler.start()
    if leading is not None:
        leading.set()
    try:
        while not stop.is_set():
            if held.connection is not None:
                await asyncio.to_thread(held.keepalive)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=5)
    finally:
        scheduler.shutdown(wait=False)
        if leading is not None:
            leading.clear()
