"""`defensoras panel-user`: accounts of the web panel (the password comes on standard input)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.common import app_for, fail
from bot.panel.accounts import AccountError, Role, add_user, list_users, remove_user
from bot.store.engine import unit_of_work

group = typer.Typer(help="Cuentas del panel web.", no_args_is_help=True)


@group.command("add")
def panel_user_add(
    ctx: typer.Context,
    username: str,
    role: Annotated[Role, typer.Option("--role", help="coordinator o defensora")],
    defensora: Annotated[
        str | None, typer.Option("--defensora", help="Su nombre en la lista de defensoras.")
    ] = None,
) -> None:
    """Crea una cuenta; lee la contraseña (una línea) de la entrada estándar."""
    if sys.stdin.isatty():
        typer.echo("Contraseña (una línea, no se muestra al escribir en algunos terminales):")
    password = sys.stdin.readline().rstrip("\r\n")
    app = app_for(ctx)
    try:
        with unit_of_work(app.engine) as db:
            user = add_user(db, username, password, role, defensora, app.clock())
            typer.echo(f"cuenta {user.username} creada ({role.value})")
    except AccountError as exc:
        raise fail(str(exc)) from exc


@group.command("list")
def panel_user_list(ctx: typer.Context) -> None:
    """Lista las cuentas del panel."""
    app = app_for(ctx)
    with unit_of_work(app.engine) as db:
        for user, name in list_users(db):
            linked = f" · {name}" if name else ""
            typer.echo(f"{user.username}: {user.role}{linked}")


@group.command("remove")
def panel_user_remove(ctx: typer.Context, username: str) -> None:
    """Borra una cuenta (sus sesiones abiertas dejan de valer)."""
    app = app_for(ctx)
    try:
        with unit_of_work(app.engine) as db:
            remove_user(db, username, app.clock())
            typer.echo(f"cuenta {username.strip().casefold()} borrada")
    except AccountError as exc:
        raise fail(str(exc)) from exc
