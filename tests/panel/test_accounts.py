"""`defensoras panel-user add|list|remove`: the password from standard input, hashed with argon2."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from bot.app import App
from bot.cli import cli as typer_cli
from bot.roster import add_defensora
from bot.store.engine import unit_of_work
from bot.store.models import PanelUser
from tests.factories import run_cli

PASSWORD = "una-clave-larga-1"


def test_panel_user_verbs(sqlite_app: App) -> None:
    runner = CliRunner()

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        result = runner.invoke(typer_cli, list(args), obj=sqlite_app, input=stdin)
        return result.exit_code, result.stdout, result.stderr

    with unit_of_work(sqlite_app.engine) as db:
        add_defensora(db, sqlite_app.vault, "Lucía", "telegram", "5001", coordinator=False)
    add = ("panel-user", "add")
    assert run(*add, "Carmen", "--role", "coordinator", stdin=PASSWORD + "\n")[0] == 0
    code, out, _ = run(*add, "lucia", "--role", "defensora", "--defensora", "lucía", stdin=PASSWORD)
    assert (code, out) == (0, "cuenta lucia creada (defensora)\n")
    for args, stdin, message in [
        (("ana", "--role", "defensora"), PASSWORD, "necesita --defensora"),
        (("ana", "--role", "coordinator"), "corta\n", "al menos 10 caracteres"),
        (("carmen", "--role", "coordinator"), PASSWORD, "ya existe el usuario 'carmen'"),
        (("ana", "--role", "defensora", "--defensora", "Nadie"), PASSWORD, "no está registrada"),
        (("a b", "--role", "coordinator"), PASSWORD, "usuario:"),
    ]:
        code, _, err = run(*add, *args, stdin=stdin)
        assert code == 2 and message in err, (args, err)
    assert run(*add, "ana", "--role", "admin", stdin=PASSWORD)[0] == 2
    code, out, _ = run("panel-user", "list")
    assert out.splitlines() == ["carmen: coordinator", "lucia: defensora · Lucía"]
    with unit_of_work(sqlite_app.engine) as db:
        stored = [u.password_hash for u in db.exec(select(PanelUser))]
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in stored)
    assert run("panel-user", "remove", "CARMEN")[0] == 0
    code, _, err = run("panel-user", "remove", "carmen")
    assert code == 2 and "no existe" in err
    assert run("panel-user", "list")[1].splitlines() == ["lucia: defensora · Lucía"]


def test_the_first_coordinator_as_the_readme_says(tmp_path: Path) -> None:
    """The installed command, as a person runs it on a fresh server (embedded default)."""
    made = run_cli(
        ["panel-user", "add", "coordinadora", "--role", "coordinator"], PASSWORD, tmp_path
    )
    assert made.returncode == 0, made.stderr
    listed = run_cli(["panel-user", "list"], "", tmp_path)
    assert listed.stdout == "coordinadora: coordinator\n"
