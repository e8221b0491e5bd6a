"""Operations verbs: processes, roster, shifts, escalations, episodes, broadcasts, Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Annotated

import typer
from sqlmodel import col, select

from bot.cli import _app, cli
from bot.models import Case, Defensora
from bot.roster import LIMA, RosterError
from bot.store import unit_of_work

defensora_cli = typer.Typer(help="Defensoras y coordinadoras.", no_args_is_help=True)
shift_cli = typer.Typer(help="Turnos (hora de Lima).", no_args_is_help=True)
escalations_cli = typer.Typer(help="Casos escalados.", no_args_is_help=True)
episodes_cli = typer.Typer(help="Episodios del programa.", no_args_is_help=True)
broadcast_cli = typer.Typer(help="Difusiones a suscriptoras.", no_args_is_help=True)
telegram_cli = typer.Typer(help="Telegram: long polling y webhook.", no_args_is_help=True)
for name, sub in (
    ("defensora", defensora_cli),
    ("shift", shift_cli),
    ("escalations", escalations_cli),
    ("episodes", episodes_cli),
    ("broadcast", broadcast_cli),
    ("telegram", telegram_cli),
):
    cli.add_typer(sub, name=name)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"defensoras: {message}", err=True)
    return typer.Exit(2)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interfaz.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Puerto.")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Solo web (otro proceso corre `worker`).")
    ] = False,
) -> None:
    """Servidor web (webhooks); por defecto también despacha mensajes y corre el programador."""
    import uvicorn

    from bot.web import build_web
    from bot.worker import run_worker

    app = _app()
    tasks = [] if no_worker else [lambda: run_worker(app, beside_web=True)]
    web = build_web(app, lifespan_tasks=tasks, process_turns=not no_worker)
    uvicorn.run(web, host=host, port=port, log_config=None, access_log=False, proxy_headers=True)


@cli.command()
def worker() -> None:
    """Despachador de mensajes y programador (recordatorios, re-escalamiento), sin web."""
    from bot.worker import run_worker

    app = _app()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(app))


@defensora_cli.command("add")
def defensora_add(
    name: str,
    telegram: Annotated[str | None, typer.Option("--telegram", help="chat id de Telegram")] = None,
    whatsapp: Annotated[str | None, typer.Option("--whatsapp", help="+51...")] = None,
    coordinator: Annotated[bool, typer.Option("--coordinator")] = False,
) -> None:
    """Registra a una defensora con el chat donde recibe alertas."""
    from bot.roster import add_defensora

    if (telegram is None) == (whatsapp is None):
        raise _fail("indica exactamente uno: --telegram CHAT_ID o --whatsapp +51...")
    if telegram is not None and not telegram.lstrip("-").isdigit():
        raise _fail("--telegram espera el chat id numérico")
    if whatsapp is not None and not (whatsapp.startswith("+") and whatsapp[1:].isdigit()):
        raise _fail("--whatsapp espera un número en formato internacional, p. ej. +51987654321")
    app = _app()
    channel, address = ("telegram", telegram) if telegram else ("whatsapp", whatsapp)
    assert address is not None
    try:
        with unit_of_work(app.engine) as db:
            member = add_defensora(db, app.vault, name, channel, address, coordinator=coordinator)
            role = "coordinadora" if member.coordinator else "defensora"
            typer.echo(f"{role} {member.name} registrada ({channel})")
    except RosterError as exc:
        raise _fail(str(exc)) from exc


@defensora_cli.command("list")
def defensora_list() -> None:
    """Lista defensoras (sin números)."""
    from bot.models import Contact

    app = _app()
    with unit_of_work(app.engine) as db:
        rows = db.exec(select(Defensora, Contact).join(Contact)).all()
        for member, contact in rows:
            flags = " coordinadora" if member.coordinator else ""
            state = "" if member.active else " (baja)"
            typer.echo(f"{member.name}: {contact.channel} {contact.pseudonym}{flags}{state}")


@defensora_cli.command("remove")
def defensora_remove(name: str) -> None:
    """Da de baja a una defensora (sus turnos se borran; los casos quedan)."""
    from bot.roster import remove_defensora

    app = _app()
    try:
        with unit_of_work(app.engine) as db:
            released = remove_defensora(db, name, now=app.clock())
    except RosterError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"{name} dada de baja")
    if released:
        ids = ", ".join(f"#{i}" for i in released)
        typer.echo(f"casos que tenía, abiertos de nuevo y re-enviados en el próximo aviso: {ids}")


@shift_cli.command("add")
def shift_add(
    name: str,
    start: Annotated[str, typer.Option("--start", help="YYYY-MM-DDTHH:MM (Lima)")],
    end: Annotated[str, typer.Option("--end", help="YYYY-MM-DDTHH:MM (Lima)")],
    weekly: Annotated[bool, typer.Option("--weekly", help="Se repite cada semana.")] = False,
) -> None:
    """Agrega un turno."""
    from bot.roster import add_shift, parse_local

    app = _app()
    try:
        with unit_of_work(app.engine) as db:
            shift = add_shift(db, name, parse_local(start), parse_local(end), weekly=weekly)
            member = db.get(Defensora, shift.defensora_id)
            who = member.name if member is not None else name
            typer.echo(
                f"turno {shift.id} de {who}: {start} a {end}" + (" (semanal)" if weekly else "")
            )
    except RosterError as exc:
        raise _fail(str(exc)) from exc


@shift_cli.command("list")
def shift_list() -> None:
    """Lista turnos y quién está de turno ahora."""
    from bot.roster import list_shifts, on_duty

    app = _app()
    with unit_of_work(app.engine) as db:
        for shift, name in list_shifts(db):
            start = shift.starts_at.astimezone(LIMA).strftime("%Y-%m-%d %H:%M")
            end = shift.ends_at.astimezone(LIMA).strftime("%Y-%m-%d %H:%M")
            typer.echo(f"{shift.id}: {name} {start} → {end}" + (" semanal" if shift.weekly else ""))
        names = ", ".join(m.name for m in on_duty(db, app.clock())) or "nadie"
        typer.echo(f"de turno ahora: {names}")


@shift_cli.command("remove")
def shift_remove(shift_id: int) -> None:
    """Borra un turno por número."""
    from bot.models import Shift

    app = _app()
    with unit_of_work(app.engine) as db:
        shift = db.get(Shift, shift_id)
        if shift is None:
            raise _fail(f"no hay turno {shift_id}")
        db.delete(shift)
    typer.echo(f"turno {shift_id} borrado")


@escalations_cli.command("list")
def escalations_list(
    all_cases: Annotated[bool, typer.Option("--all", help="Incluye cerrados.")] = False,
) -> None:
    """Casos abiertos (o todos): id, severidad, estado, seudónimo; nunca números."""
    app = _app()
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


@episodes_cli.command("list")
def episodes_list() -> None:
    """Temporadas y episodios (hora de Lima)."""
    from flows.episodes import format_episode_list

    app = _app()
    typer.echo(format_episode_list(app.content.episodes, app.clock()))


@broadcast_cli.command("send")
def broadcast_send(
    text: str,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Solo cuenta y estima.")] = False,
    key: Annotated[
        str | None, typer.Option(help="Clave única (evita duplicar al repetir).")
    ] = None,
    wait: Annotated[bool, typer.Option(help="Muestra el avance mientras el worker envía.")] = True,
) -> None:
    """Envía TEXT a todas las personas suscritas, al ritmo de cada canal."""
    from bot.broadcast import audience, create_broadcast, progress

    app = _app()
    if not text.strip():
        raise _fail("el texto está vacío")
    counts = audience(app.engine)
    rates = {
        "telegram": app.settings.telegram_rate_per_second,
        "whatsapp": app.settings.whatsapp_rate_per_second,
    }
    eta = max((n / rates.get(ch, 1000.0) for ch, n in counts.items()), default=0.0)
    summary = ", ".join(f"{ch}: {n}" for ch, n in sorted(counts.items())) or "nadie suscrito"
    typer.echo(f"destinatarias: {sum(counts.values())} ({summary}); tiempo estimado ≈ {eta:.0f} s")
    if dry_run:
        return
    broadcast_id = create_broadcast(
        app.engine,
        key=key or f"manual:{uuid.uuid4().hex}",
        text=text,
        kind="broadcast",
        now=app.clock(),
    )
    if broadcast_id is None:
        raise _fail(f"la difusión {key!r} ya se creó antes; no se duplica")
    done, total = progress(app.engine, broadcast_id)
    typer.echo(f"difusión {broadcast_id} en cola: {total} mensajes")
    if not wait or total == 0:
        return
    with typer.progressbar(length=total, label="enviando") as bar:
        last, idle_since = done, time.monotonic()
        while done < total:
            time.sleep(0.5)
            done, total = progress(app.engine, broadcast_id)
            bar.update(done - last)
            if done != last:
                last, idle_since = done, time.monotonic()
            elif time.monotonic() - idle_since > 30:
                typer.echo(
                    "\nsin avance en 30 s: ¿está corriendo `defensoras worker` o `serve`? "
                    "Los mensajes siguen en cola.",
                    err=True,
                )
                return


@telegram_cli.command("set-webhook")
def telegram_set_webhook() -> None:
    """Registra PUBLIC_BASE_URL/telegram/webhook con el secreto TELEGRAM_WEBHOOK_SECRET."""
    app = _app()
    s = app.settings
    secret = s.telegram_webhook_secret
    if app.telegram_bot is None or s.public_base_url is None or secret is None:
        raise _fail("faltan TELEGRAM_BOT_TOKEN, PUBLIC_BASE_URL o TELEGRAM_WEBHOOK_SECRET")
    url = f"{s.public_base_url.rstrip('/')}/telegram/webhook"
    bot = app.telegram_bot

    async def register() -> None:
        async with bot:
            await bot.set_webhook(
                url,
                secret_token=secret.get_secret_value(),
                allowed_updates=["message", "edited_message", "callback_query"],
            )

    asyncio.run(register())
    typer.echo(f"webhook registrado en {url}")


@telegram_cli.command("poll")
def telegram_poll(
    limit_seconds: Annotated[float | None, typer.Option(hidden=True)] = None,
) -> None:
    """Long polling (para probar con un token real sin URL pública); también despacha."""
    from bot.polling import run_polling

    app = _app()
    if app.telegram_bot is None:
        raise _fail("falta TELEGRAM_BOT_TOKEN")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_polling(app, limit_seconds))
