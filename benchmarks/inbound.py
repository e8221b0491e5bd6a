"""Inbound webhook throughput and latency of `defensoras serve`: ``python -m benchmarks.inbound``.

Starts `defensoras serve` (web + dispatcher + scheduler, as deployed) as a subprocess on SQLite,
and on PostgreSQL when one answers at 127.0.0.1:5432 (user postgres, trust; a throwaway database
is created and dropped), with the local fake Telegram and Twilio servers as providers. A few
concurrent httpx clients post N signed WhatsApp webhooks to 127.0.0.1; each is a full turn (one
transaction) whose replies the dispatcher then sends to the fake Twilio.

For scale it also measures a "bare floor": a minimal FastAPI/uvicorn endpoint that reads the same
form body and does a single INSERT into the same database, with the same clients. Prints
throughput (requests/s), p50 and p99 latency (ms) for both, and the ratio.

Bounded: at most ``--count`` requests and ``--seconds`` per run (whichever comes first).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Request, Response
from sqlalchemy import text

from bot.store import make_engine

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
TEXTS = (
    "hola",
    "donde queda el cem de comas",
    "cuando es el proximo episodio",
    "1",
    "mi pareja me grita y me da miedo",
    "numero de la linea 100",
    "gracias",
)


@dataclass
class Figures:
    name: str
    count: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<28} {self.count:>6} req {self.errors:>4} err "
            f"{self.throughput:>8.1f} req/s  p50 {self.percentile(50):>7.1f} ms  "
            f"p99 {self.percentile(99):>7.1f} ms"
        )


# -- the bare floor ------------------------------------------------------------------------


def make_floor_app() -> FastAPI:
    """uvicorn --factory target: one INSERT per request into FLOOR_DATABASE_URL."""
    engine = make_engine(os.environ["FLOOR_DATABASE_URL"])
    key = "SERIAL PRIMARY KEY" if engine.dialect.name == "postgresql" else "INTEGER PRIMARY KEY"
    with engine.begin() as connection:
        connection.execute(
            text(f"CREATE TABLE IF NOT EXISTS bench_floor (id {key}, sid VARCHAR(64), body TEXT)")
        )
    app = FastAPI()

    def insert(sid: str, body: str) -> None:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO bench_floor (sid, body) VALUES (:sid, :body)"),
                {"sid": sid, "body": body},
            )

    @app.post("/whatsapp/webhook")
    async def hook(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8")))
        await asyncio.to_thread(insert, form.get("MessageSid", ""), form.get("Body", ""))
        return Response(status_code=200)

    return app


# -- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def process(args: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, env=env, cwd=log.parent, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{args[3:5]} exited:\n{log.read_text()[-2000:]}")
                with suppress(httpx.TransportError):
                    # any answer means the server is up (the floor has no /healthz: 404)
                    httpx.get(base + "/healthz", timeout=1)
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start within 60 s")
                time.sleep(0.1)
            yield base
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


@contextmanager
def postgres_database() -> Iterator[str | None]:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2, autocommit=True) as conn:
            name = f"defensoras_bench_{uuid.uuid4().hex[:10]}"
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        print(f"PostgreSQL not reachable at 127.0.0.1:5432 ({type(exc).__name__}): skipped")
        yield None
        return
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- load ----------------------------------------------------------------------------------


def signed_requests(base: str, auth_token: str, count: int) -> list[tuple[dict[str, str], str]]:
    from tests.fakes import make_whatsapp_inbound, sign_twilio_request

    url = base + "/whatsapp/webhook"
    requests = []
    senders = max(1, count // 10)  # ten messages a number: under the flood threshold
    for i in range(count):
        number = f"+5198{i % senders:07d}"
        form = make_whatsapp_inbound(TEXTS[i % len(TEXTS)], from_=number)
        requests.append((form, sign_twilio_request(auth_token, url, form)))
    return requests


async def load(
    name: str,
    base: str,
    requests: list[tuple[dict[str, str], str]],
    clients: int,
    max_seconds: float,
) -> Figures:
    queue: asyncio.Queue[tuple[dict[str, str], str]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + max_seconds

    async def client() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while time.perf_counter() < deadline:
                try:
                    form, signature = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                try:
                    response = await http.post(
                        "/whatsapp/webhook", data=form, headers={"X-Twilio-Signature": signature}
                    )
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return Figures(name, len(latencies), errors, time.perf_counter() - started, latencies)


def queued(database_url: str) -> int:
    """Inbound messages accepted but not yet turned (the workers' backlog)."""
    engine = make_engine(database_url)
    with engine.connect() as conn:
        sql = "SELECT count(*) FROM inbound_receipt WHERE status = 'pending'"
        left = int(conn.execute(text(sql)).scalar_one())
    engine.dispose()
    return left


def run_backend(
    label: str, database_url: str, args: argparse.Namespace, workdir: Path
) -> tuple[Figures, Figures, Figures, float]:
    from cryptography.fernet import Fernet

    from tests.fakes import FakeTelegram, FakeTwilio

    telegram, twilio = FakeTelegram().start(), FakeTwilio().start()
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
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
            TELEGRAM_WEBHOOK_SECRET=secrets.token_hex(16),
            TWILIO_ACCOUNT_SID=twilio.account_sid,
            TWILIO_AUTH_TOKEN=twilio.auth_token,
            TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
            TWILIO_API_BASE_URL=twilio.url,
            PUBLIC_BASE_URL=base,
            WHATSAPP_RATE_PER_SECOND="1000",
        )
        if database_url.startswith("postgresql"):
            subprocess.run(
                [sys.executable, "-m", "bot", "db", "upgrade"],
                env=env,
                cwd=workdir,
                check=True,
                capture_output=True,
            )
        serve = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)]
        with process(serve, env, port, workdir / f"serve-{label}.log"):
            warm = signed_requests(base, twilio.auth_token, args.warmup)
            asyncio.run(load("warm-up", base, warm, args.clients, args.seconds))
            requests = signed_requests(base, twilio.auth_token, args.count)
            bot = asyncio.run(load(f"serve ({label})", base, requests, args.clients, args.seconds))
        # Scale-out shape: the web process only queues (one INSERT); workers run the turns.
        # Measured apart, as they scale apart: ingest with no worker running (the queue grows),
        # then one worker started alone drains it (turns per second of one worker).
        ingest_port = free_port()
        ingest_base = f"http://127.0.0.1:{ingest_port}"
        ingest_env = {**env, "PUBLIC_BASE_URL": ingest_base}
        web_only = [sys.executable, "-m", "bot", "serve", "--no-worker", "--port", str(ingest_port)]
        with process(web_only, ingest_env, ingest_port, workdir / f"web-{label}.log"):
            warm = signed_requests(ingest_base, twilio.auth_token, args.warmup)
            asyncio.run(load("warm-up", ingest_base, warm, args.clients, args.seconds))
            requests = signed_requests(ingest_base, twilio.auth_token, args.count)
            name = f"serve --no-worker ({label})"
            ingest = asyncio.run(load(name, ingest_base, requests, args.clients, args.seconds))
        backlog = queued(database_url)
        started = time.perf_counter()
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            env=ingest_env,
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + args.seconds * 3
            while queued(database_url) and time.monotonic() < deadline:
                time.sleep(0.05)
            turned = (backlog - queued(database_url)) / (time.perf_counter() - started)
        finally:
            worker.terminate()
            worker.wait(timeout=15)
        floor_port = free_port()
        floor_base = f"http://127.0.0.1:{floor_port}"
        floor_env = {**env, "FLOOR_DATABASE_URL": database_url}
        floor_cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "benchmarks.inbound:make_floor_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(floor_port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        with process(floor_cmd, floor_env, floor_port, workdir / f"floor-{label}.log"):
            warm = signed_requests(floor_base, twilio.auth_token, args.warmup)
            asyncio.run(load("warm-up", floor_base, warm, args.clients, args.seconds))
            requests = signed_requests(floor_base, twilio.auth_token, args.count)
            floor = asyncio.run(
                load(f"bare INSERT ({label})", floor_base, requests, args.clients, args.seconds)
            )
        return bot, ingest, floor, turned
    finally:
        twilio.stop()
        telegram.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=400, help="webhooks per run (max)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time budget per run (max)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent httpx clients")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    args.count = max(1, min(args.count, 20_000))
    args.seconds = max(1.0, min(args.seconds, 600.0))
    print(
        f"{args.count} signed WhatsApp webhooks, {args.clients} concurrent clients, "
        f"≤ {args.seconds:.0f} s per run; {os.cpu_count()} CPUs; client, server and fakes "
        "share this machine"
    )
    results: list[tuple[Figures, Figures, Figures, float]] = []
    with tempfile.TemporaryDirectory(prefix="defensoras-bench-") as tmp:
        workdir = Path(tmp)
        results.append(run_backend("sqlite", f"sqlite:///{workdir / 'bench.db'}", args, workdir))
        if not args.no_postgres:
            with postgres_database() as url:
                if url is not None:
                    results.append(run_backend("postgresql", url, args, workdir))
    print()
    for bot, ingest, floor, turned in results:
        print(bot.line())
        print(ingest.line())
        print(floor.line())
        for name, figures in (("serve", bot), ("serve --no-worker", ingest)):
            ratio = figures.throughput / floor.throughput if floor.throughput else float("nan")
            p50 = statistics.median(figures.latencies) / statistics.median(floor.latencies)
            print(
                f"{'':<4}{name}: {ratio:.2f} of the bare-INSERT floor's throughput, p50 ×{p50:.1f}"
            )
        print(f"{'':<4}1 worker draining that queue: {turned:.1f} turns/s (start-up included)")
        print()


if __name__ == "__main__":
    main()
