"""Risk replies and the two safety questions, kept apart:

- "¿Estás en peligro ahora?" (DANGER_NOW), after a bare cry or an ambiguous message; a yes, or
  "está aquí", pages as imminent.
- "¿Es seguro que te escribamos por aquí?" (SAFE_TO_WRITE), after a risk reply; when it is not,
  one short discreet reply and SafeToContact(False): nothing automatic reaches her until she
  writes again.

The replies never promise that a defensora will write: the shell knows who was paged and adds
the truth. Numbers are written in content/texts.yaml and checked against content/helplines.yaml.
"""

from __future__ import annotations

from flows.dialogue.answers import read_answer
from flows.dialogue.context import Ctx
from flows.dialogue.replies import ask, show
from flows.dialogue.words import Reading
from flows.effects import Effect, Escalate, Relay, SafeToContact
from flows.menus import Node
from flows.risk import Assessment, assess_risk
from flows.session import Awaiting, Session, Turn
from flows.text import fold
from flows.types import Outbound, Severity

MAX_EXCERPT = 280
SELF_HARM = "self_harm"
CHILD = "child_dependant"
SAFETY_QUESTIONS = frozenset(
    {Awaiting.DANGER_NOW, Awaiting.DANGER_NOW_OTHER, Awaiting.SAFE_TO_WRITE}
)
QUESTION_TEXT = {
    Awaiting.DANGER_NOW: "ask_danger_now",
    Awaiting.DANGER_NOW_OTHER: "ask_danger_now_other",
    Awaiting.SAFE_TO_WRITE: "ask_safe",
}


def escalation(
    severity: Severity,
    risk: Assessment | None = None,
    text: str | None = None,
    *,
    evidence: str | None = None,
    requested: bool = False,
) -> Escalate:
    """Ask the shell to open (or join) a case at this severity."""
    return Escalate(
        severity=severity,
        categories=risk.categories if risk else (),
        evidence=risk.evidence if risk else ((evidence,) if evidence else ()),
        excerpt=text[:MAX_EXCERPT] if text else None,
        requested=requested,
    )


FIRST_PERSON = frozenset(
    {"me", "yo", "conmigo", "nos", "nosotras", "nosotros", "i", "im", "myself", "ayudame"}
)
"""Words that put the writer in the story ('mi' alone may be 'mi vecina': not enough)."""
FIRST_PERSON_LANGUAGES = frozenset({"es", "en"})
TELLS_ME = frozenset(
    {"conto", "contaron", "cuenta", "cuentan", "dijo", "dijeron", "dice", "dicen", "comento",
     "comentaron", "escribio", "escribieron", "aviso", "avisaron", "confeso", "pidio", "pide"}
)  # fmt: skip
"""'me contó', 'me dijo': the 'me' of someone telling her, not of someone hurting her."""
TO_TELL = frozenset({"contar", "decir", "escribir", "avisar", "comentar", "llamar"})
"""'me acaba de contar': the same, just now."""
TOLD = frozenset({"told", "tells", "telling", "texted", "messaged", "asked", "wrote"})
"""'told me', 'texted me': the English listener."""
WITNESS = frozenset(
    {"think", "heard", "saw", "know", "believe", "suspect", "noticed", "creo", "vi", "se",
     "escuche", "oi", "pienso", "sospecho"}
)  # fmt: skip
"""'I think', 'yo vi': the writer as witness."""
TELLER_NOT_OTHER = frozenset(
    {"esposo", "marido", "pareja", "novio", "conviviente", "ex", "el", "husband", "boyfriend",
     "partner", "he"}
)  # fmt: skip
"""When he is the one telling her ('mi esposo me dijo que...'), it is her own story."""


def _is_teller(words: list[str], i: int) -> bool:
    """Is words[i] the listener or witness of someone else's story ('me contó', 'told me')?"""
    word, before = words[i], words[i - 1] if i else ""
    after = words[i + 1 : i + 4]
    if word in {"i", "yo"}:
        return after[:1] != [] and after[0] in WITNESS
    if word != "me":
        return False
    if before in TOLD:
        return i < 2 or words[i - 2] not in TELLER_NOT_OTHER
    if before in TELLER_NOT_OTHER or not after:
        return False
    just_now = after[:2] in (["acaba", "de"], ["acaban", "de"]) and after[2:3] != []
    return after[0] in TELLS_ME or (just_now and after[2] in TO_TELL)


def _teller_words(words: list[str]) -> tuple[list[str], bool]:
    """The words without the ones of someone telling the writer or of her witnessing ('mi vecina
    me contó', 'my neighbour told me', 'I think'), and whether there were any."""
    kept = [w for i, w in enumerate(words) if not _is_teller(words, i)]
    return kept, len(kept) < len(words)


def _someone_else(
    severity: Severity, text: str, risk: Assessment | None = None
) -> tuple[bool, bool]:
    """(the message is about someone else, someone told it to her): no 'me'/'yo' of her own
    once a teller's words are set aside, and high, about a child, or told."""
    words, told = _teller_words(fold(text).split())
    if not text or not FIRST_PERSON.isdisjoint(words):
        return False, False
    child = risk is not None and risk.categories[:1] == (CHILD,)
    return severity is Severity.HIGH or child or told, told


def risk_text_id(severity: Severity, risk: Assessment, text: str = "") -> str:
    """Self-harm has its own wording (106/105 for an attempt, 113 for thoughts); a report about
    someone else ('la vecina le pega a su hijito', 'mi vecina me contó que su esposo le pega')
    is answered in the third person."""
    if risk.categories and risk.categories[0] == SELF_HARM:
        return "self_harm_imminent" if risk.severity is Severity.IMMINENT else "self_harm_high"
    # 'ya entró con un cuchillo' names nobody: she may be the one in danger
    other = "_other" if _someone_else(severity, text, risk)[0] else ""
    return f"risk{other}_imminent" if severity is Severity.IMMINENT else f"risk{other}_high"


def risk_turn(session: Session, text: str, risk: Assessment, ctx: Ctx) -> Turn:
    """A message at high risk or above: page, answer with the numbers, then ask about safety."""
    severity = Severity.highest(session.severity, risk.severity)
    effect = escalation(severity, risk, text)
    new = session.evolve(severity=severity, choices=())
    if risk.follow_up and severity is not Severity.IMMINENT:  # a bare cry: is it happening now?
        return ask_danger_now(new, ctx, text, (effect,))
    read = text if session.language in FIRST_PERSON_LANGUAGES else ""  # Quechua: by suffix
    return danger_reply(new, ctx, risk_text_id(severity, risk, read), (effect,))


def ask_danger_now(session: Session, ctx: Ctx, text: str, effects: tuple[Effect, ...] = ()) -> Turn:
    """ "¿Estás en peligro ahora?", or "¿Esa persona...?" when someone told her the story ('my
    friend told me her boyfriend threatens her')."""
    told = session.language in FIRST_PERSON_LANGUAGES and _someone_else(Severity.NONE, text)[1]
    awaiting = Awaiting.DANGER_NOW_OTHER if told else Awaiting.DANGER_NOW
    return ask(session, ctx, QUESTION_TEXT[awaiting], awaiting, effects=effects)


def with_risk(turn: Turn, risk: Assessment | None, text: str) -> Turn:
    """An answer that also carries risk words: the answer's replies, and the case paged at the
    higher of the two levels (never lower)."""
    if risk is None or not risk.severity.at_least(Severity.HIGH):
        return turn
    paged = [e.severity.rank for e in turn.effects if isinstance(e, Escalate)]
    if paged and max(paged) >= risk.severity.rank:
        return turn
    severity = Severity.highest(turn.session.severity, risk.severity)
    page = escalation(severity, risk, text)
    return Turn(turn.session.evolve(severity=severity), turn.replies, (page, *turn.effects))


def danger_reply(session: Session, ctx: Ctx, text_id: str, effects: tuple[Effect, ...]) -> Turn:
    """The risk answer, then (once per case) whether it is safe to write to her here."""
    replies = (Outbound(ctx.texts[text_id]),)
    if session.asked_safe:
        return Turn(session, replies, effects)
    asked = session.evolve(asked_safe=True)
    return ask(asked, ctx, "ask_safe", Awaiting.SAFE_TO_WRITE, before=replies, effects=effects)


def not_safe(session: Session, ctx: Ctx, effects: tuple[Effect, ...] = ()) -> Turn:
    """One short discreet reply (105 first), no menu; the shell stops automatic messages."""
    quiet = session.evolve(awaiting=None, asked_safe=True, choices=())
    reply = Outbound(ctx.texts["not_safe"])
    return Turn(quiet, (reply,), (*effects, SafeToContact(safe=False)))


def he_is_here(session: Session, ctx: Ctx, evidence: str) -> Turn:
    """'Está aquí', 'lee mi celular': danger now, and not safe to write."""
    severity = Severity.highest(session.severity, Severity.IMMINENT)
    page = escalation(severity, evidence=evidence)
    return not_safe(session.evolve(severity=severity), ctx, (page,))


def reading_of(session: Session, text: str, ctx: Ctx) -> Reading:
    """Her words read as an answer to the pending question: guarded (a hedged yes is unsure)
    unless it asks whether she is in danger now, where a hedged yes is still a yes."""
    danger_now = session.awaiting in {Awaiting.DANGER_NOW, Awaiting.DANGER_NOW_OTHER}
    return read_answer(text, ctx.content.words, guarded=not danger_now)


def answer_safety(session: Session, reading: Reading, ctx: Ctx) -> Turn | None:
    """Her answer to the pending safety question; None when the words do not answer it."""
    if reading is Reading.PRESENCE:
        return he_is_here(session, ctx, f"{session.awaiting}:presence")
    if session.awaiting in {Awaiting.DANGER_NOW, Awaiting.DANGER_NOW_OTHER}:
        other = "_other" if session.awaiting is Awaiting.DANGER_NOW_OTHER else ""
        return _danger_now(session.evolve(awaiting=None), reading, ctx, other)
    if session.awaiting is Awaiting.SAFE_TO_WRITE:
        return _safe_to_write(session.evolve(awaiting=None), reading, ctx)
    return None


def _danger_now(session: Session, reading: Reading, ctx: Ctx, other: str = "") -> Turn | None:
    """Her answer to "are you (is that person) in danger now?"; other: "_other" for the latter."""
    if reading in {Reading.YES, Reading.OK, Reading.HELP}:  # 'ok' may mean yes: paged
        severity = Severity.highest(session.severity, Severity.IMMINENT)
        page = escalation(severity, evidence="danger_now:yes")
        return danger_reply(
            session.evolve(severity=severity), ctx, f"risk{other}_imminent", (page,)
        )
    if reading in {Reading.UNSURE, Reading.CANT}:
        severity = Severity.highest(session.severity, Severity.HIGH)
        page = escalation(severity, evidence=f"danger_now:{reading}")
        new = session.evolve(severity=severity)
        if reading is Reading.CANT:  # she cannot talk now: do not write to her
            return not_safe(new, ctx, (page,))
        return danger_reply(new, ctx, f"risk{other}_high", (page,))
    if reading in {Reading.NO, Reading.FINE, Reading.LATER}:
        return show(session, ctx, Node.MAIN, prefix=ctx.texts["danger_no"])
    return None


def _safe_to_write(session: Session, reading: Reading, ctx: Ctx) -> Turn | None:
    if reading in {Reading.YES, Reading.FINE}:
        effect = SafeToContact(safe=True)
        return show(session, ctx, Node.MAIN, prefix=ctx.texts["safe_yes"], effects=(effect,))
    if reading in {Reading.NO, Reading.LATER, Reading.CANT, Reading.UNSURE}:
        return not_safe(session, ctx)
    if reading is Reading.HELP:  # "ayuda" instead of an answer: is it happening now?
        return ask(session, ctx, "ask_danger_now", Awaiting.DANGER_NOW)
    if reading is Reading.OK:  # agreed, or only heard what she was told: asked once more
        return ask(session, ctx, "ask_safe", Awaiting.SAFE_TO_WRITE)
    return None


def ask_again(session: Session, ctx: Ctx) -> Turn:
    """The same safety question, once more, when the answer did not answer it."""
    assert session.awaiting is not None
    return ask(session, ctx, QUESTION_TEXT[session.awaiting], session.awaiting)


def relay_turn(session: Session, text: str, ctx: Ctx) -> Turn:
    """A defensora holds the case: the text goes to her (still assessed, still answered)."""
    assert session.relay_case is not None
    effects: list[Effect] = [Relay(case_id=session.relay_case, text=text)]
    replies: tuple[Outbound, ...] = ()
    if session.awaiting in SAFETY_QUESTIONS:
        answered = answer_safety(session, reading_of(session, text, ctx), ctx)
        if answered is not None:
            effects += [e for e in answered.effects if isinstance(e, Escalate | SafeToContact)]
            # the defensora does the talking: no question from the bot while she holds the case
            session = session.evolve(awaiting=None, severity=answered.session.severity)
            if any(isinstance(e, SafeToContact) and not e.safe for e in answered.effects):
                replies = answered.replies  # the discreet reply: 105, and nothing else
    risk = assess_risk(text, ctx.content.risk)
    severity = Severity.highest(session.severity, risk.severity)
    if risk.severity.at_least(Severity.HIGH):
        effects.append(escalation(severity, risk, text))
    if risk.severity is Severity.IMMINENT and not replies:  # danger now: 105, whoever holds it
        replies = (Outbound(ctx.texts[risk_text_id(severity, risk)]),)
    return Turn(session.evolve(severity=severity), replies, tuple(effects))
