"""Typed settings, read once: environment first, then `.env`, then defaults."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///defensoras.db"
log = logging.getLogger("bot.settings")


class Settings(BaseSettings):
    """Every knob of the bot. Names match the environment variables (upper case)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    data_key: SecretStr | None = None
    data_key_file: Path = Path("defensoras.key")
    content_dir: Path | None = None

    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_rate_per_second: float = Field(default=30.0, gt=0)
    telegram_per_chat_per_second: float = Field(default=1.0, gt=0)

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_whatsapp_from: str | None = None
    twilio_api_base_url: str = "https://api.twilio.com"
    whatsapp_rate_per_second: float = Field(default=10.0, gt=0)
    whatsapp_template_reply_sid: str | None = None
    whatsapp_template_reminder_sid: str | None = None
    whatsapp_template_alert_sid: str | None = None

    public_base_url: str | None = None
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    metrics_token: SecretStr | None = None
    sqlite_lock_wait_seconds: float = Field(default=5.0, gt=0)
    outbox_lease_seconds: int = Field(default=60, gt=0)

    escalation_ack_timeout_seconds: int | None = Field(default=None, gt=0)
    excerpt_retention_days: int = Field(default=30, gt=0)

    log_format: str = "text"
    log_level: str = "INFO"

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_default(cls, value: object, info: ValidationInfo) -> object:
        """`KEY=` in .env (as in .env.example) means "not set", not an empty string."""
        if value == "" and info.field_name is not None:
            return cls.model_fields[info.field_name].default
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def channel_problems(self) -> dict[str, str]:
        """Per channel: 'off' (not configured), 'ok', or what is missing and what it breaks."""
        return {
            "telegram": _missing(
                {"TELEGRAM_BOT_TOKEN": self.telegram_bot_token},
                {"TELEGRAM_WEBHOOK_SECRET": self.telegram_webhook_secret},
            ),
            "whatsapp": _missing(
                {
                    "TWILIO_ACCOUNT_SID": self.twilio_account_sid,
                    "TWILIO_WHATSAPP_FROM": self.twilio_whatsapp_from,
                },
                {"TWILIO_AUTH_TOKEN": self.twilio_auth_token},
            ),
        }


def warn_misconfigured(settings: Settings) -> dict[str, str]:
    """Each channel's state, said out loud at start-up (serve, worker) when a channel refuses
    every webhook or cannot reply: otherwise the only sign is silence."""
    problems = settings.channel_problems()
    for channel, problem in problems.items():
        if problem not in {"ok", "off"}:
            log.warning("CHANNEL %s MISCONFIGURED: %s", channel.upper(), problem)
    if set(problems.values()) == {"off"}:
        log.warning("no channel configured: set TELEGRAM_* or TWILIO_* (see .env.example)")
    return problems


def _missing(to_send: dict[str, object], to_receive: dict[str, object]) -> str:
    given = [value is not None for value in (*to_send.values(), *to_receive.values())]
    if not any(given):
        return "off"
    problems = []
    unset = [name for name, value in to_receive.items() if value is None]
    if unset:
        problems.append(f"{', '.join(unset)} not set: every webhook is refused")
    unset = [name for name, value in to_send.items() if value is None]
    if unset:
        problems.append(f"{', '.join(unset)} not set: replies cannot be sent")
    return "; ".join(problems) or "ok"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use (never at import)."""
    return Settings()
