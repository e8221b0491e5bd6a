"""The conversation's language on the contact row (reminders go out in it without reading
every subscriber's session)

Revision ID: 0006_contact_language
Revises: 0005_languages
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_contact_language"
down_revision: str | None = "0005_languages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = {
    # The session is the JSON the service writes (json.dumps): its "language" is copied over.
    "sqlite": (
        "UPDATE contact SET language = json_extract(session, '$.language') "
        "WHERE json_valid(session) AND length(json_extract(session, '$.language')) "
        "BETWEEN 2 AND 8"
    ),
    "postgresql": (
        "UPDATE contact SET language = session::jsonb ->> 'language' "
        "WHERE session LIKE '%\"language\"%' "
        "AND length(session::jsonb ->> 'language') BETWEEN 2 AND 8"
    ),
}


def upgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="es")
        )
    statement = BACKFILL.get(op.get_bind().dialect.name)
    if statement is not None:
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("language")
