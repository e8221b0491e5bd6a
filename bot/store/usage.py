"""Anonymous usage rows for the weekly figures: one per turn, no contact, no text, the week only."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session as DB

from bot.store.models import UsageEvent
from flows.session import Session

LIMA = ZoneInfo("America/Lima")
INSERT = insert(UsageEvent)
Usage = dict[str, Any]
"""One turn's usage row: its columns (`usage_row`)."""


def week_of(moment: datetime) -> date:
    """The Monday (Lima time) of the week holding `moment`."""
    day = moment.astimezone(LIMA).date()
    return day - timedelta(days=day.weekday())


def usage_row(
    channel: str,
    before: Session,
    after: Session,
    previous_inbound: datetime | None,
    now: datetime,
) -> Usage:
    """This turn's count: where the conversation went, a district she asked about, a risk level
    reached for the first time, and whether she is new this week (never who she is)."""
    week = week_of(now)
    rose = after.severity.rank > before.severity.rank
    return {
        "week": week,
        "channel": channel,
        "topic": after.node[:40],
        "district": after.district if after.district != before.district else None,
        "severity": after.severity.value if rose else "none",
        "new_person": previous_inbound is None or week_of(previous_inbound) != week,
    }


def record_turn(db: DB, row: Usage) -> None:
    """Count a turn (`usage_row`); on PostgreSQL the common turn writes it with her session
    (`bot.store.turn`)."""
    db.connection().execute(INSERT, row)  # Core, prepared once: no ORM object on every turn
