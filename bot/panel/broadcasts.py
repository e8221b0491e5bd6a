"""/panel/broadcasts: compose with the discretion check, lock-screen preview, counts per
channel, dry run, send, and the progress of each broadcast."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Request, Response
from sqlmodel import Session as DB
from sqlmodel import col, select

from bot.broadcast import audience, audience_languages, create_broadcast, progress
from bot.panel.accounts import audit
from bot.panel.web import Panel
from bot.store.models import Broadcast
from flows.episodes import first_indiscreet_word

MAX_TEXT = 1000
PREVIEW_CHARS = 90
"""About what a phone's lock screen shows of a notification."""


def lock_screen(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1].rstrip() + "…"


def problem(text: str) -> str | None:
    """Why this text may not go to everyone's lock screen, or None."""
    if not text.strip():
        return "El texto está vacío."
    if len(text) > MAX_TEXT:
        return f"El texto es demasiado largo (máximo {MAX_TEXT} caracteres)."
    word = first_indiscreet_word(text)
    if word is not None:
        return (
            f"El texto dice «{word}»: se vería en la pantalla bloqueada de alguien que puede "
            "estar en peligro. Escríbelo de forma discreta."
        )
    return None


def recent(db: DB) -> list[Broadcast]:
    query = select(Broadcast).where(col(Broadcast.kind) == "broadcast")
    return list(db.exec(query.order_by(col(Broadcast.id).desc()).limit(10)).all())


def routes(panel: Panel, router: APIRouter) -> None:
    # Long by layout only: each page handler is a short closure over the app, registered here
    # together so the module reads as the page's routes; none holds logic worth its own name.
    app = panel.app

    async def page(request: Request, text: str = "", checked: bool = False) -> Response:
        viewer = await panel.coordinator(request)
        counts = await asyncio.to_thread(audience, app.engine)
        spoken = await asyncio.to_thread(audience_languages, app.engine)
        names = app.content.languages.names
        others = {names.get(code, code): n for code, n in sorted(spoken.items()) if code != "es"}
        rows = await panel.db(recent)
        states = {r.id: await asyncio.to_thread(progress, app.engine, r.id or 0) for r in rows}
        return panel.render(
            request,
            "broadcasts.html",
            viewer,
            text=text,
            checked=checked,
            problem=problem(text) if checked else None,
            preview=lock_screen(text),
            counts=dict(sorted(counts.items())),
            other_languages=others,
            total=sum(counts.values()),
            rows=rows,
            states=states,
            key=uuid.uuid4().hex,
        )

    @router.get("/broadcasts")
    async def broadcasts(request: Request) -> Response:
        return await page(request)

    @router.post("/broadcasts/check")
    async def dry_run(request: Request) -> Response:
        await panel.coordinator(request)
        form = await panel.form(request)
        return await page(request, form.get("text", ""), checked=True)

    @router.post("/broadcasts/send")
    async def send(request: Request) -> Response:
        viewer = await panel.coordinator(request)
        form = await panel.form(request)
        text = form.get("text", "")
        why = problem(text)
        if why is not None:
            return await page(request, text, checked=True)
        # The key comes from the form: pressing "send" twice (or a retried POST) sends once.
        key = f"panel:{form.get('key') or uuid.uuid4().hex}"[:120]
        now = app.clock()
        made = await asyncio.to_thread(
            lambda: create_broadcast(app.engine, key=key, text=text, kind="broadcast", now=now)
        )
        if made is None:
            return panel.redirect("/panel/broadcasts", "Esa difusión ya se había enviado.")
        await panel.db(lambda db: audit(db, viewer.username, "broadcast", f"difusión {made}", now))
        return panel.redirect(f"/panel/broadcasts/{made}", "Difusión en cola.")

    @router.get("/broadcasts/{broadcast_id}")
    async def status(request: Request, broadcast_id: int) -> Response:
        viewer = await panel.coordinator(request)
        found = await panel.db(
            lambda db: db.get(Broadcast, broadcast_id) if 0 < broadcast_id < 2**31 else None
        )
        if found is None:
            return panel.redirect("/panel/broadcasts", "No existe esa difusión.", error=True)
        done, total = await asyncio.to_thread(progress, app.engine, broadcast_id)
        return panel.render(
            request,
            "broadcast.html",
            viewer,
            broadcast=found,
            done=done,
            total=total,
            preview=lock_screen(found.text),
        )
