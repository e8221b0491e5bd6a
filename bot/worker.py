"""Processes: the dispatcher and the elected scheduler, alone (`worker`) or beside the web app."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import timedelta

from bot.app import App
from bot.scheduler import run_elected_scheduler

log = logging.getLogger(__name__)


async def run_inbound(
    app: App, stop: asyncio.Event, poll: float = 0.1, orphan_after: timedelta | None = None
) -> None:
    """Run the turns of queued inbound messages (those `serve --no-worker` accepted).

    Beside a web process that runs its own turns, only orphans (a web process died between
    accepting and processing) are picked up, after `orphan_after`.
    """
    while not stop.is_set():
        try:
            done = await asyncio.to_thread(app.service.process_pending, 50, orphan_after)
        except Exception:  # keep serving: a database hiccup must not stop the worker
            log.exception("inbound processing round failed")
            done = 0
        if done:
            app.hand_over()  # this process's dispatcher sends the replies now
        if not done:
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll if orphan_after is None else 5)


async def run_worker(
    app: App, stop: asyncio.Event | None = None, *, beside_web: bool = False
) -> None:
    """Inbound turns, dispatcher and scheduler until `stop` is set (or the task is cancelled)."""
    stop = stop or asyncio.Event()
    dispatcher = app.dispatcher
    if not dispatcher.senders:
        log.warning("no channel is configured (Telegram/Twilio variables): nothing will be sent")

    async def scheduler_forever() -> None:
        while not stop.is_set():
            try:
                await run_elected_scheduler(app, stop)
            except Exception:
                log.exception("scheduler lost its leadership; standing by again")
                await asyncio.sleep(2)

    orphans = timedelta(seconds=app.settings.outbox_lease_seconds) if beside_web else None
    await asyncio.gather(
        run_inbound(app, stop, orphan_after=orphans),
        dispatcher.run_forever(stop=stop),
        scheduler_forever(),
    )
