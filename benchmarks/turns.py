"""Replies in a burst, end to end: ``python -m benchmarks.turns`` (issue 17).

`defensoras serve` runs as a subprocess (SQLite all-in-one; PostgreSQL as 2 `serve --no-worker`
+ 2 `worker`) against the local fake Telegram Bot API, caps raised so sending is not the limit.
New chats post Telegram webhooks with a realistic mix (greeting, district, free-text CEM
question, episode question, a risk message); a turn counts when its chat's first reply reaches
the fake. Prints, in one run:

- burst: N webhooks from N new chats by 16 concurrent clients, timed until every first reply;
- paced: webhooks at 50 msg/s, POST -> first reply p50/p99;
- ingest: `serve --no-worker` (verify + queue) beside a bare FastAPI endpoint doing one raw
  INSERT on the same database, and the ratio;
- broadcast: subscribers at a 300/s Telegram cap, the share of the cap held (and replies
  to new chats meanwhile);
- RSS of `serve` after the load (and its peak).

Figures, not pass/fail. ``--quick`` is a smoke run with few messages.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from argparse import Namespace
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from benchmarks.inbound import postgres_database
from benchmarks.load import (
    BROADCAST_CAP,
    FakeTelegram,
    Run,
    Server,
    burst,
    environment,
    first_replies,
    floor,
    paced,
    row_states,
    rss_mib,
    running,
    serve,
)
from bot.store import make_engine

STAMP = re.compile(r"^\d{4}-\d\d-\d\d [\d:,.]+ ")
"""A log line's time, left out so that repeated lines are counted as one."""

# -- phases --------------------------------------------------------------------------------


@dataclass
class Figures:
    label: str
    burst: Run | None = None
    paced: Run | None = None
    ingest: float = float("nan")
    floor: float = float("nan")
    rss: tuple[int, int] = (0, 0)
    cpu: float = float("nan")
    """CPU seconds the servers (web and workers together) spent a turn of the burst."""
    db_cpu: float = float("nan")
    """PostgreSQL: CPU seconds its backends serving the benchmark's database spent a turn."""
    log_errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """For each chat without a reply, where its rows stopped (no number, no text)."""


def turns(
    fig: Figures,
    webs: list[Server],
    telegram: FakeTelegram,
    database_url: str,
    args: Namespace,
    workers: Sequence[Server] = (),
) -> None:
    """Warm up, then the burst and the paced run against servers already running (the
    webhooks go to `webs`; `workers` count in the CPU a turn)."""
    bases = [web.base for web in webs]
    servers = [*webs, *workers]
    first_replies(telegram, asyncio.run(burst(bases, range(1, 1 + args.warmup), 4)), 60)
    chats = range(2_000_000, 2_000_000 + args.count)
    before = sum(cpu_seconds(s.proc.pid) for s in servers)
    backends = backend_cpu(database_url)
    fig.burst = first_replies(telegram, asyncio.run(burst(bases, chats, args.clients)), args.wait)
    spent = sum(cpu_seconds(s.proc.pid) for s in servers) - before
    fig.cpu = spent / max(1, len(fig.burst.replied))
    if backends is not None:
        after = backend_cpu(database_url) or {}
        db_spent = sum(cpu - backends.get(pid, 0.0) for pid, cpu in after.items())
        fig.db_cpu = db_spent / max(1, len(fig.burst.replied))
    fig.missing += row_states(database_url, fig.burst)
    chats = range(3_000_000, 3_000_000 + args.paced)
    fig.paced = first_replies(telegram, asyncio.run(paced(bases, chats, args.rate)), args.wait)
    fig.missing += row_states(database_url, fig.paced)


def server_errors(workdir: Path) -> list[str]:
    """The servers' own error and warning lines (logs carry no number or message text), for a
    run in which some chat got no reply: the logs go with the temporary folder. A webhook
    refused with 503 (the store busy) is a warning, so warnings count too."""
    lines = []
    for log in sorted(workdir.glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if any(w in line for w in ("ERROR", "Error", "WARNING")) and (
                "ESCALATION WAITING" not in line
            ):
                lines.append(f"{log.name}: {STAMP.sub('', line)[:200]}")
    seen = Counter(lines)
    return [f"{line} (x{seen[line]})" if seen[line] > 1 else line for line in seen][-20:]


def ingest_rate(fig: Figures, env: dict[str, str], workdir: Path, args: Namespace) -> None:
    """`serve --no-worker` alone (the queue grows), then the bare INSERT on the same database."""
    for name, server in (
        ("ingest", serve(env, workdir / "web.log", worker=False)),
        ("floor", floor(env, workdir / "floor.log")),
    ):
        offset = 4_000_000 if name == "ingest" else 5_000_000
        with server as running_server:
            asyncio.run(burst([running_server.base], range(offset, offset + args.warmup), 4))
            chats = range(offset + args.warmup, offset + args.warmup + args.ingest)
            run = asyncio.run(burst([running_server.base], chats, args.clients))
        setattr(fig, name, (len(run.sent) - run.errors) / run.seconds)


def sqlite(workdir: Path, args: Namespace) -> Figures:
    fig = Figures("SQLite, serve all-in-one")
    with FakeTelegram() as telegram:
        env = environment(f"sqlite:///{workdir / 'turns.db'}", telegram, 100_000)
        with serve(env, workdir / "serve.log") as server:
            turns(fig, [server], telegram, env["DATABASE_URL"], args)
            fig.rss = rss_mib(server.proc.pid)
        ingest_rate(fig, env, workdir, args)
    fig.log_errors = server_errors(workdir)
    return fig


def postgresql(url: str, workdir: Path, args: Namespace) -> Figures:
    fig = Figures("PostgreSQL, 2 web + 2 workers")
    with FakeTelegram() as telegram:
        env = environment(url, telegram, 100_000)
        subprocess.run(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            env=env,
            cwd=workdir,
            check=True,
            capture_output=True,
        )
        with ExitStack() as stack:
            webs = [
                stack.enter_context(serve(env, workdir / "pg-web.log", worker=False))
                for _ in range(2)
            ]
            workers = [
                stack.enter_context(
                    running(["bot", "worker"], env, workdir / "pg-worker.log", None)
                )
                for _ in range(2)
            ]
            turns(fig, webs, telegram, url, args, workers)
        ingest_rate(fig, env, workdir, args)
    fig.log_errors = server_errors(workdir)
    return fig


@dataclass
class Held:
    sent: int
    share: float
    """The fastest the cap allows (after its one-second burst) over the time taken."""
    replies: Run
    rss: tuple[int, int] = (0, 0)
    cpu: float = float("nan")
    """CPU seconds `serve` spent on the broadcast, per message sent (replies included)."""
    busiest: int = 0
    """The most broadcast messages in any one second (the cap's burst plus a second's rate
    at most)."""


def broadcast(workdir: Path, args: Namespace) -> Held:
    """A broadcast at a 300/s Telegram cap through `serve`, with new chats writing meanwhile."""
    from bot.app import build_app
    from bot.broadcast import create_broadcast
    from bot.settings import Settings
    from tests.factories import subscribe_many

    with FakeTelegram() as telegram:
        env = environment(f"sqlite:///{workdir / 'broadcast.db'}", telegram, BROADCAST_CAP)
        settings = Settings(
            _env_file=None, database_url=env["DATABASE_URL"], data_key=env["DATA_KEY"]
        )  # type: ignore[call-arg]
        app = build_app(settings)
        people = {int(address) for _, address in subscribe_many(app, args.subscribers, 0, 9)}
        with serve(env, workdir / "broadcast-serve.log") as server:
            first_replies(
                telegram, asyncio.run(burst([server.base], range(1, 1 + args.warmup), 4)), 60
            )
            cpu_before = cpu_seconds(server.proc.pid)
            create_broadcast(
                app.engine,
                key="bench",
                text="Mañana nuevo programa 📻",
                kind="broadcast",
                now=app.clock(),
            )
            seconds = args.subscribers / BROADCAST_CAP
            chats = range(6_000_000, 6_000_000 + max(1, int(seconds * 10)))
            replies = first_replies(telegram, asyncio.run(paced([server.base], chats, 10)), 120)
            deadline = time.monotonic() + seconds * 4 + 30
            while time.monotonic() < deadline:
                arrivals = sorted(
                    c.at
                    for c in telegram.sent
                    if c.method.lower() == "sendmessage" and int(c.chat_id) in people
                )
                if len(arrivals) >= len(people):
                    break
                time.sleep(0.2)
            cpu = (cpu_seconds(server.proc.pid) - cpu_before) / max(1, len(arrivals))
            rss = rss_mib(server.proc.pid)
        app.engine.dispose()
    # The limiter lets one second's worth go at once, then the cap: the fastest a broadcast of
    # n may take is (n - cap) / cap seconds from its first message to its last.
    span = arrivals[-1] - arrivals[0] if arrivals else 0.0
    fastest = (len(arrivals) - BROADCAST_CAP) / BROADCAST_CAP
    share = fastest / span if span > 0 and fastest > 0 else float("nan")
    return Held(len(arrivals), share, replies, rss, cpu, busiest_second(arrivals))


def busiest_second(arrivals: list[float]) -> int:
    """The most messages in any one-second window (sorted arrival times)."""
    most, start = 0, 0
    for end, at in enumerate(arrivals):
        while at - arrivals[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def backend_cpu(database_url: str) -> dict[int, float] | None:
    """PostgreSQL: CPU seconds so far of each backend connected to the benchmark's database
    (the servers' pools keep theirs for the whole burst); None on SQLite."""
    if not database_url.startswith("postgresql"):
        return None
    engine = make_engine(database_url)
    query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    try:
        with engine.connect() as connection:
            pids = list(connection.execute(text(query)).scalars())
    finally:
        engine.dispose()
    found = {}
    for pid in pids:
        with suppress(OSError):  # ended meanwhile
            found[pid] = cpu_seconds(pid)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- report --------------------------------------------------------------------------------


def report(figures: list[Figures], held: Held | None, args: Namespace) -> None:
    columns = ("turns/s", "p50 ms", "p99 ms", "ingest/s", "floor/s", "ratio")
    if figures:
        print("\n" + " " * 32 + "".join(f"{c:>9}" for c in columns))
    for fig in figures:
        b, p = fig.burst, fig.paced
        assert b is not None and p is not None
        rate = len(b.replied) / b.seconds if b.seconds else float("nan")
        ratio = fig.ingest / fig.floor if fig.floor else float("nan")
        print(
            f"{fig.label:<32}{rate:>9.1f}{p.percentile(50):>9.0f}{p.percentile(99):>9.0f}"
            f"{fig.ingest:>9.0f}{fig.floor:>9.0f}{ratio:>9.2f}"
        )
        missing = len(b.sent) - len(b.replied) + len(p.sent) - len(p.replied)
        if b.errors or p.errors or missing:
            lost = len({*b.missing(), *p.missing()} - {*b.refused, *p.refused})
            print(
                f"{'':<4}errors: {b.errors + p.errors} POSTs failed, {missing} chats got no reply"
                f" ({lost} of them answered 200: accepted, so a lost reply)"
            )
            for line in fig.log_errors:
                print(f"{'':<8}{line}")
            for line in fig.missing:
                print(f"{'':<8}{line}")
    for fig in figures:
        if fig.cpu == fig.cpu:  # not NaN
            print(f"CPU of the servers a turn of the burst ({fig.label}): {fig.cpu * 1000:.2f} ms")
        if fig.db_cpu == fig.db_cpu:
            print(f"CPU of PostgreSQL's backends a turn of the burst: {fig.db_cpu * 1000:.2f} ms")
    for fig in figures:
        if fig.rss[0]:
            now, peak = fig.rss
            print(f"RSS of serve ({fig.label}) after the load: {now} MiB (peak {peak} MiB)")
    if held is not None:
        r = held.replies
        print(
            f"broadcast to {args.subscribers} at {BROADCAST_CAP:g}/s: {held.sent} sent, held "
            f"{held.share:.0%} of the cap (most in one second: {held.busiest}); meanwhile "
            f"{len(r.sent)} new chats at 10/s: first reply p50 {r.percentile(50):.0f} ms, "
            f"p99 {r.percentile(99):.0f} ms"
        )
        print(
            f"broadcast: serve spent {held.cpu * 1000:.2f} ms CPU a message sent (its new chats'"
            f" turns included); RSS after it {held.rss[0]} MiB (peak {held.rss[1]} MiB)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="burst: webhooks from new chats")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--paced", type=int, default=500, help="webhooks in the paced run")
    parser.add_argument("--rate", type=float, default=50.0, help="paced run, messages a second")
    parser.add_argument("--ingest", type=int, default=2000, help="webhooks in the ingest runs")
    parser.add_argument("--subscribers", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--wait", type=float, default=600.0, help="seconds a chat's first reply is awaited"
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-broadcast", action="store_true")
    parser.add_argument(
        "--only",
        choices=("sqlite", "postgres", "broadcast"),
        help="run one part alone (the broadcast part prints its serve's RSS too)",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: few messages")
    args = parser.parse_args(argv)
    if args.quick:
        args.count, args.paced, args.ingest, args.subscribers, args.warmup = 30, 20, 30, 300, 5
    print(
        f"{args.count} webhooks from new chats by {args.clients} clients; paced {args.paced} at "
        f"{args.rate:g}/s; ingest {args.ingest}; {os.cpu_count()} CPUs shared by client, "
        "servers and fakes"
    )
    figures: list[Figures] = []
    held = None
    with tempfile.TemporaryDirectory(prefix="defensoras-turns-") as tmp:
        workdir = Path(tmp)
        if args.only in (None, "sqlite"):
            figures.append(sqlite(workdir, args))
        if not args.no_postgres and args.only in (None, "postgres"):
            with postgres_database() as url:
                if url is not None:
                    figures.append(postgresql(url, workdir, args))
        if not args.no_broadcast and args.only in (None, "broadcast"):
            held = broadcast(workdir, args)
    report(figures, held, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
