"""Real processes against the fake providers: `serve` end to end, `worker` killed and restarted.

The fakes run in this test process on 127.0.0.1; the bot runs as `python -m bot ...` with
only environment variables pointing at them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import update
from sqlmodel import col, select

from bot.app import App, build_app
from bot.channels.polling import run_polling
from bot.channels.telegram import make_bot
from bot.store import make_engine, unit_of_work
from bot.store.contacts import ContactBook
from bot.store.models import Outbox, OutboxStatus
from bot.store.outbox import PRIORITY_BROADCAST, queue_message
from flows.engine import Content
from flows.types import Outbound
from tests.conftest import make_settings
from tests.fakes import (
    FakeTelegram,
    FakeTwilio,
    make_message_update,
    make_whatsapp_inbound,
    sign_twilio_request,
)


def _can_bind() -> bool:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _can_bind(), reason="cannot bind 127.0.0.1 ports")

ROOT = Path(__file__).resolve().parents[1]
SECRET = "process-secret-91"
FROM = "whatsapp:+14155238886"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], T], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def bot_env(
    database_url: str, data_key: str, telegram: FakeTelegram, twilio: FakeTwilio, **extra: str
) -> dict[str, str]:
    prefixes = ("TELEGRAM_", "TWILIO_", "WHATSAPP_", "DATABASE_URL", "DATA_KEY", "PUBLIC_BASE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        PTB_TIMEDELTA="true",
        DATABASE_URL=database_url,
        DATA_KEY=data_key,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TWILIO_ACCOUNT_SID=twilio.account_sid,
        TWILIO_AUTH_TOKEN=twilio.auth_token,
        TWILIO_WHATSAPP_FROM=FROM,
        TWILIO_API_BASE_URL=twilio.url,
        METRICS_TOKEN="metrics-token-5b1c",
    )
    env.update(extra)
    return env


class BotProcess:
    """`python -m bot ARGS` with output to a log file; stopped (or killed) by the test."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, name: str) -> None:
        self.log_path = cwd / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def assert_alive(self) -> None:
        assert self.proc.poll() is None, f"process exited:\n{self.log()[-3000:]}"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        return self.proc.returncode


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for process in started:
        if process.proc.poll() is None:
            process.stop()


# -- serve ----------------------------------------------------------------------------------


def test_serve_end_to_end(
    tmp_path: Path,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
    processes: list[BotProcess],
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rate = 4.0
    database_url = f"sqlite:///{tmp_path / 'serve.db'}"
    engine = make_engine(database_url)

    def queue_empty() -> bool:
        server.assert_alive()
        with unit_of_work(engine) as db:
            waiting = (OutboxStatus.PENDING, OutboxStatus.SENDING)
            return not db.exec(select(Outbox).where(col(Outbox.status).in_(waiting))).first()

    env = bot_env(
        database_url,
        Fernet.generate_key().decode(),
        fake_telegram,
        fake_twilio,
        PUBLIC_BASE_URL=base,
        TELEGRAM_RATE_PER_SECOND=str(rate),
    )
    server = BotProcess(["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path, "s")
    processes.append(server)
    with httpx.Client(base_url=base, timeout=10) as http:

        def healthy() -> bool:
            server.assert_alive()
            try:
                return http.get("/healthz").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, 30, "serve to answer /healthz")

        def telegram(update: dict[str, Any], secret: str = SECRET) -> httpx.Response:
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            return http.post("/telegram/webhook", json=update, headers=headers)

        def whatsapp(form: dict[str, str], token: str = fake_twilio.auth_token) -> httpx.Response:
            signature = sign_twilio_request(token, base + "/whatsapp/webhook", form)
            return http.post(
                "/whatsapp/webhook", data=form, headers={"X-Twilio-Signature": signature}
            )

        # A Telegram update and a signed WhatsApp message are answered through the providers.
        update = make_message_update(1, 91001, "hola")
        assert telegram(update).json() == {"ok": True, "duplicate": False}
        number = "+51987009001"
        form = make_whatsapp_inbound("hola", from_=number)
        assert whatsapp(form).status_code == 200
        wait_until(lambda: fake_telegram.sent_to(91001), 15, "the Telegram answer")
        wait_until(lambda: fake_twilio.sent_to(number), 15, "the WhatsApp answer")
        assert fake_twilio.sent_to(number)[0].from_ == FROM
        assert fake_twilio.sent_to(number)[0].status_callback == base + "/whatsapp/status"

        # Forged ones are refused and never answered.
        assert telegram(make_message_update(2, 91002, "hola"), secret="wrong").status_code == 403
        forged = make_whatsapp_inbound("hola", from_="+51987009002")
        assert whatsapp(forged, token="not-the-token").status_code == 403

        # Redeliveries are acknowledged, not answered again.
        wait_until(queue_empty, 20, "the first answers to be sent")
        telegram_answers = len(fake_telegram.sent_to(91001))
        whatsapp_answers = len(fake_twilio.sent_to(number))
        assert telegram(update).json() == {"ok": True, "duplicate": True}
        assert whatsapp(form).status_code == 200

        # Malformed and oversized bodies.
        bad = http.post(
            "/telegram/webhook",
            content=b"{nope",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"},
        )
        assert bad.status_code == 400
        big = make_message_update(3, 91003, "x" * 70_000)
        assert telegram(big).status_code == 413
        signed_garbage = {"Body": "hola"}
        assert whatsapp(signed_garbage).status_code == 400

        # Still alive; a burst from many chats goes out at the configured rate.
        chats = [91100 + i for i in range(8)]
        for i, chat in enumerate(chats):
            assert telegram(make_message_update(100 + i, chat, "hola")).status_code == 200
        wait_until(lambda: all(fake_telegram.sent_to(c) for c in chats), 20, "burst answers")
        wait_until(queue_empty, 20, "the queue to drain")
        assert len(fake_telegram.sent_to(91001)) == telegram_answers
        assert len(fake_twilio.sent_to(number)) == whatsapp_answers
        assert not fake_telegram.sent_to(91002) and not fake_twilio.sent_to("+51987009002")
        burst = [c for c in fake_telegram.calls_of("sendMessage") if c.chat_id in chats]
        assert burst[-1].at - burst[0].at >= (len(burst) - rate) / rate * 0.9

        metrics = http.get("/metrics", headers={"Authorization": "Bearer metrics-token-5b1c"}).text
        assert 'defensoras_inbound_total{channel="telegram",outcome="duplicate"} 1.0' in metrics
        assert 'defensoras_inbound_total{channel="whatsapp",outcome="refused"} 1.0' in metrics
        assert "defensoras_outbound_total" in metrics
        server.assert_alive()
    assert server.stop() == 0
    engine.dispose()
    log = server.log()
    assert number not in log and "9009001" not in log and "91001" not in log


# -- worker killed mid-queue ---------------------------------------------------------------


def _queue_broadcast(database_url: str, data_key: str, content: Content, per_channel: int) -> None:
    app = build_app(make_settings(database_url, data_key=data_key), content=content, migrate=True)
    now = app.clock()
    book = ContactBook(app.vault)
    with unit_of_work(app.engine) as db:
        for i in range(per_channel):
            for channel, address in (("telegram", str(92000 + i)), ("whatsapp", f"+519870{i:05d}")):
                contact = book.get_or_create(db, channel, address, now)
                contact.subscribed, contact.last_inbound_at = True, now
                db.flush()
                queue_message(
                    db,
                    contact,
                    Outbound(f"Difusión {channel} n°{i}"),
                    kind="broadcast",
                    priority=PRIORITY_BROADCAST,
                    now=now,
                )
    app.engine.dispose()


def _delivered_texts(telegram: FakeTelegram, twilio: FakeTwilio) -> Counter[str]:
    texts = [c.text or "" for c in telegram.sent if c.method == "sendMessage"]
    texts += [c.body or "" for c in twilio.sent]
    return Counter(texts)


def test_worker_killed_mid_queue_loses_nothing(
    tmp_path: Path,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
    content: Content,
    processes: list[BotProcess],
) -> None:
    per_channel = 25
    database_url = f"sqlite:///{tmp_path / 'worker.db'}"
    data_key = Fernet.generate_key().decode()
    _queue_broadcast(database_url, data_key, content, per_channel)
    expected = {
        f"Difusión {ch} n°{i}" for ch in ("telegram", "whatsapp") for i in range(per_channel)
    }
    fake_telegram.latency = fake_twilio.latency = 0.05  # keep a few requests in flight
    env = bot_env(
        database_url,
        data_key,
        fake_telegram,
        fake_twilio,
        TELEGRAM_RATE_PER_SECOND="8",
        WHATSAPP_RATE_PER_SECOND="8",
    )
    first = BotProcess(["worker"], env, tmp_path, "worker1")
    processes.append(first)
    wait_until(
        lambda: (
            first.assert_alive() or sum(_delivered_texts(fake_telegram, fake_twilio).values()) >= 12
        ),
        30,
        "the first worker to send some of the queue",
    )
    first.kill()
    at_kill = _delivered_texts(fake_telegram, fake_twilio)
    assert sum(at_kill.values()) < len(expected), "killed too late to test anything"

    app = build_app(make_settings(database_url, data_key=data_key), content=content)
    with unit_of_work(app.engine) as db:
        in_flight = {r.text for r in db.exec(select(Outbox)).all() if r.status == "sending"}
        # The restart comes after the claim lease (what a real outage of a minute does).
        db.execute(
            update(Outbox)
            .where(col(Outbox.status) == OutboxStatus.SENDING)
            .values(claimed_at=app.clock() - timedelta(minutes=10))
        )

    def all_sent() -> bool:
        second.assert_alive()
        with unit_of_work(app.engine) as db:
            statuses = {r.status for r in db.exec(select(Outbox)).all()}
        return statuses == {OutboxStatus.SENT}

    second = BotProcess(["worker"], env, tmp_path, "worker2")
    processes.append(second)
    try:
        wait_until(all_sent, 30, "the restarted worker to finish the queue")
    finally:
        second.stop()
        app.engine.dispose()
    delivered = _delivered_texts(fake_telegram, fake_twilio)
    assert set(delivered) == expected  # nothing lost
    duplicates = {text: n - 1 for text, n in delivered.items() if n > 1}
    assert set(duplicates) <= in_flight  # only what was in flight may go twice ...
    assert all(n == 1 for n in duplicates.values())  # ... and at most once more
    assert sum(duplicates.values()) <= len(in_flight)


# -- telegram poll / set-webhook --------------------------------------------------------------


async def test_telegram_poll_answers_through_get_updates(
    sqlite_app: App, fake_telegram: FakeTelegram
) -> None:
    first = fake_telegram.queue_update(
        make_message_update(fake_telegram.next_update_id(), 93001, "hola")
    )
    fake_telegram.queue_update(first)  # Telegram may hand an update out again: processed once
    sqlite_app.telegram_bot = make_bot(fake_telegram.token, fake_telegram.base_url)
    await run_polling(sqlite_app, limit_seconds=1.5)
    assert fake_telegram.calls_of("deleteWebhook")
    answers = fake_telegram.sent_to(93001)
    assert answers
    with unit_of_work(sqlite_app.engine) as db:
        assert {r.status for r in db.exec(select(Outbox)).all()} == {OutboxStatus.SENT}
        assert len(db.exec(select(Outbox)).all()) == len(answers)


def test_telegram_set_webhook_registers_the_secret(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    env = bot_env(
        f"sqlite:///{tmp_path / 'hook.db'}",
        Fernet.generate_key().decode(),
        fake_telegram,
        fake_twilio,
        PUBLIC_BASE_URL="https://bot.example.org/",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "telegram", "set-webhook"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    hook = fake_telegram.webhook
    assert hook["url"] == "https://bot.example.org/telegram/webhook"
    assert hook["secret_token"] == SECRET
    assert set(hook["allowed_updates"]) == {"message", "callback_query"}  # edits: no new turn
    assert fake_telegram.token not in result.stdout + result.stderr
