"""Web panel: accounts, login throttle, audit log, seasons from the panel, anonymous usage

Revision ID: 0004_panel
Revises: 0003_data_key
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0004_panel"
down_revision: str | None = "0003_data_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, bot.store.models.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    # A migration is a declarative list of tables; splitting it would only hide the schema.
    op.create_table(
        "episode_season",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("season_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("season_id"),
    )
    op.create_table(
        "usage_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("district", sa.String(length=80), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("new_person", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_usage_event_week", "usage_event", ["week"])
    op.create_table(
        "panel_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("defensora_id", sa.Integer(), nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(["defensora_id"], ["defensora.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "panel_login_throttle",
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        _ts("retry_at", nullable=True),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "panel_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        _ts("at"),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_panel_audit_username", "panel_audit", ["username"])


def downgrade() -> None:
    op.drop_index("ix_panel_audit_username", table_name="panel_audit")
    op.drop_table("panel_audit")
    op.drop_table("panel_login_throttle")
    op.drop_table("panel_user")
    op.drop_index("ix_usage_event_week", table_name="usage_event")
    op.drop_table("usage_event")
    op.drop_table("episode_season")
