"""The one composition root: serve, worker, console, CLI and tests all build the app here."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from sqlalchemy import Engine
from telegram import Bot

from bot.casebook import Policy
from bot.channels.envelope import Sender
from bot.channels.telegram import TelegramSender, make_bot
from bot.clock import Clock, system_clock
from bot.content import load_content
from bot.dispatcher import Dispatcher
from bot.privacy import Vault, load_vault
from bot.service import Service
from bot.settings import Settings
from bot.store.engine import ensure_schema, make_engine
from flows.engine import Content


@dataclass
class App:
    settings: Settings
    engine: Engine
    vault: Vault
    content: Content
    service: Service
    clock: Clock
    telegram_bot: Bot | None = None
    injected_senders: Sequence[Sender] | None = field(default=None, repr=False)
    intake: threading.Event | None = field(default=None, repr=False)
    """While this process's intake runs the turns of queued messages (`serve`): set to wake
    it, from any thread."""

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

    def hand_in(self) -> None:
        """A message was just queued here: wake this process's intake, if it runs (safe from
        any thread: a webhook's wakes it from the thread that stored the message)."""
        if self.intake is not None:
            self.intake.set()

    def hand_over(self) -> None:
        """Outbox rows were just committed here: wake this process's dispatcher, if it runs."""
        dispatcher = self.__dict__.get("dispatcher")  # the cached property, once built
        if isinstance(dispatcher, Dispatcher):
            dispatcher.wake()

    @cached_property
    def dispatcher(self) -> Dispatcher:
        """The outbox dispatcher over the injected senders, else one per configured channel."""
        senders = self.injected_senders
        if senders is None:
            senders = build_senders(self.settings, self.telegram_bot)
        return Dispatcher(
            self.engine,
            self.vault,
            senders,
            self.clock,
            per_chat_rate=self.settings.telegram_per_chat_per_second,
            templates=self.templates(),
            lease=timedelta(seconds=self.settings.outbox_lease_seconds),
        )


def build_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    senders: Sequence[Sender] | None = None,
    clock: Clock | None = None,
    content: Content | None = None,
    migrate: bool | None = None,
) -> App:
    """Open the store (migrating the embedded default), load content, wire the service.

    Every port may be injected: `engine`, `senders` (else built from the settings when the
    dispatcher is first used), `clock`, `content`. `migrate` defaults to SQLite only.
    """
    clock = clock or system_clock
    own_engine = engine is None
    engine = engine or make_engine(settings.database_url, settings.sqlite_lock_wait_seconds)
    try:
        ensure_schema(engine, migrate=settings.is_sqlite if migrate is None else migrate)
        vault = load_vault(settings, engine)
    except Exception:
        if own_engine:  # refused to start: leave no connection behind
            engine.dispose()
        raise
    content = content or load_content(settings.content_dir)
    policy = Policy.from_settings(
        settings.escalation_ack_timeout_seconds, settings.excerpt_retention_days
    )
    service = Service(engine, content, vault, clock, policy)
    bot = None
    if settings.telegram_bot_token is not None:
        bot = make_bot(
            settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url
        )
    return App(settings, engine, vault, content, service, clock, bot, senders)


def build_senders(settings: Settings, telegram_bot: Bot | None) -> list[Sender]:
    """One sender per configured channel; a channel without credentials keeps its rows queued."""
    s = settings
    senders: list[Sender] = []
    if telegram_bot is not None:
        senders.append(TelegramSender(telegram_bot, s.telegram_rate_per_second))
    if s.twilio_account_sid and s.twilio_auth_token and s.twilio_whatsapp_from:
        # Deferred: the twilio package is slow to import and only needed when configured.
        from bot.channels.whatsapp import WhatsAppSender, make_client

        client = make_client(
            s.twilio_account_sid, s.twilio_auth_token.get_secret_value(), s.twilio_api_base_url
        )
        callback = f"{s.public_base_url.rstrip('/')}/whatsapp/status" if s.public_base_url else None
        senders.append(
            WhatsAppSender(client, s.twilio_whatsapp_from, s.whatsapp_rate_per_second, callback)
        )
    return senders
