"""`defensoras` command line (contracts in DESIGN.md): one module per verb group.

The root only assembles: the verb modules never import it back (no cycle).
"""

from __future__ import annotations

import typer

from bot.cli import broadcasts, cases, content, db, outbox, panel, processes, roster

cli = typer.Typer(
    help="Bot de Defensoras al Parlante.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for name, group in (
    ("db", db.group),
    ("defensora", roster.defensora_group),
    ("shift", roster.shift_group),
    ("escalations", cases.group),
    ("episodes", broadcasts.episodes_group),
    ("broadcast", broadcasts.broadcast_group),
    ("outbox", outbox.group),
    ("telegram", processes.telegram_group),
    ("panel-user", panel.group),
):
    cli.add_typer(group, name=name)
for command in (*processes.COMMANDS[:1], *content.COMMANDS, *processes.COMMANDS[1:]):
    cli.command()(command)


def main() -> None:
    cli()
