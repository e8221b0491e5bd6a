"""Long provider outages (issue 13 item 8): a reply is retried with capped backoff for hours, not
given up after minutes; operators list what failed and queue it again. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.app import App
from bot.channels.envelope import Message, Result
from bot.cli import cli
from bot.dispatcher import RETRY_FOR, Dispatcher
from bot.store import unit_of_work
from bot.store.contacts import ContactBook
from bot.store.models import Outbox, OutboxStatus
from bot.store.outbox import queue_message
from flows.types import Outbound
from tests.conftest import FakeClock


class Outage:
    """A Telegram that answers 'try again' until `back_at` (network errors, 5xx)."""

    channel = "telegram"
    rate_per_second = 1000.0

    def __init__(self, clock: FakeClock, back_at: datetime) -> None:
        self.clock, self.back_at = clock, back_at
        self.sent: list[str] = []

    async def send(self, message: Message) -> Result:
        if self.clock() < self.back_at:
            return Result("retry", error="telegram_network:TimedOut")
        self.sent.append(message.text)
        return Result("sent", provider_id=str(len(self.sent)))


def queue_reply(app: App, text: str) -> int:
    with unit_of_work(app.engine) as db:
        contact = ContactBook(app.vault).get_or_create(db, "telegram", "93101", app.clock())
        row = queue_message(db, contact, Outbound(text), now=app.clock())
        db.flush()
        assert row.id is not None
        return row.id


def row(app: App, row_id: int) -> Outbox:
    with unit_of_work(app.engine) as db:
        found = db.get(Outbox, row_id)
        assert found is not None
        return found


async def ride_out(app: App, clock: FakeClock, sender: Outage, until: timedelta) -> Outbox:
    """Run the dispatcher, moving the clock to each retry, until the row settles or time ends."""
    dispatcher = Dispatcher(app.engine, app.vault, [sender], clock, per_chat_rate=1000.0)
    row_id = queue_reply(app, "llama al 105")
    end = clock.now + until
    while clock.now < end:
        await dispatcher.run_once()
        current = row(app, row_id)
        if current.status != OutboxStatus.PENDING:
            return current
        clock.now = max(clock.now, current.next_attempt_at)
    return row(app, row_id)


@pytest.mark.parametrize("outage", [timedelta(minutes=7), timedelta(hours=5)])
async def test_a_reply_outlives_a_provider_outage(
    app: App, clock: FakeClock, outage: timedelta
) -> None:
    sender = Outage(clock, back_at=clock.now + outage)
    settled = await ride_out(app, clock, sender, until=outage + timedelta(hours=1))
    assert settled.status == OutboxStatus.SENT
    assert sender.sent == ["llama al 105"]


async def test_a_reply_is_failed_after_hours_and_an_operator_can_retry_it(
    app: App, clock: FakeClock
) -> None:
    start = clock.now
    sender = Outage(clock, back_at=start + timedelta(days=2))
    settled = await ride_out(app, clock, sender, until=timedelta(days=1))
    assert settled.status == OutboxStatus.FAILED
    # Virtual time; the backoff's jitter moves the end by minutes, not hours.
    assert RETRY_FOR - timedelta(hours=1) <= clock.now - start <= RETRY_FOR + timedelta(hours=1)

    runner = CliRunner()
    listed = runner.invoke(cli, ["outbox", "list", "--failed"], obj=app)
    assert listed.exit_code == 0, listed.output
    assert f"#{settled.id} failed" in listed.output
    assert "93101" not in listed.output and "105" not in listed.output  # no number, no text

    retried = runner.invoke(cli, ["outbox", "retry"], obj=app)
    assert retried.exit_code == 0 and "1 mensaje" in retried.output
    again = row(app, settled.id or 0)
    assert (again.status, again.attempts) == (OutboxStatus.PENDING, 0)
    clock.now = start + timedelta(days=2)
    await Dispatcher(app.engine, app.vault, [sender], clock, per_chat_rate=1000.0).run_once()
    assert row(app, settled.id or 0).status == OutboxStatus.SENT
    with unit_of_work(app.engine) as db:
        failed = db.exec(select(Outbox).where(col(Outbox.status) == OutboxStatus.FAILED)).all()
    assert failed == []
    assert (
        "no hay mensajes fallidos"
        in runner.invoke(cli, ["outbox", "list", "--failed"], obj=app).output
    )
