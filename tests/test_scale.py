"""Scale-out on PostgreSQL: 2 web processes, 2 workers, one killed; nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from tests.conftest import _postgres_database, postgres_reason
from tests.fakes import FakeTelegram, FakeTwilio, make_whatsapp_inbound, sign_twilio_request

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = "https://bot.example.org"
SECRET = "s3cret-webhook-token"
PEOPLE = 400  # 200 on Telegram, 200 on WhatsApp; each writes twice; 60 redeliveries
pytestmark = pytest.mark.skipif(postgres_reason() is not None, reason=str(postgres_reason()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _postgres_database()


def environment(pg_url: str, telegram: FakeTelegram, twilio: FakeTwilio) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))}
    env.update(
        DATABASE_URL=pg_url,
        DATA_KEY=Fernet.generate_key().decode(),
        PYTHONPATH=str(ROOT),
        PTB_TIMEDELTA="true",
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_RATE_PER_SECOND="300",
        TWILIO_ACCOUNT_SID=twilio.account_sid,
        TWILIO_AUTH_TOKEN=twilio.auth_token,
        TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
        TWILIO_API_BASE_URL=twilio.url,
        WHATSAPP_RATE_PER_SECOND="300",
        PUBLIC_BASE_URL=PUBLIC,
        OUTBOX_LEASE_SECONDS="3",
        LOG_LEVEL="WARNING",
    )
    return env


def start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    with (cwd / f"{args[0]}-{time.monotonic_ns()}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, stdout=log, stderr=log
        )


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to those still running, then a kill for any that does not end in 10 s."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_healthy(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"web process on {port} never became healthy")


def count(pg_url: str, sql: str) -> int:
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value)


def outbox_left(pg_url: str) -> int:
    return count(pg_url, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")


def inbound_left(pg_url: str) -> int:
    return count(pg_url, "SELECT count(*) FROM inbound_receipt WHERE status = 'pending'")


def test_two_webs_two_workers_one_killed(
    pg_url: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    env = environment(pg_url, fake_telegram, fake_twilio)
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=tmp_path, check=True
    )
    ports = [free_port(), free_port()]
    procs = [start(["serve", "--no-worker", "--port", str(p)], env, tmp_path) for p in ports]
    workers = [start(["worker"], env, tmp_path) for _ in range(2)]
    procs += workers
    try:
        deadline = time.monotonic() + 60
        for port in ports:
            wait_healthy(port, deadline)
        posts = []
        for i in range(PEOPLE // 2):
            for j, word in enumerate(("ALTA", "hola")):
                update = {
                    "update_id": 10_000 + i * 2 + j,
                    "message": {
                        "message_id": i * 2 + j + 1,
                        "date": 1_700_000_000,
                        "chat": {"id": 900_000 + i, "type": "private"},
                        "from": {"id": 900_000 + i, "is_bot": False, "first_name": "A"},
                        "text": word,
                    },
                }
                posts.append(("telegram", update))
                form = make_whatsapp_inbound(
                    word, from_=f"whatsapp:+5199{i:07d}", message_sid=f"SM{i:06d}{j}{'0' * 24}"
                )
                posts.append(("whatsapp", form))
        posts += posts[:60]  # redeliveries, to the other web process

        def post(index_item: tuple[int, tuple[str, dict[str, object]]]) -> int:
            index, (kind, body) = index_item
            port = ports[index % 2]
            if kind == "telegram":
                response = httpx.post(
                    f"http://127.0.0.1:{port}/telegram/webhook",
                    json=body,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                    timeout=30,
                )
            else:
                form = {k: str(v) for k, v in body.items()}
                signature = sign_twilio_request(
                    fake_twilio.auth_token, f"{PUBLIC}/whatsapp/webhook", form
                )
                response = httpx.post(
                    f"http://127.0.0.1:{port}/whatsapp/webhook",
                    data=form,
                    headers={"X-Twilio-Signature": signature},
                    timeout=30,
                )
            return response.status_code

        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(post, enumerate(posts)))
            time.sleep(0.5)
            workers[0].send_signal(signal.SIGKILL)  # one worker dies mid-flight
        assert Counter(statuses) == Counter({200: len(posts)})
        print(f"posted {len(posts)} webhooks in {time.monotonic() - began:.1f}s")

        deadline = time.monotonic() + 120
        while inbound_left(pg_url) and time.monotonic() < deadline:
            time.sleep(0.5)  # the surviving worker runs the turns the web processes queued
        assert inbound_left(pg_url) == 0
        command = [sys.executable, "-m", "bot", "broadcast", "send", "Mañana nuevo programa 📻"]
        command += ["--key", "b1", "--no-wait"]
        broadcast = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)
        assert broadcast.returncode == 0 and f"{PEOPLE} mensajes" in broadcast.stdout
        again = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)
        assert again.returncode == 2  # the same key never doubles a broadcast

        deadline = time.monotonic() + 120
        while outbox_left(pg_url) and time.monotonic() < deadline:
            time.sleep(0.5)
        print(f"outbox drained at {time.monotonic() - began:.1f}s")
        assert outbox_left(pg_url) == 0, [p.read_text()[-2000:] for p in tmp_path.glob("*.log")]
    finally:
        stop(procs)

    telegram = Counter(
        (str(c.chat_id), c.text) for c in fake_telegram.sent if c.method == "sendMessage"
    )
    whatsapp = Counter((c.to, c.body) for c in fake_twilio.sent)
    per_person = Counter(chat for chat, _ in telegram) + Counter(to for to, _ in whatsapp)
    assert len(per_person) == PEOPLE  # nobody lost
    # Each person: ALTA confirmation (1) + hola (welcome with its menu, one message) + the
    # broadcast (1).
    doubled = {who: n for who, n in per_person.items() if n != 3}
    lost = {who: n for who, n in doubled.items() if n < 3}
    assert not lost
    # A SIGKILL between the provider's answer and the database commit can resend what was in
    # flight in that worker (at most one batch per channel); everything else is exactly once.
    resent = sum(n - 3 for n in doubled.values())
    print(f"re-sent after the SIGKILL: {resent} of {sum(per_person.values())} messages")
    assert resent <= 100
    reminders = [c for c in telegram.elements() if c[1] == "Mañana nuevo programa 📻"]
    assert len(reminders) >= PEOPLE // 2
