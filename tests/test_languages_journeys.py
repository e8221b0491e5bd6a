"""Languages through the real pipeline (service turns, the scheduler's reminder scan, the outbox
dispatcher, python-telegram-bot and twilio against the local fakes): reminders in each
subscriber's language, Telegram's language_code as a first hint, and the whole English journey.
Texts are compared with the content's wording in each language, never with a copied sentence."""

# ruff: noqa: F811  (tests take the imported `pipe` and `lite` fixtures as arguments)

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

from bot import scheduler
from bot.app import App
from bot.broadcast import create_broadcast
from bot.channels.polling import run_polling
from bot.channels.telegram import make_bot
from bot.channels.whatsapp import parse_inbound
from bot.store import unit_of_work
from bot.store.seasons import add_episode, add_season
from flows.episodes import Episode, Venue
from tests.case_pipeline import (
    ANA,
    PERSON,
    PERSON_TG,
    Pipeline,
    lima,
    lite,  # noqa: F401  (a fixture)
    pipe,  # noqa: F401  (a fixture)
    roster,
)
from tests.fakes import FakeTelegram, make_message_update, make_whatsapp_inbound

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


async def fire_reminder_job(app: App) -> object:
    """The scheduler's 'reminders' job, fired now through APScheduler (as the elected worker
    runs it); its return value (the broadcasts created)."""
    jobs = scheduler.build_scheduler(app)
    finished: list[JobExecutionEvent] = []
    jobs.add_listener(finished.append, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    jobs.start(paused=True)
    for job in jobs.get_jobs():
        if job.id == "reminders":
            job.modify(next_run_time=datetime.now(UTC))
        else:
            job.pause()
    jobs.resume()
    try:
        async with asyncio.timeout(20):  # a guard against a hang, not a speed check
            while not finished:
                await asyncio.sleep(0.02)
    finally:
        jobs.shutdown(wait=True)
    (event,) = finished
    assert event.exception is None, event.exception
    return event.retval


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

    pipe.clock.now = lima(18, 19, 1)  # the evening before, through the scheduler's own job
    assert await fire_reminder_job(pipe.app) == 1
    assert await fire_reminder_job(pipe.app) == 0  # one broadcast, whatever the languages
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


async def test_her_telegram_app_language_is_a_first_hint(
    sqlite_app: App, fake_telegram: FakeTelegram
) -> None:
    """Telegram's language_code (python-telegram-bot polling the fake Bot API) starts a new
    conversation in English or Quechua; what she writes, or asks for, always wins over it."""
    conversations = {
        93101: [("/start", "en"), ("1", "en")],  # English app: English from the first reply
        93102: [("hola", "en")],  # her Spanish words win over the app's language
        93103: [("/start", "qu")],  # Quechua app
        93104: [("/start", "fr")],  # a language the bot does not speak: Spanish, as before
        93105: [("/start", "en-GB"), ("español", "en-GB"), ("1", "en-GB")],  # her switch wins
        93106: [("hola", "es"), ("1", "en")],  # not a new conversation any more: no hint
        93107: [("/start", None)],  # no language_code at all
    }
    for chat, messages in conversations.items():
        for text, code in messages:
            update_id = fake_telegram.next_update_id()
            fake_telegram.queue_update(
                make_message_update(update_id, chat, text, language_code=code)
            )
    sqlite_app.telegram_bot = make_bot(fake_telegram.token, fake_telegram.base_url)
    await run_polling(sqlite_app, limit_seconds=2.5)

    def welcome(language: str) -> str:
        return sqlite_app.content.in_language(language).texts["welcome"]

    def cem_ask(language: str) -> str:
        return sqlite_app.content.in_language(language).texts["cem_ask"]

    def read(chat: int) -> list[str]:
        return [call.text or "" for call in fake_telegram.sent_to(chat)]

    assert read(93101)[0].startswith(welcome("en")) and read(93101)[-1].startswith(cem_ask("en"))
    assert read(93102)[0].startswith(welcome("es"))
    assert read(93103)[0].startswith(welcome("qu"))
    assert read(93104)[0].startswith(welcome("es"))
    assert read(93105)[0].startswith(welcome("en"))
    assert read(93105)[-1].startswith(cem_ask("es"))
    assert read(93106)[-1].startswith(cem_ask("es"))
    assert read(93107)[0].startswith(welcome("es"))


async def test_the_whole_english_journey(lite: Pipeline) -> None:
    """One person, in English on WhatsApp, through every journey the bot offers: each answer
    in English (the content's English wording), none of it in Spanish."""
    roster(lite.app, on_duty=("Ana",))
    an_episode(lite)
    en = lite.app.content.in_language("en")
    es = lite.app.content
    seen = 0

    async def turn(text: str = "", **location: float) -> str:
        """Her message; what reached her phone since her previous one."""
        nonlocal seen
        if location:
            form = make_whatsapp_inbound(text, from_=PERSON, **location)  # type: ignore[arg-type]
            lite.app.service.handle(parse_inbound(form))
        else:
            lite.whatsapp(text)
        await lite.drain()
        new, seen = lite.wa_texts()[seen:], len(lite.wa_texts())
        return "\n".join(new)

    def english(got: str, *text_ids: str) -> None:
        for text_id in text_ids:
            assert en.texts[text_id] in got, text_id
            if es.texts[text_id] != en.texts[text_id]:
                assert es.texts[text_id] not in got, text_id

    # greeting and menu
    got = await turn("hello")
    english(got, "welcome", "menu_main")
    assert all(o.label in got for o in en.menus.nodes["main"].options)
    assert not any(o.label in got for o in es.menus.nodes["main"].options)
    # CEM by district, then by a shared location
    english(await turn("1"), "cem_ask")
    assert en.orientation.header_district.format(district="Comas") in await turn("Comas")
    got = await turn(latitude=-12.0464, longitude=-77.0428)
    assert en.orientation.header_nearest in got and es.orientation.header_nearest not in got
    # help lines
    got = await turn("which numbers can I call for help?")
    assert en.orientation.helplines_header in got
    assert all(line.short in got for line in en.helplines if line.show and line.short)
    # about and privacy
    english(await turn("menu"), "welcome")
    english(await turn("5"), "about")
    english(await turn("will anyone see what I write here?"), "privacy_answer")
    # danger -> the safety question -> not safe: one discreet reply
    got = await turn("my husband hits me, he is drunk")
    english(got, "risk_high", "ask_safe")
    assert await turn("no") == en.texts["not_safe"]
    assert len(lite.tg_texts(ANA)) == 1  # Ana, on shift, was paged
    # talk to a defensora: the screen, then her request
    english(await turn("I want to talk to a defensora"), "defensora_intro")
    got = await turn("1")
    english(got, "defensora_requested")  # her case was opened by the danger turn: joined
    assert es.cases["person_on_duty"] not in got and lite.case().status == "open"
    # next episode
    got = await turn("when is the next episode?")
    openings = [en.episodes.texts[k].split("{")[0] for k in ("next_episode_season_start",)]
    assert openings[0] in got and "this Friday 19 at 19:00" in got  # a panel season, in English
    # subscribe -> reminder -> unsubscribe
    got = await turn("SUBSCRIBE")
    assert en.episodes.texts["subscribe_confirmed"].split("{")[0] in got
    lite.clock.now = lima(18, 19, 1)
    assert scheduler.send_due_reminders(lite.app) == 1
    await lite.drain()
    got, seen = lite.wa_texts()[-1], len(lite.wa_texts())
    assert got == reminder(
        lite, "en", "reminder_evening_before", day_phrase="tomorrow", time="19:00"
    )
    english(await turn("please stop sending me reminders"), "confirm_unsubscribe")
    got = await turn("yes")
    assert en.episodes.texts["unsubscribe_confirmed"] in got
    lite.clock.now = lima(19, 18, 1)  # an hour before: she gets no second reminder
    assert scheduler.send_due_reminders(lite.app) == 1
    await lite.drain()
    assert len(lite.wa_texts()) == seen
    # forget me, with confirmation
    english(await turn("please delete my data"), "confirm_forget")
    got = await turn("yes")
    english(got, "forgotten")
    with unit_of_work(lite.app.engine) as db:
        assert lite.app.service.contacts.find(db, "whatsapp", PERSON) is None
