"""Reading and writing case rows for the defensora side: the holder, who was paged, the view a
defensora reads, the staff at a moment, audit events. No decisions here (flows/cases has them)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session as DB
from sqlmodel import col, select

from bot import roster
from bot.store.models import Case, CaseEvent, Contact, Outbox, OutboxStatus
from bot.store.outbox import queue_message
from flows.cases import CaseView, CaseWords, Staff
from flows.engine import Content
from flows.types import Outbound, Severity

OPEN_STATES = ("open", "taken")
_LONG_NUMBER = re.compile(r"\+?\d[\d\s.-]{5,}\d")
_EMAIL = re.compile(
    r"(?:[\w+-]+\s*(?:\.|\bpunto\b)\s*)*[\w+-]+\s*(?:@|\(at\)|\barroba\b)\s*"
    r"[\w-]+(?:\s*(?:\.|\bpunto\b)\s*[\w-]+)+",
    re.IGNORECASE,
)
_DIGIT = r"(?:cero|uno|un|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|\d+)"
_SPELLED_NUMBER = re.compile(rf"\b{_DIGIT}(?:[\s,.-]+{_DIGIT}){{3,}}\b", re.I)
"""Four or more digits as words or figures ('nueve ocho siete seis'): a phone number spelled."""


DEFAULT_ACK = {
    Severity.IMMINENT: timedelta(minutes=5),
    Severity.HIGH: timedelta(minutes=15),
    Severity.MODERATE: timedelta(minutes=60),
}


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

    def ack_for(self, severity: Severity) -> timedelta:
        return self.ack.get(severity, self.ack[Severity.MODERATE])


@dataclass(frozen=True, slots=True)
class CaseContext:
    """What case handling needs from the app: the texts it words pages with, and the policy."""

    content: Content
    policy: Policy

    @property
    def words(self) -> CaseWords:
        return self.content.cases

    def words_for(self, contact: Contact) -> CaseWords:
        """The case texts in her conversation's language (content/lang/)."""
        try:
            language = json.loads(contact.session or "{}").get("language")
        except (ValueError, AttributeError):
            language = None
        return self.content.in_language(str(language or "es")).cases


def mask_numbers(text: str) -> str:
    """Phone-like digit runs, digits spelled out and e-mail addresses never reach a defensora's
    screen."""
    text = _EMAIL.sub("[correo]", text)
    return _SPELLED_NUMBER.sub("[número]", _LONG_NUMBER.sub("[número]", text))


def event(
    db: DB,
    case: Case,
    kind: str,
    now: datetime,
    actor: str | None = None,
    detail: str | None = None,
) -> None:
    assert case.id is not None
    db.add(CaseEvent(case_id=case.id, at=now, kind=kind, actor=actor, detail=detail))


def queue(
    db: DB,
    contact: Contact,
    message: Outbound,
    kind: str,
    now: datetime,
    key: str | None = None,
    case: Case | None = None,
) -> Outbox:
    """`case`: the case a ping or relay to a defensora speaks of (BORRAR erases its text)."""
    case_id = case.id if case is not None else None
    return queue_message(db, contact, message, kind=kind, now=now, dedupe_key=key, case_id=case_id)


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


def member(db: DB, member_id: int | None) -> roster.Member | None:
    if member_id is None:
        return None
    return next((m for m in roster.members(db) if m.id == member_id), None)


def holder_of(db: DB, case: Case) -> roster.Member | None:
    """The defensora who holds the case (None while nobody took it, or once she left)."""
    return member(db, case.taken_by)


def holder_name(db: DB, case: Case) -> str | None:
    found = holder_of(db, case)
    return found.name if found is not None else None


def person(db: DB, case: Case) -> Contact | None:
    return db.get(Contact, case.contact_id) if case.contact_id is not None else None


def paged_members(db: DB, case: Case) -> list[roster.Member]:
    """Active members this case was ever sent to (from the audit trail), in paging order."""
    details = db.exec(
        select(col(CaseEvent.detail))
        .where(col(CaseEvent.case_id) == case.id, col(CaseEvent.kind) == "paged")
        .order_by(col(CaseEvent.id))
    ).all()
    order = list(dict.fromkeys(int(d) for d in details if d and d.isdigit()))
    everyone = {m.id: m for m in roster.members(db)}
    return [everyone[i] for i in order if i in everyone]


def held_cases(db: DB, member_id: int) -> tuple[int, ...]:
    ids = db.exec(
        select(col(Case.id)).where(col(Case.taken_by) == member_id, col(Case.status) == "taken")
    ).all()
    return tuple(sorted(i for i in ids if i is not None))


def staff(db: DB, now: datetime, language: str = "es") -> Staff:
    """The roster at the moment of need; `language`: hers, whose speakers are paged first."""
    everyone = roster.members(db)
    on_duty = roster.on_duty(db, now)
    return Staff(
        speakers=tuple(m.id for m in on_duty if language != "es" and language in m.speaks),
        on_duty=tuple(m.id for m in on_duty),
        coordinators=tuple(m.id for m in everyone if m.coordinator),
        everyone=tuple(m.id for m in sorted(everyone, key=lambda m: m.name.casefold())),
    )


def district_of(db: DB, case: Case) -> str | None:
    """The district she gave in the conversation, when she gave one."""
    contact = person(db, case)
    if contact is None:
        return None
    try:
        district = json.loads(contact.session or "{}").get("district")
    except (ValueError, AttributeError):
        return None
    return str(district) if district else None


def view_of(db: DB, case: Case) -> CaseView:
    assert case.id is not None
    return CaseView(
        id=case.id,
        severity=Severity(case.severity),
        categories=tuple(c for c in case.categories.split(",") if c),
        pseudonym=case.pseudonym,
        channel=case.channel,
        opened_at=case.opened_at,
        excerpt=case.excerpt,
        district=district_of(db, case),
        safe_to_write=case.safe_to_write,
        holder=holder_name(db, case),
        requested=case.requested,
    )


def events_of(db: DB, case: Case) -> list[CaseEvent]:
    return list(
        db.exec(
            select(CaseEvent).where(col(CaseEvent.case_id) == case.id).order_by(col(CaseEvent.id))
        ).all()
    )


def repages_done(db: DB, case: Case) -> int:
    """Re-pages since the case was last (re)opened: a released case climbs the ladder again."""
    done = 0
    for row in events_of(db, case):
        if row.kind == "reescalated":
            done += 1
        elif row.kind == "released":
            done = 0
    return done


def page_key(case_id: int, round_: int, member_id: int) -> str:
    """The outbox key of one page: the take edits these messages' buttons."""
    return f"page:{case_id}:{round_}:{member_id}"


def ping_rows(db: DB, case_id: int) -> list[Outbox]:
    return list(
        db.exec(
            select(Outbox).where(
                col(Outbox.dedupe_key).startswith(f"page:{case_id}:"),
                col(Outbox.kind) == "ping",
            )
        ).all()
    )


def sent_statuses() -> tuple[str, ...]:
    return (OutboxStatus.SENT, OutboxStatus.DELIVERED)
