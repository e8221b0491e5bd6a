"""`defensoras escalations`: the cases, by pseudonym, never by number."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import col, select

from bot.cli.common import app_for
from bot.roster import LIMA
from bot.store.engine import unit_of_work
from bot.store.models import Case

group = typer.Typer(help="Casos escalados.", no_args_is_help=True)


@group.command("list")
def escalations_list(
    ctx: typer.Context,
    all_cases: Annotated[bool, typer.Option("--all", help="Incluye cerrados.")] = False,
) -> None:
    """Casos abiertos (o todos): id, severidad, estado, seudónimo; nunca números."""
    app = app_for(ctx)
    with unit_of_work(app.engine) as db:
        query = select(Case).order_by(col(Case.id))
        if not all_cases:
            query = query.where(col(Case.status) != "closed")
        cases = db.exec(query).all()
        if not cases:
            typer.echo("no hay casos" + ("" if all_cases else " abiertos"))
        for case in cases:
            opened = case.opened_at.astimezone(LIMA).strftime("%Y-%m-%d %H:%M")
            typer.echo(
                f"#{case.id} {case.severity:<9} {case.status:<6} {case.pseudonym} {case.channel} "
                f"abierto {opened} avisos={case.pages} [{case.categories}]"
            )
