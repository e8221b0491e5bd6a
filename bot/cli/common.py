"""What every verb shares: the app (built once per command, or handed in by a test), errors,
and stdin read one message per line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence

import typer

from bot.app import App, build_app
from bot.channels.console import tolerate_undecodable
from bot.channels.envelope import Sender
from bot.content import ContentError, load_content
from bot.logs import setup_logging
from bot.privacy import DataKeyError
from bot.settings import get_settings
from bot.store.engine import SchemaOutOfDate, make_engine, schema_is_current
from flows.engine import Content


def app_for(
    ctx: typer.Context, *, quiet: bool = False, senders: Sequence[Sender] | None = None
) -> App:
    """The app a test passed as the command's object, else one built from the settings."""
    if isinstance(ctx.obj, App):
        return ctx.obj
    settings = get_settings()
    # The console chat shares the terminal with the person: only warnings, unless asked.
    explicit = "LOG_LEVEL" in os.environ or "log_level" in settings.model_fields_set
    setup_logging("WARNING" if quiet and not explicit else settings.log_level, settings.log_format)
    try:
        return build_app(settings, senders=senders)
    except (ContentError, SchemaOutOfDate, DataKeyError) as exc:
        typer.echo(f"defensoras: no puedo arrancar: {exc}", err=True)
        raise typer.Exit(2) from exc


def migrate_apart(ctx: typer.Context) -> None:
    """SQLite (the embedded default) migrates on start: for the long-running verbs in a child
    process, so the server never loads alembic and every dialect it knows (about 10 MiB held for
    its whole life). Should the child fail, `build_app` migrates here and says why."""
    if isinstance(ctx.obj, App):
        return
    settings = get_settings()
    if not settings.is_sqlite:
        return
    engine = make_engine(settings.database_url, settings.sqlite_lock_wait_seconds)
    try:
        current = schema_is_current(engine)
    finally:
        engine.dispose()
    if not current:
        upgrade = [sys.executable, "-m", "bot", "db", "upgrade"]
        subprocess.run(upgrade, check=False, stdout=subprocess.DEVNULL)


def fail(message: str) -> typer.Exit:
    typer.echo(f"defensoras: {message}", err=True)
    return typer.Exit(2)


def content_or_exit() -> Content:
    try:
        return load_content(get_settings().content_dir)
    except ContentError as exc:
        typer.echo(f"defensoras: contenido inválido: {exc}", err=True)
        raise typer.Exit(2) from exc


def stdin_lines() -> Iterator[str]:
    tolerate_undecodable(sys.stdin)
    for line in sys.stdin:
        yield line.rstrip("\r\n")


def each_line(
    as_json: bool,
    to_json: Callable[[str], dict[str, object]],
    to_text: Callable[[dict[str, object]], str],
) -> None:
    for line in stdin_lines():
        result = to_json(line)
        out = json.dumps(result, ensure_ascii=False) if as_json else to_text(result)
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
