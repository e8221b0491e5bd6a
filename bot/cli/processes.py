"""Long-running verbs: chat (console channel), serve, worker, and Telegram polling/webhook."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import sys
from typing import Annotated

import typer

from bot.cli.common import app_for, fail, migrate_apart

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
"""glibc's mallopt parameters (malloc.h)."""


def lean_allocator() -> None:
    """glibc's allocator set for a long-lived process (before the content loads and threads
    start): at most 2 malloc arenas (one per thread by default; the webhooks', intake's and
    dispatcher's threads each held one, ~3 MiB after a burst), and blocks from 128 KiB mapped
    on their own so that freeing gives them back (the default threshold rises to the largest
    block freed, so the start-up's big passing tables then stay in the heap). Elsewhere than
    glibc, nothing."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_ARENA_MAX, 2)
    mallopt(M_MMAP_THRESHOLD, 128 * 1024)


def keep_start_up() -> None:
    """What start-up built (content, models, modules: ~140,000 objects the collector tracks)
    lives as long as the process: its passing objects are collected once, then the rest is
    moved out of the collector's generations (`gc.freeze`), so that a full collection no
    longer walks it (~90 ms each, a few in a burst of 1,000 turns); they are freed as usual
    when nothing refers to them."""
    gc.collect()
    gc.freeze()


telegram_group = typer.Typer(help="Telegram: long polling y webhook.", no_args_is_help=True)


def chat(ctx: typer.Context) -> None:
    """Conversa con el bot en la terminal (SQLite por defecto, sin tokens)."""
    from bot.channels.console import ConsoleSender, is_interactive, run_chat

    app = app_for(ctx, quiet=True, senders=[ConsoleSender(sys.stdout)])
    raise typer.Exit(run_chat(app, sys.stdin, sys.stdout, interactive=is_interactive()))


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interfaz.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Puerto.")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Solo web (otro proceso corre `worker`).")
    ] = False,
) -> None:
    """Servidor web (webhooks); por defecto también despacha mensajes y corre el programador."""
    lean_allocator()
    migrate_apart(ctx)
    app = app_for(ctx)
    # The web framework is imported after the content is loaded: its ~10 MiB are then not
    # held under the content's passing objects, the start-up's peak.
    import uvicorn

    from bot.web import build_web
    from bot.worker import run_worker

    tasks = [] if no_worker else [lambda: run_worker(app, beside_web=True)]
    # The web only queues (one INSERT per webhook); the turns run in this process's intake
    # (`run_worker(beside_web=True)`), or in the workers with --no-worker.
    web = build_web(app, lifespan_tasks=tasks, process_turns=False)
    keep_start_up()
    # No WebSocket route: ws="none" spares uvicorn's WebSocket protocol (wsproto or websockets,
    # when installed: ~2 MiB held for nothing).
    uvicorn.run(
        web,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        ws="none",
    )


def worker(ctx: typer.Context) -> None:
    """Despachador de mensajes y programador (recordatorios, re-escalamiento), sin web."""
    from bot.settings import warn_misconfigured
    from bot.worker import run_worker

    lean_allocator()
    migrate_apart(ctx)
    app = app_for(ctx)
    warn_misconfigured(app.settings)
    keep_start_up()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(app))


COMMANDS = (chat, serve, worker)


@telegram_group.command("set-webhook")
def telegram_set_webhook(ctx: typer.Context) -> None:
    """Registra PUBLIC_BASE_URL/telegram/webhook con el secreto TELEGRAM_WEBHOOK_SECRET."""
    app = app_for(ctx)
    s = app.settings
    secret = s.telegram_webhook_secret
    if app.telegram_bot is None or s.public_base_url is None or secret is None:
        raise fail("faltan TELEGRAM_BOT_TOKEN, PUBLIC_BASE_URL o TELEGRAM_WEBHOOK_SECRET")
    url = f"{s.public_base_url.rstrip('/')}/telegram/webhook"
    bot = app.telegram_bot

    async def register() -> None:
        async with bot:
            await bot.set_webhook(
                url,
                secret_token=secret.get_secret_value(),
                allowed_updates=["message", "callback_query"],
            )

    asyncio.run(register())
    typer.echo(f"webhook registrado en {url}")


@telegram_group.command("poll")
def telegram_poll(
    ctx: typer.Context,
    limit_seconds: Annotated[float | None, typer.Option(hidden=True)] = None,
) -> None:
    """Long polling (para probar con un token real sin URL pública); también despacha."""
    from bot.channels.polling import run_polling

    app = app_for(ctx)
    if app.telegram_bot is None:
        raise fail("falta TELEGRAM_BOT_TOKEN")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_polling(app, limit_seconds))
