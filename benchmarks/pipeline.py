"""Pipeline figures: ``python -m benchmarks.pipeline``.

- console turn latency (the same service as every channel: one transaction per message), SQLite;
- broadcast dispatch rate against the configured cap, through the real python-telegram-bot and
  twilio clients talking to the local fake servers of the test suite (127.0.0.1 only);
- resident memory (RSS) of `defensoras serve` and `defensoras worker` after start-up and load.

Figures, not pass/fail. Bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

from bot.app import App, build_app
from bot.broadcast import create_broadcast, progress
from bot.channels.envelope import Envelope
from bot.channels.telegram import TelegramSender, make_bot
from bot.channels.whatsapp import WhatsAppSender, make_client
from bot.dispatcher import Dispatcher
from bot.settings import Settings
from flows.types import Channel, Inbound
from tests.factories import subscribe_many
from tests.fakes import FakeTelegram, FakeTwilio

ROOT = Path(__file__).resolve().parents[1]
CONVERSATION = [
    "hola",
    "1",
    "vivo en sjl",
    "2",
    "quiero saber cuando es el proximo programa",
    "ALTA",
    "me insulta todo el dia y me revisa el celular",
    "gracias",
]


def _app(folder: Path) -> App:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{folder / 'bench.db'}",
        data_key=Fernet.generate_key().decode(),
    )
    return build_app(settings)


def console_latency(app: App, turns: int) -> list[float]:
    samples = []
    for i in range(turns):
        text = CONVERSATION[i % len(CONVERSATION)]
        person = f"console:{i // len(CONVERSATION)}"  # one conversation each, no flood
        envelope = Envelope(Inbound(Channel.CONSOLE, text=text), person)
        started = time.perf_counter()
        app.service.handle(envelope)
        samples.append(time.perf_counter() - started)
    return samples


async def _dispatch(app: App, tg_rate: float, wa_rate: float) -> None:
    with FakeTelegram() as telegram, FakeTwilio() as twilio:
        bot = make_bot(telegram.token, telegram.base_url)
        client = make_client(twilio.account_sid, twilio.auth_token, twilio.url)
        senders = [
            TelegramSender(bot, tg_rate),
            WhatsAppSender(client, "+14155238886", wa_rate, status_callback=None),
        ]
        async with bot:
            await Dispatcher(app.engine, app.vault, senders, app.clock).drain(max_rounds=100_000)
        client.http_client.session.close()  # type: ignore[attr-defined]


def broadcast_rate(
    app: App, telegram: int, whatsapp: int, tg_rate: float, wa_rate: float
) -> dict[str, float]:
    subscribe_many(app, telegram, whatsapp, prefix=8)
    broadcast = create_broadcast(
        app.engine, key="bench", text="Mañana nuevo programa 📻", kind="broadcast", now=app.clock()
    )
    assert broadcast is not None
    started = time.perf_counter()
    asyncio.run(_dispatch(app, tg_rate, wa_rate))
    elapsed = time.perf_counter() - started
    done, total = progress(app.engine, broadcast)
    return {
        "sent": done,
        "total": total,
        "seconds": elapsed,
        "rate": done / elapsed,
        "cap": tg_rate + wa_rate,
        "floor_seconds": max(telegram / tg_rate, whatsapp / wa_rate),
    }


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def process_rss(folder: Path) -> dict[str, int]:
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite:///{folder / 'rss.db'}",
        DATA_KEY=Fernet.generate_key().decode(),
        LOG_LEVEL="WARNING",
    )
    out = {}
    for verb in ("serve", "worker"):
        args = [sys.executable, "-m", "bot", verb] + (["--port", "8799"] if verb == "serve" else [])
        proc = subprocess.Popen(
            args, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(6)
        out[verb] = _rss_kb(proc.pid) // 1024
        proc.terminate()
        proc.wait(timeout=10)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=400)
    parser.add_argument("--subscribers", type=int, default=600)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = _app(folder)
        console_latency(app, 40)  # warm-up
        samples = sorted(console_latency(app, args.turns))
        p50, p99 = samples[len(samples) // 2], samples[int(len(samples) * 0.99) - 1]
        mean = statistics.mean(samples) * 1000
        print(f"console pipeline (SQLite): {args.turns} turns, mean {mean:.1f} ms, ", end="")
        print(f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
        half = args.subscribers // 2
        for tg_rate, wa_rate in ((30.0, 10.0), (300.0, 100.0)):
            fresh = _app(Path(tempfile.mkdtemp(dir=folder)))
            r = broadcast_rate(fresh, half, half, tg_rate, wa_rate)
            share = r["floor_seconds"] / r["seconds"] * 100
            print(
                f"broadcast {r['sent']:.0f}/{r['total']:.0f} (Telegram {half} @ {tg_rate:g}/s, ",
                end="",
            )
            print(f"WhatsApp {half} @ {wa_rate:g}/s): {r['seconds']:.1f} s, ", end="")
            print(
                f"{r['rate']:.1f} msg/s; slowest channel's floor {r['floor_seconds']:.1f} s ",
                end="",
            )
            print(f"(achieved {share:.0f}% of the configured cap)")
            fresh.engine.dispose()
        rss = process_rss(folder)
        print(f"RSS after start: serve {rss['serve']} MiB, worker {rss['worker']} MiB")
        app.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
