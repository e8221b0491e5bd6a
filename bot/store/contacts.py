"""Contacts: found by keyed hash, created in one place; the clear address only lives in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, exists, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session as DB
from sqlmodel import col, select

from bot.privacy import Vault
from bot.store.models import Case, Contact, Defensora, UTCDateTime


class Addressee(Protocol):
    """What sending to a contact needs: a Contact row, or a turn's `Found`."""

    @property
    def id(self) -> int | None: ...
    @property
    def channel(self) -> str: ...
    @property
    def address_enc(self) -> str: ...
    @property
    def pseudonym(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Found:
    """A turn's person as one Core read gives her (no ORM object), with what the turn needs to
    know about her read in the same statement."""

    id: int
    channel: str
    address_enc: str
    pseudonym: str
    session: str
    language: str
    last_inbound_at: datetime | None
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
_FIELDS = ("id", "channel", "address_enc", "pseudonym", "session", "language", "last_inbound_at")
_TABLE = Contact.__table__  # type: ignore[attr-defined]
FOR_TURN = (
    sa_select(
        *(_TABLE.c[name] for name in _FIELDS),
        _DEFENSORA.label("defensora"),
        _RELAY_CASE.label("relay_case"),
    )
    .where(
        col(Contact.channel) == bindparam("channel"),
        col(Contact.address_hash) == bindparam("digest"),
    )
    # One turn at a time per person (PostgreSQL): her session is read, then written back.
    .with_for_update(key_share=True, of=_TABLE)
)
"""A turn's person, whether she is a defensora and the case held for her, in one read."""
CREATE = insert(Contact).returning(col(Contact.id))
SAVE_TURN = (
    update(Contact)
    .where(col(Contact.id) == bindparam("contact"))
    .values(
        last_inbound_at=bindparam("at", type_=UTCDateTime()),
        unreachable=False,  # she wrote: whatever blocked us before is gone
        session=bindparam("state"),
        language=bindparam("lang"),
    )
)
"""The end of a turn: her session and when she last wrote, one UPDATE."""


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
            contact = Contact(**self._new(channel, address, digest, now))
            db.add(contact)
            db.flush()
        return contact

    def for_turn(self, connection: Connection, channel: str, address: str, now: datetime) -> Found:
        """`get_or_create` in Core, plus whether she is a defensora and the case held for her:
        one read on every message instead of three, and no ORM object."""
        digest = self.vault.address_hash(channel, address)
        row = connection.execute(FOR_TURN, {"channel": channel, "digest": digest}).first()
        if row is not None:
            fields = row._mapping
            return Found(
                **{name: fields[name] for name in _FIELDS},
                defensora=bool(fields["defensora"]),
                relay_case=fields["relay_case"],
            )
        values = self._new(channel, address, digest, now)
        values["id"] = connection.execute(CREATE, values).scalar_one()
        return Found(**{name: values[name] for name in _FIELDS}, defensora=False, relay_case=None)

    def _new(self, channel: str, address: str, digest: str, now: datetime) -> dict[str, Any]:
        """The columns of a new contact: every contact the bot creates is built here."""
        return {
            "channel": channel,
            "address_hash": digest,
            "address_enc": self.vault.encrypt(address),
            "pseudonym": self.vault.pseudonym(digest),
            "session": "{}",
            "language": "es",
            "created_at": now,
            "last_inbound_at": None,
            "unreachable": False,
            "subscribed": False,
            "consent_at": None,
            "unsubscribed_at": None,
        }
