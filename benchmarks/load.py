"""Load, processes and timing shared by ``benchmarks.turns``: Telegram webhooks from new chats,
timed until each chat's first reply reaches the local fake Bot API."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response
from sqlalchemy import text

from benchmarks.inbound import free_port
from bot.store import make_engine
from tests.fakes import FakeTelegram, make_message_update

ROOT = Path(__file__).resolve().parents[1]
SECRET = secrets.token_hex(16)
BROADCAST_CAP = 300.0
TEXTS = (  # one new chat each; ten in a cycle: 3 greetings, 2 districts, 2 CEM, 2 episode, 1 risk
    "hola",
    "vivo en san juan de lurigancho",
    "donde queda el cem mas cercano a los olivos",
    "Hola buenas tardes",
    "cuando es el proximo programa",
    "comas",
    "mi pareja me pego anoche y tengo miedo de volver a la casa",
    "necesito un cem en ate, a que hora atienden",
    "buenas noches",
    "a que hora pasan el parlante en el mercado",
)


@dataclass
class Run:
    """One load: when each chat's POST started, its first reply arrived, and the span."""

    sent: dict[int, float]
    replied: dict[int, float]
    errors: int
    seconds: float
    refused: dict[int, str] = field(default_factory=dict)
    """Chats whose POST was not answered 200: the HTTP status, or the connection's error
    (such a message may never have been stored; Telegram would deliver it again)."""

    def missing(self) -> list[int]:
        """The chats whose first reply never came (a failed POST included)."""
        return sorted(c for c in self.sent if c not in self.replied)

    def latencies(self) -> list[float]:
        return sorted(self.replied[c] - t for c, t in self.sent.items() if c in self.replied)

    def percentile(self, p: float) -> float:
        values = self.latencies()
        if not values:
            return float("nan")
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000


def update(update_id: int, chat_id: int) -> bytes:
    body = make_message_update(update_id, chat_id, TEXTS[update_id % len(TEXTS)])
    return json.dumps(body).encode()


# -- the bare floor ------------------------------------------------------------------------


def make_floor_app() -> FastAPI:
    """uvicorn --factory target: one raw INSERT per webhook into FLOOR_DATABASE_URL."""
    engine = make_engine(os.environ["FLOOR_DATABASE_URL"])
    key = "SERIAL PRIMARY KEY" if engine.dialect.name == "postgresql" else "INTEGER PRIMARY KEY"
    with engine.begin() as connection:
        connection.execute(
            text(f"CREATE TABLE IF NOT EXISTS bench_floor (id {key}, uid BIGINT, body TEXT)")
        )
    app = FastAPI()

    def insert(uid: int, body: str) -> None:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO bench_floor (uid, body) VALUES (:uid, :body)"),
                {"uid": uid, "body": body},
            )

    @app.post("/telegram/webhook")
    async def hook(request: Request) -> Response:
        body = await request.body()
        await asyncio.to_thread(insert, int(json.loads(body)["update_id"]), body.decode())
        return Response(status_code=200)

    return app


# -- load ----------------------------------------------------------------------------------


class Connection:
    """A bare HTTP/1.1 keep-alive client: prebuilt requests, so the load costs little CPU
    beside the servers it measures (httpx spent more per request than the bare floor)."""

    def __init__(self, base: str) -> None:
        self.host, port = base.removeprefix("http://").split(":")
        self.port = int(port)
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, body: bytes) -> str | None:
        """None when answered 200; else the status or the connection's error.

        A kept-alive connection the server closed while idle (uvicorn does after 5 s) fails
        before any answer: posted again once on a new connection, as HTTP clients and the
        providers do, instead of counting a webhook that never reached the server as lost."""
        reused = self.streams is not None
        error = await self._post(body)
        if reused and error in ("IndexError", "IncompleteReadError", "ConnectionResetError"):
            error = await self._post(body)
        return error

    async def _post(self, body: bytes) -> str | None:
        head = (
            f"POST /telegram/webhook HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nX-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        try:
            if self.streams is None:
                self.streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self.streams
            writer.write(head.encode() + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            return None if status == 200 else f"HTTP {status}"
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            self.close()  # IndexError: the server closed the connection before answering
            return type(exc).__name__

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def burst(bases: list[str], chats: range, clients: int) -> Run:
    """`clients` concurrent clients post one webhook per chat as fast as answered."""
    bodies = {chat: update(chat, chat) for chat in chats}
    pending = list(reversed(chats))
    sent: dict[int, float] = {}
    refused: dict[int, str] = {}

    async def client(i: int) -> None:
        connection = Connection(bases[i % len(bases)])
        while pending:
            chat = pending.pop()
            sent[chat] = time.monotonic()
            if (error := await connection.post(bodies[chat])) is not None:
                refused[chat] = error
        connection.close()

    started = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return Run(sent, {}, len(refused), time.monotonic() - started, refused)


async def paced(bases: list[str], chats: range, rate: float) -> Run:
    """Open loop: webhook i leaves at start + i/rate whatever the earlier ones are doing."""
    bodies = {chat: update(chat, chat) for chat in chats}
    idle: dict[str, list[Connection]] = {base: [] for base in bases}
    sent: dict[int, float] = {}
    refused: dict[int, str] = {}

    async def one(i: int, chat: int) -> None:
        await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        base = bases[i % len(bases)]
        connection = idle[base].pop() if idle[base] else Connection(base)
        sent[chat] = time.monotonic()
        if (error := await connection.post(bodies[chat])) is not None:
            refused[chat] = error
        idle[base].append(connection)

    started = time.monotonic()
    await asyncio.gather(*(one(i, chat) for i, chat in enumerate(chats)))
    for connection in (c for pool in idle.values() for c in pool):
        connection.close()
    return Run(sent, {}, len(refused), time.monotonic() - started, refused)


def first_replies(telegram: FakeTelegram, run: Run, timeout: float) -> Run:
    """Wait until every chat of `run` got a reply at the fake; fill in when the first came."""
    deadline = time.monotonic() + timeout
    while True:
        replied: dict[int, float] = {}
        for call in telegram.sent:
            if call.method.lower() == "sendmessage":
                chat = int(call.chat_id)
                if chat in run.sent and chat not in replied:
                    replied[chat] = call.at
        if len(replied) == len(run.sent) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    start = min(run.sent.values(), default=0.0)
    span = max(replied.values(), default=start) - start
    return Run(run.sent, replied, run.errors, span, run.refused)


def rss_mib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in MiB: now and its peak."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


# -- processes -----------------------------------------------------------------------------


@dataclass
class Server:
    base: str
    proc: subprocess.Popen[bytes]


@contextmanager
def running(argv: list[str], env: dict[str, str], log: Path, port: int | None) -> Iterator[Server]:
    """`python -m <argv>` until the block ends; with a port, ready once it answers HTTP."""
    base = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *argv], env=env, cwd=log.parent, stdout=out, stderr=out
        )
        try:
            deadline = time.monotonic() + 180  # a loaded machine starts slowly
            while port is not None:
                if proc.poll() is not None:
                    raise RuntimeError(f"{argv[:3]} exited:\n{log.read_text()[-2000:]}")
                try:  # any answer means it is up (the floor has no /healthz: 404)
                    httpx.get(base + "/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("server did not start within 180 s") from None
                    time.sleep(0.1)
            yield Server(base, proc)
        finally:
            proc.send_signal(signal.SIGINT)  # uvicorn and the worker stop cleanly
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def serve(env: dict[str, str], log: Path, *, worker: bool = True) -> AbstractContextManager[Server]:
    port = free_port()
    argv = ["bot", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return running(argv + ([] if worker else ["--no-worker"]), env, log, port)


def floor(env: dict[str, str], log: Path) -> AbstractContextManager[Server]:
    port = free_port()
    argv = ["uvicorn", "--factory", "benchmarks.load:make_floor_app", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    return running(argv, {**env, "FLOOR_DATABASE_URL": env["DATABASE_URL"]}, log, port)


def environment(database_url: str, telegram: FakeTelegram, rate: float) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "TWILIO_", "WHATSAPP_", "DATABASE_URL", "DATA_KEY"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        PTB_TIMEDELTA="true",
        LOG_LEVEL="WARNING",
        DATABASE_URL=database_url,
        DATA_KEY=Fernet.generate_key().decode(),
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_RATE_PER_SECOND=str(rate),
    )
    return env


# -- a chat without a reply: where its rows stopped ----------------------------------------


DETAILED = 20
"""Chats without a reply whose rows are printed one by one."""


def row_states(database_url: str, run: Run) -> list[str]:
    """For each chat of a run that got no reply, the state of its inbound receipt and its
    outbox rows (ids, statuses, attempts, times, errors; never an address or a text), read
    while the servers still run, so the next miss shows where the message stopped."""
    chats = run.missing()
    if not chats:
        return []
    engine = make_engine(database_url)
    lines: list[str] = []
    receipt = text(
        "SELECT id, status, attempts, contact_id, received_at, payload IS NULL AS erased"
        " FROM inbound_receipt WHERE channel = 'telegram' AND external_id = :external"
    )
    rows = text(
        "SELECT id, kind, status, attempts, next_attempt_at, claimed_at, sent_at, error,"
        " provider_id IS NOT NULL AS has_provider_id FROM outbox WHERE contact_id = :contact"
        " ORDER BY id"
    )
    try:
        with engine.connect() as connection:
            now = connection.execute(text("SELECT CURRENT_TIMESTAMP")).scalar()
            lines.append(f"database time {now}")
            if len(chats) > DETAILED:
                lines.append(f"{len(chats)} chats without a reply; the first {DETAILED}:")
            for chat in chats[:DETAILED]:  # the benchmark's update id is its chat id
                posted = run.refused.get(chat, "200")
                lines.append(f"update {chat}: POST answered {posted}")
                found = connection.execute(receipt, {"external": str(chat)}).mappings().first()
                if found is None:
                    lines.append("    no inbound receipt: never stored")
                    continue
                lines.append(f"    receipt {dict(found)}")
                if found["contact_id"] is None:
                    continue
                for row in connection.execute(rows, {"contact": found["contact_id"]}).mappings():
                    lines.append(f"    outbox {dict(row)}")
    except Exception as exc:  # a diagnosis must not hide the figures
        lines.append(f"row states unreadable: {type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
    return lines
