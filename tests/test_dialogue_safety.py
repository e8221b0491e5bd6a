"""Transcripts of the two safety questions, kept apart, and of the risk replies.

"¿Estás en peligro ahora?" follows a bare cry; a yes pages as imminent. "¿Es seguro que te
escribamos por aquí?" follows a risk reply; when it is not, one short discreet reply and nothing
more. Assertions name the content's text ids, never a copy of the Spanish wording.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from flows.dialogue.context import Ctx
from flows.dialogue.safety import risk_turn
from flows.effects import Escalate, SafeToContact
from flows.engine import Content
from flows.risk import Assessment
from flows.session import Awaiting, Session
from flows.types import Severity
from tests.transcript import NOW, Chat

CONTENT_DIR = Path(__file__).resolve().parents[1] / "content"
RISK = "mi esposo me pegó ayer"  # high, not a cry
CRY = "auxilio"


@pytest.fixture
def chat(content: Content) -> Chat:
    return Chat(content)


# ------------------------------------------------------------------ danger now (after a cry)


@pytest.mark.parametrize("yes", ["si", "siii", "sí sí", "1", "👍", "yes", "ayuda", "claro"])
def test_yes_to_danger_now_pages_as_imminent_with_105_first(chat: Chat, yes: str) -> None:
    chat.say(CRY)
    assert chat.said("ask_danger_now") and not chat.said("ask_safe")
    chat.say(yes)
    assert chat.paged is Severity.IMMINENT
    assert chat.first("risk_imminent")
    assert chat.text.index("105") < chat.text.index("Línea 100")
    assert chat.said("ask_safe")  # the other question comes next, on its own
    assert chat.session.awaiting is Awaiting.SAFE_TO_WRITE


@pytest.mark.parametrize(
    "no", ["no", "nop", "no, ahora no", "estoy bien", "👎", "nada", "ya se fue"]
)
def test_no_to_danger_now_is_heard_and_nothing_is_paged(chat: Chat, no: str) -> None:
    chat.say(CRY).say(no)
    assert chat.paged is None
    assert chat.said("danger_no") and chat.shows_menu
    assert chat.session.awaiting is None


@pytest.mark.parametrize(
    "here", ["está aquí", "sí, está al lado", "él lee mi celular", "he is here"]
)
def test_he_is_here_is_itself_imminent_and_not_safe(chat: Chat, here: str) -> None:
    chat.say(CRY).say(here)
    assert chat.paged is Severity.IMMINENT
    assert chat.safe is False
    assert chat.replies == [chat.t("not_safe")] and chat.labels == []


def test_cannot_talk_pages_high_and_stays_quiet(chat: Chat) -> None:
    chat.say(CRY).say("no puedo")
    assert chat.paged is Severity.HIGH and chat.safe is False
    assert chat.replies == [chat.t("not_safe")]


def test_unsure_about_danger_pages_high_and_gives_the_numbers(chat: Chat) -> None:
    chat.say(CRY).say("no sé")
    assert chat.paged is Severity.HIGH
    assert chat.first("risk_high") and chat.said("ask_safe")


def test_a_cry_the_assessor_marks_high_pages_then_asks_about_now(content: Content) -> None:
    """Bare 'socorro' is high with a follow-up: paged at once, and the danger question asked."""
    cry = Assessment(Severity.HIGH, (), ("cry: socorro",), follow_up=True)
    turn = risk_turn(Session(), "socorro", cry, Ctx(content, NOW))
    assert [type(e) for e in turn.effects] == [Escalate]
    assert turn.effects[0] == Escalate(Severity.HIGH, (), ("cry: socorro",), "socorro")
    assert [r.text for r in turn.replies] == [content.texts["ask_danger_now"]]
    assert turn.session.awaiting is Awaiting.DANGER_NOW
    chat = Chat(content)
    chat.session = turn.session
    chat.say("siii")
    assert chat.paged is Severity.IMMINENT and chat.first("risk_imminent")


# ------------------------------------------------------------------ safe to write (after risk)


def test_risk_reply_asks_if_it_is_safe_to_write_not_about_danger(chat: Chat) -> None:
    chat.say(RISK)
    assert chat.paged is Severity.HIGH
    assert chat.first("risk_high") and chat.said("ask_safe")
    assert not chat.said("ask_danger_now")


@pytest.mark.parametrize(
    "yes", ["si", "siii", "claro", "sí, es seguro", "👍", "estoy sola", "ok, sí", "okey si gracias"]
)
def test_safe_to_write_yes(chat: Chat, yes: str) -> None:
    chat.say(RISK).say(yes)
    assert chat.safe is True
    assert chat.said("safe_yes") and chat.shows_menu


@pytest.mark.parametrize(
    "no", ["no", "nop", "noo", "no, ahora no", "después", "no puedo", "no sé", "2", "👎", "not now"]
)
def test_not_safe_gets_one_short_discreet_reply_and_nothing_else(chat: Chat, no: str) -> None:
    chat.say(RISK).say(no)
    assert chat.safe is False
    assert chat.replies == [chat.t("not_safe")]
    assert chat.labels == []  # no menu
    assert chat.t("not_safe").index("105") < chat.t("not_safe").index("Línea 100")
    assert chat.session.awaiting is None
    chat.say("hola")  # she writes again: the bot answers as usual
    assert chat.shows_menu


def test_he_is_here_as_the_answer_to_safe_to_write_pages_imminent(chat: Chat) -> None:
    chat.say(RISK).say("no, está aquí")
    assert chat.paged is Severity.IMMINENT and chat.safe is False
    assert chat.session.severity is Severity.IMMINENT


def test_an_answer_that_does_not_answer_gets_the_question_again(chat: Chat) -> None:
    chat.say(RISK).say("mmm qué")
    assert chat.replies == [chat.t("ask_safe")]
    assert chat.session.awaiting is Awaiting.SAFE_TO_WRITE
    chat.say("dónde queda el cem de comas")  # she moved on: the bot follows
    assert "Comas" in chat.text and chat.session.awaiting is None


def test_help_instead_of_an_answer_turns_into_the_danger_question(chat: Chat) -> None:
    chat.say(RISK).say("ayuda")
    assert chat.said("ask_danger_now")
    chat.say("si")
    assert chat.paged is Severity.IMMINENT


def test_sessions_stored_by_the_previous_release_still_answer(chat: Chat) -> None:
    chat.session = Session.from_dict({"node": "main", "awaiting": "safe_to_talk"})
    assert chat.session.awaiting is Awaiting.SAFE_TO_WRITE
    chat.say("no")
    assert chat.safe is False
    chat.session = Session.from_dict({"awaiting": "follow_up", "severity": "none"})
    chat.say("si")
    assert chat.paged is Severity.IMMINENT
    assert Session.from_dict({"awaiting": "a_state_since_removed"}).awaiting is None
    stored = Session(awaiting=Awaiting.CONFIRM_FORGET).to_dict()
    assert stored["awaiting"] == "confirm_forget"
    assert Session.from_dict(stored).awaiting is Awaiting.CONFIRM_FORGET


# ------------------------------------------------------------------ self-harm


@pytest.mark.parametrize("text", ["ya no quiero vivir", "me quiero morir"])
def test_self_harm_thoughts_get_113_linea_100_and_their_own_words(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.paged is Severity.HIGH
    assert chat.first("self_harm_high") and not chat.said("risk_high")
    reply = chat.t("self_harm_high")
    assert "113" in reply and "opción 5" in reply and "Línea 100" in reply
    assert chat.said("ask_safe")


@pytest.mark.parametrize("text", ["me tomé todas las pastillas", "me estoy cortando"])
def test_self_harm_under_way_gets_106_and_105_first(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.paged is Severity.IMMINENT
    assert chat.first("self_harm_imminent") and not chat.said("risk_imminent")
    reply = chat.t("self_harm_imminent")
    numbers = re.findall(r"\b1\d\d\b", reply)
    assert numbers[:2] == ["106", "105"]


# ------------------------------------------------------------------ someone else's story


@pytest.mark.parametrize(
    ("language", "text"),
    [("es", "mi vecina me contó que su esposo le pega"),
     ("es", "mi prima me dice que su pareja la golpea cuando toma"),
     ("es", "yo vi que el señor del frente le pegaba a su esposa"),
     ("en", "my neighbour told me her husband hits her"),
     ("en", "i think my neighbour's husband beats her")],
)  # fmt: skip
def test_a_report_told_to_her_is_answered_about_that_person(
    chat: Chat, language: str, text: str
) -> None:
    """The 'me' of 'me contó' / 'told me' is the listener: the reply speaks of that person."""
    if language == "en":
        chat.say("hola").say("english")
    chat.say(text)
    assert chat.paged is not None
    assert chat.first("risk_other_high") or chat.first("risk_other_imminent")
    assert not chat.said("risk_high") and not chat.said("risk_imminent")
    assert chat.said("ask_safe")  # the safety question is hers: she is the one writing


def test_a_report_told_to_her_of_danger_now_is_answered_about_that_person(chat: Chat) -> None:
    chat.say("mi vecina me acaba de escribir que su esposo la está golpeando ahora")
    assert chat.paged is Severity.IMMINENT
    assert chat.first("risk_other_imminent") and not chat.said("risk_imminent")


def test_a_threat_told_to_her_asks_whether_that_person_is_in_danger_now(chat: Chat) -> None:
    chat.say("hola").say("english")
    chat.say("my friend told me her boyfriend threatens her")
    assert chat.session.awaiting is Awaiting.DANGER_NOW_OTHER
    assert chat.first("ask_danger_now_other") and not chat.said("ask_danger_now")
    chat.say("what?")  # not an answer: the same question again
    assert chat.said("ask_danger_now_other")
    chat.say("yes")
    assert chat.paged is Severity.IMMINENT
    assert chat.first("risk_other_imminent") and not chat.said("risk_imminent")
    assert chat.said("ask_safe")


def test_no_to_whether_that_person_is_in_danger_now_is_heard(chat: Chat) -> None:
    chat.say("mi amiga me contó que su pareja la amenaza")
    if chat.session.awaiting is Awaiting.DANGER_NOW_OTHER:  # a threat may also read as high
        chat.say("no, ahorita no")
        assert chat.first("danger_no") and chat.paged is None
    else:
        assert chat.first("risk_other_high")


@pytest.mark.parametrize(
    ("text", "text_id"),
    [("mi esposo me dijo que me va a matar", "risk_imminent"),
     ("mi vecina me contó que su esposo me va a pegar a mí también", "risk_high"),
     ("mi esposo me dice que soy una inútil y me pegó", "risk_high"),
     ("my husband told me I'm worthless and hit me", "risk_high")],
)  # fmt: skip
def test_when_he_tells_her_or_she_is_in_it_too_the_reply_speaks_to_her(
    chat: Chat, text: str, text_id: str
) -> None:
    if text.startswith("my "):
        chat.say("hola").say("english")
    chat.say(text)
    assert chat.first(text_id)


# ------------------------------------------------------------------ wording rules


RISK_TEXTS = (
    "risk_imminent",
    "risk_high",
    "self_harm_imminent",
    "self_harm_high",
    "ask_danger_now",
    "ask_danger_now_other",
    "danger_no",
    "ask_safe",
    "safe_yes",
    "not_safe",
    "defensora_requested",
)
PROMISES = re.compile(
    r"te escribir[áa]|te escribiremos|te contactar|te llamar[áa]|te va a escribir"
)


@pytest.mark.parametrize("text_id", RISK_TEXTS)
def test_risk_texts_never_promise_that_someone_will_write(content: Content, text_id: str) -> None:
    assert not PROMISES.search(content.texts[text_id].lower())


def test_every_number_in_the_texts_is_a_sourced_help_line(content: Content) -> None:
    lines = yaml.safe_load((CONTENT_DIR / "helplines.yaml").read_text(encoding="utf-8"))["lines"]
    sourced = {re.match(r"\d+", str(line["number"])).group() for line in lines if line["number"]}  # type: ignore[union-attr]
    for text_id, text in content.texts.texts.items():
        for number in re.findall(r"\b1\d\d\b", text):
            assert number in sourced, f"{text_id}: {number} is not in helplines.yaml"
    assert {"105", "100", "106", "113"} <= sourced


def test_danger_texts_put_105_before_linea_100(content: Content) -> None:
    for text_id in ("risk_imminent", "not_safe", "ask_danger_now", "danger_no"):
        text = content.texts[text_id]
        assert "105" in text
        if "Línea 100" in text:
            assert text.index("105") < text.index("Línea 100"), text_id


def test_safe_to_contact_false_is_the_last_word_of_an_unsafe_turn(chat: Chat) -> None:
    chat.say(RISK).say("no")
    assert chat.effects == [SafeToContact(safe=False)]


def test_an_answer_with_risk_words_is_read_as_the_answer_and_its_risk_kept(chat: Chat) -> None:
    chat.say(RISK).say("no, me dijo que me va a matar")
    assert chat.replies == [chat.t("not_safe")]  # the answer: not safe, one discreet reply
    assert chat.safe is False
    assert chat.paged is Severity.IMMINENT  # the report: paged at its own level
    assert chat.session.severity is Severity.IMMINENT
    assert [e.kind for e in chat.effects][-1] == "safe_to_contact"


# ------------------------------------------------ a conditional 'si' ('if') is not a yes


@pytest.mark.parametrize(
    ("threat", "text_id", "level"),
    [("si lo denuncio me mata", "risk_imminent", Severity.IMMINENT),
     ("si se entera que te escribo me mata", "risk_imminent", Severity.IMMINENT),
     ("si me ve con el celular me pega", "risk_high", Severity.HIGH),
     ("sí, me va a matar", "risk_imminent", Severity.IMMINENT)],
)  # fmt: skip
def test_a_threat_instead_of_a_yes_gets_the_risk_reply_and_the_question_stays_open(
    chat: Chat, threat: str, text_id: str, level: Severity
) -> None:
    """'si lo denuncio me mata' is a threat, not "yes, it is safe": no "Gracias", nothing
    recorded as safe; the risk reply, and the question still open (not asked a second time,
    as after any second risk message: test_escalation)."""
    chat.say(RISK)
    chat.say(threat)
    assert not chat.said("safe_yes") and chat.safe is None
    assert chat.replies == [chat.t(text_id)]
    assert chat.paged is level and chat.session.severity is level
    assert chat.session.awaiting is Awaiting.SAFE_TO_WRITE
    chat.say("si")  # now she answers it
    assert chat.safe is True and chat.said("safe_yes")


@pytest.mark.parametrize(
    "yes",
    ["si claro", "si, pueden escribirme", "si me pueden escribir", "si por favor", "si gracias",
     "si estoy sola", "sí", "Sí, claro", "si quieres escríbeme",
     # a yes with a reason that still means yes (answers_blind1's classes)
     "si, ahorita no está", "sí, ahora no está", "si tranqui", "si mejor por acá, no me llamen",
     "si mejor por aca", "sí normal", "ok, sí", "si normal nomas escriban", "si, no me llamen",
     "sí, no hay nadie", "si, el no sabe usar whatsapp", "sí, no hay problema", "no esta",
     "ya no está", "yes its fine", "yes please text me here", "ya pues escriban"],
)  # fmt: skip
def test_a_yes_even_with_a_reason_is_consent_to_write(chat: Chat, yes: str) -> None:
    chat.say(RISK).say(yes)
    assert chat.safe is True and chat.said("safe_yes")


@pytest.mark.parametrize(
    "hedged", ["sí, pero si me ve me mata", "si pero solo en la noche", "si vuelve a venir no sé"]
)
def test_a_hedged_or_conditional_yes_is_not_safe_to_write(chat: Chat, hedged: str) -> None:
    chat.say(RISK).say(hedged)
    assert chat.safe is False and chat.replies == [chat.t("not_safe")]


def test_an_english_condition_is_not_a_yes(chat: Chat) -> None:
    chat.say("hola").say("english").say("my husband hit me yesterday")
    assert chat.session.awaiting is Awaiting.SAFE_TO_WRITE
    chat.say("yes if he is out")
    assert chat.safe is False and chat.replies == [chat.t("not_safe")]


def test_a_quechua_condition_is_not_a_yes(chat: Chat) -> None:
    chat.say("runasimi").say(RISK)
    assert chat.session.awaiting is Awaiting.SAFE_TO_WRITE
    chat.say("si willakuptiyqa wañuchiwanqa")  # 'if I tell, he will kill me'
    assert chat.safe is None and not chat.said("safe_yes")
    assert chat.paged is not None and chat.session.awaiting is Awaiting.SAFE_TO_WRITE


def test_a_hedged_yes_to_danger_now_is_still_danger_now(chat: Chat) -> None:
    chat.say(CRY).say("sí, pero si me ve me mata")
    assert chat.paged is Severity.IMMINENT and chat.first("risk_imminent")


def test_a_conditional_threat_to_danger_now_is_read_as_the_threat(chat: Chat) -> None:
    chat.say(CRY).say("si lo denuncio me mata")
    assert chat.paged is Severity.IMMINENT and chat.first("risk_imminent")
    assert chat.session.awaiting is Awaiting.SAFE_TO_WRITE


def test_no_with_a_condition_to_danger_now_is_not_good_news(chat: Chat) -> None:
    chat.say(CRY).say("no, pero si me ve me mata")
    assert not chat.said("danger_no") and chat.paged is not None


def test_no_to_danger_now_beside_a_threat_gets_the_risk_reply_not_me_alegra(chat: Chat) -> None:
    chat.say(RISK).say("si")  # safe to write: answered
    chat.say(CRY)
    assert chat.session.awaiting is Awaiting.DANGER_NOW
    chat.say("estoy sola, me dijo que me va a matar")
    assert not chat.said("danger_no") and chat.first("risk_imminent")
    assert chat.paged is Severity.IMMINENT
    assert chat.session.awaiting is None  # she answered "are you in danger now?"


# ------------------------------------- answers_blind1 (spent): classes of replies it showed


@pytest.mark.parametrize(
    "ok", ["ok", "okey", "okis", "bueno", "vale", "ok gracias", "ok entendido"]
)
def test_a_bare_ok_to_safe_to_write_is_no_consent_and_asks_once_more(chat: Chat, ok: str) -> None:
    """'ok' may only acknowledge the numbers she was just sent: not consent (nothing recorded),
    not silence either; the question is asked again and her next answer decides."""
    chat.say(RISK).say(ok)
    assert chat.safe is None and not chat.said("safe_yes")
    assert chat.replies == [chat.t("ask_safe")]
    assert chat.session.awaiting is Awaiting.SAFE_TO_WRITE
    chat.say("si")
    assert chat.safe is True


@pytest.mark.parametrize("ok", ["ok", "okey"])
def test_ok_to_danger_now_still_pages(chat: Chat, ok: str) -> None:
    """To "¿Estás en peligro ahora?" an ok may be a yes: paged, as before."""
    chat.say(CRY).say(ok)
    assert chat.paged is Severity.IMMINENT


@pytest.mark.parametrize(
    "guess",
    ["creo que sí", "creo q si", "supongo que sí", "sí, creo", "yo creo que si", "supongo",
     "creo que ya se fue"],
)  # fmt: skip
def test_a_guessed_yes_is_no_consent_to_write(chat: Chat, guess: str) -> None:
    chat.say(RISK).say(guess)
    assert chat.safe is False and chat.replies == [chat.t("not_safe")]


def test_a_guessed_yes_in_english_is_no_consent_to_write(chat: Chat) -> None:
    chat.say("hola").say("english").say("my husband hit me yesterday")
    chat.say("i guess so")
    assert chat.safe is False and chat.replies == [chat.t("not_safe")]


@pytest.mark.parametrize("guess", ["creo que sí", "supongo que sí", "i guess so"])
def test_a_guessed_yes_to_danger_now_pages(chat: Chat, guess: str) -> None:
    chat.say(CRY).say(guess)
    assert chat.paged is Severity.IMMINENT


@pytest.mark.parametrize(
    "here",
    ["no!! está entrando", "no, está entrando", "no ya llegó", "no ya viene",
     "no, está tocando la puerta", "no... acaba de entrar"],
)  # fmt: skip
def test_arrival_after_a_no_is_danger_now(chat: Chat, here: str) -> None:
    chat.say(RISK).say(here)
    assert chat.paged is Severity.IMMINENT and chat.safe is False
    assert chat.replies == [chat.t("not_safe")]


@pytest.mark.parametrize(
    "here",
    ["no he is here right now", "no, he's at the door", "no he's outside", "nope, he is here"],
)
def test_english_presence_after_an_answer_word_is_danger_now(chat: Chat, here: str) -> None:
    chat.say("hola").say("english").say("my husband hit me yesterday")
    chat.say(here)
    assert chat.paged is Severity.IMMINENT and chat.safe is False


def test_english_presence_after_no_to_danger_now_pages(chat: Chat) -> None:
    chat.say("hola").say("english").say("help")
    assert chat.session.awaiting is Awaiting.DANGER_NOW
    chat.say("no he is here")
    assert chat.paged is Severity.IMMINENT and chat.safe is False


def test_an_english_no_before_im_fine_is_not_a_cry(chat: Chat) -> None:
    """'no im fine': the 'no' answers; it does not deny 'im fine' ('no estoy bien' does)."""
    chat.say("hola").say("english").say("help")
    chat.say("no im fine")
    assert chat.paged is None and chat.said("danger_no")


@pytest.mark.parametrize(
    "no",
    ["no, estoy bien", "no ya se fue", "no, no hay nadie", "no ya estoy bien",
     "no gracias estoy bien", "sí, mejor no", "si, mejor no", "ok, no me escriban"],
)  # fmt: skip
def test_a_no_then_fine_is_no_consent_to_write(chat: Chat, no: str) -> None:
    """A 'no' to "¿Es seguro que te escribamos?" stands, whatever good news follows it, and so
    does a yes taken back ('sí, mejor no')."""
    chat.say(RISK).say(no)
    assert chat.safe is False and chat.replies == [chat.t("not_safe")]


@pytest.mark.parametrize("no", ["no im fine", "no, i'm fine", "no i am fine", "no i m safe"])
def test_an_english_no_then_fine_is_no_consent_to_write(chat: Chat, no: str) -> None:
    chat.say("hola").say("english").say("my husband hit me yesterday")
    chat.say(no)
    assert chat.safe is False and chat.replies == [chat.t("not_safe")]


@pytest.mark.parametrize(
    "runs_on",
    ["ya va a llegar", "va a llegar", "ya me voy", "ya entendí, gracias",
     "pueden llevar el parlante a mi mercado"],
)  # fmt: skip
def test_a_yes_word_that_opens_a_sentence_is_no_consent(chat: Chat, runs_on: str) -> None:
    """'ya', 'va', 'pueden' open sentences too: 'ya va a llegar' (he is about to come) is no
    yes to "¿Es seguro que te escribamos?" (as a conditional 'si' is none); asked again."""
    chat.say(RISK).say(runs_on)
    assert chat.safe is not True and not chat.said("safe_yes")


@pytest.mark.parametrize("fear", ["im scared", "i am scared", "i'm afraid", "i am in danger"])
def test_an_english_fear_to_danger_now_pages_as_tengo_miedo_does(chat: Chat, fear: str) -> None:
    """ "Are you in danger now?" answered 'i am in danger' or 'im scared' pages, as 'estoy en
    peligro' and 'tengo miedo' do (it was read as no answer: a welcome menu, or a feelings reply,
    and the question dropped)."""
    chat.say("hola").say("english").say("help")
    assert chat.session.awaiting is Awaiting.DANGER_NOW
    chat.say(fear)
    assert chat.paged is Severity.IMMINENT


def test_estoy_asustada_to_danger_now_pages(chat: Chat) -> None:
    chat.say(CRY).say("estoy asustada")
    assert chat.paged is Severity.IMMINENT


@pytest.mark.parametrize("doubt", ["depende", "depende de la hora"])
def test_it_depends_is_a_doubt(chat: Chat, doubt: str) -> None:
    chat.say(CRY).say(doubt)
    assert chat.paged is Severity.HIGH
    chat = Chat(chat.content)
    chat.say(RISK).say(doubt)
    assert chat.safe is False


def test_a_long_reply_that_opens_with_a_doubt_is_a_doubt(chat: Chat) -> None:
    """Longer than a short answer, but its first clause is only 'no lo sé': unsure (paged high
    to "are you in danger now?", not consent to write)."""
    doubt = "no lo sé... él no me pega pero me grita y rompe cosas en la casa"
    chat.say(CRY).say(doubt)
    assert chat.paged is Severity.HIGH and chat.first("risk_high")
    chat = Chat(chat.content)
    chat.say(RISK).say(doubt)
    assert chat.safe is False


def test_a_long_reply_that_opens_with_a_yes_consents_to_nothing(chat: Chat) -> None:
    """A long story that starts with 'sí,' is read as a yes only where a wrong yes costs her
    nothing ("are you in danger now?"): never as consent to write."""
    chat.say(RISK).say("sí, él trabaja todo el día y llega tarde en la noche casi siempre")
    assert chat.safe is not True
    chat = Chat(chat.content)
    chat.say(CRY).say("sí, está borracho y grita y tira las cosas de la cocina al piso")
    assert chat.paged is Severity.IMMINENT
