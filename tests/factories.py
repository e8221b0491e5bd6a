"""Test and benchmark data built straight into the store (the conversation paths are tested
elsewhere): many subscribers at once."""

from __future__ import annotations

from sqlalchemy import insert

from bot.bootstrap import App
from bot.models import Contact
from bot.store import unit_of_work


def subscribe_many(
    app: App, telegram: int, whatsapp: int, prefix: int = 7
) -> list[tuple[str, str]]:
    """Insert reachable, consenting subscribers on both channels; returns (channel, address)."""
    people = [("telegram", str(prefix * 100_000 + i)) for i in range(telegram)]
    people += [("whatsapp", f"+519{prefix}{i:07d}") for i in range(whatsapp)]
    rows = []
    for channel, address in people:
        digest = app.vault.address_hash(channel, address)
        rows.append(
            {
                "channel": channel,
                "address_hash": digest,
                "address_enc": app.vault.encrypt(address),
                "pseudonym": app.vault.pseudonym(digest),
                "session": "{}",
                "created_at": app.clock(),
                "last_inbound_at": app.clock(),
                "unreachable": False,
                "subscribed": True,
                "consent_at": app.clock(),
            }
        )
    with unit_of_work(app.engine) as db:
        db.execute(insert(Contact), rows)
    return people
