"""Cases: open or join on risk, page the on-duty defensoras, take, relay, close, re-page."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session as DB
from sqlmodel import col, select

from bot import metrics, roster
from bot.store.engine import affected, unit_of_work
from bot.store.models import Case, CaseEvent, Contact, Defensora, Outbox, OutboxStatus
from bot.store.outbox import queue_message
from flows.engine import Content
from flows.session import Session
from flows.types import Effect, Inbound, Option, Outbound, Severity

log = logging.getLogger(__name__)

DEFAULT_ACK = {
    Severity.IMMINENT: timedelta(minutes=5),
    Severity.HIGH: timedelta(minutes=15),
    Severity.MODERATE: timedelta(minutes=60),
}
OPEN_STATES = ("open", "taken")
_LONG_NUMBER = re.compile(r"\+?\d[\d\s.-]{5,}\d")
_COMMAND = re.compile(r"^/(\w+)(?:@\w+)?(?:\s+#?(\d+))?(?:\s+(.*))?$", re.S)


@dataclass(frozen=True, slots=True)
class Policy:
    """How long a case may wait for someone to take it, by severity."""

    ack: dict[Severity, timedelta] = field(default_factory=lambda: dict(DEFAULT_ACK))
    retention: timedelta = timedelta(days=30)

    @classmethod
    def from_settings(cls, ack_seconds: int | None, retention_days: int) -> Policy:
        ack = dict(DEFAULT_ACK)
        if ack_seconds is not None:
            ack = {severity: timedelta(seconds=ack_seconds) for severity in ack}
        return cls(ack=ack, retention=timedelta(days=retention_days))


@dataclass(frozen=True, slots=True)
class CaseContext:
    """What case handling needs from the app: the texts it words pages with, and the policy."""

    content: Content
    policy: Policy


def _queue(db: DB, contact: Contact, message: Outbound, kind: str, now: datetime) -> None:
    queue_message(db, contact, message, kind=kind, now=now)


def _t(ctx: CaseContext, text_id: str, **values: object) -> str:
    return ctx.content.texts[text_id].format(**values)


def _event(
    db: DB,
    case: Case,
    kind: str,
    now: datetime,
    actor: str | None = None,
    detail: str | None = None,
) -> None:
    assert case.id is not None
    db.add(CaseEvent(case_id=case.id, at=now, kind=kind, actor=actor, detail=detail))


def open_case(db: DB, contact: Contact) -> Case | None:
    return db.exec(
        select(Case).where(col(Case.contact_id) == contact.id, col(Case.status).in_(OPEN_STATES))
    ).first()


def relay_case_for(db: DB, contact: Contact) -> int | None:
    """The case a defensora holds for this person, if any (runs on every inbound message)."""
    query = select(col(Case.id)).where(
        col(Case.contact_id) == contact.id, col(Case.status) == "taken"
    )
    return db.exec(query).first()


def mask_numbers(text: str) -> str:
    """Phone-like digit runs never reach a defensora's screen."""
    return _LONG_NUMBER.sub("[número]", text)


def apply_effect(db: DB, contact: Contact, effect: Effect, now: datetime, ctx: CaseContext) -> None:
    if effect.kind == "escalate":
        _escalate(db, contact, effect.data, now, ctx)
    elif effect.kind == "relay":
        _relay_to_defensora(db, contact, str(effect.data["text"]), now, ctx)
    elif effect.kind == "safe_to_contact":
        case = open_case(db, contact)
        if case is not None:
            case.safe_to_write = bool(effect.data["safe"])
            _event(db, case, "safe_to_write", now, detail="yes" if case.safe_to_write else "no")
            holder = [m for m in roster.members(db) if m.id == case.taken_by]
            if case.safe_to_write is False and holder:
                warning = _t(ctx, "def_unsafe_now", id=case.id)
                _queue(db, holder[0].contact, Outbound(warning), "ping", now)


def _escalate(
    db: DB, contact: Contact, data: dict[str, object], now: datetime, ctx: CaseContext
) -> None:
    severity = Severity(str(data["severity"]))
    requested = bool(data.get("requested"))
    if not severity.at_least(Severity.HIGH) and not requested:
        return
    raw = data.get("categories")
    categories = [str(c) for c in raw] if isinstance(raw, list) else []
    excerpt = data.get("excerpt")
    excerpt_text = mask_numbers(str(excerpt)) if excerpt else None
    # One open case per contact: two messages of hers at once must not both open one. Lock her
    # contact row until commit (PostgreSQL; SQLite already runs one writer at a time). NO KEY
    # UPDATE: the KEY SHARE locks that foreign keys to her row take do not deadlock with it.
    db.exec(
        select(col(Contact.id)).where(col(Contact.id) == contact.id).with_for_update(key_share=True)
    ).first()
    case = open_case(db, contact)
    if case is not None:
        previous = Severity(case.severity)
        merged = sorted(set(case.categories.split(",")) - {""} | set(categories))
        case.categories = ",".join(merged)
        if excerpt_text:
            case.excerpt = excerpt_text
            case.purge_after = now + ctx.policy.retention
        _event(db, case, "joined", now, detail=severity.value)
        if severity.rank > previous.rank:
            case.severity = severity.value
            _event(db, case, "upgraded", now, detail=f"{previous.value}->{severity.value}")
            if case.status == "open":  # a worse case waits less, never more
                deadline = now + ctx.policy.ack.get(severity, DEFAULT_ACK[severity])
                if case.ack_deadline is None or deadline < case.ack_deadline:
                    case.ack_deadline = deadline
            _page(db, case, _recipients_for_upgrade(db, case, now), now, ctx, "def_upgraded")
        return
    case = Case(
        contact_id=contact.id,
        channel=contact.channel,
        pseudonym=contact.pseudonym,
        severity=severity.value,
        categories=",".join(categories),
        excerpt=excerpt_text,
        requested=requested,
        opened_at=now,
        ack_deadline=now + ctx.policy.ack.get(severity, DEFAULT_ACK[Severity.MODERATE]),
        purge_after=now + ctx.policy.retention,
    )
    db.add(case)
    db.flush()
    _event(db, case, "opened", now, detail=severity.value)
    recipients = roster.on_duty(db, now) or roster.members(db, coordinators_only=True)
    if not recipients:
        recipients = roster.members(db)
    _page(db, case, recipients, now, ctx, "def_ping")


def _recipients_for_upgrade(db: DB, case: Case, now: datetime) -> list[roster.Member]:
    """The holder; or, while nobody holds it, everyone who was told of it and who is on duty."""
    if case.status == "taken" and case.taken_by is not None:
        holder = [m for m in roster.members(db) if m.id == case.taken_by]
        if case.severity != Severity.IMMINENT.value:
            return holder
        # Danger now: the holder may be away from her phone; coordinators hear it too.
        taken_by = {m.id for m in holder}
        coordinators = roster.members(db, coordinators_only=True)
        return holder + [m for m in coordinators if m.id not in taken_by]
    informed = _paged_members(db, case)
    known = {m.id for m in informed}
    informed += [m for m in roster.on_duty(db, now) if m.id not in known]
    return informed or roster.members(db, coordinators_only=True)


def _paged_members(db: DB, case: Case) -> list[roster.Member]:
    """Active members this case was ever sent to (from the audit trail)."""
    details = db.exec(
        select(col(CaseEvent.detail)).where(
            col(CaseEvent.case_id) == case.id, col(CaseEvent.kind) == "paged"
        )
    ).all()
    ids = {int(detail) for detail in details if detail and detail.isdigit()}
    return [m for m in roster.members(db) if m.id in ids]


def _page(
    db: DB,
    case: Case,
    recipients: list[roster.Member],
    now: datetime,
    ctx: CaseContext,
    text_id: str,
) -> None:
    if not recipients:
        log.error(
            "ESCALATION WAITING: case #%s (%s) and NOBODY is registered to receive it; "
            "see `defensoras escalations list`",
            case.id,
            case.severity,
        )
        _event(db, case, "no_recipient", now)
        return
    message = Outbound(
        _t(ctx, text_id, **_ping_values(case, ctx, now)),
        (Option(f"/tomar {case.id}", _t(ctx, "def_take_button", id=case.id)),),
    )
    for member in recipients:  # one audit row each: who was told, when (ids never overflow)
        _queue(db, member.contact, message, "ping", now)
        _event(db, case, "paged", now, actor=member.name, detail=str(member.id))
    case.pages += 1
    log.info("case #%s paged %d defensora(s) severity=%s", case.id, len(recipients), case.severity)


def _ping_values(case: Case, ctx: CaseContext, now: datetime) -> dict[str, object]:
    labels = [ctx.content.texts.texts.get(f"cat_{c}", c) for c in case.categories.split(",") if c]
    return {
        "id": case.id,
        "severity": ctx.content.texts.texts.get(f"sev_{case.severity}", case.severity),
        "categories": ", ".join(labels) or ctx.content.texts["cat_none"],
        "pseudonym": case.pseudonym,
        "channel": case.channel,
        "excerpt": case.excerpt or "-",
        "minutes": int((now - case.opened_at).total_seconds() // 60),
    }


def _relay_to_defensora(
    db: DB, contact: Contact, text: str, now: datetime, ctx: CaseContext
) -> None:
    case = open_case(db, contact)
    if case is None or case.taken_by is None:
        return
    taker = next((m for m in roster.members(db) if m.id == case.taken_by), None)
    if taker is None:
        return
    body = _t(ctx, "def_relay_in", id=case.id, pseudonym=case.pseudonym, text=mask_numbers(text))
    _queue(db, taker.contact, Outbound(body), "relay", now)
    _event(db, case, "relayed_in", now)


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
    _event(db, case, "closed", now, actor="persona", detail="BORRAR")
    taker = [m for m in roster.members(db) if m.id == case.taken_by]
    recipients = taker or _paged_members(db, case)
    for member in recipients:
        _queue(db, member.contact, Outbound(_t(ctx, "def_forgot", id=case.id)), "ping", now)


# -- defensora commands -------------------------------------------------------------------------


def defensora_command(
    db: DB, contact: Contact, inbound: Inbound, now: datetime, ctx: CaseContext
) -> list[Outbound] | None:
    """Commands from a registered defensora's own chat; anyone else gets the public flow."""
    raw = (inbound.payload or inbound.text or "").strip()
    if not raw.startswith("/"):
        return None
    member = roster.member_for_contact(db, contact)
    if member is None:
        return None
    match = _COMMAND.match(raw)
    if match is None:
        return [Outbound(_t(ctx, "def_help"))]
    verb, number, rest = match.group(1).lower(), match.group(2), (match.group(3) or "").strip()
    if verb in {"casos", "cases"}:
        return [Outbound(_list_cases(db, ctx))]
    if verb in {"turno", "shift"}:
        names = ", ".join(m.name for m in roster.on_duty(db, now))
        return [Outbound(_t(ctx, "def_on_duty", names=names) if names else _t(ctx, "def_nobody"))]
    if verb not in {"tomar", "responder", "cerrar"} or number is None:
        return [Outbound(_t(ctx, "def_help"))]
    case = db.get(Case, int(number))
    if case is None or case.status == "closed":
        return [Outbound(_t(ctx, "def_not_found", id=number))]
    if verb == "tomar":
        return [Outbound(_take(db, case, member, now, ctx))]
    if case.taken_by != member.id:
        holder = _holder_name(db, case)
        text_id = "def_not_taken" if holder is None else "def_not_yours"
        return [Outbound(_t(ctx, text_id, id=case.id, name=holder or ""))]
    if verb == "responder":
        return _reply_to_person(db, case, rest, now, ctx)
    return [Outbound(_close(db, case, member, rest, now, ctx))]


def _holder_name(db: DB, case: Case) -> str | None:
    if case.taken_by is None:
        return None
    holder = db.get(Defensora, case.taken_by)
    return holder.name if holder is not None else None


def _take(db: DB, case: Case, member: roster.Member, now: datetime, ctx: CaseContext) -> str:
    """Atomic take: of two defensoras racing, exactly one wins."""
    result = db.execute(
        update(Case)
        .where(col(Case.id) == case.id, col(Case.status) == "open")
        .values(status="taken", taken_by=member.id, taken_at=now)
    )
    if affected(result) != 1:
        db.refresh(case)
        if case.taken_by == member.id:
            return _t(ctx, "def_taken_ok", id=case.id, pseudonym=case.pseudonym)
        return _t(ctx, "def_taken_by", id=case.id, name=_holder_name(db, case) or "?")
    db.refresh(case)
    _event(db, case, "taken", now, actor=member.name)
    metrics.TIME_TO_TAKE.observe((now - case.opened_at).total_seconds())
    for other in _paged_members(db, case):  # whoever was told of it stops worrying
        if other.id != member.id:
            notice = Outbound(_t(ctx, "def_taken_notice", id=case.id, name=member.name))
            _queue(db, other.contact, notice, "ping", now)
    safe = ctx.content.texts["def_unsafe_warning"] if case.safe_to_write is False else ""
    return _t(ctx, "def_taken_ok", id=case.id, pseudonym=case.pseudonym) + safe


def _reply_to_person(
    db: DB, case: Case, text: str, now: datetime, ctx: CaseContext
) -> list[Outbound]:
    if not text:
        return [Outbound(_t(ctx, "def_help"))]
    person = db.get(Contact, case.contact_id) if case.contact_id is not None else None
    if person is None:
        return [Outbound(_t(ctx, "def_not_found", id=case.id))]
    _queue(db, person, Outbound(_t(ctx, "person_from_defensora", text=text)), "relay", now)
    _event(db, case, "relayed_out", now)
    return []


def _close(
    db: DB, case: Case, member: roster.Member, note: str, now: datetime, ctx: CaseContext
) -> str:
    case.status, case.closed_at = "closed", now
    _event(db, case, "closed", now, actor=member.name, detail=note[:200] or None)
    person = db.get(Contact, case.contact_id) if case.contact_id is not None else None
    if person is not None:
        _queue(db, person, Outbound(_t(ctx, "person_case_closed")), "relay", now)
        # A later case asks again whether it is safe to write (circumstances change).
        session = Session.from_dict(json.loads(person.session or "{}"))
        person.session = json.dumps(session.evolve(asked_safe=False, awaiting=None).to_dict())
    return _t(ctx, "def_closed", id=case.id)


def _list_cases(db: DB, ctx: CaseContext) -> str:
    cases = db.exec(
        select(Case).where(col(Case.status).in_(OPEN_STATES)).order_by(col(Case.id))
    ).all()
    if not cases:
        return _t(ctx, "def_no_cases")
    lines = [
        f"#{c.id} {ctx.content.texts.texts.get(f'sev_{c.severity}', c.severity)} "
        f"{c.pseudonym} ({c.channel}) · {c.status}"
        + (f" · {_holder_name(db, c)}" if c.taken_by else "")
        for c in cases
    ]
    return _t(ctx, "def_cases", lines="\n".join(lines))


# -- scheduled scans ----------------------------------------------------------------------------


def reescalate_due(engine: Engine, now: datetime, ctx: CaseContext) -> int:
    """Re-page every open case past its deadline to coordinators and the other defensoras."""
    count = 0
    with unit_of_work(engine) as db:
        # A case being taken right now is locked by that UPDATE: skip it (PostgreSQL).
        due = db.exec(
            select(Case)
            .where(col(Case.status) == "open", col(Case.ack_deadline) <= now)
            .with_for_update(skip_locked=True)
        ).all()
        for case in due:
            _page(db, case, roster.members(db), now, ctx, "def_reping")
            severity = Severity(case.severity)
            case.ack_deadline = now + ctx.policy.ack.get(severity, DEFAULT_ACK[Severity.MODERATE])
            _event(db, case, "reescalated", now)
            count += 1
    return count


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
