"""Processes: the dispatcher and the elected scheduler, alone (`worker`) or beside the web app."""

from __future__ import annotations

import asyncio
import logging
import threading
from contextlib import suppress
from datetime import timedelta

from bot.app import App
from bot.scheduler import run_elected_scheduler

log = logging.getLogger(__name__)


TOGETHER = 8
"""The intake beside the web runs up to this many queued turns in one transaction."""


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


async def run_intake(app: App, stop: asyncio.Event, poll: float = 1.0) -> None:
    """The turns of the messages this process's webhooks queue (`serve` all-in-one).

    A webhook answers once its message is stored (one INSERT) and, from its own thread, wakes
    the intake's thread, which runs every queued turn in arrival order, up to TOGETHER in one
    transaction, and hands the replies to the dispatcher. No hop through the event loop
    between the two. It also polls: a message queued before a restart, or whose turn failed
    and waits for its retry, is not forgotten.
    """
    ready, halt = threading.Event(), threading.Event()
    loop = asyncio.get_running_loop()

    def intake() -> None:
        while not halt.is_set():
            ready.clear()
            try:
                done = app.service.process_pending(4 * TOGETHER, together=TOGETHER)
            except Exception:  # keep serving: a database hiccup must not stop the intake
                log.exception("inbound processing round failed")
                done = 0
            if done:  # this process's dispatcher sends the replies now
                loop.call_soon_threadsafe(app.hand_over)
                continue  # more may be queued: a burst is drained without waiting
            ready.wait(poll)

    thread = threading.Thread(target=intake, name="intake", daemon=True)
    app.intake = ready
    thread.start()
    try:
        await stop.wait()
    finally:
        app.intake = None
        halt.set()
        ready.set()
        await asyncio.to_thread(thread.join)  # at most the batch under way


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

    await asyncio.gather(
        run_intake(app, stop) if beside_web else run_inbound(app, stop),
        dispatcher.run_forever(stop=stop),
        scheduler_forever(),
    )
