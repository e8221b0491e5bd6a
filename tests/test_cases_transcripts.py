"""Issue 18 as transcripts: the woman on WhatsApp, defensoras and a coordinator on Telegram,
through the real pipeline (service turns, outbox dispatcher, fake Telegram and Twilio servers).
Texts are compared with content/cases.yaml, never with a copied sentence."""
# ruff: noqa: F811  (tests take the imported `pipe` and `lite` fixtures as arguments)

from __future__ import annotations

from sqlmodel import col, select

from bot.roster import add_defensora, add_shift
from bot.store import unit_of_work
from bot.store.models import Case, Outbox
from flows import cases as flow
from flows.cases import CaseWords
from tests.case_pipeline import (
    ANA,
    BETY,
    CARMEN_WA,
    COORD,
    PERSON,
    THREAT,
    Pipeline,
    lima,
    lite,  # noqa: F401  (a fixture)
    no_number,
    pipe,  # noqa: F401  (a fixture)
    roster,
)

SECOND = "+51944555666"
HIGH = "mi esposo me obligo a tener relaciones"


def words_of(pipe: Pipeline) -> CaseWords:
    return pipe.app.content.cases


def case_count(pipe: Pipeline) -> int:
    with unit_of_work(pipe.app.engine) as db:
        return len(db.exec(select(Case)).all())


# ------------------------------------------------- 1. her chat is never the public flow


async def test_a_defensora_who_forgets_the_slash_is_understood(lite: Pipeline) -> None:
    roster(lite.app)
    words = words_of(lite)
    lite.whatsapp(THREAT)
    lite.whatsapp("1")  # safe to write
    lite.tg(ANA, "tomar 1")
    await lite.drain()
    assert lite.case().status == "taken"
    before = len(lite.wa_texts())

    lite.tg(ANA, "Hola, soy Ana. ¿Puedes hablar ahora?")  # plain text, one case held
    await lite.drain()
    question = lite.telegram.sent_to(ANA)[-1]
    assert question.text == words.text(
        "ask_send", id=1, text="Hola, soy Ana. ¿Puedes hablar ahora?"
    )
    assert [b["callback_data"] for b in question.buttons] == ["/enviar", "/cancelar"]
    assert len(lite.wa_texts()) == before  # nothing reaches her before Ana says yes

    lite.press(ANA, "/enviar")
    await lite.drain()
    assert lite.wa_texts()[before:] == [
        words.text("person_from_defensora", text="Hola, soy Ana. ¿Puedes hablar ahora?")
    ]
    assert lite.tg_texts(ANA)[-1] == words.text("sent", id=1)  # ✓ enviado a #1

    lite.tg(ANA, "otra cosa")
    lite.tg(ANA, "no")  # she thinks better of it
    lite.tg(ANA, "si")  # nothing waits any more: this is a new draft, not a yes
    await lite.drain()
    assert lite.tg_texts(ANA)[-2] == words["draft_cancelled"]
    assert lite.tg_texts(ANA)[-1] == words.text("ask_send", id=1, text="si")
    assert len(lite.wa_texts()) == before + 1
    lite.tg(ANA, "casos")
    await lite.drain()
    assert lite.tg_texts(ANA)[-1].startswith(words.text("cases", lines=""))


async def test_quoting_her_words_never_opens_a_case_about_the_defensora(pipe: Pipeline) -> None:
    roster(pipe.app)
    words = words_of(pipe)
    pipe.tg(BETY, "ella escribió: me amenaza con un cuchillo")
    pipe.whatsapp("me va a matar, ayuda", number=CARMEN_WA)  # Carmen, on WhatsApp
    pipe.tg(COORD, "hola")
    await pipe.drain()
    assert case_count(pipe) == 0  # nobody paged, no case about a defensora
    none_held = words.text("hint_free_text", held=words["held_none"])
    assert pipe.tg_texts(BETY) == [none_held]
    assert pipe.wa_texts(CARMEN_WA) == [none_held]
    assert pipe.tg_texts(COORD) == [none_held]  # not the public menu
    assert pipe.tg_texts(ANA) == []
    for text in pipe.tg_texts(BETY) + pipe.wa_texts(CARMEN_WA):
        assert "105" not in text


async def test_a_reply_to_a_relayed_message_goes_to_that_case(lite: Pipeline) -> None:
    roster(lite.app)
    words = words_of(lite)
    lite.whatsapp(THREAT)
    lite.whatsapp(HIGH, number=SECOND)
    lite.whatsapp("1")
    lite.whatsapp("1", number=SECOND)
    lite.tg(ANA, "/tomar 1")
    lite.tg(ANA, "/tomar 2")
    lite.whatsapp("sigues ahi?", number=SECOND)
    await lite.drain()
    relayed = lite.tg_texts(ANA)[-1]
    assert relayed.startswith("💬 #2 ")
    first, second = len(lite.wa_texts()), len(lite.wa_texts(SECOND))

    lite.tg(ANA, "Sí, aquí estoy", quoting=relayed)  # Telegram "reply" to her message
    lite.tg(ANA, "hola")  # plain text with two cases held: says where it did NOT go
    await lite.drain()
    assert lite.wa_texts(SECOND)[second:] == [
        words.text("person_from_defensora", text="Sí, aquí estoy")
    ]
    assert len(lite.wa_texts()) == first
    assert lite.tg_texts(ANA)[-2] == words.text("sent", id=2)
    held = words.text("held_some", ids="#1, #2")
    assert lite.tg_texts(ANA)[-1] == words.text("hint_free_text", held=held)


async def test_a_whatsapp_defensora_replying_to_a_relayed_message_reaches_that_case(
    lite: Pipeline,
) -> None:
    roster(lite.app, on_duty=("Carmen",))
    words = words_of(lite)
    lite.whatsapp(THREAT)
    lite.whatsapp(HIGH, number=SECOND)
    lite.whatsapp("1")
    lite.whatsapp("1", number=SECOND)
    lite.whatsapp("/tomar 1", number=CARMEN_WA)
    lite.whatsapp("/tomar 2", number=CARMEN_WA)
    lite.whatsapp("sigues ahi?")
    await lite.drain()
    [relayed] = [c for c in lite.twilio.sent_to(CARMEN_WA) if (c.body or "").startswith("💬 #1")]
    assert relayed.sid is not None
    second = len(lite.wa_texts(SECOND))
    lite.whatsapp("Sí, aquí estoy", number=CARMEN_WA, replying_to=relayed.sid)
    await lite.drain()
    assert lite.wa_texts()[-1] == words.text("person_from_defensora", text="Sí, aquí estoy")
    assert len(lite.wa_texts(SECOND)) == second
    assert lite.wa_texts(CARMEN_WA)[-1] == words.text("sent", id=1)


# --------------------------------------------------------------- 2. "no es seguro"


async def test_not_safe_to_write_is_shown_and_enforced(pipe: Pipeline) -> None:
    roster(pipe.app, on_duty=("Ana",))
    words, content = words_of(pipe), pipe.app.content
    pipe.whatsapp(THREAT)
    pipe.whatsapp("2")  # not safe to write
    await pipe.drain()
    assert pipe.case().safe_to_write is False
    told_her = len(pipe.wa_texts())

    pipe.clock.advance(minutes=5)
    assert pipe.reescalate() == 1
    pipe.tg(COORD, "/casos")
    await pipe.drain()
    reping, listing = pipe.tg_texts(COORD)
    assert words["safety_no"] in reping
    assert words["safety_short_no"] in listing
    assert len(pipe.wa_texts()) == told_her  # nothing automatic to her: no "still waiting"

    pipe.tg(COORD, "/tomar 1")
    await pipe.drain()
    assert words["safety_no"] in pipe.tg_texts(COORD)[-1]
    assert len(pipe.wa_texts()) == told_her  # and no "a defensora saw your message"

    pipe.tg(COORD, "/responder 1 Hola, ¿cómo estás?")
    await pipe.drain()
    ask = words.text("ask_send_unsafe", id=1, text="Hola, ¿cómo estás?")
    assert pipe.tg_texts(COORD)[-1] == ask
    assert len(pipe.wa_texts()) == told_her
    pipe.tg(COORD, "/cancelar")
    await pipe.drain()
    assert pipe.tg_texts(COORD)[-1] == words["draft_cancelled"]
    assert len(pipe.wa_texts()) == told_her

    pipe.tg(COORD, "/responder 1 Hola, ¿cómo estás?")
    pipe.tg(COORD, "sí")  # she decides to send anyway
    await pipe.drain()
    assert pipe.wa_texts()[-1] == words.text("person_from_defensora", text="Hola, ¿cómo estás?")
    assert pipe.tg_texts(COORD)[-1] == words.text("sent", id=1)

    pipe.tg(COORD, "/cerrar 1 llamó a la Línea 100")
    await pipe.drain()
    assert pipe.tg_texts(COORD)[-1] == words.text("closed_quietly", id=1)
    assert pipe.wa_texts()[-1] != words["person_closed"]  # no automatic closing text
    assert content.texts["sev_imminent"] in reping


async def test_her_safety_answer_reaches_the_holder(lite: Pipeline) -> None:
    roster(lite.app)
    words = words_of(lite)
    lite.whatsapp(THREAT)  # the safety question is pending
    lite.tg(ANA, "/tomar 1")
    lite.whatsapp("2")  # relayed, and recorded as her answer
    await lite.drain()
    assert lite.tg_texts(ANA)[-1] == words.text("safety_changed", id=1, safety=words["safety_no"])
    assert lite.case().safe_to_write is False


# ------------------------------------------------------------ 3. confirmations, failures


async def test_a_failed_delivery_is_reported_to_the_holder(lite: Pipeline) -> None:
    roster(lite.app)
    words = words_of(lite)
    lite.whatsapp(THREAT)
    lite.whatsapp("1")
    lite.tg(ANA, "/tomar 1")
    await lite.drain()
    lite.clock.advance(hours=25)  # her 24-hour window closed
    lite.twilio.close_window(PERSON)
    lite.tg(ANA, "/responder 1 ¿Cómo sigues?")
    await lite.drain()
    assert lite.tg_texts(ANA)[-1] == words.text("sent", id=1)
    lite.reescalate()  # the scan that also reports failed deliveries
    lite.reescalate()  # once only
    await lite.drain()
    failed = words.text("delivery_failed", id=1, reason=words["reason_window"])
    assert lite.tg_texts(ANA).count(failed) == 1
    assert lite.tg_texts(ANA)[-1] == failed


# ------------------------------------------------------------ 4. the truth about people


async def test_the_woman_hears_when_the_next_shift_starts(lite: Pipeline) -> None:
    roster(lite.app, on_duty=())
    with unit_of_work(lite.app.engine) as db:
        add_shift(db, "Bety", lima(18, 8), lima(18, 20), weekly=False)
    lite.whatsapp(THREAT)
    await lite.drain()
    truth = lite.wa_texts()[1]
    assert "mañana a las 08:00" in truth and "105" in truth
    assert truth.split("\n")[0] == words_of(lite)["person_no_shift"].split("\n")[0]
    assert flow.indiscreet_word(truth) is None  # the lock-screen line says nothing


async def test_taken_in_time_she_hears_it_was_seen_and_how_to_stop(pipe: Pipeline) -> None:
    roster(pipe.app, on_duty=("Ana",))
    words = words_of(pipe)
    pipe.whatsapp(THREAT)
    pipe.whatsapp("1")
    pipe.clock.advance(minutes=2)
    pipe.press(ANA, "/tomar 1")
    await pipe.drain()
    seen = pipe.wa_texts()[-1]
    assert seen == flow.taken_notice(words, "whatsapp")
    assert words["stop_whatsapp"] in seen and words["stop_telegram"] not in seen
    assert pipe.tg_texts(COORD) == []


# --------------------------------------------------------- 6. danger in a held case


async def test_danger_during_a_held_case_stands_out_and_reaches_coordinators(
    pipe: Pipeline,
) -> None:
    roster(pipe.app, on_duty=("Ana",))
    content = pipe.app.content
    pipe.whatsapp(HIGH)
    pipe.whatsapp("1")
    pipe.tg(ANA, "/tomar 1")
    await pipe.drain()
    before = len(pipe.tg_texts(ANA))
    pipe.whatsapp("volvió y me quiere matar")
    await pipe.drain()
    [alarm] = pipe.tg_texts(ANA)[before:]  # one message: her words, marked
    assert alarm.startswith("🚨 peligro ahora") and "volvió y me quiere matar" in alarm
    [copy] = pipe.tg_texts(COORD)
    assert copy == alarm and "Ana" in copy
    assert pipe.telegram.sent_to(COORD)[0].buttons == []  # held: nothing to take
    assert pipe.wa_texts()[-1] == content.texts["risk_imminent"]  # 105 first, to her
    assert pipe.case().severity == "imminent"
    assert pipe.case().excerpt is not None and pipe.case().excerpt.startswith(HIGH)


async def test_an_upgrade_of_a_held_case_names_the_holder_without_a_take_button(
    lite: Pipeline,
) -> None:
    roster(lite.app)
    lite.whatsapp("hola")
    lite.whatsapp("4")  # talk to a defensora
    lite.whatsapp("1")  # safe: a moderate, requested case
    lite.tg(BETY, "/tomar 1")
    await lite.drain()
    lite.whatsapp(HIGH)  # worse, not danger now
    await lite.drain()
    upgrade = lite.telegram.sent_to(BETY)[-1]
    assert upgrade.text.startswith("⬆️ Caso #1 (lo tiene Bety)")
    assert upgrade.buttons == []
    assert lite.tg_texts(ANA)[-1] == words_of(lite).text("taken_notice", id=1, name="Bety")


# ------------------------------------------------------------------ 7. taking polish


async def test_taking_edits_the_buttons_and_the_ping_shows_her_district(lite: Pipeline) -> None:
    roster(lite.app)
    words = words_of(lite)
    for text in ("hola", "1", "Comas"):  # she looked up a CEM first
        lite.whatsapp(text)
    lite.whatsapp(HIGH)
    await lite.drain()
    ping = lite.tg_texts(ANA)[0]
    assert words.text("detail_district", district="Comas") in ping
    assert words["safety_unknown"] in ping
    lite.press(BETY, "/tomar 1")
    await lite.drain()
    edits = lite.telegram.calls_of("editMessageReplyMarkup")
    assert {str(call.chat_id) for call in edits} == {str(ANA), str(BETY)}
    label = words.text("taken_button", name="Bety")
    for call in edits:
        assert call.buttons and call.buttons[0]["text"] == label
    sent_ping = {str(ANA): lite.telegram.sent_to(ANA)[0].message_id}
    assert any(call.params["message_id"] == sent_ping[str(ANA)] for call in edits)
    lite.press(ANA, "/tomar 1")  # a stale button: one line, no second notice
    await lite.drain()
    assert lite.tg_texts(ANA)[-1] == words.text("taken_notice", id=1, name="Bety")
    assert lite.tg_texts(ANA).count(words.text("taken_notice", id=1, name="Bety")) == 1


async def test_pings_not_yet_sent_are_dropped_once_taken(lite: Pipeline) -> None:
    roster(lite.app)
    lite.whatsapp(THREAT)
    lite.tg(ANA, "/tomar 1")  # before the dispatcher ran
    await lite.drain()
    assert lite.tg_texts(BETY) == [words_of(lite).text("taken_notice", id=1, name="Ana")]
    with unit_of_work(lite.app.engine) as db:
        pings = db.exec(select(Outbox).where(col(Outbox.dedupe_key).startswith("page:1:"))).all()
    assert {row.status for row in pings} == {"cancelled"}


# ---------------------------------------------------------- 8. any argument, no crash


async def test_any_argument_is_answered_never_a_crash(pipe: Pipeline) -> None:
    roster(pipe.app)
    words = words_of(pipe)
    pipe.whatsapp(THREAT)
    pipe.whatsapp("1")
    pipe.tg(ANA, "/tomar 1")
    attempts = [
        "/tomar 99999999999999999999",
        "/tomar 2147483648",
        "/tomar 9223372036854775808",
        "/cerrar 99999999999999999999 nota",
        "/responder 99999999999999999999 hola",
        "/tomar uno",
        "/responder1",
        "/tomar",
        "/tomar -5",
        "/casos extra palabras",
        "/\x00",
        "\x00\x00",
        "/responder 1 ho\x00la",
    ]
    for attempt in attempts:
        pipe.tg(ANA, attempt)
    await pipe.drain()
    answers = pipe.tg_texts(ANA)[-len(attempts) :]
    assert answers[0] == words.text("not_found", id="99999999999999999999")
    assert answers[5] == words.text("hint_bad_number", verb="tomar", arg="uno", example="")
    assert answers[6] == words.text("hint_missing_text", id=1)
    assert answers[-1] == words.text("sent", id=1)
    assert pipe.wa_texts()[-1] == words.text("person_from_defensora", text="hola")
    no_number(*answers)
    assert pipe.case().status == "taken"


async def test_a_defensora_registered_later_keeps_her_chat_out_of_the_public_flow(
    lite: Pipeline,
) -> None:
    lite.tg(5010, "hola")  # before registration: the public bot
    await lite.drain()
    assert "Soy el asistente" in lite.tg_texts(5010)[0]
    with unit_of_work(lite.app.engine) as db:
        add_defensora(db, lite.app.vault, "Dora", "telegram", "5010", coordinator=False)
    lite.tg(5010, "hola")
    lite.tg(5010, "/ayuda")
    await lite.drain()
    words = words_of(lite)
    assert lite.tg_texts(5010)[-2:] == [
        words.text("hint_free_text", held=words["held_none"]),
        words["help"],
    ]
    assert case_count(lite) == 0


async def test_an_unconfirmed_draft_expires_and_is_erased(lite: Pipeline) -> None:
    from bot import scheduler
    from bot.store.models import Contact, Defensora

    roster(lite.app)
    words = words_of(lite)
    lite.whatsapp(THREAT)
    lite.tg(ANA, "/tomar 1")
    lite.tg(ANA, "te escribo luego")  # a draft waits for "¿Enviar a #1?"
    lite.clock.advance(minutes=31)
    scheduler.retention(lite.app)
    with unit_of_work(lite.app.engine) as db:
        ana = db.exec(
            select(Contact).join(Defensora, col(Defensora.contact_id) == col(Contact.id))
        ).first()
        assert ana is not None and "te escribo luego" not in ana.session
    await lite.drain()
    before = len(lite.wa_texts())
    lite.tg(ANA, "/enviar")
    await lite.drain()
    assert lite.tg_texts(ANA)[-1] == words["draft_none"]
    assert len(lite.wa_texts()) == before
