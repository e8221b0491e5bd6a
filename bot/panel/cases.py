"""/panel/cases: open, taken and closed cases; take, answer and close with the chat's rules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request, Response
from sqlmodel import Session as DB
from sqlmodel import col, select

from bot import casebook, defensora
from bot.panel.accounts import Viewer, audit
from bot.panel.web import Panel
from bot.store.models import Case, Defensora

MAX_ID = 2**31 - 1
CLOSED_SHOWN = 50


@dataclass(frozen=True, slots=True)
class CaseRow:
    id: int
    status: str
    level: str
    severity: str
    categories: list[str]
    opened_at: datetime
    age: str
    holder: str | None
    mine: bool
    time_to_take: str
    safe_to_write: bool | None
    excerpt: str | None


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours < 48 else f"{hours // 24} días"


def case_rows(db: DB, viewer: Viewer, labels: dict[str, str], now: datetime) -> list[CaseRow]:
    """Every open and taken case, then the latest closed; the excerpt only to coordinators and
    to the defensora who holds the case, and only while it is kept (retention)."""
    names = {d.id: d.name for d in db.exec(select(Defensora)).all()}
    live = db.exec(
        select(Case).where(col(Case.status) != "closed").order_by(col(Case.opened_at))
    ).all()
    closed = db.exec(
        select(Case)
        .where(col(Case.status) == "closed")
        .order_by(col(Case.closed_at).desc())
        .limit(CLOSED_SHOWN)
    ).all()
    rows = []
    for case in [*live, *closed]:
        assert case.id is not None
        mine = case.taken_by is not None and case.taken_by == viewer.defensora_id
        kept = case.purge_after is None or now < case.purge_after
        may_read = (viewer.is_coordinator or mine) and kept
        taken = case.taken_at
        rows.append(
            CaseRow(
                id=case.id,
                status=case.status,
                level=case.severity,
                severity=labels.get(f"sev_{case.severity}", case.severity),
                categories=[labels.get(f"cat_{c}", c) for c in case.categories.split(",") if c],
                opened_at=case.opened_at,
                age=_duration(((case.closed_at or now) - case.opened_at).total_seconds()),
                holder=names.get(case.taken_by) if case.taken_by is not None else None,
                mine=mine,
                time_to_take="—"
                if taken is None
                else _duration((taken - case.opened_at).total_seconds()),
                safe_to_write=case.safe_to_write,
                excerpt=case.excerpt if may_read else None,
            )
        )
    return rows


def act_as_defensora(panel: Panel, db: DB, viewer: Viewer, command: str, now: datetime) -> str:
    """Run a chat command (/tomar, /responder, /cerrar, or the answer to "¿Enviar a #N?") as the
    viewer's roster entry, through the code her chat runs: the same rules (who may take, only
    the holder answers or closes, confirmation while it is not safe to write)."""
    member = casebook.member(db, viewer.defensora_id)
    if member is None:
        return "Tu cuenta no está vinculada a una defensora activa del registro."
    replies = defensora.handle(db, member, command, None, None, now, panel.app.service.cases)
    verb, _, rest = command.partition(" ")
    audit(db, viewer.username, "case_" + verb.lstrip("/"), rest.split(" ")[0][:20], now)
    return "\n".join(reply.text for reply in replies)


def has_draft(db: DB, viewer: Viewer) -> bool:
    """A message of hers waits for "¿Enviar a #N?" (kept in her chat's session)."""
    member = casebook.member(db, viewer.defensora_id)
    if member is None:
        return False
    try:
        return bool(json.loads(member.contact.session or "{}").get("draft"))
    except (ValueError, AttributeError):
        return False


def routes(panel: Panel, router: APIRouter) -> None:
    @router.get("/cases")
    async def cases(request: Request) -> Response:
        viewer = await panel.viewer(request)
        labels = panel.app.content.texts.texts
        now = panel.app.clock()
        rows = await panel.db(lambda db: case_rows(db, viewer, labels, now))
        draft = await panel.db(lambda db: has_draft(db, viewer))
        words = panel.app.service.cases.words
        safety = {key: words[f"safety_{key}"] for key in ("yes", "no", "unknown")}
        return panel.render(request, "cases.html", viewer, rows=rows, safety=safety, draft=draft)

    async def command(request: Request, case_id: int, verb: str, field: str | None) -> Response:
        viewer = await panel.viewer(request)
        form = await panel.form(request)
        if not 1 <= case_id <= MAX_ID:
            return panel.redirect("/panel/cases", f"No existe el caso #{case_id}.", error=True)
        extra = form.get(field, "").strip() if field else ""
        if field == "text" and not extra:
            return panel.redirect(
                "/panel/cases", "Escribe el mensaje antes de enviarlo.", error=True
            )
        now = panel.app.clock()
        text = f"/{verb} {case_id} {extra}".strip()
        answer = await panel.db(lambda db: act_as_defensora(panel, db, viewer, text, now))
        return panel.redirect("/panel/cases", answer or "Hecho.")

    @router.post("/cases/draft")
    async def draft(request: Request) -> Response:
        viewer = await panel.viewer(request)
        form = await panel.form(request)
        words = panel.app.service.cases.words
        answer = words.confirm_yes[0] if form.get("send") == "yes" else words.confirm_no[0]
        now = panel.app.clock()
        done = await panel.db(lambda db: act_as_defensora(panel, db, viewer, answer, now))
        return panel.redirect("/panel/cases", done or "Hecho.")

    @router.post("/cases/{case_id}/take")
    async def take(request: Request, case_id: int) -> Response:
        return await command(request, case_id, "tomar", None)

    @router.post("/cases/{case_id}/answer")
    async def answer(request: Request, case_id: int) -> Response:
        return await command(request, case_id, "responder", "text")

    @router.post("/cases/{case_id}/close")
    async def close(request: Request, case_id: int) -> Response:
        return await command(request, case_id, "cerrar", "note")
