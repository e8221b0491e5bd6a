"""/panel/roster and /panel/shifts: who is registered, the week of shifts, who is on duty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlmodel import Session as DB
from sqlmodel import col, select

from bot import roster
from bot.panel.accounts import audit, recent_audit
from bot.panel.web import WEEKDAYS, Panel
from bot.roster import LIMA, WEEK, RosterError
from bot.store.models import Contact, Defensora, PanelUser, Shift


@dataclass(frozen=True, slots=True)
class Slot:
    shift_id: int
    name: str
    starts: datetime
    ends: datetime
    weekly: bool


def week_start(moment: datetime, offset: int = 0) -> datetime:
    """Monday 00:00 in Lima of the week holding `moment`, moved by `offset` weeks."""
    day = moment.astimezone(LIMA).date()
    monday = day - timedelta(days=day.weekday()) + timedelta(weeks=offset)
    return datetime.combine(monday, time(0, 0), tzinfo=LIMA)


def occurrences(shift: Shift, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    """The times a shift runs that intersect [lo, hi) (weekly shifts repeat every 7 days)."""
    start, end = shift.starts_at, shift.ends_at
    if shift.weekly and end <= lo:
        skip = (lo - end) // WEEK + 1
        start, end = start + skip * WEEK, end + skip * WEEK
    found = []
    while start < hi:
        if end > lo:
            found.append((start, end))
        if not shift.weekly:
            break
        start, end = start + WEEK, end + WEEK
    return found


def shift_rows(db: DB, only: int | None = None) -> list[tuple[Shift, str]]:
    rows = db.exec(
        select(Shift, Defensora)
        .join(Defensora, col(Shift.defensora_id) == col(Defensora.id))
        .where(col(Defensora.active) == True)
    ).all()
    return [(s, d.name) for s, d in rows if only is None or d.id == only]


def week_view(db: DB, monday: datetime, only: int | None) -> list[tuple[date, list[Slot]]]:
    days: list[tuple[date, list[Slot]]] = []
    rows = shift_rows(db, only)
    for index in range(7):
        lo = monday + timedelta(days=index)
        hi = lo + timedelta(days=1)
        slots = [
            Slot(shift.id or 0, name, a, b, shift.weekly)
            for shift, name in rows
            for a, b in occurrences(shift, lo, hi)
        ]
        days.append((lo.date(), sorted(slots, key=lambda s: (s.starts, s.name))))
    return days


def next_on_duty(db: DB, now: datetime, only: int | None = None) -> Slot | None:
    """The next shift to start after `now` (within four weeks)."""
    upcoming = [
        Slot(shift.id or 0, name, a, b, shift.weekly)
        for shift, name in shift_rows(db, only)
        for a, b in occurrences(shift, now, now + 4 * WEEK)
        if a > now
    ]
    return min(upcoming, key=lambda s: s.starts, default=None)


def roster_rows(db: DB) -> list[dict[str, object]]:
    users = {u.defensora_id: u.username for u in db.exec(select(PanelUser)).all()}
    rows = db.exec(
        select(Defensora, Contact)
        .join(Contact, col(Defensora.contact_id) == col(Contact.id))
        .order_by(col(Defensora.name))
    ).all()
    return [
        {
            "name": d.name,
            "coordinator": d.coordinator,
            "channel": c.channel,
            "languages": ", ".join(roster.languages(d.speaks)),
            "active": d.active,
            "account": users.get(d.id),
        }
        for d, c in rows
    ]


def _parse_shift(form: dict[str, str]) -> tuple[datetime, datetime]:
    day = form.get("day", "")
    start = roster.parse_local(f"{day}T{form.get('start', '')}")
    end = roster.parse_local(f"{day}T{form.get('end', '')}")
    if end <= start:  # a night shift ends the next morning
        end += timedelta(days=1)
    return start, end


def routes(panel: Panel, router: APIRouter) -> None:
    # Long by layout only: each page handler is a short closure over the app, registered here
    # together so the module reads as the page's routes; none holds logic worth its own name.
    @router.get("/roster")
    async def roster_page(request: Request) -> Response:
        viewer = await panel.coordinator(request)
        rows = await panel.db(roster_rows)
        log = await panel.db(recent_audit)
        return panel.render(request, "roster.html", viewer, rows=rows, log=log)

    @router.get("/shifts")
    async def shifts(request: Request, week: int = 0) -> Response:
        viewer = await panel.viewer(request)
        now, week = panel.app.clock(), max(-52, min(52, week))
        only = None if viewer.is_coordinator else (viewer.defensora_id or -1)

        def read(db: DB) -> dict[str, Any]:
            return {
                "days": week_view(db, week_start(now, week), only),
                "on_duty": [m.name for m in roster.on_duty(db, now)],
                "next": next_on_duty(db, now, only),
                "names": sorted(d.name for d in roster.members(db) if not d.coordinator)
                + sorted(d.name for d in roster.members(db) if d.coordinator),
            }

        values = await panel.db(read)
        return panel.render(request, "shifts.html", viewer, week=week, weekdays=WEEKDAYS, **values)

    @router.post("/shifts")
    async def add(request: Request) -> Response:
        viewer = await panel.coordinator(request)
        form = await panel.form(request)
        now = panel.app.clock()

        def work(db: DB) -> str:
            start, end = _parse_shift(form)
            shift = roster.add_shift(db, form.get("name", ""), start, end, weekly="weekly" in form)
            audit(db, viewer.username, "shift_added", f"turno {shift.id}", now)
            return f"Turno {shift.id} agregado."

        try:
            message = await panel.db(work)
        except RosterError as exc:
            return panel.redirect("/panel/shifts", f"No se agregó: {exc}.", error=True)
        return panel.redirect("/panel/shifts", message)

    @router.post("/shifts/{shift_id}/remove")
    async def remove(request: Request, shift_id: int) -> Response:
        viewer = await panel.coordinator(request)
        await panel.form(request)
        now = panel.app.clock()

        def work(db: DB) -> bool:
            shift = db.get(Shift, shift_id) if 0 < shift_id < 2**31 else None
            if shift is None:
                return False
            db.delete(shift)
            audit(db, viewer.username, "shift_removed", f"turno {shift_id}", now)
            return True

        if not await panel.db(work):
            return panel.redirect("/panel/shifts", f"No existe el turno {shift_id}.", error=True)
        return panel.redirect("/panel/shifts", f"Turno {shift_id} eliminado.")
