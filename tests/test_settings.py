"""Settings: documented in .env.example, read env > .env > defaults, secrets never printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DESIGN_CONTRACT = {
    "DATABASE_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_API_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_WHATSAPP_FROM",
    "TWILIO_API_BASE_URL",
    "PUBLIC_BASE_URL",
    "ESCALATION_ACK_TIMEOUT_SECONDS",
    "TELEGRAM_RATE_PER_SECOND",
    "WHATSAPP_RATE_PER_SECOND",
}


def example_keys() -> dict[str, str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.M))


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    documented = set(example_keys())
    fields = {name.upper() for name in Settings.model_fields}
    assert documented == fields
    assert documented >= DESIGN_CONTRACT


def test_env_example_values_are_valid_settings(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite:///defensoras.db"
    assert settings.data_key is None  # `DATA_KEY=` means unset, not an empty key
    assert settings.escalation_ack_timeout_seconds is None
    assert settings.telegram_rate_per_second == 30
    assert settings.whatsapp_rate_per_second == 10


def test_environment_beats_dotenv_beats_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / ".env"
    env.write_text("WHATSAPP_RATE_PER_SECOND=5\nTELEGRAM_RATE_PER_SECOND=20\n", encoding="utf-8")
    monkeypatch.setenv("TELEGRAM_RATE_PER_SECOND", "12")
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.telegram_rate_per_second == 12
    assert settings.whatsapp_rate_per_second == 5
    assert settings.public_base_url is None


def test_secrets_are_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:supersecret")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "twiliosecret")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "supersecret" not in shown and "twiliosecret" not in shown
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:supersecret"


def test_bad_rate_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_RATE_PER_SECOND", "0")
    with pytest.raises(ValueError, match="whatsapp_rate_per_second"):
        Settings(_env_file=None)  # type: ignore[call-arg]
