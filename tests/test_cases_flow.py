"""The defensora side, pure: reading her messages, the texts she and the person get, the
re-escalation ladder. No database, no clock: plain values in, decisions out."""

from __future__ import annotations

import random
import re
import string
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from flows.cases import (
    MAX_CASE_ID,
    MAX_REPAGES,
    AskSend,
    CancelDraft,
    CaseView,
    CaseWords,
    Circle,
    Close,
    Help,
    Hint,
    ListCases,
    Message,
    OnDuty,
    Reply,
    SendDraft,
    Staff,
    Take,
    callback_ack,
    case_list,
    confirm_send,
    first_page,
    hint_text,
    indiscreet_word,
    load_case_words,
    merge_excerpt,
    ping,
    read_message,
    relay_in,
    repage,
    reping,
    staffing_notice,
    taken_notice,
    upgraded,
    waiting_notice,
    when,
)
from flows.engine import Content
from flows.menus import Texts
from flows.types import Severity
from tests.conftest import ROOT_CONTENT

NOW = datetime(2026, 6, 17, 15, 0, tzinfo=UTC)


@pytest.fixture
def words(content: Content) -> CaseWords:
    return content.cases


@pytest.fixture
def texts(content: Content) -> Texts:
    return content.texts


def read(words: CaseWords, text: str = "", **kwargs: object) -> object:
    return read_message(Message(text=text, **kwargs), words)  # type: ignore[arg-type]


def view(**changes: object) -> CaseView:
    values: dict[str, object] = {
        "id": 7,
        "severity": Severity.IMMINENT,
        "categories": ("threat_to_life",),
        "pseudonym": "C-7F3A",
        "channel": "whatsapp",
        "opened_at": NOW - timedelta(minutes=12),
        "excerpt": "me dijo que me va a matar",
    }
    values.update(changes)
    return CaseView(**values)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- commands


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("/tomar 3", Take(3)),
        ("tomar 3", Take(3)),
        ("Tomar #3", Take(3)),
        ("TOMAR 3.", Take(3)),
        ("/tomar@DefensorasBot 3", Take(3)),
        ("/tomar3", Take(3)),
        ("/tomar #3", Take(3)),
        ("/responder 3 Hola, ¿estás bien?", Reply(3, "Hola, ¿estás bien?")),
        ("responder 3 Hola", Reply(3, "Hola")),
        ("/responder 3 línea uno\nlínea dos", Reply(3, "línea uno\nlínea dos")),
        ("/cerrar 3 derivada al CEM", Close(3, "derivada al CEM")),
        ("cerrar 3", Close(3, "")),
        ("/casos", ListCases()),
        ("casos", ListCases()),
        ("Casos", ListCases()),
        ("/turno", OnDuty()),
        ("turno", OnDuty()),
        ("/ayuda", Help()),
        ("/start", Help()),
        ("ayuda", Help()),
        ("/enviar", SendDraft()),
        ("/cancelar", CancelDraft()),
    ],
)
def test_commands_with_or_without_the_slash(words: CaseWords, typed: str, expected: object) -> None:
    assert read(words, typed) == expected


@pytest.mark.parametrize(
    ("typed", "text_id", "must_show"),
    [
        ("/tomar", "hint_missing_number", "/tomar 12"),
        ("/tomar uno", "hint_bad_number", "«uno»"),
        ("/tomar -1", "hint_bad_number", "«-1»"),
        ("/tomar ١٢", "hint_bad_number", "«١٢»"),
        ("/cerrar", "hint_missing_number", "/cerrar 12 nota"),
        ("/responder", "hint_missing_number", "/responder 12 tu mensaje"),
        ("/responder1", "hint_missing_text", "/responder 1 "),
        ("/responder 4", "hint_missing_text", "/responder 4 "),
        ("responder 4", "hint_missing_text", "/responder 4 "),
        ("/tomar 99999999999999999999", "not_found", "#99999999999999999999"),
        (f"/tomar {MAX_CASE_ID + 1}", "not_found", f"#{MAX_CASE_ID + 1}"),
        ("/tomar 0", "not_found", "#0"),
        ("/borrar 3", "hint_unknown_verb", "«/borrar»"),
        ("/", "hint_unknown_verb", "«/»"),
    ],
)
def test_every_mistake_gets_its_own_hint(
    words: CaseWords, typed: str, text_id: str, must_show: str
) -> None:
    hint = read(words, typed)
    assert isinstance(hint, Hint) and hint.text_id == text_id
    assert must_show in hint_text(words, hint)


def test_the_largest_case_number_a_database_holds_is_still_a_number(words: CaseWords) -> None:
    assert read(words, f"/tomar {MAX_CASE_ID}") == Take(MAX_CASE_ID)


def test_nul_and_invisible_characters_never_reach_the_person(words: CaseWords) -> None:
    command = read(words, "/responder 3 ho\x00la\u200b amiga\x07")
    assert command == Reply(3, "hola amiga")


def test_no_input_raises(words: CaseWords) -> None:
    """Random bytes, emoji, huge numbers, glued verbs: always a decision, never an exception."""
    rng = random.Random(18)
    alphabet = string.printable + "\x00\u200b#/@ñáé💜١٢" + "0123456789" * 3
    seeds = ["/tomar ", "tomar ", "/responder", "/cerrar ", "/", "responder ", "#", ""]
    for _ in range(3000):
        noise = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        typed = rng.choice(seeds) + noise
        held = tuple(rng.sample(range(1, 9), rng.randint(0, 2)))
        command = read_message(
            Message(text=typed, quoted=rng.choice([None, noise]), held=held, draft_case=None),
            words,
        )
        if isinstance(command, Hint):
            assert hint_text(words, command)
        if isinstance(command, Take | Reply | Close | AskSend):
            assert 1 <= command.case_id <= MAX_CASE_ID
        if isinstance(command, Reply | AskSend):
            assert command.text and "\x00" not in command.text


# --------------------------------------------------------------------------- decisions


def test_plain_text_with_one_case_held_asks_before_sending(words: CaseWords) -> None:
    assert read(words, "Hola, soy Ana", held=(4,)) == AskSend(4, "Hola, soy Ana")


def test_words_that_only_look_like_commands_are_her_message(words: CaseWords) -> None:
    assert read(words, "tomar agua te hará bien", held=(4,)) == AskSend(
        4, "tomar agua te hará bien"
    )
    assert read(words, "casos como el tuyo hay muchos", held=(4,)) == AskSend(
        4, "casos como el tuyo hay muchos"
    )


def test_plain_text_with_no_case_or_many_says_nothing_was_sent(words: CaseWords) -> None:
    none = read(words, "ella escribió: me amenaza con un cuchillo")
    assert isinstance(none, Hint)
    assert hint_text(words, none) == words.text("hint_free_text", held=words["held_none"])
    many = read(words, "hola", held=(9, 2))
    assert isinstance(many, Hint)
    assert "#2, #9" in hint_text(words, many)


def test_a_reply_to_a_relayed_message_goes_to_that_case(words: CaseWords) -> None:
    quoted = words.text("relay_in", id=12, pseudonym="C-7F3A", text="sigues ahi?")
    command = read(words, "Sí, aquí estoy", quoted=quoted, held=(4, 12))
    assert command == Reply(12, "Sí, aquí estoy")
    # a command typed as a reply is still the command
    assert read(words, "/casos", quoted=quoted) == ListCases()


def test_yes_or_no_answers_a_pending_draft_only(words: CaseWords) -> None:
    assert read(words, "sí", draft_case=4, held=(4,)) == SendDraft()
    assert read(words, "SI!", draft_case=4, held=(4,)) == SendDraft()
    assert read(words, "no", draft_case=4, held=(4,)) == CancelDraft()
    assert read(words, "si", held=(4,)) == AskSend(4, "si")  # no draft: it is her message


# ----------------------------------------------------------------------------- texts


def test_pings_carry_safety_district_and_take_button(words: CaseWords, texts: Texts) -> None:
    message = ping(words, texts, view(district="Comas", safe_to_write=False), nobody_on_shift=False)
    assert message.text.startswith("🔔 Caso #7")
    assert texts["sev_imminent"] in message.text and texts["cat_threat_to_life"] in message.text
    assert words["safety_no"] in message.text
    assert words.text("detail_district", district="Comas") in message.text
    assert [o.key for o in message.options] == ["/tomar 7"]
    unknown = ping(words, texts, view(), nobody_on_shift=True)
    assert words["safety_unknown"] in unknown.text and "Distrito" not in unknown.text
    assert unknown.text.startswith(words["ping_no_shift"].split("\n")[0].format(**_head()))


def _head() -> dict[str, object]:
    return {"id": 7, "severity": "INMINENTE", "categories": "amenaza de muerte"}


def test_repings_say_who_was_told_and_which_is_the_last(words: CaseWords, texts: Texts) -> None:
    text = reping(words, texts, view(), NOW, ("Ana", "Coco"), last=False).text
    assert "desde hace 12 min" in text and "Ana, Coco" in text
    assert "Último" not in text
    assert words["no_shift_line"] not in text
    unstaffed = reping(words, texts, view(), NOW, ("Coco",), last=False, nobody_on_shift=True)
    assert words["no_shift_line"] in unstaffed.text
    last = reping(words, texts, view(safe_to_write=True), NOW, (), last=True).text
    assert words["nobody_told"] in last and "Último aviso" in last and words["safety_yes"] in last


def test_an_upgrade_of_a_held_case_names_the_holder_and_has_no_button(
    words: CaseWords, texts: Texts
) -> None:
    held = upgraded(words, texts, view(holder="Lucía"))
    assert "lo tiene Lucía" in held.text and held.options == ()
    free = upgraded(words, texts, view())
    assert [o.key for o in free.options] == ["/tomar 7"]


def test_danger_in_a_held_case_stands_out(words: CaseWords) -> None:
    danger = relay_in(words, view(holder="Lucía"), "volvió y me quiere matar", danger=True)
    assert danger.text.startswith("🚨 peligro ahora") and "Lucía" in danger.text
    plain = relay_in(words, view(holder="Lucía"), "gracias", danger=False)
    assert plain.text == words.text("relay_in", id=7, pseudonym="C-7F3A", text="gracias")


def test_the_first_excerpt_survives_upgrades(words: CaseWords) -> None:
    first = "me pegó ayer"
    once = merge_excerpt(words, first, "ahora me quiere matar")
    assert once is not None and once.startswith(first) and "me quiere matar" in once
    twice = merge_excerpt(words, once, "tiene un cuchillo")
    assert twice is not None and twice.startswith(first) and "cuchillo" in twice
    assert "me quiere matar" not in twice
    assert merge_excerpt(words, None, "x" * 900) == "x" * 380
    assert merge_excerpt(words, first, None) == first


def test_case_list_in_spanish_with_age_severity_safety_and_holder(
    words: CaseWords, texts: Texts
) -> None:
    listing = case_list(
        words,
        texts,
        [
            view(id=9, opened_at=NOW - timedelta(hours=3), safe_to_write=False, holder="Ana"),
            view(id=2, severity=Severity.HIGH, opened_at=NOW - timedelta(minutes=4)),
        ],
        NOW,
    )
    first, second, third = listing.split("\n")
    assert first == words.text("cases", lines="").strip()
    assert second.startswith("#2 · ALTO · hace 4 min") and words["holder_none"] in second
    assert third.startswith("#9 · INMINENTE · hace 3 h") and third.endswith("Ana")
    assert words["safety_short_no"] in third
    for english in ("open", "taken", "whatsapp"):
        assert english not in listing
    assert case_list(words, texts, [], NOW) == words["no_cases"]


def test_confirmation_questions_and_button_acknowledgement(words: CaseWords) -> None:
    plain = confirm_send(words, 4, "Hola", unsafe=False)
    assert plain.text == words.text("ask_send", id=4, text="Hola")
    assert [o.key for o in plain.options] == ["/enviar", "/cancelar"]
    unsafe = confirm_send(words, 4, "Hola", unsafe=True)
    assert unsafe.text.startswith("⛔ #4")
    assert callback_ack(words, "/tomar 4") == words.text("callback_ack", command="/tomar 4")


# ---------------------------------------------------------------------------- ladder


STAFF = Staff(on_duty=(1, 2), coordinators=(3,), everyone=(1, 2, 3, 4, 5))


def test_first_page_goes_to_whoever_is_on_shift_else_coordinators_else_everyone() -> None:
    ack = timedelta(minutes=5)
    assert first_page(STAFF, ack).recipients == (1, 2)
    assert first_page(STAFF, ack).circle is Circle.ON_DUTY
    nobody_on = Staff(coordinators=(3,), everyone=(1, 3))
    assert first_page(nobody_on, ack).circle is Circle.COORDINATORS
    no_coord = Staff(everyone=(1, 4))
    assert first_page(no_coord, ack).recipients == (1, 4)
    empty = first_page(Staff(), ack)
    assert empty.circle is Circle.NOBODY and empty.recipients == () and empty.next_wait == ack


def test_repages_widen_wait_longer_and_stop() -> None:
    ack = timedelta(minutes=5)
    pages = [repage(STAFF, done, ack) for done in range(MAX_REPAGES + 1)]
    assert pages[0].recipients == (1, 2, 3)  # on shift again, and the coordinators
    assert pages[1].recipients == (1, 2, 3, 4, 5)  # then everyone
    waits = [p.next_wait for p in pages]
    assert waits[:3] == [timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40)]
    assert pages[MAX_REPAGES - 1].last and waits[MAX_REPAGES - 1] is None
    assert pages[MAX_REPAGES].recipients == () and pages[MAX_REPAGES].next_wait is None
    assert sum(len(p.recipients) for p in pages) == 3 + 5 * (MAX_REPAGES - 1)


def test_repage_with_nobody_registered_waits_without_spending_a_rung() -> None:
    page = repage(Staff(), 0, timedelta(minutes=5))
    assert page.recipients == () and page.next_wait == timedelta(minutes=5) and not page.last


# ------------------------------------------------------------------- what she hears


def test_the_person_hears_the_truth_about_people(words: CaseWords) -> None:
    lima_now = datetime(2026, 6, 17, 22, 0)
    tomorrow = datetime(2026, 6, 18, 8, 0)
    assert staffing_notice(words, Circle.ON_DUTY, None, lima_now) == words["person_on_duty"]
    no_shift = staffing_notice(words, Circle.COORDINATORS, tomorrow, lima_now)
    assert "mañana a las 08:00" in no_shift and "105" in no_shift
    assert staffing_notice(words, Circle.NOBODY, None, lima_now) == words["person_nobody"]
    waiting = waiting_notice(words, None, lima_now)
    assert waiting == words.text("person_waiting", next_shift="")
    for text in (no_shift, waiting, words["person_nobody"]):
        assert "te escribirá" not in text  # no promise when nobody can keep it
    assert when(words, datetime(2026, 6, 19, 8, 0), lima_now) == "el viernes 19 a las 08:00"
    assert when(words, datetime(2026, 6, 17, 23, 30), lima_now) == "hoy a las 23:30"


def test_stopping_safely_is_told_right_for_each_channel(words: CaseWords) -> None:
    on_whatsapp = taken_notice(words, "whatsapp")
    assert words["stop_whatsapp"] in on_whatsapp
    assert "borro esta conversación" not in on_whatsapp  # WhatsApp: the bot cannot delete
    assert words["stop_telegram"] in taken_notice(words, "telegram")


def test_texts_to_the_person_are_discreet_on_a_lock_screen(words: CaseWords) -> None:
    for key, text in words.texts.items():
        if key.startswith(("person_", "stop_")):
            assert indiscreet_word(text) is None, key


# ------------------------------------------------------------------ content checks


def _raw() -> dict[str, object]:
    loaded = yaml.safe_load((ROOT_CONTENT / "cases.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda d: d["texts"].pop("sent"), "missing ['sent']"),
        (lambda d: d["texts"].update(sent="✓ {idd}"), "unknown placeholder"),
        (lambda d: d["texts"].update(person_closed="Tu caso de violencia\nhola"), "lock screen"),
        (lambda d: d["texts"].update(help="Comandos: /casos"), "must name /tomar"),
        (lambda d: d["verbs"]["cerrar"].append("tomar"), "only one verb"),
        (lambda d: d.update(list_line="#{id} {estado}"), "unknown placeholder"),
        (lambda d: d.update(weekdays=["lunes"]), "7 names"),
    ],
)
def test_bad_case_content_is_refused_with_the_key(change: object, complaint: str) -> None:
    data = _raw()
    change(data)  # type: ignore[operator]
    with pytest.raises(ValueError, match=r"cases\.yaml") as error:
        load_case_words(data)
    assert complaint in str(error.value)


def test_no_text_she_may_get_on_whatsapp_promises_to_delete_the_chat(content: Content) -> None:
    """The bot cannot delete WhatsApp messages: SALIR erases her data, she deletes the chat."""
    promise = re.compile(r"borr\w* (esta|la) conversaci|para borrar este chat")
    shared = {k: content.texts[k] for k in ("safe_yes", "not_safe", "ask_safe", "forgotten")}
    to_her = {k: t for k, t in content.cases.texts.items() if k.startswith("person_")}
    to_her["stop_whatsapp"] = content.cases["stop_whatsapp"]
    for key, text in {**shared, **to_her}.items():
        assert not promise.search(text.lower()), key
