"""Cases from the person's side: open or join on risk, page by the ladder, relay her words,
record her safety answer, tell her the truth about people, re-page, purge, report failures.
The decisions and the words come from flows/cases; this module reads and writes rows."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import Session as DB
from sqlmodel import col, select

from bot import roster
from bot.casebook import (
    DEFAULT_ACK,
    OPEN_STATES,
    CaseContext,
    Policy,
    event,
    holder_of,
    mask_numbers,
    open_case,
    page_key,
    paged_members,
    person,
    queue,
    relay_case_for,
    repages_done,
    staff,
    view_of,
)
from bot.store.engine import unit_of_work
from bot.store.models import Case, CaseEvent, Contact
from flows import cases as flow
from flows.effects import Effect, Escalate, Relay, SafeToContact
from flows.types import Outbound, Severity

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_ACK",
    "OPEN_STATES",
    "CaseContext",
    "Policy",
    "apply_effects",
    "close_for_forget",
    "mask_numbers",
    "open_case",
    "reescalate_due",
    "relay_case_for",
]
CASE_EFFECTS = (Escalate, Relay, SafeToContact)


def apply_effects(
    db: DB, contact: Contact, effects: Sequence[Effect], now: datetime, ctx: CaseContext
) -> list[Outbound]:
    """The case effects of one turn, together: a relay and an imminent escalation in the same
    turn are one thing, danger now in a held case. Returns what she must hear about people
    (the shell places it among the turn's replies), nothing when she just said it is not safe
    to write to her (the turn's discreet reply is then the last word)."""
    relays = [e for e in effects if isinstance(e, Relay)]
    danger = bool(relays) and any(
        isinstance(e, Escalate) and e.severity is Severity.IMMINENT for e in effects
    )
    told: list[Outbound] = []
    for effect in effects:
        if isinstance(effect, Escalate):
            told += _escalate(db, contact, effect, now, ctx, danger=danger)
        elif isinstance(effect, Relay):
            _relay_to_defensora(db, contact, effect.text, now, ctx, danger=danger)
        elif isinstance(effect, SafeToContact):
            _safe_to_contact(db, contact, effect.safe, now, ctx)
    quiet = any(isinstance(e, SafeToContact) and not e.safe for e in effects)
    return [] if quiet else told


def _safe_to_contact(db: DB, contact: Contact, safe: bool, now: datetime, ctx: CaseContext) -> None:
    case = open_case(db, contact)
    if case is None:
        return
    case.safe_to_write = safe
    event(db, case, "safe_to_write", now, detail="yes" if safe else "no")
    holder = holder_of(db, case)
    if holder is not None:
        line = ctx.words.text(
            "safety_changed", id=case.id, safety=flow.safety_line(ctx.words, safe)
        )
        queue(db, holder.contact, Outbound(line), "ping", now, case=case)


def _escalate(
    db: DB,
    contact: Contact,
    effect: Escalate,
    now: datetime,
    ctx: CaseContext,
    *,
    danger: bool,
) -> list[Outbound]:
    severity = effect.severity
    if not severity.at_least(Severity.HIGH) and not effect.requested:
        return []
    categories = list(effect.categories)
    excerpt = mask_numbers(effect.excerpt) if effect.excerpt else None
    # One open case per contact: two messages of hers at once must not both open one. Lock her
    # contact row until commit (PostgreSQL; SQLite already runs one writer at a time). NO KEY
    # UPDATE: the KEY SHARE locks that foreign keys to her row take do not deadlock with it.
    if db.get_bind().dialect.name == "postgresql":
        mine = select(col(Contact.id)).where(col(Contact.id) == contact.id)
        db.exec(mine.with_for_update(key_share=True)).first()
    case = open_case(db, contact)
    if case is not None:
        _join(db, case, severity, categories, excerpt, now, ctx, danger=danger)
        return []
    case = Case(
        contact_id=contact.id,
        channel=contact.channel,
        pseudonym=contact.pseudonym,
        severity=severity.value,
        categories=",".join(categories),
        excerpt=flow.merge_excerpt(ctx.words, None, excerpt),
        requested=effect.requested,
        opened_at=now,
        ack_deadline=now + ctx.policy.ack_for(severity),
        purge_after=now + ctx.policy.retention,
    )
    db.add(case)
    db.flush()
    event(db, case, "opened", now, detail=severity.value)
    plan = flow.first_page(staff(db, now, effect.language), ctx.policy.ack_for(severity))
    view = view_of(db, case)
    message = flow.ping(
        ctx.words, ctx.content.texts, view, nobody_on_shift=plan.circle is not flow.Circle.ON_DUTY
    )
    _page(db, case, plan.recipients, message, now)
    return [
        _tell_person(db, case, plan.circle, now, ctx.content.in_language(effect.language).cases)
    ]


def _tell_person(
    db: DB, case: Case, circle: flow.Circle, now: datetime, words: flow.CaseWords
) -> Outbound:
    """The staffing truth after her first page: who was told, or that nobody could be."""
    local_now = now.astimezone(roster.LIMA)
    next_shift = roster.next_shift_start(db, now)
    local_next = next_shift.astimezone(roster.LIMA) if next_shift is not None else None
    event(db, case, "told_person", now, detail=circle.value)
    return Outbound(flow.staffing_notice(words, circle, local_next, local_now))


def _join(
    db: DB,
    case: Case,
    severity: Severity,
    categories: list[str],
    excerpt: str | None,
    now: datetime,
    ctx: CaseContext,
    *,
    danger: bool,
) -> None:
    previous = Severity(case.severity)
    case.categories = ",".join(sorted(set(case.categories.split(",")) - {""} | set(categories)))
    if excerpt:
        case.excerpt = flow.merge_excerpt(ctx.words, case.excerpt, excerpt)
        case.purge_after = now + ctx.policy.retention
    event(db, case, "joined", now, detail=severity.value)
    if severity.rank <= previous.rank:
        return
    case.severity = severity.value
    event(db, case, "upgraded", now, detail=f"{previous.value}->{severity.value}")
    view = view_of(db, case)
    if case.status == "taken":
        holder = holder_of(db, case)
        if holder is not None and not danger:  # danger now already reached her, marked 🚨
            message = flow.upgraded(ctx.words, ctx.content.texts, view)
            queue(db, holder.contact, message, "ping", now, case=case)
        return
    deadline = now + ctx.policy.ack_for(severity)  # a worse case waits less, never more
    if case.ack_deadline is None or deadline < case.ack_deadline:
        case.ack_deadline = deadline
    told = paged_members(db, case)
    known = {m.id for m in told}
    recipients = [m.id for m in told] + [m.id for m in roster.on_duty(db, now) if m.id not in known]
    if not recipients:
        recipients = list(staff(db, now).coordinators)
    _page(db, case, tuple(recipients), flow.upgraded(ctx.words, ctx.content.texts, view), now)


def _page(
    db: DB, case: Case, recipients: tuple[int, ...], message: Outbound, now: datetime
) -> None:
    assert case.id is not None
    if not recipients:
        log.error(
            "ESCALATION WAITING: case #%s (%s) and NOBODY is registered to receive it; "
            "see `defensoras escalations list`",
            case.id,
            case.severity,
        )
        event(db, case, "no_recipient", now)
        return
    case.pages += 1
    everyone = {m.id: m for m in roster.members(db)}
    for member_id in recipients:  # one audit row each: who was told, when
        target = everyone.get(member_id)
        if target is None:
            continue
        key = page_key(case.id, case.pages, member_id)
        queue(db, target.contact, message, "ping", now, key=key, case=case)
        event(db, case, "paged", now, actor=target.name, detail=str(member_id))
    log.info("case #%s paged %d member(s) severity=%s", case.id, len(recipients), case.severity)


def _relay_to_defensora(
    db: DB, contact: Contact, text: str, now: datetime, ctx: CaseContext, *, danger: bool
) -> None:
    case = open_case(db, contact)
    holder = holder_of(db, case) if case is not None else None
    if case is None or holder is None:
        return
    message = flow.relay_in(ctx.words, view_of(db, case), mask_numbers(text), danger=danger)
    queue(db, holder.contact, message, "relay", now, case=case)
    event(db, case, "relayed_in", now)
    if danger:  # the holder may be away from her phone: coordinators see it too
        event(db, case, "danger", now)
        for coordinator in roster.members(db, coordinators_only=True):
            if coordinator.id != holder.id:
                queue(db, coordinator.contact, message, "ping", now, case=case)


def close_for_forget(db: DB, contact: Contact, now: datetime, ctx: CaseContext) -> None:
    """BORRAR: her open case closes (the defensora is told); no case of hers keeps her words."""
    for old in db.exec(select(Case).where(col(Case.contact_id) == contact.id)).all():
        old.excerpt = None
        db.execute(
            update(CaseEvent)
            .where(col(CaseEvent.case_id) == old.id, col(CaseEvent.kind) == "closed")
            .values(detail=None)
        )
    case = open_case(db, contact)
    if case is None:
        return
    case.status, case.closed_at, case.excerpt = "closed", now, None
    event(db, case, "closed", now, actor="persona", detail="BORRAR")
    holder = holder_of(db, case)
    recipients = [holder] if holder is not None else paged_members(db, case)
    for target in recipients:
        queue(db, target.contact, Outbound(ctx.words.text("forgot", id=case.id)), "ping", now)


# -- scheduled scans ----------------------------------------------------------------------------


def reescalate_due(engine: Engine, now: datetime, ctx: CaseContext) -> int:
    """Re-page open cases past their deadline, one rung up the ladder each time."""
    count = 0
    with unit_of_work(engine) as db:
        # A case being taken right now is locked by that UPDATE: skip it (PostgreSQL).
        due = db.exec(
            select(Case)
            .where(col(Case.status) == "open", col(Case.ack_deadline) <= now)
            .with_for_update(skip_locked=True)
        ).all()
        for case in due:
            count += _reescalate(db, case, now, ctx)
    return count


def _reescalate(db: DB, case: Case, now: datetime, ctx: CaseContext) -> int:
    severity = Severity(case.severity)
    done = repages_done(db, case)
    team = staff(db, now)
    plan = flow.repage(team, done, ctx.policy.ack_for(severity))
    case.ack_deadline = now + plan.next_wait if plan.next_wait is not None else None
    if not plan.recipients:
        if plan.next_wait is not None:  # nobody registered: keep trying, quietly
            event(db, case, "no_recipient", now)
        return 0
    told = tuple(m.name for m in paged_members(db, case))
    view = view_of(db, case)
    nobody_on_shift = not team.on_duty
    message = flow.reping(
        ctx.words,
        ctx.content.texts,
        view,
        now,
        told,
        last=plan.last,
        nobody_on_shift=nobody_on_shift,
    )
    _page(db, case, plan.recipients, message, now)
    event(db, case, "reescalated", now, detail=plan.circle.value)
    if done == 0:
        _tell_person_waiting(db, case, now, ctx)
    return 1


def _tell_person_waiting(db: DB, case: Case, now: datetime, ctx: CaseContext) -> None:
    """At the first deadline: nobody took it yet. Not if she said it is unsafe to write, and
    not twice (she was already told nobody was on shift)."""
    contact = person(db, case)
    if contact is None or case.safe_to_write is False:
        return
    told = db.exec(
        select(col(CaseEvent.detail)).where(
            col(CaseEvent.case_id) == case.id, col(CaseEvent.kind) == "told_person"
        )
    ).all()
    if told and flow.Circle.ON_DUTY.value not in told:
        return
    next_shift = roster.next_shift_start(db, now)
    local_next = next_shift.astimezone(roster.LIMA) if next_shift is not None else None
    text = flow.waiting_notice(ctx.words_for(contact), local_next, now.astimezone(roster.LIMA))
    queue(db, contact, Outbound(text), "reply", now)
    event(db, case, "told_person", now, detail="waiting")
