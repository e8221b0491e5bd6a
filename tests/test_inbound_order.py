"""PostgreSQL's inbound queue: each chat strictly in order, different chats in parallel (two
processors never queue on one row), with real `worker` processes and in-process ones."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.app import App, build_app
from bot.channels.envelope import Envelope
from bot.privacy import chat_key
from bot.service import HEADS_TOGETHER, Service
from bot.store.contacts import Found
from bot.store.engine import make_engine, upgrade
from flows.engine import Content, step
from flows.session import Session, Turn
from flows.types import Channel, Inbound
from tests.conftest import FakeClock, _postgres_database, make_settings, postgres_reason
from tests.factories import turns_written
from tests.test_scale import stop

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(postgres_reason() is not None, reason=str(postgres_reason()))


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _postgres_database()


@pytest.fixture
def key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def pg_app(pg_url: str, key: str, content: Content) -> Iterator[App]:
    """Accepts messages as a web process does; a clock an hour back, each message 5 s after
    the one before (nobody floods)."""
    clock = FakeClock(datetime.now(UTC) - timedelta(hours=1))
    built = build_app(
        make_settings(pg_url, data_key=key), clock=clock, content=content, migrate=True
    )
    yield built
    built.engine.dispose()


def number(chat: int) -> str:
    return f"whatsapp:+5198{chat:07d}"


def queue(app: App, messages: list[tuple[int, str]]) -> None:
    for chat, said in messages:
        inbound = Inbound(Channel.WHATSAPP, text=said)
        assert app.service.accept(Envelope(inbound, number(chat))) is not None
        app.clock.advance(seconds=5)  # type: ignore[attr-defined]


class Recorder:
    """A core that notes which chat's message it runs, when, and how many run at once."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.lock = threading.Lock()
        self.running: Counter[str] = Counter()
        self.seen: dict[str, list[str]] = defaultdict(list)
        self.order: list[str] = []
        self.most = 0
        self.same_chat_at_once = 0
        self.by_thread: Counter[str] = Counter()

    def __call__(self, session: Session, inbound: Inbound, content: Content, now: datetime) -> Turn:
        chat = inbound.text.split(":")[0]
        with self.lock:
            self.running[chat] += 1
            self.same_chat_at_once += self.running[chat] > 1
            self.most = max(self.most, sum(self.running.values()))
            self.seen[chat].append(inbound.text)
            self.order.append(inbound.text)
            self.by_thread[threading.current_thread().name] += 1
        time.sleep(self.pause)
        with self.lock:
            self.running[chat] -= 1
        return step(session, inbound, content, now)


def jittered(read: Callable[..., Found]) -> Callable[..., Found]:
    shuffle = random.Random(17)

    def slow(*args: Any) -> Found:
        time.sleep(shuffle.random() * 0.02)
        return read(*args)

    return slow


def drain(app: App, recorder: Recorder, processors: int = 2) -> None:
    """`processors` services (each its own engine: its own connections) work the queue at once,
    as the workers' `process_pending` rounds do, until it is empty."""
    services = [
        Service(
            make_engine(app.settings.database_url), app.content, app.vault, app.clock, core=recorder
        )
        for _ in range(processors)
    ]
    for service in services:  # slow between the claim and her row: a claim alone must order
        service.contacts.for_turn = jittered(service.contacts.for_turn)  # type: ignore[method-assign]

    def work(service: Service) -> None:
        idle = 0
        while idle < 3:  # a chat's next message frees only once the other commits
            idle = 0 if service.process_pending(50) else idle + 1
            time.sleep(0.01)

    threads = [
        threading.Thread(target=work, args=(s,), name=f"p{i}") for i, s in enumerate(services)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for service in services:
        service.engine.dispose()
    assert not any(thread.is_alive() for thread in threads)


def pending(app: App) -> int:
    with app.engine.connect() as connection:
        sql = "SELECT count(*) FROM inbound_receipt WHERE status = 'pending'"
        return int(connection.execute(text(sql)).scalar_one())


def test_each_chat_runs_in_order_even_with_two_processors(pg_app: App) -> None:
    chats, each = 8, 12  # each chat's messages in a row: the two oldest are one chat's
    messages = [(chat, f"c{chat}:{n} hola") for chat in range(chats) for n in range(each)]
    queue(pg_app, messages)
    recorder = Recorder(pause=0.002)
    drain(pg_app, recorder)
    assert pending(pg_app) == 0
    for chat in range(chats):
        assert recorder.seen[f"c{chat}"] == [said for c, said in messages if c == chat]
    assert recorder.same_chat_at_once == 0  # one turn of a chat at a time
    assert len(recorder.by_thread) == 2, recorder.by_thread  # and both took part


def test_two_processors_run_different_chats_at_the_same_time(pg_app: App) -> None:
    """Before the per-chat claim both processors queued on one row: never two turns at once."""
    messages = [(chat, f"c{chat}:hola") for chat in range(40)]
    queue(pg_app, messages)
    recorder = Recorder(pause=0.05)
    began = time.monotonic()
    drain(pg_app, recorder)
    took = time.monotonic() - began
    assert pending(pg_app) == 0
    assert sum(len(seen) for seen in recorder.seen.values()) == 40  # each exactly once
    assert recorder.most == 2, f"never two turns at once ({took:.1f} s)"
    assert min(recorder.by_thread.values()) >= 10, recorder.by_thread


def test_a_message_queued_before_the_chat_key_keeps_the_global_order(
    pg_app: App, content: Content
) -> None:
    """Migration 0007 cannot read a still-queued message's chat (it is encrypted): such a row
    runs before every later message, and a later one of any chat waits for it."""
    queue(pg_app, [(1, "c1:old"), (2, "c2:old")])
    with pg_app.engine.begin() as connection:
        connection.execute(text("UPDATE inbound_receipt SET chat_key = NULL"))
    queue(pg_app, [(3, "c3:new"), (1, "c1:new")])
    recorder = Recorder(pause=0.0)
    service = Service(pg_app.engine, content, pg_app.vault, pg_app.clock, core=recorder)
    held = pg_app.engine.connect()  # another processor holds the first old message
    held.begin()
    held.execute(text("SELECT id FROM inbound_receipt ORDER BY id LIMIT 1 FOR UPDATE"))
    assert service.process_pending() == 0  # c2:old waits for it, and every new one for both
    held.rollback()
    held.close()
    assert service.process_pending() == 4
    assert recorder.order == ["c1:old", "c2:old", "c3:new", "c1:new"]


def test_migration_0007_keys_the_receipts_it_can(pg_url: str, key: str, content: Content) -> None:
    engine = make_engine(pg_url)
    upgrade(engine, "0006_contact_language")
    digest = "ab12" * 16
    with engine.begin() as connection:
        contact = connection.execute(
            text(
                "INSERT INTO contact (channel, address_hash, address_enc, pseudonym, session,"
                " language, created_at, unreachable, subscribed) VALUES ('whatsapp', :digest,"
                " 'x', 'C-AB12', '{}', 'es', :now, false, false) RETURNING id"
            ),
            {"digest": digest, "now": datetime.now(UTC)},
        ).scalar_one()
        for external, who, status in (("a", contact, "done"), ("b", None, "pending")):
            connection.execute(
                text(
                    "INSERT INTO inbound_receipt (channel, external_id, contact_id, received_at,"
                    " status, attempts) VALUES ('whatsapp', :external, :who, :now, :status, 0)"
                ),
                {"external": external, "who": who, "now": datetime.now(UTC), "status": status},
            )
    upgrade(engine)
    with engine.connect() as connection:
        keys = connection.execute(
            text("SELECT external_id, chat_key FROM inbound_receipt ORDER BY external_id")
        ).all()
    assert keys == [("a", chat_key(digest)), ("b", None)]
    engine.dispose()


# -- real worker processes ------------------------------------------------------------------


def start_workers(
    procs: list[subprocess.Popen[bytes]], pg_url: str, key: str, workdir: Path, count: int = 2
) -> list[Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))}
    env.update(DATABASE_URL=pg_url, DATA_KEY=key, PYTHONPATH=str(ROOT), LOG_LEVEL="INFO")
    logs = [workdir / f"worker-{i}.log" for i in range(count)]
    for log in logs:
        with log.open("wb") as out:
            argv = [sys.executable, "-m", "bot", "worker"]
            procs.append(subprocess.Popen(argv, env=env, cwd=workdir, stdout=out, stderr=out))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # each says so once its loops run
        if all("no channel is configured" in log.read_text() for log in logs):
            return logs
        time.sleep(0.2)
    raise AssertionError([log.read_text()[-2000:] for log in logs])


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    stop(procs)


def wait_drained(app: App, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while pending(app) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert pending(app) == 0


def turns_in(log: Path) -> int:
    return sum("turn contact=" in line for line in log.read_text().splitlines())


def test_two_worker_processes_keep_each_chat_in_order(
    pg_app: App, key: str, tmp_path: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    """Chats writing many messages, two `worker` processes: every chat's replies were
    written in the order of her messages (a reply row's creation time is her message's).

    Twice as many chats as one claim takes heads of: with fewer, one worker could hold every
    chat's head in each of its claims and, on a fast machine, run all the turns alone (seen in
    CI: 120 and 0), and the test would prove nothing about two processes."""
    logs = start_workers(workers, pg_app.settings.database_url, key, tmp_path)
    chats, each = 2 * HEADS_TOGETHER, 8
    queue(pg_app, [(chat, "hola") for n in range(each) for chat in range(chats)])
    wait_drained(pg_app)
    with pg_app.engine.connect() as connection:
        received = connection.execute(
            text("SELECT contact_id, received_at FROM inbound_receipt ORDER BY id")
        ).all()
        replies = connection.execute(
            text("SELECT contact_id, created_at FROM outbox ORDER BY id")
        ).all()
    assert len({contact for contact, _ in received}) == chats
    for contact in {contact for contact, _ in received}:
        hers = [at for who, at in received if who == contact]
        answered = [at for who, at in replies if who == contact]
        assert len(hers) == each and sorted(set(answered)) == hers  # each one answered
        assert answered == sorted(answered), "a later message of one chat ran first"
    assert all(turns_in(log) for log in logs), [turns_in(log) for log in logs]


def test_two_worker_processes_both_take_turns_of_many_chats(
    pg_app: App, key: str, tmp_path: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    logs = start_workers(workers, pg_app.settings.database_url, key, tmp_path)
    queue(pg_app, [(chat, "hola") for chat in range(300)])
    wait_drained(pg_app)
    ran = [turns_in(log) for log in logs]
    assert sum(ran) == 300 and min(ran) >= 30, ran


# -- a burst of turns: few statements, and one failing turn costs the others nothing --------


def test_a_burst_of_new_chats_costs_few_statements_a_turn(
    pg_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: each chat's turn reads her (created, message erased) in one statement and
    writes her session, the usage row and the replies in one more; the claim, BEGIN and
    COMMIT are shared by up to HEADS_TOGETHER chats' turns."""
    import psycopg

    queue(pg_app, [(chat, "hola") for chat in range(64)])
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counted(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query).split(None, 1)[0].upper())
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    assert pg_app.service.process_pending(64) == 64
    monkeypatch.undo()
    assert len(sent) / 64 <= 2.5, Counter(sent)  # 7 a turn before
    assert turns_written(pg_app) == (64, 64, 64, 64)


def test_one_failing_turn_in_a_batch_costs_the_others_nothing(
    pg_app: App, content: Content
) -> None:
    queue(pg_app, [(chat, f"c{chat}:hola") for chat in range(16)])

    def core(session: Session, inbound: Inbound, content: Content, now: datetime) -> Turn:
        if inbound.text.startswith("c5:"):
            raise RuntimeError("a bug in one turn")
        return step(session, inbound, content, now)

    service = Service(pg_app.engine, content, pg_app.vault, pg_app.clock, core=core)
    assert service.process_pending(50) == 15
    with pg_app.engine.connect() as connection:
        left = connection.execute(
            text(
                "SELECT attempts, payload IS NOT NULL FROM inbound_receipt WHERE status = 'pending'"
            )
        ).all()
        replied = connection.execute(text("SELECT count(DISTINCT contact_id) FROM outbox")).scalar()
    assert left == [(1, True)]  # counted once, kept for its retry
    assert replied == 15
