"""Defensoras and shifts: who is on duty is computed from shifts at the moment of need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session as DB
from sqlmodel import col, select

from bot.privacy import Vault
from bot.store.contacts import ContactBook
from bot.store.models import Case, CaseEvent, Contact, Defensora, Shift, utcnow

LIMA = ZoneInfo("America/Lima")
WEEK = timedelta(days=7)
MAX_SHIFT = timedelta(hours=24)


class RosterError(ValueError):
    """A roster command that makes no sense; the message says why."""


def languages(speaks: str) -> tuple[str, ...]:
    """'es,qu' -> ('es', 'qu'); an empty column reads as Spanish."""
    return tuple(code.strip() for code in speaks.split(",") if code.strip()) or ("es",)


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    name: str
    coordinator: bool
    contact: Contact
    speaks: tuple[str, ...] = ("es",)


def add_defensora(
    db: DB,
    vault: Vault,
    name: str,
    channel: str,
    address: str,
    *,
    coordinator: bool,
    now: datetime | None = None,
    speaks: tuple[str, ...] = ("es",),
) -> Defensora:
    """Register a defensora (or coordinator) with the chat where she receives pings."""
    name = name.strip()
    if not name:
        raise RosterError("el nombre no puede estar vacío")
    existing = _by_name(db, name)
    if existing is not None and existing.active:
        raise RosterError(f"ya existe una defensora llamada {existing.name!r}")
    contact = ContactBook(vault).get_or_create(db, channel, address, now or utcnow())
    taken = select(Defensora).where(
        col(Defensora.contact_id) == contact.id, col(Defensora.active) == True
    )
    if db.exec(taken).first():
        raise RosterError("ese chat ya está registrado para otra defensora")
    assert contact.id is not None
    if existing is not None:  # she was removed before: registering her again reactivates her
        existing.active, existing.contact_id, existing.coordinator = True, contact.id, coordinator
        existing.speaks = ",".join(speaks)
        db.flush()
        return existing
    member = Defensora(
        name=name, contact_id=contact.id, coordinator=coordinator, speaks=",".join(speaks)
    )
    db.add(member)
    db.flush()
    return member


def _by_name(db: DB, name: str) -> Defensora | None:
    """Exact name first, else the only one whose name differs just in letter case."""
    name = name.strip()
    everyone = db.exec(select(Defensora)).all()
    exact = [d for d in everyone if d.name == name]
    if exact:
        return exact[0]
    loose = [d for d in everyone if d.name.casefold() == name.casefold()]
    return loose[0] if len(loose) == 1 else None


def find_defensora(db: DB, name: str) -> Defensora:
    """An active defensora by name; the error lists who is registered."""
    member = _by_name(db, name)
    if member is None or not member.active:
        active = db.exec(select(Defensora).where(col(Defensora.active) == True)).all()
        known = ", ".join(sorted(d.name for d in active)) or "ninguna"
        why = "está dada de baja" if member is not None else "no está registrada"
        raise RosterError(f"la defensora {name.strip()!r} {why} (registradas: {known})")
    return member


def remove_defensora(db: DB, name: str, *, now: datetime | None = None) -> list[int]:
    """Deactivate her and delete her shifts. Cases she holds go back to 'open' with a deadline
    of now, so the next re-escalation scan pages them to everyone (nobody is left talking to
    a defensora who is gone). Returns the ids of those cases."""
    now = now or datetime.now(UTC)
    member = find_defensora(db, name)
    member.active = False
    for shift in db.exec(select(Shift).where(col(Shift.defensora_id) == member.id)).all():
        db.delete(shift)
    held = db.exec(
        select(Case).where(col(Case.taken_by) == member.id, col(Case.status) == "taken")
    ).all()
    for case in held:
        case.status, case.taken_by, case.taken_at, case.ack_deadline = "open", None, None, now
        assert case.id is not None
        db.add(CaseEvent(case_id=case.id, at=now, kind="released", actor=member.name))
    db.flush()
    return [case.id for case in held if case.id is not None]


def parse_local(value: str) -> datetime:
    """'YYYY-MM-DDTHH:MM' in America/Lima time, as an aware datetime."""
    try:
        naive = datetime.strptime(value, "%Y-%m-%dT%H:%M")
    except ValueError as exc:
        raise RosterError(
            f"fecha {value!r}: usa el formato YYYY-MM-DDTHH:MM (hora de Lima)"
        ) from exc
    return naive.replace(tzinfo=LIMA)


def add_shift(db: DB, name: str, start: datetime, end: datetime, *, weekly: bool) -> Shift:
    """Add a shift; refuses an end before the start, a shift over 24 h and overlaps."""
    member = find_defensora(db, name)
    if end <= start:
        raise RosterError("el turno termina antes de empezar")
    if end - start > MAX_SHIFT:
        raise RosterError("un turno no puede durar más de 24 horas")
    for other in db.exec(select(Shift).where(col(Shift.defensora_id) == member.id)).all():
        if _overlaps(other, start, end, weekly):
            raise RosterError(
                f"se superpone con el turno {other.id} de {member.name} "
                f"({_local(other.starts_at)} a {_local(other.ends_at)})"
            )
    assert member.id is not None
    shift = Shift(defensora_id=member.id, starts_at=start, ends_at=end, weekly=weekly)
    db.add(shift)
    db.flush()
    return shift


def _overlaps(shift: Shift, start: datetime, end: datetime, weekly: bool) -> bool:
    """Any occurrence of one shift intersects any occurrence of the other."""
    hi = max(shift.starts_at, start) + 2 * WEEK
    mine = _intervals(shift.starts_at, shift.ends_at, shift.weekly, hi)
    new = _intervals(start, end, weekly, hi)
    return any(a0 < b1 and b0 < a1 for a0, a1 in mine for b0, b1 in new)


def _intervals(
    start: datetime, end: datetime, weekly: bool, until: datetime
) -> list[tuple[datetime, datetime]]:
    out = [(start, end)]
    while weekly and out[-1][0] < until:
        out.append((out[-1][0] + WEEK, out[-1][1] + WEEK))
    return out


def _covers(shift: Shift, moment: datetime) -> bool:
    if moment < shift.starts_at:
        return False
    if not shift.weekly:
        return moment < shift.ends_at
    return (moment - shift.starts_at) % WEEK < shift.ends_at - shift.starts_at


def _local(moment: datetime) -> str:
    return moment.astimezone(LIMA).strftime("%Y-%m-%d %H:%M")


def on_duty(db: DB, now: datetime) -> list[Member]:
    """Active defensoras whose shift covers `now` (weekly shifts repeat every 7 days)."""
    rows = db.exec(
        select(Shift, Defensora, Contact)
        .join(Defensora, col(Shift.defensora_id) == col(Defensora.id))
        .join(Contact, col(Defensora.contact_id) == col(Contact.id))
        .where(col(Defensora.active) == True)
    ).all()
    seen: dict[int, Member] = {}
    for shift, member, contact in rows:
        if _covers(shift, now) and member.id is not None:
            seen[member.id] = Member(
                member.id, member.name, member.coordinator, contact, languages(member.speaks)
            )
    return sorted(seen.values(), key=lambda m: m.name.casefold())


def members(db: DB, *, coordinators_only: bool = False) -> list[Member]:
    query = (
        select(Defensora, Contact)
        .join(Contact, col(Defensora.contact_id) == col(Contact.id))
        .where(col(Defensora.active) == True)
    )
    if coordinators_only:
        query = query.where(col(Defensora.coordinator) == True)
    return [
        Member(d.id, d.name, d.coordinator, c, languages(d.speaks))
        for d, c in db.exec(query).all()
        if d.id is not None
    ]


def member_for_contact(db: DB, contact: Contact) -> Member | None:
    found = db.exec(
        select(Defensora).where(
            col(Defensora.contact_id) == contact.id, col(Defensora.active) == True
        )
    ).first()
    if found is None or found.id is None:
        return None
    return Member(found.id, found.name, found.coordinator, contact, languages(found.speaks))


def list_shifts(db: DB) -> list[tuple[Shift, str]]:
    rows = db.exec(
        select(Shift, Defensora).join(Defensora, col(Shift.defensora_id) == col(Defensora.id))
    ).all()
    return [(shift, member.name) for shift, member in rows]


def next_shift_start(db: DB, now: datetime) -> datetime | None:
    """When the next shift of an active defensora begins after `now` (weekly ones repeat)."""
    rows = db.exec(
        select(Shift)
        .join(Defensora, col(Shift.defensora_id) == col(Defensora.id))
        .where(col(Defensora.active) == True)
    ).all()
    starts = []
    for shift in rows:
        start = shift.starts_at
        if shift.weekly and start <= now:
            start += WEEK * ((now - start) // WEEK + 1)
        if start > now:
            starts.append(start)
    return min(starts, default=None)
