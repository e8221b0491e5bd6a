"""The roster: defensoras, shifts in Lima time, who is on duty; and the CLI verbs as run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from bot.app import App
from bot.channels.envelope import Envelope
from bot.cli import cli as typer_cli
from bot.roster import (
    LIMA,
    RosterError,
    add_defensora,
    add_shift,
    find_defensora,
    list_shifts,
    members,
    on_duty,
    parse_local,
    remove_defensora,
)
from bot.store import unit_of_work
from bot.store.models import Case
from flows.types import Channel, Inbound
from tests.conftest import FakeClock

ROOT = Path(__file__).resolve().parents[1]
WA = "+51911222333"
PERSON = "+51987654321"


def lima(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=LIMA)


def names(app: App, moment: datetime) -> list[str]:
    with unit_of_work(app.engine) as db:
        return sorted(m.name for m in on_duty(db, moment))


@pytest.fixture
def team(sqlite_app: App) -> App:
    with unit_of_work(sqlite_app.engine) as db:
        add_defensora(db, sqlite_app.vault, "Ana", "telegram", "5001", coordinator=False)
        add_defensora(db, sqlite_app.vault, "Bety", "whatsapp", WA, coordinator=False)
        add_defensora(db, sqlite_app.vault, "Coco", "telegram", "5003", coordinator=True)
    return sqlite_app


# ------------------------------------------------------------------------------ defensoras


def test_add_defensora_keeps_no_number_and_refuses_duplicates(team: App) -> None:
    with unit_of_work(team.engine) as db:
        everyone = members(db)
        assert sorted(m.name for m in everyone) == ["Ana", "Bety", "Coco"]
        assert [m.name for m in members(db, coordinators_only=True)] == ["Coco"]
        bety = next(m for m in everyone if m.name == "Bety")
        assert bety.contact.channel == "whatsapp" and WA not in bety.contact.address_enc
        assert team.vault.decrypt(bety.contact.address_enc) == WA
        with pytest.raises(RosterError, match="ya existe una defensora llamada 'Ana'"):
            add_defensora(db, team.vault, "Ana", "telegram", "6000", coordinator=False)
        with pytest.raises(RosterError, match="ya está registrado"):
            add_defensora(db, team.vault, "Dora", "telegram", "5001", coordinator=False)
        with pytest.raises(RosterError, match="vacío"):
            add_defensora(db, team.vault, "  ", "telegram", "6001", coordinator=False)


def test_a_defensora_who_chatted_before_keeps_her_contact(sqlite_app: App) -> None:
    handled = sqlite_app.service.handle(Envelope(Inbound(Channel.TELEGRAM, text="hola"), "5001"))
    with unit_of_work(sqlite_app.engine) as db:
        member = add_defensora(db, sqlite_app.vault, "Ana", "telegram", "5001", coordinator=False)
        [found] = members(db)
        assert found.id == member.id and found.contact.pseudonym == handled.pseudonym


def test_removed_defensoras_can_be_registered_again(team: App) -> None:
    with unit_of_work(team.engine) as db:
        add_shift(db, "Ana", lima(17, 8), lima(17, 20), weekly=True)
        assert remove_defensora(db, "Ana", now=lima(17, 9)) == []
        assert "Ana" not in [m.name for m in members(db)]
        assert list_shifts(db) == []  # her shifts go with her
        with pytest.raises(RosterError, match="dada de baja"):
            find_defensora(db, "Ana")
        with pytest.raises(RosterError, match="dada de baja"):
            remove_defensora(db, "Ana")
        again = add_defensora(db, team.vault, "Ana", "telegram", "5011", coordinator=True)
        assert again.active and again.coordinator
        assert [m.name for m in members(db, coordinators_only=True)] == ["Ana", "Coco"]


def test_unknown_names_say_who_is_registered(team: App) -> None:
    with unit_of_work(team.engine) as db:
        with pytest.raises(RosterError, match=r"'Nadia' no está registrada .*Ana, Bety, Coco"):
            add_shift(db, "Nadia", lima(17, 8), lima(17, 12), weekly=False)
        with pytest.raises(RosterError, match="no está registrada"):
            remove_defensora(db, "Nadia")
        assert find_defensora(db, " bety ").name == "Bety"  # case and spaces do not matter


# ---------------------------------------------------------------------------------- shifts


def test_parse_local_is_lima_time() -> None:
    moment = parse_local("2026-06-17T08:00")
    assert moment.astimezone(UTC) == datetime(2026, 6, 17, 13, 0, tzinfo=UTC)
    for bad in ("2026-06-17 08:00", "17/06/2026 08:00", "2026-06-17T25:00", ""):
        with pytest.raises(RosterError, match="YYYY-MM-DDTHH:MM"):
            parse_local(bad)


@pytest.mark.parametrize(
    ("start", "end", "weekly", "message"),
    [
        (lima(17, 20), lima(17, 8), False, "termina antes de empezar"),
        (lima(17, 8), lima(17, 8), False, "termina antes de empezar"),
        (lima(17, 8), lima(18, 8, 1), False, "más de 24 horas"),
        (lima(17, 19), lima(17, 22), False, "se superpone con el turno 1 de Ana"),
        (lima(17, 6), lima(17, 9), False, "se superpone"),
        (lima(10, 9), lima(10, 10), True, "se superpone"),  # weekly, from last week
        (lima(24, 12), lima(24, 13), False, "se superpone"),  # a week later
    ],
)
def test_nonsense_shifts_are_refused(
    team: App, start: datetime, end: datetime, weekly: bool, message: str
) -> None:
    with unit_of_work(team.engine) as db:
        add_shift(db, "Ana", lima(17, 8), lima(17, 20), weekly=True)  # shift 1, Wednesdays
    with unit_of_work(team.engine) as db, pytest.raises(RosterError, match=message):
        add_shift(db, "Ana", start, end, weekly=weekly)


def test_adjacent_and_other_peoples_shifts_are_fine(team: App) -> None:
    with unit_of_work(team.engine) as db:
        add_shift(db, "Ana", lima(17, 8), lima(17, 20), weekly=True)
        add_shift(db, "Ana", lima(17, 20), lima(18, 8), weekly=False)  # back to back
        add_shift(db, "Ana", lima(18, 8), lima(19, 8), weekly=False)  # exactly 24 h
        add_shift(db, "Bety", lima(17, 8), lima(17, 20), weekly=True)  # same hours, other person
        assert [name for _, name in list_shifts(db)] == ["Ana", "Ana", "Ana", "Bety"]


def test_on_duty_is_computed_from_shifts_at_the_moment(team: App) -> None:
    with unit_of_work(team.engine) as db:
        add_shift(db, "Ana", lima(17, 8), lima(17, 20), weekly=True)  # Wednesdays
        add_shift(db, "Bety", lima(17, 22), lima(18, 6), weekly=False)  # over midnight, once
    assert names(team, lima(17, 7, 59)) == []
    assert names(team, lima(17, 8)) == ["Ana"]  # the start counts
    assert names(team, lima(17, 19, 59)) == ["Ana"]
    assert names(team, lima(17, 20)) == []  # the end does not
    assert names(team, lima(18, 3)) == ["Bety"]
    assert names(team, lima(18, 3).astimezone(UTC)) == ["Bety"]  # any time zone in
    assert names(team, lima(24, 12)) == ["Ana"]  # a week later
    assert names(team, lima(25, 3)) == []  # Bety's shift was once
    assert names(team, lima(10, 12)) == []  # before the weekly shift began
    assert names(team, lima(17, 12) + timedelta(weeks=52)) == ["Ana"]
    with unit_of_work(team.engine) as db:
        remove_defensora(db, "Ana", now=lima(17, 9))
    assert names(team, lima(24, 12)) == []


def test_removing_a_defensora_reopens_her_cases(team: App, clock: FakeClock) -> None:
    team.service.handle(Envelope(Inbound(Channel.WHATSAPP, text="me va a matar"), "+51900000001"))
    team.service.handle(Envelope(Inbound(Channel.TELEGRAM, text="/tomar 1"), "5001"))
    with unit_of_work(team.engine) as db:
        assert remove_defensora(db, "Ana", now=clock.now) == [1]
        case = db.get(Case, 1)
        assert case is not None and case.status == "open" and case.taken_by is None
        assert case.ack_deadline == clock.now


# ------------------------------------------------------------------------------------- CLI


def cli(args: list[str], db: Path, key: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "TWILIO_", "WHATSAPP_", "DATABASE_URL", "DATA_KEY"))
    }
    environment.update(
        PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{db}", DATA_KEY=key, LOG_LEVEL="WARNING"
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=db.parent,
        env=environment,
        timeout=120,
    )


def chain(
    db: Path, key: str, steps: list[list[str]], stdin: dict[str, str]
) -> list[subprocess.CompletedProcess[str]]:
    return [cli(step, db, key, stdin.get(step[0], "")) for step in steps]


def test_cli_contracts_as_run(tmp_path: Path) -> None:
    """The DESIGN.md verbs in real processes; two databases, their sequences side by side."""
    key = Fernet.generate_key().decode()
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    plans = {
        "a": [
            ["defensora", "add", "Ana", "--telegram", "5001"],
            ["shift", "add", "Ana", "--start", "2026-06-17T08:00", "--end", "2026-06-17T20:00"],
        ],
        "b": [  # nobody registered: the case waits, and the log says so loudly
            ["chat"],
            ["escalations", "list"],
        ],
    }
    stdin = {"chat": "me dijo que me va a matar\n"}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            name: pool.submit(chain, tmp_path / name / "d.db", key, steps, stdin)
            for name, steps in plans.items()
        }
        a, b = (futures[name].result() for name in ("a", "b"))

    assert a[0].returncode == 0, a[0].stderr
    assert a[0].stdout.strip() == "defensora Ana registrada (telegram)"
    assert a[1].returncode == 0, a[1].stderr
    assert a[1].stdout.strip() == "turno 1 de Ana: 2026-06-17T08:00 a 2026-06-17T20:00"

    assert b[0].returncode == 0, b[0].stderr
    assert "105" in b[0].stdout
    assert "NOBODY is registered" in b[0].stderr and "escalations list" in b[0].stderr
    assert b[1].returncode == 0
    [line] = b[1].stdout.strip().splitlines()
    assert line.startswith("#1 imminent  open   C-") and "[threat_to_life]" in line
    assert "avisos=0" in line


@pytest.fixture
def run(sqlite_app: App) -> Callable[..., Result]:
    """The same typer verbs in-process, on an app already built (fast: no start-up each time)."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(typer_cli, list(args), obj=sqlite_app)

    return invoke


def test_cli_defensora_verbs(run: Callable[..., Result], sqlite_app: App) -> None:
    assert run("defensora", "add", "Ana", "--telegram", "5001").exit_code == 0
    added = run("defensora", "add", "Bety", "--whatsapp", WA, "--coordinator")
    assert added.exit_code == 0 and added.stdout == "coordinadora Bety registrada (whatsapp)\n"
    for bad, message in [
        (["Eva"], "indica exactamente uno"),
        (["Eva", "--telegram", "1", "--whatsapp", WA], "indica exactamente uno"),
        (["Eva", "--whatsapp", "987654321"], "formato internacional"),
        (["Eva", "--telegram", "@eva"], "chat id numérico"),
        (["Ana", "--telegram", "5009"], "ya existe una defensora llamada 'Ana'"),
        (["Eva", "--telegram", "5001"], "ya está registrado para otra defensora"),
    ]:
        result = run("defensora", "add", *bad)
        assert result.exit_code == 2 and message in result.stderr, (bad, result.stderr)

    sqlite_app.service.handle(Envelope(Inbound(Channel.WHATSAPP, text="me va a matar"), PERSON))
    sqlite_app.service.handle(Envelope(Inbound(Channel.TELEGRAM, text="/tomar 1"), "5001"))
    removed = run("defensora", "remove", "Ana")
    assert removed.exit_code == 0 and removed.stdout.startswith("Ana dada de baja\n")
    assert "#1" in removed.stdout  # the case she held is open again
    again = run("defensora", "remove", "Ana")
    assert again.exit_code == 2 and "dada de baja" in again.stderr
    unknown = run("defensora", "remove", "Nadia")
    assert unknown.exit_code == 2 and "'Nadia' no está registrada (registradas: Bety)" in (
        unknown.stderr
    )

    listing = run("defensora", "list").stdout
    assert "Ana: telegram C-" in listing and "(baja)" in listing
    assert "Bety: whatsapp C-" in listing and "coordinadora" in listing
    assert "5001" not in listing and WA[1:] not in listing

    cases = run("escalations", "list", "--all").stdout
    assert cases.startswith("#1 imminent  open ") and "avisos=1" in cases
    assert PERSON[1:] not in cases


def test_cli_shift_verbs(run: Callable[..., Result], team: App) -> None:
    add = ["shift", "add"]
    first = run(*add, "ana", "--weekly", "--start", "2026-06-17T08:00", "--end", "2026-06-17T20:00")
    assert first.exit_code == 0, first.stderr
    assert first.stdout == "turno 1 de Ana: 2026-06-17T08:00 a 2026-06-17T20:00 (semanal)\n"
    for bad, message in [
        (
            ["Ana", "--start", "2026-06-24T19:00", "--end", "2026-06-24T22:00"],
            "se superpone con el turno 1 de Ana (2026-06-17 08:00 a 2026-06-17 20:00)",
        ),
        (
            ["Nadia", "--start", "2026-06-17T08:00", "--end", "2026-06-17T09:00"],
            "'Nadia' no está registrada (registradas: Ana, Bety, Coco)",
        ),
        (["Bety", "--start", "2026-06-17T20:00", "--end", "2026-06-17T08:00"], "antes de empezar"),
        (["Bety", "--start", "2026-06-17T08:00", "--end", "2026-06-18T09:00"], "24 horas"),
        (["Bety", "--start", "17/06/2026 08:00", "--end", "2026-06-17T09:00"], "YYYY-MM-DDTHH:MM"),
    ]:
        result = run(*add, *bad)
        assert result.exit_code == 2 and message in result.stderr, (bad, result.stderr)
    assert (
        run(*add, "Bety", "--start", "2026-06-17T09:00", "--end", "2026-06-17T12:00").exit_code == 0
    )

    listing = run("shift", "list").stdout  # the FakeClock: 2026-06-17 10:00 in Lima
    assert "1: Ana 2026-06-17 08:00 → 2026-06-17 20:00 semanal" in listing
    assert "2: Bety 2026-06-17 09:00 → 2026-06-17 12:00" in listing
    assert listing.endswith("de turno ahora: Ana, Bety\n")
    assert run("shift", "remove", "2").stdout == "turno 2 borrado\n"
    missing = run("shift", "remove", "2")
    assert missing.exit_code == 2 and "no hay turno 2" in missing.stderr
    assert run("shift", "list").stdout.endswith("de turno ahora: Ana\n")
