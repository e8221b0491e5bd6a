"""Escalation through the real pipeline: service turns, the outbox dispatcher and the real
python-telegram-bot / twilio clients talking to local fake servers. Time is a FakeClock."""
# ruff: noqa: F811  (tests take the imported `pipe` and `lite` fixtures as arguments)

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from bot import scheduler
from bot.app import App
from bot.channels.telegram import parse_update
from bot.channels.whatsapp import parse_inbound
from bot.roster import add_defensora, find_defensora, remove_defensora
from bot.service import Handled
from bot.store import unit_of_work
from bot.store.models import Case, CaseEvent, Outbox
from flows import cases as flow
from flows.engine import Content
from tests.case_pipeline import (
    ALERT_SID,
    ANA,
    BETY,
    BOT_NUMBER,
    CARMEN_WA,
    COORD,
    PERSON,
    PERSON_TG,
    THREAT,
    Pipeline,
    close_pipeline,
    lite,  # noqa: F401  (a fixture)
    no_number,
    open_pipeline,
    pipe,  # noqa: F401  (a fixture)
    roster,
    wired_settings,
)
from tests.conftest import FakeClock
from tests.fakes import (
    FakeTelegram,
    FakeTwilio,
    make_message_update,
    make_whatsapp_inbound,
)

# ------------------------------------------------------------------------------------ ping


async def test_death_threat_on_whatsapp_pings_the_on_duty_defensora_on_telegram(
    pipe: Pipeline,
) -> None:
    roster(pipe.app, on_duty=("Ana",))
    pipe.whatsapp(THREAT)
    await pipe.drain()

    pings = pipe.tg_texts(ANA)
    assert len(pings) == 1
    ping = pings[0]
    assert "#1" in ping and "INMINENTE" in ping and "amenaza de muerte" in ping
    case = pipe.case()
    assert case.pseudonym in ping and "whatsapp" in ping
    assert "me va a matar" in ping and "[número]" in ping
    no_number(ping)
    button = pipe.telegram.sent_to(ANA)[0].buttons
    assert button == [{"text": "Tomar #1", "callback_data": "/tomar 1"}]
    # nobody else hears of it: Bety and Carmen are off duty, Coco is a coordinator
    assert (
        pipe.tg_texts(BETY) == [] and pipe.tg_texts(COORD) == [] and pipe.wa_texts(CARMEN_WA) == []
    )

    # the person: a calm reply, 105 and Línea 100 first, asked once if it is safe, then the
    # truth about people: the defensoras on shift were told (no promise that one will write)
    replies = pipe.wa_texts()
    texts = pipe.app.content.texts
    assert replies[0] == texts["risk_imminent"]
    assert replies[0].index("105") < replies[0].index("Línea 100")
    assert replies[1] == pipe.app.content.cases["person_on_duty"]  # before the question
    assert replies[2].startswith(texts["ask_safe"])
    assert len(replies) == 3
    for reply in replies:
        lowered = reply.lower()
        assert "alert" not in lowered and "notific" not in lowered
        assert "te escribirá" not in lowered
    assert all(call.from_ == "whatsapp:" + BOT_NUMBER for call in pipe.twilio.sent)

    # the case row: severity, categories, excerpt, channel, pseudonym, timestamps, audit trail
    assert case.status == "open" and case.severity == "imminent"
    assert case.categories == "threat_to_life" and case.channel == "whatsapp"
    assert case.excerpt is not None and "987" not in case.excerpt
    assert case.opened_at == pipe.clock.now
    assert case.ack_deadline == pipe.clock.now + timedelta(minutes=5)
    assert pipe.events() == ["opened", "paged", "told_person"]

    # a second risky message joins the same case and does not ask about safety again
    pipe.clock.advance(minutes=1)
    pipe.whatsapp("ademas me pego y me rompio la boca")
    await pipe.drain()
    with unit_of_work(pipe.app.engine) as db:
        assert len(db.exec(select(Case)).all()) == 1
    assert len(pipe.tg_texts(ANA)) == 1  # same severity: no new ping
    assert not any(texts["ask_safe"] in reply for reply in pipe.wa_texts()[3:])

    # nothing in the database holds the number in clear
    with pipe.app.engine.connect() as connection:
        dump = " ".join(
            str(value)
            for table in ("escalation_case", "case_event", "outbox", "contact")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
            for value in row
        )
    assert PERSON[1:] not in dump and "987 654 321" not in dump


async def test_higher_severity_joins_the_case_and_pings_again(lite: Pipeline) -> None:
    roster(lite.app, on_duty=("Ana",))
    lite.whatsapp("hola")
    lite.whatsapp("4")  # talk to a defensora
    lite.whatsapp("1")  # yes, it is safe: a moderate, requested case
    await lite.drain()
    case = lite.case()
    assert case.severity == "moderate" and case.requested
    assert case.safe_to_write is True  # she chose "Sí, es seguro que me escriban aquí"
    assert lite.app.content.texts["cat_requested"] in lite.tg_texts(ANA)[0]

    lite.clock.advance(minutes=2)
    lite.whatsapp(THREAT)
    await lite.drain()
    case = lite.case()
    assert case.severity == "imminent" and case.categories == "threat_to_life"
    assert case.ack_deadline == lite.clock.now + timedelta(minutes=5)
    upgraded = lite.tg_texts(ANA)[-1]
    assert "#1" in upgraded and "INMINENTE" in upgraded
    no_number(upgraded)
    assert lite.events() == [
        "opened",
        "paged",
        "told_person",
        "safe_to_write",
        "joined",
        "upgraded",
        "paged",
    ]


async def test_whatsapp_defensora_gets_the_alert_template_outside_the_window(
    sqlite_url: str,
    clock: FakeClock,
    content: Content,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
) -> None:
    settings = wired_settings(
        sqlite_url, fake_telegram, fake_twilio, whatsapp_template_alert_sid=ALERT_SID
    )
    pipe = await open_pipeline(settings, clock, content, fake_telegram, fake_twilio)
    try:
        roster(pipe.app, on_duty=("Carmen",))
        pipe.whatsapp(THREAT)
        await pipe.drain()
        [alert] = pipe.twilio.sent_to(CARMEN_WA)
        assert alert.content_sid == ALERT_SID
        variables = json.dumps(alert.content_variables, ensure_ascii=False)
        assert "#1" in variables
        no_number(variables)

        # once she writes (inside the window), plain text with the command to take it
        pipe.whatsapp("/casos", number=CARMEN_WA)
        await pipe.drain()
        listing = pipe.wa_texts(CARMEN_WA)[-1]
        assert "#1" in listing and pipe.case().pseudonym in listing
        pipe.whatsapp("/tomar 1", number=CARMEN_WA)
        await pipe.drain()
        assert pipe.case().status == "taken"
        assert "Tomaste el caso #1" in pipe.wa_texts(CARMEN_WA)[-1]
    finally:
        await close_pipeline(pipe)


# ----------------------------------------------------------------- take, relay, close


async def test_take_relay_both_ways_and_close(pipe: Pipeline) -> None:
    roster(pipe.app)
    pipe.whatsapp(THREAT)
    pipe.whatsapp("1")  # yes, safe to write
    await pipe.drain()
    assert pipe.case().safe_to_write is True
    assert len(pipe.tg_texts(ANA)) == 1 and len(pipe.tg_texts(BETY)) == 1

    pipe.press(ANA, "/tomar 1")  # the inline button
    await pipe.drain()
    case = pipe.case()
    assert case.status == "taken" and case.taken_at == pipe.clock.now
    assert "Tomaste el caso #1" in pipe.tg_texts(ANA)[-1]
    words = pipe.app.content.cases
    assert pipe.tg_texts(BETY)[-1] == words.text("taken_notice", id=1, name="Ana")
    assert pipe.tg_texts(COORD) == []
    assert pipe.wa_texts()[-1] == flow.taken_notice(words, "whatsapp")  # she hears it was seen

    before = len(pipe.wa_texts())
    pipe.tg(ANA, "/responder 1 Hola, soy defensora. ¿Estás en un lugar seguro?")
    await pipe.drain()
    [relayed] = pipe.wa_texts()[before:]
    assert pipe.tg_texts(ANA)[-1] == words.text("sent", id=1)
    assert relayed == words.text(
        "person_from_defensora", text="Hola, soy defensora. ¿Estás en un lugar seguro?"
    )
    assert str(ANA) not in relayed

    pipe.whatsapp("si, estoy donde mi mama. mi cel nuevo es 912 345 678")
    await pipe.drain()
    back = pipe.tg_texts(ANA)[-1]
    assert back.startswith(f"💬 #1 {case.pseudonym}: si, estoy donde mi mama")
    assert "912 345 678" not in back and "[número]" in back
    no_number(back)
    assert len(pipe.wa_texts()) == before + 1  # the bot itself stays quiet while relaying
    assert len(pipe.tg_texts(BETY)) == 2  # relays go to the holder only

    pipe.tg(ANA, "/cerrar 1 derivada al CEM de Comas")
    await pipe.drain()
    assert pipe.case().status == "closed" and pipe.case().closed_at == pipe.clock.now
    assert pipe.tg_texts(ANA)[-1] == words.text("closed", id=1)
    assert pipe.wa_texts()[-1] == words["person_closed"]
    assert pipe.events() == [
        "opened",
        "paged",
        "paged",
        "told_person",
        "safe_to_write",
        "taken",
        "told_person",
        "relayed_out",
        "relayed_in",
        "closed",
    ]

    # after closing, her messages get the bot again and nothing more reaches Ana
    pipe.whatsapp("hola")
    await pipe.drain()
    assert "Soy el asistente" in pipe.wa_texts()[-1]  # the greeting, its menu in the same message
    assert len(pipe.tg_texts(ANA)) == 5  # ping, taken, sent, her words, closed


async def test_taking_a_taken_case_says_who_has_it(lite: Pipeline) -> None:
    from prometheus_client import REGISTRY

    def takes() -> float:
        name = "defensoras_escalation_time_to_take_seconds_count"
        return REGISTRY.get_sample_value(name) or 0.0

    before = takes()
    roster(lite.app)
    lite.whatsapp(THREAT)
    lite.tg(ANA, "/tomar 1")
    lite.tg(BETY, "/tomar #1")
    lite.tg(BETY, "/responder 1 hola")
    lite.tg(BETY, "/cerrar 1")
    lite.tg(ANA, "/tomar 1")  # taking it again is harmless
    await lite.drain()
    words = lite.app.content.cases
    # one message says Ana has it (the notice); her own late /tomar adds nothing more
    assert lite.tg_texts(BETY)[-3:] == [
        words.text("taken_notice", id=1, name="Ana"),
        words.text("not_yours", id=1, name="Ana"),
        words.text("not_yours", id=1, name="Ana"),
    ]
    assert lite.tg_texts(ANA)[-1] == words.text("taken_already_yours", id=1)
    assert lite.case().status == "taken" and lite.events().count("taken") == 1
    assert not any(body.startswith("Defensora:") for body in lite.wa_texts())
    assert takes() == before + 1  # /metrics: escalation time-to-take, once per case


async def test_defensora_commands_casos_turno_ayuda_and_unknown_cases(lite: Pipeline) -> None:
    roster(lite.app)
    lite.tg(ANA, "/casos")
    lite.whatsapp(THREAT)
    lite.tg(ANA, "/casos")
    lite.tg(ANA, "/turno")
    lite.tg(ANA, "/ayuda")
    lite.tg(ANA, "/responder 1 hola")  # not taken yet
    lite.tg(ANA, "/tomar 99")
    lite.tg(ANA, "/tomar")
    await lite.drain()
    texts = lite.tg_texts(ANA)[-8:]
    pseudonym = lite.case().pseudonym
    words, content = lite.app.content.cases, lite.app.content
    assert texts[0] == words["no_cases"]
    assert texts[1].startswith("🔔 Caso #1")  # the ping
    assert texts[2] == words.text(
        "cases",
        lines=words.list_line.format(
            id=1,
            severity=content.texts["sev_imminent"],
            age="0 min",
            pseudonym=pseudonym,
            safety=words["safety_short_unknown"],
            holder=words["holder_none"],
            channel="whatsapp",
        ),
    )
    assert texts[3] == words.text("on_duty", names="Ana, Bety")
    assert texts[4] == words["help"]
    assert texts[5] == words.text("not_taken", id=1)
    assert texts[6] == words.text("not_found", id=99)
    assert texts[7] == words.text("hint_missing_number", verb="tomar", example="")
    no_number(*texts)


async def test_impostors_get_the_public_flow(lite: Pipeline) -> None:
    roster(lite.app)
    with unit_of_work(lite.app.engine) as db:
        add_defensora(db, lite.app.vault, "Dora", "telegram", "5009", coordinator=False)
        remove_defensora(db, "Dora")
    lite.whatsapp(THREAT)
    for attempt in ("/tomar 1", "/casos", "/cerrar 1", "/responder 1 hola"):
        lite.tg(PERSON_TG, attempt)  # someone else on Telegram
        lite.tg(5009, attempt)  # a defensora who was removed
        lite.whatsapp(attempt, number="+51900000000")  # a stranger on WhatsApp
    lite.whatsapp("/tomar 1", number=str(ANA))  # Ana's chat id, but on WhatsApp
    await lite.drain()
    case = lite.case()
    assert case.status == "open" and case.taken_by is None
    assert "taken" not in lite.events() and "closed" not in lite.events()
    answers = lite.tg_texts(PERSON_TG) + lite.tg_texts(5009) + lite.wa_texts("+51900000000")
    assert answers
    for answer in answers:
        assert "#1" not in answer and case.pseudonym not in answer and "Casos" not in answer


# ------------------------------------------------------------------------ re-escalation


async def test_an_ignored_case_climbs_the_ladder_and_stops(pipe: Pipeline) -> None:
    """On shift first; at the deadline the coordinator too; then everyone; the wait doubles;
    after the cap nobody is paged again. Each re-page says who was already told."""
    roster(pipe.app, on_duty=("Ana",))
    words = pipe.app.content.cases
    pipe.whatsapp(THREAT)  # imminent: 5 minutes
    await pipe.drain()
    pipe.clock.advance(minutes=4, seconds=59)
    assert pipe.reescalate() == 0
    await pipe.drain()
    assert pipe.tg_texts(COORD) == [] and pipe.tg_texts(BETY) == []

    pipe.clock.advance(seconds=1)
    assert pipe.reescalate() == 1
    await pipe.drain()
    [reping] = pipe.tg_texts(COORD)
    assert reping.startswith("⏰ Caso #1 SIN TOMAR desde hace 5 min")
    assert "Ya avisadas: Ana" in reping
    no_number(reping)
    assert pipe.telegram.sent_to(COORD)[0].buttons[0]["callback_data"] == "/tomar 1"
    assert len(pipe.tg_texts(ANA)) == 2  # Ana is reminded too
    assert pipe.tg_texts(BETY) == [] and pipe.wa_texts(CARMEN_WA) == []  # not yet everyone
    # the person hears the truth once: nobody has taken it yet, and the lines to call
    assert pipe.wa_texts()[-1] == flow.waiting_notice(words, None, pipe.clock.now)

    pipe.clock.advance(minutes=9)
    assert pipe.reescalate() == 0
    pipe.clock.advance(minutes=1)  # 10 minutes later: everyone
    assert pipe.reescalate() == 1
    await pipe.drain()
    for texts in (pipe.tg_texts(BETY), pipe.wa_texts(CARMEN_WA)):
        assert len(texts) == 1 and texts[0].startswith("⏰ Caso #1 SIN TOMAR desde hace 15 min")
        assert "Ya avisadas: Ana, Coco" in texts[0]
    sent = sum(len(pipe.tg_texts(chat)) for chat in (ANA, BETY, COORD))
    for wait in (20, 40):  # two more, the last one says so
        pipe.clock.advance(minutes=wait)
        assert pipe.reescalate() == 1
    await pipe.drain()
    assert "Último aviso automático" in pipe.tg_texts(COORD)[-1]
    assert "Último" not in pipe.tg_texts(COORD)[-2]
    pipe.clock.advance(hours=12)
    assert pipe.reescalate() == 0  # the cap: no more paging, the case waits in /casos
    await pipe.drain()
    assert sum(len(pipe.tg_texts(chat)) for chat in (ANA, BETY, COORD)) == sent + 6
    assert pipe.events().count("reescalated") == 4
    assert pipe.wa_texts().count(flow.waiting_notice(words, None, pipe.clock.now)) == 1

    pipe.press(COORD, "/tomar 1")
    await pipe.drain()
    assert pipe.case().status == "taken"
    # everyone who was paged learns it is taken, so nobody else tries
    assert pipe.tg_texts(BETY)[-1] == words.text("taken_notice", id=1, name="Coco")
    assert pipe.tg_texts(ANA)[-1] == words.text("taken_notice", id=1, name="Coco")


async def test_a_case_taken_in_time_never_reaches_the_coordinator(pipe: Pipeline) -> None:
    roster(pipe.app, on_duty=("Ana",))
    pipe.whatsapp("mi esposo me obligo a tener relaciones")  # high: 15 minutes
    assert pipe.case().severity == "high"
    assert pipe.case().ack_deadline == pipe.clock.now + timedelta(minutes=15)
    pipe.clock.advance(minutes=14)
    assert pipe.reescalate() == 0
    pipe.tg(ANA, "/tomar 1")
    pipe.clock.advance(hours=2)
    assert pipe.reescalate() == 0
    await pipe.drain()
    assert pipe.tg_texts(COORD) == [] and pipe.tg_texts(BETY) == []
    assert pipe.wa_texts(CARMEN_WA) == []


async def test_ack_timeout_setting_applies_to_every_severity(
    sqlite_url: str,
    clock: FakeClock,
    content: Content,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
) -> None:
    settings = wired_settings(
        sqlite_url, fake_telegram, fake_twilio, escalation_ack_timeout_seconds=60
    )
    pipe = await open_pipeline(settings, clock, content, fake_telegram, fake_twilio)
    try:
        roster(pipe.app, on_duty=("Ana",))
        pipe.whatsapp(THREAT)
        pipe.whatsapp("mi esposo me obligo a tener relaciones", number="+51955555555")
        assert {pipe.case(1).severity, pipe.case(2).severity} == {"imminent", "high"}
        pipe.clock.advance(seconds=59)
        assert pipe.reescalate() == 0
        pipe.clock.advance(seconds=1)
        assert pipe.reescalate() == 2
        await pipe.drain()
        assert len(pipe.tg_texts(COORD)) == 2
    finally:
        await close_pipeline(pipe)


async def test_a_restart_keeps_the_pending_deadline(
    database_url: str,
    clock: FakeClock,
    content: Content,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
) -> None:
    settings = wired_settings(database_url, fake_telegram, fake_twilio)
    first = await open_pipeline(settings, clock, content, fake_telegram, fake_twilio)
    roster(first.app, on_duty=("Ana",))
    first.whatsapp(THREAT)
    await close_pipeline(first)  # the process dies before the deadline

    clock.advance(minutes=6)
    second = await open_pipeline(settings, clock, content, fake_telegram, fake_twilio)
    try:
        assert second.reescalate() == 1
        await second.drain()  # the ping queued before the restart goes out too
        assert len(second.tg_texts(ANA)) == 2
        [reping] = second.tg_texts(COORD)
        assert reping.startswith("⏰ Caso #1 SIN TOMAR desde hace 6 min")
    finally:
        await close_pipeline(second)


async def test_nobody_on_duty_goes_straight_to_the_coordinators(lite: Pipeline) -> None:
    roster(lite.app, on_duty=())
    lite.whatsapp(THREAT)
    await lite.drain()
    words = lite.app.content.cases
    [ping] = lite.tg_texts(COORD)
    assert ping.startswith("🔔 Caso #1") and "Nadie de turno ahora" in ping  # explicit
    assert lite.tg_texts(ANA) == [] and lite.wa_texts(CARMEN_WA) == []
    # the person: nobody on shift, when the next shift starts, 105 and Línea 100; no promise
    truth = lite.wa_texts()[1]  # after the 105 reply, before the safety question
    assert truth == flow.staffing_notice(words, flow.Circle.COORDINATORS, None, lite.clock.now)
    assert "105" in truth and "te escribirá" not in truth
    lite.tg(ANA, "/turno")
    await lite.drain()
    assert lite.tg_texts(ANA) == [words["nobody_on_duty"]]
    lite.clock.advance(minutes=5)
    assert lite.reescalate() == 1
    await lite.drain()
    assert words["no_shift_line"] in lite.tg_texts(COORD)[-1]  # re-pages say it too


async def test_nobody_registered_logs_loudly_and_the_case_waits(
    lite: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.escalation"):
        lite.whatsapp(THREAT)
    assert any("NOBODY" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert lite.case().status == "open" and lite.case().pages == 0
    assert lite.events() == ["opened", "no_recipient", "told_person"]
    # she is told the truth: nobody can answer here now, and the lines to call
    await lite.drain()
    assert lite.wa_texts()[1] == lite.app.content.cases["person_nobody"]
    assert "105" in lite.wa_texts()[1]

    # once someone is registered, the next deadline reaches her
    with unit_of_work(lite.app.engine) as db:
        add_defensora(db, lite.app.vault, "Ana", "telegram", str(ANA), coordinator=False)
    lite.clock.advance(minutes=5)
    assert lite.reescalate() == 1
    await lite.drain()
    assert lite.tg_texts(ANA)[0].startswith("⏰ Caso #1")


# -------------------------------------------------------------------------------- race


def race(app: App, case_id: int, chats: tuple[int, ...]) -> dict[int, str | None]:
    """Every chat sends `/tomar N` at the same instant, each in its own thread."""
    barrier = threading.Barrier(len(chats))
    handled: dict[int, Handled] = {}
    errors: list[BaseException] = []

    def take(chat_id: int) -> None:
        update = make_message_update(case_id * 100 + chat_id % 100, chat_id, f"/tomar {case_id}")
        parsed = parse_update(update)
        assert parsed.envelope is not None
        try:
            barrier.wait(timeout=10)
            handled[chat_id] = app.service.handle(parsed.envelope)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(chat,)) for chat in chats]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    answers: dict[int, str | None] = {}
    with unit_of_work(app.engine) as db:
        for chat, result in handled.items():
            rows = [db.get(Outbox, i) for i in result.outbox_ids]
            assert len(rows) <= 1
            answers[chat] = rows[0].text if rows and rows[0] is not None else None
    return answers


def test_two_defensoras_racing_to_take_the_same_case(app: App) -> None:
    roster(app)
    rounds = 4
    for n in range(rounds):
        app.service.handle(parse_inbound(make_whatsapp_inbound(THREAT, from_=f"+5190000000{n}")))
    for case_id in range(1, rounds + 1):
        answers = race(app, case_id, (ANA, BETY))
        winners = [
            chat for chat, answer in answers.items() if answer and answer.startswith("Tomaste")
        ]
        assert len(winners) == 1, answers
        [loser] = [chat for chat in answers if chat not in winners]
        winner = "Ana" if winners[0] == ANA else "Bety"
        # one message to the loser: the notice the winner's take queued, nothing more
        assert answers[loser] is None
        with unit_of_work(app.engine) as db:
            loser_id = find_defensora(db, "Ana" if loser == ANA else "Bety").id
            notices = db.exec(
                select(Outbox).where(col(Outbox.dedupe_key) == f"taken:{case_id}:{loser_id}")
            ).all()
        assert [row.text for row in notices] == [
            app.content.cases.text("taken_notice", id=case_id, name=winner)
        ]
        with unit_of_work(app.engine) as db:
            case = db.get(Case, case_id)
            assert case is not None and case.status == "taken"
            taken = db.exec(
                select(CaseEvent).where(
                    col(CaseEvent.case_id) == case_id, col(CaseEvent.kind) == "taken"
                )
            ).all()
        assert len(taken) == 1 and taken[0].actor == winner


# ------------------------------------------------------------------- forget, retention


async def test_borrar_closes_her_case_with_a_note_to_the_defensora(lite: Pipeline) -> None:
    roster(lite.app)
    lite.whatsapp(THREAT)
    lite.tg(ANA, "/tomar 1")
    lite.whatsapp("BORRAR")
    await lite.drain()
    case = lite.case()
    assert case.status == "closed" and case.contact_id is None and case.excerpt is None
    assert "borró la conversación" in lite.tg_texts(ANA)[-1]
    assert "lo tomó" in lite.tg_texts(BETY)[-1]  # Bety does not get the BORRAR note
    assert "Borré tus datos" in lite.wa_texts()[-1]
    lite.tg(ANA, "/responder 1 hola?")
    await lite.drain()
    assert lite.tg_texts(ANA)[-1].startswith("No encuentro un caso abierto #1")


async def test_borrar_before_anyone_takes_it_tells_whoever_was_paged(lite: Pipeline) -> None:
    roster(lite.app, on_duty=())
    lite.whatsapp(THREAT)  # nobody on duty: the coordinator was paged
    lite.whatsapp("BORRAR")
    await lite.drain()
    assert lite.case().status == "closed"
    assert "borró la conversación" in lite.tg_texts(COORD)[-1]
    assert lite.reescalate() == 0


async def test_excerpts_are_purged_after_retention_and_the_record_stays(lite: Pipeline) -> None:
    roster(lite.app)
    lite.whatsapp(THREAT)
    lite.tg(ANA, "/tomar 1")
    lite.tg(ANA, "/responder 1 hola, ¿cómo estás?")  # kept on WhatsApp until delivered
    lite.whatsapp("estoy en casa de mi hermana")  # relayed
    await lite.drain()
    lite.clock.advance(days=29)
    scheduler.retention(lite.app)
    assert lite.case().excerpt is not None
    lite.clock.advance(days=1, seconds=1)
    scheduler.retention(lite.app)
    case = lite.case()
    assert case.excerpt is None
    assert case.severity == "imminent" and case.categories == "threat_to_life"
    assert case.pseudonym and case.channel == "whatsapp"
    with unit_of_work(lite.app.engine) as db:
        private = db.exec(select(Outbox).where(col(Outbox.kind).in_(("ping", "relay")))).all()
        assert all(row.text == "" for row in private)  # finished rows are deleted outright


async def test_removing_a_defensora_reopens_the_cases_she_held(lite: Pipeline) -> None:
    roster(lite.app)
    lite.whatsapp(THREAT)
    lite.tg(ANA, "/tomar 1")
    lite.clock.advance(minutes=30)
    with unit_of_work(lite.app.engine) as db:
        assert remove_defensora(db, "ana", now=lite.clock.now) == [1]  # names match loosely
    case = lite.case()
    assert case.status == "open" and case.taken_by is None
    await lite.drain()
    sent_to_ana = len(lite.tg_texts(ANA))

    lite.whatsapp("sigues ahi?")  # not relayed into the void: the bot answers her
    assert lite.reescalate() == 1  # and the next scan pages everyone still registered
    await lite.drain()
    assert (
        "sigues ahi" not in " ".join(lite.tg_texts(ANA)) and len(lite.tg_texts(ANA)) == sent_to_ana
    )
    assert lite.wa_texts()[-1]  # she got an answer from the bot
    assert lite.tg_texts(BETY)[-1].startswith("⏰ Caso #1")
    assert lite.tg_texts(COORD)[-1].startswith("⏰ Caso #1")
    assert "released" in lite.events()
    lite.tg(ANA, "/tomar 1")  # her chat is no longer a defensora's
    assert lite.case().status == "open"


async def test_an_upgrade_after_reescalation_reaches_everyone_who_was_told(lite: Pipeline) -> None:
    roster(lite.app, on_duty=("Ana",))
    lite.whatsapp("mi esposo me obligo a tener relaciones")  # high
    lite.clock.advance(minutes=15)
    assert lite.reescalate() == 1
    lite.clock.advance(minutes=1)
    lite.whatsapp(THREAT)  # imminent now
    await lite.drain()
    for chat in (ANA, COORD):
        assert lite.tg_texts(chat)[-1].startswith("⬆️ Caso #1 subió a INMINENTE"), chat
    assert lite.tg_texts(BETY) == []  # off shift and never told: the ladder had not reached her
    assert lite.case().ack_deadline == lite.clock.now + timedelta(minutes=5)


def test_a_large_roster_is_paged_and_re_paged(app: App, clock: FakeClock) -> None:
    with unit_of_work(app.engine) as db:
        for n in range(70):  # their ids no longer fit one 200-char audit field
            add_defensora(
                db, app.vault, f"Defensora {n}", "telegram", str(9000 + n), coordinator=False
            )
    app.service.handle(parse_inbound(make_whatsapp_inbound(THREAT, from_=PERSON)))
    clock.advance(minutes=5)
    assert scheduler.reescalate(app) == 1
    with unit_of_work(app.engine) as db:
        pings = db.exec(select(Outbox).where(col(Outbox.kind) == "ping")).all()
        paged = db.exec(select(CaseEvent).where(col(CaseEvent.kind) == "paged")).all()
    assert len(pings) == 140 and len(paged) == 140


def test_two_risky_messages_at_once_from_one_person_make_one_case(app: App) -> None:
    roster(app)
    app.service.handle(parse_inbound(make_whatsapp_inbound("hola", from_=PERSON)))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def say(body: str) -> None:
        envelope = parse_inbound(make_whatsapp_inbound(body, from_=PERSON))
        try:
            barrier.wait(timeout=10)
            app.service.handle(envelope)
        except BaseException as exc:
            errors.append(exc)

    bodies = (THREAT, "me puso un cuchillo en el cuello")
    threads = [threading.Thread(target=say, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with unit_of_work(app.engine) as db:
        [case] = db.exec(select(Case)).all()
    assert set(case.categories.split(",")) == {"threat_to_life", "weapon_strangulation"}
