"""Contacts: found by keyed hash, created in one place; the clear address only lives in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, exists, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql
from sqlmodel import Session as DB
from sqlmodel import col, select

from bot.privacy import Vault
from bot.store.models import Case, Contact, Defensora, InboundReceipt, UTCDateTime


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
ERASE = (
    update(InboundReceipt)
    .where(col(InboundReceipt.id) == bindparam("receipt_id"))
    .values(contact_id=bindparam("contact"), payload=None)
)
"""The message is hers and its text is gone (in the turn's transaction)."""
_COLUMNS = ", ".join(_FIELDS)


def _pg_type(column: str) -> str:
    """The column's PostgreSQL type, to cast a parameter that no VALUES types for us."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return str(_TABLE.c[column].type.compile(dialect=dialect))


@cache
def for_turn_pg(new: tuple[str, ...]) -> str:
    """PostgreSQL: `for_turn` in one round trip: find her (locked for the turn), or create her
    with the columns `new`, and mark the message hers with its text erased. A data-modifying
    CTE runs once whether or not the query reads it; a concurrent first message of hers
    (never: one chat's turns run one at a time) fails on the unique key, and the turn runs
    again."""
    return f"""
WITH found AS (
    SELECT {_COLUMNS},
        EXISTS (SELECT 1 FROM defensora d WHERE d.contact_id = contact.id AND d.active)
            AS defensora,
        (SELECT c.id FROM escalation_case c
            WHERE c.contact_id = contact.id AND c.status = 'taken' LIMIT 1) AS relay_case
    FROM contact
    WHERE channel = %(channel)s AND address_hash = %(address_hash)s
    FOR NO KEY UPDATE OF contact
), created AS (
    INSERT INTO contact ({", ".join(new)})
    SELECT {", ".join(f"%({name})s::{_pg_type(name)}" for name in new)}
    WHERE NOT EXISTS (SELECT 1 FROM found)
    RETURNING {_COLUMNS}, false AS defensora, NULL::integer AS relay_case
), her AS (
    SELECT * FROM found UNION ALL SELECT * FROM created
), erased AS (
    UPDATE inbound_receipt SET contact_id = (SELECT id FROM her), payload = NULL
    WHERE id = %(receipt_id)s
)
SELECT * FROM her
"""


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

    def for_turn(
        self, connection: Connection, channel: str, address: str, now: datetime, receipt_id: int
    ) -> Found:
        """`get_or_create` in Core, plus whether she is a defensora and the case held for her,
        and the message `receipt_id` marked hers with its text erased: no ORM object; on
        PostgreSQL one statement (`FOR_TURN_PG`)."""
        digest = self.vault.address_hash(channel, address)
        if connection.dialect.name == "postgresql":
            return self._for_turn_pg(connection, channel, address, digest, now, receipt_id)
        row = connection.execute(FOR_TURN, {"channel": channel, "digest": digest}).first()
        if row is not None:
            fields = row._mapping
            found = Found(
                **{name: fields[name] for name in _FIELDS},
                defensora=bool(fields["defensora"]),
                relay_case=fields["relay_case"],
            )
        else:
            values = self._new(channel, address, digest, now)
            values["id"] = connection.execute(CREATE, values).scalar_one()
            found = Found(
                **{name: values[name] for name in _FIELDS}, defensora=False, relay_case=None
            )
        connection.execute(ERASE, {"receipt_id": receipt_id, "contact": found.id})
        return found

    def _for_turn_pg(
        self,
        connection: Connection,
        channel: str,
        address: str,
        digest: str,
        now: datetime,
        receipt_id: int,
    ) -> Found:
        values = self._new(channel, address, digest, now)
        statement = for_turn_pg(tuple(values))
        values["receipt_id"] = receipt_id
        with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            row = cursor.execute(statement, values).fetchone()
        assert row is not None  # found or created
        contact_id, channel, address_enc, pseudonym, session, language, last, mine, case = row
        return Found(
            contact_id,
            channel,
            address_enc,
            pseudonym,
            session,
            language,
            None if last is None else last.astimezone(UTC),
            defensora=bool(mine),
            relay_case=case,
        )

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
