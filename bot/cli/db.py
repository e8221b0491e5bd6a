"""`defensoras db`: schema migrations."""

from __future__ import annotations

import typer

from bot.settings import get_settings
from bot.store.engine import current_revision, head_revision, make_engine, upgrade

group = typer.Typer(help="Base de datos: migraciones.", no_args_is_help=True)


@group.command("upgrade")
def db_upgrade() -> None:
    """Aplica las migraciones pendientes."""
    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    typer.echo(f"esquema en la revisión {current_revision(engine)}")


@group.command("current")
def db_current() -> None:
    """Muestra la revisión del esquema y la que necesita el código."""
    engine = make_engine(get_settings().database_url)
    typer.echo(f"base de datos: {current_revision(engine) or 'vacía'} · código: {head_revision()}")
