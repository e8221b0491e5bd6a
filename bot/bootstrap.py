"""The one composition root: production, CLI and tests all build the app here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from telegram import Bot

from bot.content import load_content
from bot.escalation import Policy
from bot.privacy import Vault, load_vault
from bot.service import Service
from bot.settings import Settings, get_settings
from bot.store import ensure_schema, make_engine
from flows.engine import Content

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    settings: Settings
    engine: Engine
    vault: Vault
    content: Content
    service: Service
    clock: Clock
    telegram_bot: Bot | None = None

    def templates(self) -> dict[str, str]:
        """WhatsApp templates (Content SIDs) by outbox kind, for the 24-hour window."""
        s = self.settings
        pairs = {
            "reply": s.whatsapp_template_reply_sid,
            "relay": s.whatsapp_template_reply_sid,
            "reminder": s.whatsapp_template_reminder_sid,
            "broadcast": s.whatsapp_template_reminder_sid,
            "ping": s.whatsapp_template_alert_sid,
        }
        return {kind: sid for kind, sid in pairs.items() if sid}


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock = system_clock,
    content: Content | None = None,
    migrate: bool | None = None,
) -> App:
    """Read settings, open the store (migrating the embedded default), load content."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    ensure_schema(engine, migrate=settings.is_sqlite if migrate is None else migrate)
    vault = load_vault(settings)
    content = content or load_content(settings.content_dir)
    policy = Policy.from_settings(
        settings.escalation_ack_timeout_seconds, settings.excerpt_retention_days
    )
    service = Service(engine, content, vault, clock, policy)
    bot = None
    if settings.telegram_bot_token is not None:
        from bot.telegram import make_bot

        bot = make_bot(
            settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url
        )
    return App(settings, engine, vault, content, service, clock, bot)
