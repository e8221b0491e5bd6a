"""Contacts: found by keyed hash, created in one place; the clear address only lives in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists
from sqlmodel import Session as DB
from sqlmodel import col, select

from bot.privacy import Vault
from bot.store.models import Case, Contact, Defensora


@dataclass(frozen=True, slots=True)
class Found:
    """A turn's person, with what the turn needs to know about her read in the same statement."""

    contact: Contact
    new: bool
    defensora: bool
    """A registered, active defensora: her chat is never the public flow."""
    relay_case: int | None
    """The case a defensora holds for her, if any."""


_DEFENSORA = exists().where(
    col(Defensora.contact_id) == col(Contact.id), col(Defensora.active) == True
)
_RELAY_CASE = (
    select(col(Case.id))
    .where(col(Case.contact_id) == col(Contact.id), col(Case.status) == "taken")
    .limit(1)
    .scalar_subquery()
)
FOR_TURN = (
    select(Contact, _DEFENSORA.label("defensora"), _RELAY_CASE.label("relay_case"))
    .where(
        col(Contact.channel) == bindparam("channel"),
        col(Contact.address_hash) == bindparam("digest"),
    )
    # One turn at a time per person (PostgreSQL): her session is read, then written back.
    .with_for_update(key_share=True, of=Contact)
)
"""A turn's person, whether she is a defensora and the case held for her, in one read."""


class ContactBook:
    """Finds or creates contacts by keyed hash; the clear address only lives in memory."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def find(self, db: DB, channel: str, address: str) -> Contact | None:
        digest = self.vault.address_hash(channel, address)
        query = select(Contact).where(
            col(Contact.channel) == channel, col(Contact.address_hash) == digest
        )
        # One turn at a time per person (PostgreSQL): her session is read, then written back.
        return db.exec(query.with_for_update(key_share=True)).first()

    def get_or_create(self, db: DB, channel: str, address: str, now: datetime) -> Contact:
        contact = self.find(db, channel, address)
        return contact if contact is not None else self._create(db, channel, address, now)

    def for_turn(self, db: DB, channel: str, address: str, now: datetime) -> Found:
        """`get_or_create` plus whether she is a defensora and the case held for her: one read
        on every message instead of three."""
        digest = self.vault.address_hash(channel, address)
        row = db.exec(FOR_TURN, params={"channel": channel, "digest": digest}).first()
        if row is None:
            return Found(self._create(db, channel, address, now), True, False, None)
        contact, is_defensora, case_id = row
        return Found(contact, False, bool(is_defensora), case_id)

    def _create(self, db: DB, channel: str, address: str, now: datetime) -> Contact:
        digest = self.vault.address_hash(channel, address)
        contact = Contact(
            channel=channel,
            address_hash=digest,
            address_enc=self.vault.encrypt(address),
            pseudonym=self.vault.pseudonym(digest),
            created_at=now,
        )
        db.add(contact)
        db.flush()
        return contact
