"""A registered defensora's chat: never the public flow. flows/cases reads what she means;
this module carries it out against the case rows and answers her."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session as DB
from sqlmodel import col, select

from bot import metrics, roster
from bot.casebook import (
    OPEN_STATES,
    CaseContext,
    event,
    held_cases,
    holder_name,
    paged_members,
    person,
    ping_rows,
    queue,
    sent_statuses,
    view_of,
)
from bot.person import ask_safety_again
from bot.store.engine import affected
from bot.store.models import Case, Contact, Outbox, OutboxStatus
from bot.store.outbox import outbox_values
from flows import cases as flow
from flows.types import Channel, Option, Outbound

DRAFT_TTL = timedelta(minutes=30)
"""A message waiting for "¿Enviar a #N?" is forgotten after this long."""


def handle(
    db: DB,
    me: roster.Member,
    text: str,
    payload: str | None,
    quoted: str | None,
    now: datetime,
    ctx: CaseContext,
) -> list[Outbound]:
    """Answer one message from her chat (whatever it is: command, reply, free text)."""
    draft = _draft(me.contact, now)
    message = flow.Message(
        text=text,
        payload=payload,
        quoted=quoted,
        held=held_cases(db, me.id),
        draft_case=int(str(draft["case"])) if draft else None,
    )
    command = flow.read_message(message, ctx.words)
    return _carry_out(db, me, command, draft, now, ctx)


def _carry_out(
    db: DB,
    me: roster.Member,
    command: flow.Command,
    draft: dict[str, object] | None,
    now: datetime,
    ctx: CaseContext,
) -> list[Outbound]:
    words = ctx.words
    match command:
        case flow.Take(case_id):
            return _take(db, me, case_id, now, ctx)
        case flow.Reply(case_id, text):
            return _reply(db, me, case_id, text, now, ctx, confirmed=False)
        case flow.AskSend(case_id, text):
            return _reply(db, me, case_id, text, now, ctx, confirmed=False, ask=True)
        case flow.SendDraft():
            _set_draft(me.contact, None)
            if draft is None:
                return [Outbound(words["draft_none"])]
            case_id, text = int(str(draft["case"])), str(draft["text"])
            return _reply(db, me, case_id, text, now, ctx, confirmed=True)
        case flow.CancelDraft():
            _set_draft(me.contact, None)
            return [Outbound(words["draft_cancelled" if draft else "draft_none"])]
        case flow.Close(case_id, note):
            return _close(db, me, case_id, note, now, ctx)
        case flow.ListCases():
            cases = db.exec(select(Case).where(col(Case.status).in_(OPEN_STATES))).all()
            views = [view_of(db, case) for case in cases]
            return [Outbound(flow.case_list(words, ctx.content.texts, views, now))]
        case flow.OnDuty():
            names = ", ".join(m.name for m in roster.on_duty(db, now))
            return [
                Outbound(words.text("on_duty", names=names) if names else words["nobody_on_duty"])
            ]
        case flow.Help():
            return [Outbound(words["help"])]
        case flow.Hint():
            return [Outbound(flow.hint_text(words, command))]
    raise AssertionError(f"unhandled command {command!r}")


def quoted_case(db: DB, me: roster.Member, replied_to: str | None) -> str | None:
    """A reply to one of our messages (WhatsApp gives only its id): "#N" of the case it was
    about, from the page or relay row sent to her."""
    if not replied_to:
        return None
    case_id = db.exec(
        select(col(Outbox.case_id)).where(
            col(Outbox.provider_id) == replied_to, col(Outbox.contact_id) == me.contact.id
        )
    ).first()
    return f"#{case_id}" if case_id is not None else None


# -- take ----------------------------------------------------------------------------------------


def _take(
    db: DB, me: roster.Member, case_id: int, now: datetime, ctx: CaseContext
) -> list[Outbound]:
    """Atomic take: of two defensoras racing, exactly one wins; the other hears it once."""
    words = ctx.words
    result = db.execute(
        update(Case)
        .where(col(Case.id) == case_id, col(Case.status) == "open")
        .values(status="taken", taken_by=me.id, taken_at=now)
    )
    case = db.get(Case, case_id)
    if case is not None:
        db.refresh(case)
    if case is None or case.status not in OPEN_STATES:
        return [Outbound(words.text("not_found", id=case_id))]
    if affected(result) != 1:
        if case.taken_by == me.id:
            return [Outbound(words.text("taken_already_yours", id=case_id))]
        if _notice_queued(db, case_id, me.id):  # "lo tomó Ana" is on its way: once is enough
            return []
        return [Outbound(words.text("taken_by", id=case_id, name=holder_name(db, case) or "?"))]
    event(db, case, "taken", now, actor=me.name)
    metrics.TIME_TO_TAKE.observe((now - case.opened_at).total_seconds())
    for other in paged_members(db, case):  # whoever was told of it stops worrying
        if other.id != me.id:
            notice = Outbound(words.text("taken_notice", id=case_id, name=me.name))
            queue(db, other.contact, notice, "ping", now, key=_notice_key(case_id, other.id))
    _settle_buttons(db, case_id, me.name, now, ctx)
    contact = person(db, case)
    if contact is not None and case.safe_to_write is not False:
        told = flow.taken_notice(ctx.words_for(contact), contact.channel)
        queue(db, contact, Outbound(told), "relay", now)
        event(db, case, "told_person", now, detail="taken")
    safety = flow.safety_line(words, case.safe_to_write)
    taken = words.text("taken_ok", id=case_id, pseudonym=case.pseudonym, safety=safety)
    return [Outbound(taken)]


def _notice_key(case_id: int, member_id: int) -> str:
    return f"taken:{case_id}:{member_id}"


def _notice_queued(db: DB, case_id: int, member_id: int) -> bool:
    key = _notice_key(case_id, member_id)
    return db.exec(select(col(Outbox.id)).where(col(Outbox.dedupe_key) == key)).first() is not None


def _settle_buttons(db: DB, case_id: int, name: str, now: datetime, ctx: CaseContext) -> None:
    """Pings not sent yet are dropped; sent Telegram ones get "Tomado por <name>" as button."""
    label = ctx.words.text("taken_button", name=name)
    for row in ping_rows(db, case_id):
        if row.status == OutboxStatus.PENDING:
            row.status, row.text, row.error = OutboxStatus.CANCELLED, "", "taken"
        elif (
            row.status in sent_statuses()
            and row.channel == Channel.TELEGRAM.value
            and row.provider_id is not None
            and row.provider_id.isdigit()
        ):
            text = json.dumps({"message_id": int(row.provider_id), "label": label})
            button = Option("/" + ctx.words.command("casos"), label)
            edit = Outbound(text, (button,))
            db.add(
                Outbox(
                    **outbox_values(
                        row.contact_id, row.channel, row.address_enc, edit, kind="edit", now=now
                    )
                )
            )


# -- reply, drafts ---------------------------------------------------------------------------------


def _owned(db: DB, me: roster.Member, case_id: int, ctx: CaseContext) -> Case | Outbound:
    """Her open case, or the answer that says why not."""
    words = ctx.words
    case = db.get(Case, case_id)
    if case is None or case.status not in OPEN_STATES:
        return Outbound(words.text("not_found", id=case_id))
    if case.taken_by != me.id:
        holder = holder_name(db, case)
        if holder is None:
            return Outbound(words.text("not_taken", id=case_id))
        return Outbound(words.text("not_yours", id=case_id, name=holder))
    return case


def _reply(
    db: DB,
    me: roster.Member,
    case_id: int,
    text: str,
    now: datetime,
    ctx: CaseContext,
    *,
    confirmed: bool,
    ask: bool = False,
) -> list[Outbound]:
    words = ctx.words
    case = _owned(db, me, case_id, ctx)
    if isinstance(case, Outbound):
        return [case]
    contact = person(db, case)
    if contact is None:
        return [Outbound(words.text("not_found", id=case_id))]
    unsafe = case.safe_to_write is False
    if (ask or unsafe) and not confirmed:
        _set_draft(me.contact, {"case": case_id, "text": text, "at": now.isoformat()})
        return [flow.confirm_send(words, case_id, text, unsafe=unsafe)]
    queue(db, contact, Outbound(words.text("person_from_defensora", text=text)), "relay", now)
    event(db, case, "relayed_out", now)
    return [Outbound(words.text("sent", id=case_id))]


def _draft(contact: Contact, now: datetime) -> dict[str, object] | None:
    try:
        stored = json.loads(contact.session or "{}").get("draft")
        if not isinstance(stored, dict) or not str(stored.get("case", "")).isdigit():
            return None
        if now - datetime.fromisoformat(str(stored["at"])) > DRAFT_TTL:
            return None
        return stored
    except (ValueError, AttributeError, KeyError, TypeError):
        return None


def _set_draft(contact: Contact, draft: dict[str, object] | None) -> None:
    """Her chat is never the public flow: its session only holds a draft waiting for a yes."""
    contact.session = json.dumps({"draft": draft} if draft else {}, ensure_ascii=False)


# -- close ---------------------------------------------------------------------------------------


def _close(
    db: DB, me: roster.Member, case_id: int, note: str, now: datetime, ctx: CaseContext
) -> list[Outbound]:
    case = _owned(db, me, case_id, ctx)
    if isinstance(case, Outbound):
        return [case]
    case.status, case.closed_at = "closed", now
    event(db, case, "closed", now, actor=me.name, detail=note[:200] or None)
    contact = person(db, case)
    quiet = case.safe_to_write is False  # nothing automatic reaches her when it is not safe
    if contact is not None:
        if not quiet:
            queue(db, contact, Outbound(ctx.words_for(contact)["person_closed"]), "relay", now)
        ask_safety_again(contact)  # circumstances change: a later case asks again
    return [Outbound(ctx.words.text("closed_quietly" if quiet else "closed", id=case_id))]
