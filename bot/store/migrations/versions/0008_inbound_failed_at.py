"""When an inbound message's turn last failed, so its retry waits from the failure (not from
its arrival, which let a backlog older than an hour retry at once and be parked)

Revision ID: 0008_inbound_failed_at
Revises: 0007_inbound_chat_key
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0008_inbound_failed_at"
down_revision: str | None = "0007_inbound_chat_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for rows failed before 0008: their wait counts from arrival, as it did.
    with op.batch_alter_table("inbound_receipt") as batch:
        batch.add_column(
            sa.Column("failed_at", bot.store.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_receipt") as batch:
        batch.drop_column("failed_at")
