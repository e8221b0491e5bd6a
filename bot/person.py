"""What changes on the person's own record besides the turn's session: her subscription, BORRAR
(forget), and the safety question asked again once a case closes."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session as DB
from sqlmodel import col, delete, select

from bot import escalation
from bot.store.models import (
    ERASED_PSEUDONYM,
    Case,
    Contact,
    InboundReceipt,
    Outbox,
    OutboxStatus,
)
from bot.store.outbox import cancel_broadcasts, erase_case_texts, queue_message
from flows.effects import Effect, SafeToContact, Subscribe, Unsubscribe
from flows.session import Session
from flows.types import Channel, Outbound

log = logging.getLogger(__name__)
TELEGRAM_DELETE_WINDOW = timedelta(hours=48)
"""Bots may delete messages in private chats for this long."""


def apply_effect(db: DB, contact: Contact, effect: Effect, now: datetime) -> None:
    """Effects on her own record; case effects are the escalation's, forgetting is `forget`."""
    match effect:
        case Subscribe() if not contact.subscribed:
            contact.subscribed, contact.consent_at, contact.unsubscribed_at = True, now, None
        case Unsubscribe():
            contact.subscribed, contact.unsubscribed_at = False, now
            cancel_broadcasts(db, contact.id)
        case SafeToContact(safe=False):
            # Nothing automatic reaches her until she writes again (inbound clears the flag).
            contact.unreachable = True
            cancel_broadcasts(db, contact.id)
        case _:
            pass


def forget(
    db: DB, contact: Contact, now: datetime, keep: list[Outbox], cases: escalation.CaseContext
) -> None:
    """BORRAR: close the case, drop queued messages and the contact; the goodbye still goes.

    On Telegram a quick exit also deletes the recent chat (bots may delete messages in
    private chats for 48 hours): one outbox row of kind "delete" carrying the message ids.
    """
    escalation.close_for_forget(db, contact, now, cases)
    # Her cases stay only as anonymous records: no pseudonym (it is derived from her address),
    # no text about her in the defensoras' pings and relays.
    held = db.exec(select(Case).where(col(Case.contact_id) == contact.id)).all()
    ids = [case.id for case in held if case.id is not None]
    erase_case_texts(db, ids, contact.pseudonym, ERASED_PSEUDONYM)
    for case in held:
        case.pseudonym = ERASED_PSEUDONYM
    db.flush()
    if contact.channel == Channel.TELEGRAM.value:
        delete_row = _queue_chat_deletion(db, contact, now)
        if delete_row is not None:
            keep = [*keep, delete_row]
    # Receipts outlive the contact (no personal data) so a redelivered BORRAR is not rerun;
    # the scheduler purges them after their TTL.
    db.exec(
        update(InboundReceipt)
        .where(col(InboundReceipt.contact_id) == contact.id)
        .values(contact_id=None, chat_message_id=None)
    )
    # Everything sent to her goes too (it holds her address and what the bot told her),
    # except the goodbye and the chat deletion still to be sent.
    db.exec(
        delete(Outbox).where(
            col(Outbox.contact_id) == contact.id,
            col(Outbox.id).not_in([row.id for row in keep]),
        )
    )
    for row in keep:
        row.contact_id = None
    db.delete(contact)
    log.info("forgot contact=%s", contact.pseudonym)


def _queue_chat_deletion(db: DB, contact: Contact, now: datetime) -> Outbox | None:
    since = now - TELEGRAM_DELETE_WINDOW
    sent = db.exec(
        select(col(Outbox.provider_id)).where(
            col(Outbox.contact_id) == contact.id,
            col(Outbox.channel) == contact.channel,
            col(Outbox.status).in_((OutboxStatus.SENT, OutboxStatus.DELIVERED)),
            col(Outbox.provider_id).is_not(None),
            col(Outbox.sent_at) >= since,
        )
    ).all()
    received = db.exec(
        select(col(InboundReceipt.chat_message_id)).where(
            col(InboundReceipt.contact_id) == contact.id,
            col(InboundReceipt.chat_message_id).is_not(None),
            col(InboundReceipt.received_at) >= since,
        )
    ).all()
    ids = {int(i) for i in sent if i is not None and i.isdigit()}
    ids.update(i for i in received if i is not None)
    if not ids:
        return None
    row = queue_message(db, contact, Outbound(json.dumps(sorted(ids))), kind="delete", now=now)
    db.flush()
    return row


def ask_safety_again(contact: Contact) -> None:
    """After a case closes, a later one asks again whether it is safe to write to her."""
    session = Session.from_dict(json.loads(contact.session or "{}"))
    contact.session = json.dumps(session.evolve(asked_safe=False, awaiting=None).to_dict())
