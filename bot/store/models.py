"""Tables. Addresses are never stored in clear; message text only where it must wait to be sent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Dialect, Index, UniqueConstraint, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the offset; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sqlite_timestamp(value: datetime) -> str:
    """An aware datetime as `UTCDateTime` stores it in SQLite (the text SQLAlchemy writes: UTC,
    no offset, always the microseconds, so that the text orders as the time does), for
    statements run straight on the driver."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; use aware UTC")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def from_sqlite_timestamp(value: str | None) -> datetime | None:
    """`UTCDateTime`'s SQLite text read back, aware (UTC)."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _ts(nullable: bool = True) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class Contact(SQLModel, table=True):
    """A person (or defensora) on one channel, found by keyed hash of the address."""

    __table_args__ = (UniqueConstraint("channel", "address_hash", name="uq_contact_address"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    address_hash: str = Field(max_length=64)
    address_enc: str
    pseudonym: str = Field(max_length=16)
    session: str = Field(default="{}")
    language: str = Field(default="es", max_length=8)
    """The conversation's language, copied from the session at each turn: reminders read it."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    last_inbound_at: datetime | None = Field(default=None, sa_column=_ts())
    unreachable: bool = False
    subscribed: bool = False
    consent_at: datetime | None = Field(default=None, sa_column=_ts())
    unsubscribed_at: datetime | None = Field(default=None, sa_column=_ts())


class InboundReceipt(SQLModel, table=True):
    """One row per provider message id: a redelivery hits the unique key and is not processed."""

    __tablename__ = "inbound_receipt"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_inbound_external"),
        Index("ix_inbound_pending", "status", "id"),
        # PostgreSQL only (migration 0007): its workers claim by chat; SQLite's one writer
        # keeps the global order and would only pay for the index on every webhook.
        Index(
            "ix_inbound_chat_pending", "chat_key", "id", postgresql_where=text("status = 'pending'")
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    contact_id: int | None = Field(
        default=None, foreign_key="contact.id", ondelete="CASCADE", index=True
    )
    chat_message_id: int | None = None
    chat_key: int | None = Field(default=None, sa_type=BigInteger)
    """Which chat the message came from, as the leading 60 bits of the address's keyed hash
    (`chat_key`): the queue keeps each chat in order and lets different chats run in parallel.
    None for messages queued before migration 0007: those keep the global order."""
    received_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    status: str = Field(default="pending", max_length=16)
    """pending (queued, payload encrypted) -> done (payload erased) | failed."""
    payload: str | None = None
    attempts: int = 0
    failed_at: datetime | None = Field(default=None, sa_column=_ts())
    """When its turn last failed: the retry waits from then (`retry_delay`). None before
    migration 0008: such a row waits from `received_at`."""


class OutboxStatus:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    NOT_SENT = "not_sent"
    CANCELLED = "cancelled"


class Outbox(SQLModel, table=True):
    """Every message the bot sends is a row first (transactional outbox)."""

    __table_args__ = (
        Index("ix_outbox_claim", "status", "priority", "next_attempt_at", "id"),
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(
        default=None, foreign_key="contact.id", ondelete="SET NULL", index=True
    )
    channel: str = Field(max_length=16)
    address_enc: str
    priority: int = 0
    kind: str = Field(default="reply", max_length=16)
    text: str = ""
    options: str = "[]"
    template: str | None = Field(default=None, max_length=64)
    status: str = Field(default=OutboxStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    claimed_at: datetime | None = Field(default=None, sa_column=_ts())
    provider_id: str | None = Field(default=None, max_length=64, index=True)
    error: str | None = Field(default=None, max_length=200)
    dedupe_key: str | None = Field(default=None, max_length=120)
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id", ondelete="SET NULL")
    case_id: int | None = Field(default=None, index=True)
    """The case a ping or relay to a defensora speaks of: BORRAR erases those texts too."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    sent_at: datetime | None = Field(default=None, sa_column=_ts())


class Broadcast(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("key", name="uq_broadcast_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)
    kind: str = Field(default="manual", max_length=16)
    text: str
    total: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class RateSlot(SQLModel, table=True):
    """Per channel, the earliest moment the next message may go: one rate shared by every
    dispatcher process (PostgreSQL; a lone SQLite process limits itself in memory)."""

    __tablename__ = "rate_slot"

    channel: str = Field(primary_key=True, max_length=16)
    next_at: datetime = Field(sa_column=_ts(False))


class Defensora(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE")
    coordinator: bool = False
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    speaks: str = Field(default="es", max_length=40)
    """Languages she speaks, comma-separated codes of content/lang/ ('es,qu')."""


class Shift(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    defensora_id: int = Field(foreign_key="defensora.id", ondelete="CASCADE", index=True)
    starts_at: datetime = Field(sa_column=_ts(False))
    ends_at: datetime = Field(sa_column=_ts(False))
    weekly: bool = False


ERASED_PSEUDONYM = "C-BORRADA"
"""A case whose person said BORRAR: her pseudonym (derived from her address) is gone."""


class Case(SQLModel, table=True):
    """An escalation: at most one open case per contact."""

    __tablename__ = "escalation_case"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(
        default=None, foreign_key="contact.id", ondelete="SET NULL", index=True
    )
    channel: str = Field(max_length=16)
    pseudonym: str = Field(max_length=16)
    status: str = Field(default="open", max_length=16, index=True)
    severity: str = Field(max_length=16)
    categories: str = ""
    excerpt: str | None = Field(default=None, max_length=400)
    requested: bool = False
    safe_to_write: bool | None = None
    opened_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    ack_deadline: datetime | None = Field(default=None, sa_column=_ts())
    pages: int = 0
    taken_at: datetime | None = Field(default=None, sa_column=_ts())
    taken_by: int | None = Field(default=None, foreign_key="defensora.id", ondelete="SET NULL")
    closed_at: datetime | None = Field(default=None, sa_column=_ts())
    purge_after: datetime | None = Field(default=None, sa_column=_ts())


class CaseEvent(SQLModel, table=True):
    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="escalation_case.id", ondelete="CASCADE", index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    kind: str = Field(max_length=24)
    actor: str | None = Field(default=None, max_length=80)
    detail: str | None = Field(default=None, max_length=200)


class DataKeyFingerprint(SQLModel, table=True):
    """Which data key wrote this database: a start with another key is refused, not obeyed."""

    __tablename__ = "data_key"

    id: int = Field(default=1, primary_key=True)
    fingerprint: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class EpisodeSeason(SQLModel, table=True):
    """A season added from the panel; merged with the YAML seasons when the bot answers."""

    __tablename__ = "episode_season"

    id: int | None = Field(default=None, primary_key=True)
    season_id: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=120)
    body: str = Field(default="[]")
    """The episodes as JSON, validated by flows.episodes.Season before they are stored."""
    revision: int = 0
    """Raised on every change: processes re-read the seasons when it moves."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class UsageEvent(SQLModel, table=True):
    """One anonymous row per turn for the weekly figures: no contact, no text, only the week."""

    __tablename__ = "usage_event"

    id: int | None = Field(default=None, primary_key=True)
    week: date = Field(index=True)
    channel: str = Field(max_length=16)
    topic: str = Field(max_length=40)
    district: str | None = Field(default=None, max_length=80)
    severity: str = Field(default="none", max_length=16)
    new_person: bool = False
    """Her first message this week: counting these counts people without naming anyone."""


class PanelUser(SQLModel, table=True):
    __tablename__ = "panel_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=16)
    defensora_id: int | None = Field(default=None, foreign_key="defensora.id", ondelete="SET NULL")
    session_epoch: int = 0
    """Raised on logout and password change: every cookie issued before stops working."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class LoginThrottle(SQLModel, table=True):
    """Failed logins per user name (known or not), so guessing is slowed and then locked.
    Keyed by a digest of the name: whatever was typed there is not kept."""

    __tablename__ = "panel_login_throttle"

    username: str = Field(primary_key=True, max_length=60)
    failures: int = 0
    retry_at: datetime | None = Field(default=None, sa_column=_ts())


class PanelAudit(SQLModel, table=True):
    """Who did what in the panel; details name cases and shifts by id, never a number."""

    __tablename__ = "panel_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    username: str = Field(max_length=60, index=True)
    action: str = Field(max_length=40)
    detail: str | None = Field(default=None, max_length=200)
