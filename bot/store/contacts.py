"""Contacts: found by keyed hash, created in one place; the clear address only lives in memory."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session as DB
from sqlmodel import col, select

from bot.privacy import Vault
from bot.store.models import Contact


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
        if contact is None:
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
