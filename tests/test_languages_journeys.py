"""Languages through the real pipeline (service turns, the scheduler's reminder scan, the outbox
dispatcher, python-telegram-bot and twilio against the local fakes): reminders in each
subscriber's language, Telegram's language_code as a first hint, and the whole English journey.
Texts are compared with the content's wording in each language, never with a copied sentence."""

# ruff: noqa: F811  (tests take the imported `pipe` and `lite` fixtures as arguments)

from __future__ import annotations

from datetime import date, time

from bot import scheduler
from bot.broadcast import create_broadcast
from bot.store import unit_of_work
from bot.store.seasons import add_episode, add_season
from flows.episodes import Episode, Venue
from tests.case_pipeline import (
    PERSON,
    PERSON_TG,
    Pipeline,
    lima,
    lite,  # noqa: F401  (a fixture)
    pipe,  # noqa: F401  (a fixture)
)

QUECHUA = "+51955444333"
EPISODE_DAY = date(2026, 6, 19)  # a Friday; the pipeline's clock starts Wednesday 17, 10:00


def an_episode(pipe: Pipeline, at: time | None = time(19, 0)) -> None:
    """An episode on Friday 19 June (a season added in the panel reminds as the file's do)."""
    with unit_of_work(pipe.app.engine) as db:
        add_season(db, pipe.app.content.episodes, "t2026", "temporada 2026", pipe.clock())
        episode = Episode(
            number=1,
            date=EPISODE_DAY,
            date_confirmed=True,
            time=at,
            time_known=at is not None,
            venues=(Venue(market="Mercado Central", district="Lima"),),
        )
        add_episode(db, "t2026", episode, pipe.clock())


def reminder(pipe: Pipeline, language: str, text_id: str, **values: str) -> str:
    episodes = pipe.app.content.in_language(language).episodes
    return episodes.text(text_id, **values)


async def test_reminders_go_out_in_each_subscribers_language(pipe: Pipeline) -> None:
    an_episode(pipe)
    pipe.whatsapp("hello")  # English, on WhatsApp
    pipe.whatsapp("SUBSCRIBE")
    pipe.tg(PERSON_TG, "hola")  # Spanish, on Telegram
    pipe.tg(PERSON_TG, "ALTA")
    pipe.whatsapp("runasimi", number=QUECHUA)
    pipe.whatsapp("ALTA", number=QUECHUA)
    await pipe.drain()
    sent = len(pipe.wa_texts()), len(pipe.tg_texts(PERSON_TG)), len(pipe.wa_texts(QUECHUA))

    pipe.clock.now = lima(18, 19, 1)  # the evening before, through the scheduler's own scan
    assert scheduler.send_due_reminders(pipe.app) == 1
    assert scheduler.send_due_reminders(pipe.app) == 0  # one broadcast, whatever the languages
    await pipe.drain()
    english = reminder(pipe, "en", "reminder_evening_before", day_phrase="tomorrow", time="19:00")
    spanish = reminder(pipe, "es", "reminder_evening_before", day_phrase="mañana", time="19:00")
    quechua = reminder(pipe, "qu", "reminder_evening_before", day_phrase="mañana", time="19:00")
    assert len({english, spanish, quechua}) == 3
    assert pipe.wa_texts()[sent[0] :] == [english]
    assert pipe.tg_texts(PERSON_TG)[sent[1] :] == [spanish]
    assert pipe.wa_texts(QUECHUA)[sent[2] :] == [quechua]

    # A coordinator's broadcast is her own text: it goes out as she wrote it, to everyone.
    words = "Hoy a las 19:00 programa especial 📻"
    assert create_broadcast(
        pipe.app.engine, key="manual:1", text=words, kind="broadcast", now=pipe.clock()
    )
    await pipe.drain()
    assert pipe.wa_texts()[-1] == pipe.tg_texts(PERSON_TG)[-1] == pipe.wa_texts(QUECHUA)[-1]
    assert pipe.wa_texts()[-1] == words


async def test_her_contact_row_follows_her_language_at_every_turn(lite: Pipeline) -> None:
    """The contact row's language follows the session at every turn (reminders read the row)."""
    lite.whatsapp("hello")
    lite.whatsapp("español")
    lite.whatsapp("english")
    lite.whatsapp("ALTA")
    an_episode(lite, at=None)
    lite.clock.now = lima(18, 19, 1)
    assert scheduler.send_due_reminders(lite.app) == 1
    await lite.drain()
    unknown_time = reminder(
        lite, "en", "reminder_evening_before_unknown_time", day_phrase="tomorrow"
    )
    assert lite.wa_texts()[-1] == unknown_time
    assert PERSON not in unknown_time
