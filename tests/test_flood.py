"""The flood and loop guards of a turn's replies (`bot/flood.py`), on SQLite and PostgreSQL:
they count her messages and the replies queued to her in the store."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from bot.app import App
from bot.channels.envelope import Envelope
from bot.flood import FLOOD_PER_MINUTE, LOOP_REPEATS
from bot.store import unit_of_work
from bot.store.models import Outbox
from flows.types import Channel, Inbound
from tests.conftest import FakeClock

PHONE = "+51987654321"


def replies(app: App, text: str) -> list[str]:
    handled = app.service.handle(Envelope(Inbound(Channel.WHATSAPP, text=text), PHONE))
    with unit_of_work(app.engine) as db:
        return [db.get_one(Outbox, i).text for i in handled.outbox_ids]


def test_one_writing_too_fast_is_told_to_wait_once_then_not_answered(
    app: App, clock: FakeClock
) -> None:
    answered = []
    for n in range(FLOOD_PER_MINUTE + 4):
        answered.append(replies(app, f"hola {n}"))
        clock.advance(seconds=1)
    throttled = app.content.texts["throttled"]
    assert all(texts and throttled not in texts for texts in answered[:FLOOD_PER_MINUTE])
    assert answered[FLOOD_PER_MINUTE] == [throttled]
    assert answered[FLOOD_PER_MINUTE + 1 :] == [[]] * 3
    clock.advance(minutes=2)  # a minute later she is answered again
    assert replies(app, "hola") not in ([], [throttled])


def test_a_reply_repeated_to_a_bot_on_the_other_side_stops(app: App, clock: FakeClock) -> None:
    """Under the flood guard (one message every 4 s) but the same words over and over: each
    reply is queued to her at most LOOP_REPEATS times in the window, then no more."""
    for _ in range(LOOP_REPEATS + 15):
        replies(app, "hola")
        clock.advance(seconds=4)
    with unit_of_work(app.engine) as db:
        queued = Counter(row.text for row in db.exec(select(Outbox)))
    assert max(queued.values()) == LOOP_REPEATS, queued
    assert replies(app, "hola") == []
