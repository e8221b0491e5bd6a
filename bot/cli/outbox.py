"""`defensoras outbox`: messages that could not be sent, listed and given another chance."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import col, select, update

from bot.cli.common import app_for
from bot.roster import LIMA
from bot.store.engine import affected, unit_of_work
from bot.store.models import Outbox, OutboxStatus
from bot.store.outbox import UNREADABLE

group = typer.Typer(help="Mensajes salientes: fallidos y reintentos.", no_args_is_help=True)


@group.command("list")
def outbox_list(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help="Solo los fallidos.")] = False,
) -> None:
    """Mensajes por enviar (o fallidos): id, canal, tipo, intentos, error; nunca números ni
    textos."""
    app = app_for(ctx)
    statuses = [OutboxStatus.FAILED] if failed else [OutboxStatus.PENDING, OutboxStatus.SENDING]
    with unit_of_work(app.engine) as db:
        rows = db.exec(
            select(Outbox).where(col(Outbox.status).in_(statuses)).order_by(col(Outbox.id))
        ).all()
        if not rows:
            typer.echo("no hay mensajes fallidos" if failed else "no hay mensajes por enviar")
        for row in rows:
            created = row.created_at.astimezone(LIMA).strftime("%Y-%m-%d %H:%M")
            typer.echo(
                f"#{row.id} {row.status:<8} {row.channel:<8} {row.kind:<9} "
                f"intentos={row.attempts} creado {created} error={row.error or '-'}"
            )


@group.command("retry")
def outbox_retry(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(help="Ids (por defecto, todos).")] = None,
) -> None:
    """Vuelve a poner en cola los mensajes fallidos (todos, o los ids dados)."""
    app = app_for(ctx)
    retry = (
        update(Outbox)
        .where(
            col(Outbox.status) == OutboxStatus.FAILED,
            col(Outbox.text) != "",  # a ping or relay whose words were already erased
            col(Outbox.error).is_distinct_from(UNREADABLE),
        )
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=app.clock(), error=None)
    )
    if ids:
        retry = retry.where(col(Outbox.id).in_(ids))
    with unit_of_work(app.engine) as db:
        count = affected(db.execute(retry))
    typer.echo(f"{count} mensaje(s) de nuevo en cola")
