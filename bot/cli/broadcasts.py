"""`defensoras episodes` and `defensoras broadcast`: what subscribers hear about."""

from __future__ import annotations

import time
import uuid
from typing import Annotated

import typer

from bot.app import App
from bot.cli.common import app_for, fail

episodes_group = typer.Typer(help="Episodios del programa.", no_args_is_help=True)
broadcast_group = typer.Typer(help="Difusiones a suscriptoras.", no_args_is_help=True)


@episodes_group.command("list")
def episodes_list(ctx: typer.Context) -> None:
    """Temporadas y episodios (hora de Lima)."""
    from flows.episodes import format_episode_list

    app = app_for(ctx)
    typer.echo(format_episode_list(app.content.episodes, app.clock()))


@broadcast_group.command("send")
def broadcast_send(
    ctx: typer.Context,
    text: str,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Solo cuenta y estima.")] = False,
    key: Annotated[
        str | None, typer.Option(help="Clave única (evita duplicar al repetir).")
    ] = None,
    wait: Annotated[bool, typer.Option(help="Muestra el avance mientras el worker envía.")] = True,
) -> None:
    """Envía TEXT a todas las personas suscritas, al ritmo de cada canal."""
    from bot.broadcast import audience, create_broadcast, progress

    app = app_for(ctx)
    if not text.strip():
        raise fail("el texto está vacío")
    counts = audience(app.engine)
    rates = {
        "telegram": app.settings.telegram_rate_per_second,
        "whatsapp": app.settings.whatsapp_rate_per_second,
    }
    eta = max((n / rates.get(ch, 1000.0) for ch, n in counts.items()), default=0.0)
    summary = ", ".join(f"{ch}: {n}" for ch, n in sorted(counts.items())) or "nadie suscrito"
    typer.echo(f"destinatarias: {sum(counts.values())} ({summary}); tiempo estimado ≈ {eta:.0f} s")
    if dry_run:
        return
    broadcast_id = create_broadcast(
        app.engine,
        key=key or f"manual:{uuid.uuid4().hex}",
        text=text,
        kind="broadcast",
        now=app.clock(),
    )
    if broadcast_id is None:
        raise fail(f"la difusión {key!r} ya se creó antes; no se duplica")
    done, total = progress(app.engine, broadcast_id)
    typer.echo(f"difusión {broadcast_id} en cola: {total} mensajes")
    if not wait or total == 0:
        return
    _follow(app, broadcast_id, done, total)


def _follow(app: App, broadcast_id: int, done: int, total: int) -> None:
    """A progress bar while the worker sends; gives up (the rows stay queued) after 30 s idle."""
    from bot.broadcast import progress

    with typer.progressbar(length=total, label="enviando") as bar:
        last, idle_since = done, time.monotonic()
        while done < total:
            time.sleep(0.5)
            done, total = progress(app.engine, broadcast_id)
            bar.update(done - last)
            if done != last:
                last, idle_since = done, time.monotonic()
            elif time.monotonic() - idle_since > 30:
                typer.echo(
                    "\nsin avance en 30 s: ¿está corriendo `defensoras worker` o `serve`? "
                    "Los mensajes siguen en cola.",
                    err=True,
                )
                return
