"""Upkeep of cases on a schedule: tell a holder when her message could not be delivered, and
purge excerpts and private outbox texts after the retention period."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import col, select

from bot.casebook import CaseContext, Policy, event, holder_of, queue
from bot.store.engine import affected, unit_of_work
from bot.store.models import Case, CaseEvent, Contact, Defensora, Outbox, OutboxStatus
from flows.types import Outbound


def report_undelivered(engine: Engine, now: datetime, ctx: CaseContext) -> int:
    """A defensora's message that could not reach the person: tell the holder, once."""
    reported = 0
    with unit_of_work(engine) as db:
        rows = db.exec(
            select(Outbox, Case)
            .join(Case, col(Case.contact_id) == col(Outbox.contact_id))
            .where(
                col(Outbox.kind) == "relay",
                col(Outbox.status).in_((OutboxStatus.FAILED, OutboxStatus.NOT_SENT)),
                col(Outbox.created_at) >= now - timedelta(days=2),
                col(Case.status) == "taken",
            )
        ).all()
        for row, case in rows:
            key = f"undelivered:{row.id}"
            if db.exec(select(col(Outbox.id)).where(col(Outbox.dedupe_key) == key)).first():
                continue
            holder = holder_of(db, case)
            if holder is None or row.contact_id == holder.contact.id:
                continue
            reason = _failure_reason(row.error)
            text = ctx.words.text("delivery_failed", id=case.id, reason=ctx.words[reason])
            queue(db, holder.contact, Outbound(text), "ping", now, key=key)
            event(db, case, "undelivered", now, detail=(row.error or "")[:200])
            reported += 1
    return reported


def _failure_reason(error: str | None) -> str:
    error = error or ""
    if "63016" in error or "window" in error:
        return "reason_window"
    if "403" in error or "blocked" in error or "63003" in error:
        return "reason_blocked"
    return "reason_other"


def purge_excerpts(engine: Engine, now: datetime, retention: timedelta | None = None) -> int:
    """Retention: excerpts go; the anonymous case record stays for reporting.

    Pings and relays carry excerpts and the person's words: once older than the retention
    period their outbox text goes too (a row still waiting that long is cancelled)."""
    cutoff = now - (retention or Policy().retention)
    private = (col(Outbox.kind).in_(("ping", "relay")), col(Outbox.created_at) <= cutoff)
    with unit_of_work(engine) as db:
        result = db.execute(
            update(Case)
            .where(col(Case.purge_after) <= now, col(Case.excerpt).is_not(None))
            .values(excerpt=None)
        )
        db.execute(
            update(Outbox)
            .where(*private, col(Outbox.status) == OutboxStatus.PENDING)
            .values(status=OutboxStatus.CANCELLED, text="", error="retention")
        )
        db.execute(
            update(Outbox)
            .where(*private, col(Outbox.status) != OutboxStatus.SENDING, col(Outbox.text) != "")
            .values(text="")
        )
        # A defensora's closing note may name places and people: it goes with the excerpt.
        db.execute(
            update(CaseEvent)
            .where(
                col(CaseEvent.kind) == "closed",
                col(CaseEvent.at) <= cutoff,
                col(CaseEvent.detail).is_not(None),
                col(CaseEvent.actor) != "persona",
            )
            .values(detail=None)
        )
        return affected(result)


def expire_drafts(engine: Engine, now: datetime, ttl: timedelta) -> int:
    """A defensora's unconfirmed message for a person does not outlive its question."""
    cleared = 0
    with unit_of_work(engine) as db:
        rows = db.exec(
            select(Contact)
            .join(Defensora, col(Defensora.contact_id) == col(Contact.id))
            .where(col(Contact.session).contains('"draft"'))
        ).all()
        for contact in rows:
            try:
                at = datetime.fromisoformat(str(json.loads(contact.session)["draft"]["at"]))
                fresh = now - at <= ttl
            except (ValueError, KeyError, TypeError):
                fresh = False
            if not fresh:
                contact.session, cleared = "{}", cleared + 1
    return cleared
