"""The chat an inbound message came from, so that PostgreSQL workers keep order per chat (not
one global order) and run different chats in parallel

Revision ID: 0007_inbound_chat_key
Revises: 0006_contact_language
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_inbound_chat_key"
down_revision: str | None = "0006_contact_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = sa.text(
    "SELECT r.id, c.address_hash FROM inbound_receipt r JOIN contact c ON c.id = r.contact_id"
)
"""Receipts already run know their contact, whose keyed digest gives the key. A message still
queued is encrypted (the key is not the migration's): it keeps NULL, which the claim reads as
'after every older message of any chat' (the order it had before)."""


def upgrade() -> None:
    with op.batch_alter_table("inbound_receipt") as batch:
        batch.add_column(sa.Column("chat_key", sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    rows = [
        {"key": int(digest[:15], 16), "receipt": receipt}  # bot.privacy.chat_key, as of 0007
        for receipt, digest in bind.execute(BACKFILL)
    ]
    if rows:
        bind.execute(
            sa.text("UPDATE inbound_receipt SET chat_key = :key WHERE id = :receipt"), rows
        )
    if bind.dialect.name == "postgresql":  # SQLite's one writer keeps the global order
        op.create_index(
            "ix_inbound_chat_pending",
            "inbound_receipt",
            ["chat_key", "id"],
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_inbound_chat_pending", table_name="inbound_receipt")
    with op.batch_alter_table("inbound_receipt") as batch:
        batch.drop_column("chat_key")
