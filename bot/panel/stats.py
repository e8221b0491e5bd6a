"""/panel/stats and /panel/stats.csv: weekly anonymous figures; small counts shown as "<5"."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request, Response
from sqlalchemy import func
from sqlmodel import Session as DB
from sqlmodel import col, select

from bot.panel.schedule import week_start
from bot.panel.web import Panel
from bot.store.models import Broadcast, Case, UsageEvent
from flows.menus import Menus

WEEKS = 8
SMALL = 5
"""Counts from 1 to SMALL-1 are shown as "<5": too few to show without pointing at someone."""
SEVERITIES = ("moderate", "high", "imminent")


@dataclass(frozen=True, slots=True)
class Row:
    group: str
    label: str
    values: tuple[str, ...]


def shown(count: int) -> str:
    return f"<{SMALL}" if 0 < count < SMALL else str(count)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of `values` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value / 60:.0f}"


def _counted(
    db: DB, weeks: list[date], column: object, *where: object
) -> dict[tuple[date, str], int]:
    query = (
        select(col(UsageEvent.week), column, func.count())  # type: ignore[call-overload]
        .where(col(UsageEvent.week) >= weeks[0], *where)
        .group_by(col(UsageEvent.week), column)
    )
    return {(week, str(key)): int(n) for week, key, n in db.exec(query).all()}


def topic_labels(menus: Menus) -> dict[str, str]:
    """Each menu node named as people reach it: by the label of the option that leads there."""
    names = {menus.start: "Menú principal y preguntas libres"}
    for node in menus.nodes.values():
        for option in node.options:
            if option.goto is not None:
                names.setdefault(option.goto, option.label)
    return names


def weekly_table(
    db: DB, now: datetime, labels: dict[str, str], topics: dict[str, str] | None = None
) -> tuple[list[date], list[Row]]:
    """One row per figure, one column per week (oldest first), the last WEEKS weeks."""
    mondays = [week_start(now, -back) for back in range(WEEKS - 1, -1, -1)]
    weeks = [m.date() for m in mondays]
    rows: list[Row] = []

    def add(group: str, label: str, counts: list[int]) -> None:
        rows.append(Row(group, label, tuple(shown(n) for n in counts)))

    people = _counted(db, weeks, col(UsageEvent.new_person), col(UsageEvent.new_person) == True)
    messages = _counted(db, weeks, col(UsageEvent.channel))
    add("uso", "Personas que escribieron", [people.get((w, "True"), 0) for w in weeks])
    for channel in sorted({k for _, k in messages}):
        add(
            "uso", f"Mensajes recibidos ({channel})", [messages.get((w, channel), 0) for w in weeks]
        )
    names = topics or {}
    reached = _counted(db, weeks, col(UsageEvent.topic))
    for topic in sorted({k for _, k in reached}):
        add("temas", names.get(topic, topic), [reached.get((w, topic), 0) for w in weeks])
    districts = _counted(db, weeks, col(UsageEvent.district), col(UsageEvent.district).is_not(None))
    for district in sorted({k for _, k in districts}):
        add("distritos", district, [districts.get((w, district), 0) for w in weeks])
    risk = _counted(db, weeks, col(UsageEvent.severity))
    for severity in SEVERITIES:
        label = labels.get(f"sev_{severity}", severity)
        add("riesgo", f"Riesgo {label}", [risk.get((w, severity), 0) for w in weeks])
    rows += _case_rows(db, mondays, labels)
    rows.append(_reminders(db, mondays))
    return weeks, rows


def _case_rows(db: DB, mondays: list[datetime], labels: dict[str, str]) -> list[Row]:
    cases = db.exec(
        select(col(Case.opened_at), col(Case.taken_at), col(Case.severity)).where(
            col(Case.opened_at) >= mondays[0]
        )
    ).all()
    opened, p50, p90 = [], [], []
    for monday in mondays:
        inside = [c for c in cases if monday <= c[0] < monday + timedelta(weeks=1)]
        waits = [(t - o).total_seconds() for o, t, _ in inside if t is not None]
        opened.append(shown(len(inside)))
        p50.append(_minutes(percentile(waits, 0.5)))
        p90.append(_minutes(percentile(waits, 0.9)))
    return [
        Row("casos", "Casos abiertos", tuple(opened)),
        Row("casos", "Minutos hasta tomar un caso (p50)", tuple(p50)),
        Row("casos", "Minutos hasta tomar un caso (p90)", tuple(p90)),
    ]


def _reminders(db: DB, mondays: list[datetime]) -> Row:
    sent = db.exec(
        select(col(Broadcast.created_at), col(Broadcast.total)).where(
            col(Broadcast.kind) == "reminder", col(Broadcast.created_at) >= mondays[0]
        )
    ).all()
    counts = [sum(total for at, total in sent if m <= at < m + timedelta(weeks=1)) for m in mondays]
    return Row("recordatorios", "Recordatorios enviados", tuple(shown(n) for n in counts))


def chart(weeks: list[date], rows: list[Row]) -> list[dict[str, object]]:
    """Bars for the first figure (people per week), as sizes for an inline SVG."""
    values = [0 if v.startswith("<") else int(v) for v in rows[0].values] if rows else []
    top = max(values, default=0) or 1
    return [
        {"week": w.strftime("%d/%m"), "value": rows[0].values[i], "height": round(120 * v / top)}
        for i, (w, v) in enumerate(zip(weeks, values, strict=True))
    ]


def routes(panel: Panel, router: APIRouter) -> None:
    labels = panel.app.content.texts.texts
    topics = topic_labels(panel.app.content.menus)

    @router.get("/stats")
    async def stats(request: Request) -> Response:
        viewer = await panel.coordinator(request)
        now = panel.app.clock()
        weeks, rows = await panel.db(lambda db: weekly_table(db, now, labels, topics))
        return panel.render(
            request, "stats.html", viewer, weeks=weeks, rows=rows, bars=chart(weeks, rows)
        )

    @router.get("/stats.csv")
    async def stats_csv(request: Request) -> Response:
        await panel.coordinator(request)
        now = panel.app.clock()
        weeks, rows = await panel.db(lambda db: weekly_table(db, now, labels, topics))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["grupo", "cifra", *(w.isoformat() for w in weeks)])
        for row in rows:
            writer.writerow([row.group, row.label, *row.values])
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="defensoras-cifras.csv"'},
        )
