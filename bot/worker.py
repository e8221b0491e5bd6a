"""Processes: the dispatcher and the elected scheduler, alone (`worker`) or beside the web app."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import timedelta

from bot.bootstrap import App
from bot.outbox import Dispatcher, Sender
from bot.scheduler import run_elected_scheduler

log = logging.getLogger(__name__)


def build_senders(app: App) -> list[Sender]:
    """One sender per configured channel; a channel without credentials keeps its rows queued."""
    s = app.settings
    senders: list[Sender] = []
    if app.telegram_bot is not None:
        from bot.telegram import TelegramSender

        senders.append(TelegramSender(app.telegram_bot, s.telegram_rate_per_second))
    if s.twilio_account_sid and s.twilio_auth_token and s.twilio_whatsapp_from:
        from bot.whatsapp import WhatsAppSender, make_client

        client = make_client(
            s.twilio_account_sid, s.twilio_auth_token.get_secret_value(), s.twilio_api_base_url
        )
        callback = f"{s.public_base_url.rstrip('/')}/whatsapp/status" if s.public_base_url else None
        senders.append(
            WhatsAppSender(client, s.twilio_whatsapp_from, s.whatsapp_rate_per_second, callback)
        )
    return senders


def build_dispatcher(app: App) -> Dispatcher:
    return Dispatcher(
        app.engine,
        app.vault,
        build_senders(app),
        app.clock,
        per_chat_rate=app.settings.telegram_per_chat_per_second,
        templates=app.templates(),
        lease=timedelta(seconds=app.settings.outbox_lease_seconds),
    )


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
        if not done:
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll if orphan_after is None else 5)


async def run_worker(
    app: App, stop: asyncio.Event | None = None, *, beside_web: bool = False
) -> None:
    """Inbound turns, dispatcher and scheduler until `stop` is set (or the task is cancelled)."""
    stop = stop or asyncio.Event()
    dispatcher = build_dispatcher(app)
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
