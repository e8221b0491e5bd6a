"""Languages a defensora speaks (paging a Quechua or English case to its speakers first)

Revision ID: 0005_languages
Revises: 0004_panel
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_languages"
down_revision: str | None = "0004_panel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("defensora") as batch:
        batch.add_column(
            sa.Column("speaks", sa.String(length=40), nullable=False, server_default="es")
        )


def downgrade() -> None:
    with op.batch_alter_table("defensora") as batch:
        batch.drop_column("speaks")
