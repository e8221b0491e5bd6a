"""`defensoras defensora` and `defensoras shift`: the roster and its shifts (Lima time)."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from sqlmodel import select

from bot.cli.common import app_for, fail
from bot.roster import LIMA, RosterError
from bot.store.engine import unit_of_work
from bot.store.models import Defensora

defensora_group = typer.Typer(help="Defensoras y coordinadoras.", no_args_is_help=True)
shift_group = typer.Typer(help="Turnos (hora de Lima).", no_args_is_help=True)


@defensora_group.command("add")
def defensora_add(
    ctx: typer.Context,
    name: str,
    telegram: Annotated[str | None, typer.Option("--telegram", help="chat id de Telegram")] = None,
    whatsapp: Annotated[str | None, typer.Option("--whatsapp", help="+51...")] = None,
    coordinator: Annotated[bool, typer.Option("--coordinator")] = False,
    speaks: Annotated[
        str, typer.Option("--speaks", help="idiomas que habla: es, qu, en (p. ej. es,qu)")
    ] = "es",
) -> None:
    """Registra a una defensora con el chat donde recibe alertas."""
    from bot.roster import add_defensora, languages

    if (telegram is None) == (whatsapp is None):
        raise fail("indica exactamente uno: --telegram CHAT_ID o --whatsapp +51...")
    if telegram is not None and not re.fullmatch(r"-?[0-9]{1,19}", telegram):
        raise fail("--telegram espera el chat id numérico")
    if whatsapp is not None and not re.fullmatch(r"\+[0-9]{6,15}", whatsapp):
        raise fail("--whatsapp espera un número en formato internacional, p. ej. +51987654321")
    if not re.fullmatch(r"[a-z]{2,3}(,[a-z]{2,3})*", speaks.replace(" ", "")):
        raise fail("--speaks espera códigos de idioma separados por comas, p. ej. es,qu")
    app = app_for(ctx)
    known = set(app.content.languages.names) or {"es"}
    unknown = sorted(set(languages(speaks.replace(" ", ""))) - known)
    if unknown:
        names = ", ".join(sorted(known))
        raise fail(f"--speaks: idioma desconocido {', '.join(unknown)}; conocidos: {names}")
    channel, address = ("telegram", telegram) if telegram else ("whatsapp", whatsapp)
    assert address is not None
    try:
        with unit_of_work(app.engine) as db:
            member = add_defensora(
                db,
                app.vault,
                name,
                channel,
                address,
                coordinator=coordinator,
                now=app.clock(),
                speaks=languages(speaks.replace(" ", "")),
            )
            role = "coordinadora" if member.coordinator else "defensora"
            typer.echo(f"{role} {member.name} registrada ({channel})")
    except RosterError as exc:
        raise fail(str(exc)) from exc


@defensora_group.command("list")
def defensora_list(ctx: typer.Context) -> None:
    """Lista defensoras (sin números)."""
    from bot.store.models import Contact

    app = app_for(ctx)
    with unit_of_work(app.engine) as db:
        rows = db.exec(select(Defensora, Contact).join(Contact)).all()
        for member, contact in rows:
            flags = " coordinadora" if member.coordinator else ""
            state = "" if member.active else " (baja)"
            spoken = f" habla {member.speaks}"
            typer.echo(
                f"{member.name}: {contact.channel} {contact.pseudonym}{spoken}{flags}{state}"
            )


@defensora_group.command("remove")
def defensora_remove(ctx: typer.Context, name: str) -> None:
    """Da de baja a una defensora (sus turnos se borran; los casos quedan)."""
    from bot.roster import remove_defensora

    app = app_for(ctx)
    try:
        with unit_of_work(app.engine) as db:
            released = remove_defensora(db, name, now=app.clock())
    except RosterError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"{name} dada de baja")
    if released:
        ids = ", ".join(f"#{i}" for i in released)
        typer.echo(f"casos que tenía, abiertos de nuevo y re-enviados en el próximo aviso: {ids}")


@shift_group.command("add")
def shift_add(
    ctx: typer.Context,
    name: str,
    start: Annotated[str, typer.Option("--start", help="YYYY-MM-DDTHH:MM (Lima)")],
    end: Annotated[str, typer.Option("--end", help="YYYY-MM-DDTHH:MM (Lima)")],
    weekly: Annotated[bool, typer.Option("--weekly", help="Se repite cada semana.")] = False,
) -> None:
    """Agrega un turno."""
    from bot.roster import add_shift, parse_local

    app = app_for(ctx)
    try:
        with unit_of_work(app.engine) as db:
            shift = add_shift(db, name, parse_local(start), parse_local(end), weekly=weekly)
            member = db.get(Defensora, shift.defensora_id)
            who = member.name if member is not None else name
            typer.echo(
                f"turno {shift.id} de {who}: {start} a {end}" + (" (semanal)" if weekly else "")
            )
    except RosterError as exc:
        raise fail(str(exc)) from exc


@shift_group.command("list")
def shift_list(ctx: typer.Context) -> None:
    """Lista turnos y quién está de turno ahora."""
    from bot.roster import list_shifts, on_duty

    app = app_for(ctx)
    with unit_of_work(app.engine) as db:
        for shift, name in list_shifts(db):
            start = shift.starts_at.astimezone(LIMA).strftime("%Y-%m-%d %H:%M")
            end = shift.ends_at.astimezone(LIMA).strftime("%Y-%m-%d %H:%M")
            typer.echo(f"{shift.id}: {name} {start} → {end}" + (" semanal" if shift.weekly else ""))
        names = ", ".join(m.name for m in on_duty(db, app.clock())) or "nadie"
        typer.echo(f"de turno ahora: {names}")


@shift_group.command("remove")
def shift_remove(ctx: typer.Context, shift_id: int) -> None:
    """Borra un turno por número."""
    from bot.store.models import Shift

    app = app_for(ctx)
    with unit_of_work(app.engine) as db:
        shift = db.get(Shift, shift_id)
        if shift is None:
            raise fail(f"no hay turno {shift_id}")
        db.delete(shift)
    typer.echo(f"turno {shift_id} borrado")
