"""Contacts: found by keyed hash, created in one place; the clear address only lives in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql
from sqlmodel import Session as DB
from sqlmodel import col, select

from bot.privacy import Vault
from bot.store.models import Contact, from_sqlite_timestamp, sqlite_timestamp


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

    @classmethod
    def read(cls, row: Sequence[Any], last_inbound_at: datetime | None) -> Found:
        """Her row as `SQLITE_FIND` and `for_turn_pg` return it (`last_inbound_at`: its time as
        the driver gave it, made aware)."""
        contact_id, channel, address_enc, pseudonym, session, language, _, mine, case = row
        return cls(
            contact_id,
            channel,
            address_enc,
            pseudonym,
            session,
            language,
            last_inbound_at,
            defensora=bool(mine),
            relay_case=case,
        )


_FIELDS = ("id", "channel", "address_enc", "pseudonym", "session", "language", "last_inbound_at")
_TABLE = Contact.__table__  # type: ignore[attr-defined]
_COLUMNS = ", ".join(_FIELDS)
_HER_ROLES = """EXISTS (SELECT 1 FROM defensora d WHERE d.contact_id = contact.id AND d.active)
        AS defensora,
    (SELECT c.id FROM escalation_case c
        WHERE c.contact_id = contact.id AND c.status = 'taken' LIMIT 1) AS relay_case"""
"""Whether she is a registered, active defensora, and the case a defensora holds for her."""
SQLITE_FIND = f"""SELECT {_COLUMNS},
    {_HER_ROLES}
FROM contact WHERE channel = ? AND address_hash = ?"""
"""SQLite: a turn's person, whether she is a defensora and the case held for her, in one
read (one writer at a time: nobody changes her row before the turn writes it back)."""
SQLITE_ERASE = "UPDATE inbound_receipt SET contact_id = ?, payload = NULL WHERE id = ?"
"""The message is hers and its text is gone (in the turn's transaction)."""


@cache
def _sqlite_create(names: tuple[str, ...]) -> str:
    marks = ", ".join(f":{name}" for name in names)
    return f"INSERT INTO contact ({', '.join(names)}) VALUES ({marks}) RETURNING id"


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
    {_HER_ROLES}
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
        """`get_or_create`, plus whether she is a defensora and the case held for her, and the
        message `receipt_id` marked hers with its text erased: straight on the driver (the hot
        path of every turn: no ORM object, no SQL compilation); on PostgreSQL one statement
        (`for_turn_pg`), on SQLite a read, an INSERT for a new contact, and the erasure."""
        digest = self.vault.address_hash(channel, address)
        if connection.dialect.name == "postgresql":
            return self._for_turn_pg(connection, channel, address, digest, now, receipt_id)
        driver = connection.connection.driver_connection
        assert driver is not None
        row = driver.execute(SQLITE_FIND, (channel, digest)).fetchone()
        if row is None:  # new: her address is encrypted once, when she is created
            values = self._new(channel, address, digest, now)
            stored = {**values, "created_at": sqlite_timestamp(now)}
            values["id"] = driver.execute(_sqlite_create(tuple(stored)), stored).fetchone()[0]
            found = Found(
                **{name: values[name] for name in _FIELDS}, defensora=False, relay_case=None
            )
        else:
            found = Found.read(row, from_sqlite_timestamp(row[6]))
        driver.execute(SQLITE_ERASE, (found.id, receipt_id))
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
        return Found.read(row, None if row[6] is None else row[6].astimezone(UTC))

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
