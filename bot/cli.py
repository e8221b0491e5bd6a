"""`defensoras` command line (contracts in DESIGN.md)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Annotated

import typer

from bot.bootstrap import App, bootstrap
from bot.content import ContentError, load_content
from bot.logs import setup_logging
from bot.privacy import DataKeyError
from bot.settings import get_settings
from bot.store import SchemaOutOfDate
from flows.engine import Content

cli = typer.Typer(
    help="Bot de Defensoras al Parlante.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Base de datos: migraciones.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")

JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per input line.")]


def _app(quiet: bool = False) -> App:
    settings = get_settings()
    # The console chat shares the terminal with the person: only warnings, unless asked.
    explicit = "LOG_LEVEL" in os.environ or "log_level" in settings.model_fields_set
    setup_logging("WARNING" if quiet and not explicit else settings.log_level, settings.log_format)
    try:
        return bootstrap(settings)
    except (ContentError, SchemaOutOfDate, DataKeyError) as exc:
        typer.echo(f"defensoras: no puedo arrancar: {exc}", err=True)
        raise typer.Exit(2) from exc


def _lines() -> Iterator[str]:
    for line in sys.stdin:
        yield line.rstrip("\r\n")


def _each_line(
    as_json: bool,
    to_json: Callable[[str], dict[str, object]],
    to_text: Callable[[dict[str, object]], str],
) -> None:
    for line in _lines():
        result = to_json(line)
        out = json.dumps(result, ensure_ascii=False) if as_json else to_text(result)
        sys.stdout.write(out + "\n")
        sys.stdout.flush()


@cli.command()
def chat() -> None:
    """Conversa con el bot en la terminal (SQLite por defecto, sin tokens)."""
    from bot.console import is_interactive, run_chat

    app = _app(quiet=True)
    raise typer.Exit(run_chat(app, sys.stdin, sys.stdout, interactive=is_interactive()))


@cli.command()
def risk(as_json: JsonFlag = False) -> None:
    """Evalúa el riesgo de cada línea de la entrada estándar."""
    from flows.risk import assess_risk

    content = _content()

    def text(result: dict[str, object]) -> str:
        return f"{result['severity']!s:<9} {result['categories']}  {result.get('evidence')}"

    _each_line(as_json, lambda line: assess_risk(line, content.risk).to_json(), text)


@cli.command()
def cem(as_json: JsonFlag = False) -> None:
    """Distrito y CEM para cada línea de la entrada estándar."""
    from flows.places import answer_for_text, cem_json

    content = _content()
    for line in _lines():
        if as_json:
            out = json.dumps(cem_json(line, content.places), ensure_ascii=False)
        else:
            out = answer_for_text(line, content.places, content.orientation) + "\n"
        sys.stdout.write(out + "\n")
        sys.stdout.flush()


@cli.command()
def intent(as_json: JsonFlag = False) -> None:
    """Intención de cada línea de la entrada estándar."""
    from flows.intents import intent_json

    content = _content()
    _each_line(
        as_json,
        lambda line: intent_json(line, content.intents),
        lambda r: f"{r['intent']}" + (f" ({r['district']})" if r.get("district") else ""),
    )


def _content() -> Content:
    try:
        return load_content(get_settings().content_dir)
    except ContentError as exc:
        typer.echo(f"defensoras: contenido inválido: {exc}", err=True)
        raise typer.Exit(2) from exc


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Aplica las migraciones pendientes."""
    from bot.store import current_revision, make_engine, upgrade

    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    typer.echo(f"esquema en la revisión {current_revision(engine)}")


@db_cli.command("current")
def db_current() -> None:
    """Muestra la revisión del esquema y la que necesita el código."""
    from bot.store import current_revision, head_revision, make_engine

    engine = make_engine(get_settings().database_url)
    typer.echo(f"base de datos: {current_revision(engine) or 'vacía'} · código: {head_revision()}")


@cli.command()
def menus() -> None:
    """Diagrama Mermaid de los menús, generado desde content/menus.yaml."""
    from flows.diagram import mermaid

    typer.echo(mermaid(_content().menus))


def main() -> None:
    from bot import cli_ops  # registers the operations commands

    del cli_ops
    cli()
