"""Telegram long polling: try the bot with a real token and no public URL."""

from __future__ import annotations

import asyncio
import logging

from telegram.error import NetworkError, RetryAfter

from bot.app import App
from bot.channels.telegram import (
    UpdateError,
    answer_callback,
    callback_text,
    parse_update,
    retry_seconds,
)
from bot.worker import run_worker

log = logging.getLogger(__name__)


async def run_polling(app: App, limit_seconds: float | None = None, timeout: int = 25) -> None:
    """getUpdates in a loop, every update through the same service as the webhook."""
    bot = app.telegram_bot
    assert bot is not None
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(app, stop))
    loop = asyncio.get_running_loop()
    deadline = None if limit_seconds is None else loop.time() + limit_seconds
    offset = 0
    async with bot:
        await bot.delete_webhook()
        log.info("polling Telegram for updates")
        while deadline is None or loop.time() < deadline:
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=timeout if deadline is None else 1
                )
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc.retry_after))
                continue
            except NetworkError as exc:
                log.warning("getUpdates failed: %s", type(exc).__name__)
                await asyncio.sleep(2)
                continue
            for update in updates:
                offset = update.update_id + 1
                try:
                    parsed = parse_update(update.to_dict())
                except UpdateError:
                    continue
                if parsed.callback_query_id is not None:
                    ack = callback_text(parsed, app.content.cases)
                    await answer_callback(bot, parsed.callback_query_id, ack)
                if parsed.envelope is not None:
                    await asyncio.to_thread(app.service.handle, parsed.envelope)
        stop.set()  # the dispatcher shares the bot: let it finish before the bot closes
        await worker
