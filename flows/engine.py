"""The one step function: (session, inbound, content, now) -> Turn. Pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TypeGuard

from flows.answers import intent_answer
from flows.dialogue.answers import read_answer
from flows.dialogue.confirm import act, answer_confirmation, ask_to_confirm
from flows.dialogue.context import Content, Ctx
from flows.dialogue.replies import numbered, short_prompt, show, with_menu
from flows.dialogue.safety import (
    SAFETY_QUESTIONS,
    answer_safety,
    ask_again,
    ask_danger_now,
    he_is_here,
    not_safe,
    reading_of,
    relay_turn,
    risk_turn,
    with_risk,
)
from flows.dialogue.words import Keyword, Mood, Reading
from flows.effects import Escalate, Relay, SafeToContact
from flows.intents import FALLBACK, match_intent
from flows.languages import REFERENCE
from flows.menus import Node
from flows.places import (
    beyond_lima,
    centers_for_district,
    format_centers_answer,
    format_resolution_prompt,
    nearest_centers,
    on_earth,
    resolve_district,
)
from flows.risk import Assessment, assess_risk
from flows.session import Awaiting, Session, Turn
from flows.text import clean, fold, menu_number
from flows.types import Inbound, Outbound, Severity

__all__ = ["Content", "step"]
IN_CONTEXT = frozenset({*SAFETY_QUESTIONS, Awaiting.CONFIRM_DEFENSORA})
"""Questions about her safety: her answer is read before the risk words it may contain."""
REQUESTS = frozenset({"forget_me", "unsubscribe", "subscribe"})
"""Requests the intents reader recognises: they win over the classifier alone."""


def step(session: Session, inbound: Inbound, content: Content, now: datetime) -> Turn:
    """One turn; a case it opens carries the conversation's language."""
    turn = _step(session, inbound, content, now)
    language = turn.session.language
    if language == REFERENCE or not any(isinstance(e, Escalate) for e in turn.effects):
        return turn
    effects = tuple(
        replace(e, language=language) if isinstance(e, Escalate) else e for e in turn.effects
    )
    return replace(turn, effects=effects)


def _step(session: Session, inbound: Inbound, content: Content, now: datetime) -> Turn:
    """Risk first, then exact keywords, then the pending question, the menu, free text."""
    text = clean(inbound.text)
    chosen = content.languages.chosen(text) if text else None
    if chosen is not None:
        session = session.evolve(language=chosen, language_chosen=True)
    elif text and not session.language_chosen:
        session = session.evolve(language=content.languages.detect(text) or session.language)
    content = content.in_language(session.language)
    ctx = Ctx(content, now)
    if session.node not in content.menus.nodes:  # a node renamed or removed since her last visit
        session = session.evolve(node=content.menus.start, choices=())
    if chosen is not None:  # a safety question still open is asked again, in her language
        if session.relay_case is not None:  # a defensora holds her case: the relay goes on
            return _switched_in_relay(session, text, ctx)
        if session.awaiting in SAFETY_QUESTIONS:
            return ask_again(session, ctx)
        return _keyword(session, Keyword.MENU, ctx)
    keyword = content.words.keyword(text) if text else None
    if session.relay_case is not None and keyword is not Keyword.FORGET and text:
        return relay_turn(session, text, ctx)
    risk = _in_other_languages(assess_risk(text, content.risk), text, ctx) if text else None
    if risk is not None and risk.learned_only and _intent(text, ctx) in REQUESTS:
        risk = None  # 'ya no quiero recibir mensajes': her request, not a guess of danger
    if session.awaiting in IN_CONTEXT and keyword is None and (text or inbound.payload):
        answered = _answer_in_context(session, inbound.payload or text, ctx)
        if answered is not None and _outweighs(risk, answered):  # 'sí, me va a matar'
            # "is it safe to write?" stays open (not asked twice, like after any second risk
            # message): a 'sí' beside a threat is no consent; a 'no' to "in danger now?" answered
            still = session.awaiting if session.awaiting is Awaiting.SAFE_TO_WRITE else None
            plain = replace(risk, follow_up=False)  # she answered: no "are you in danger now?"
            return risk_turn(session.evolve(awaiting=still), text, plain, ctx)
        if answered is not None:  # "está aquí" answers the question; its risk is kept too
            return with_risk(answered, risk, text)
    aftercare = _after_danger(session, text, ctx) if session.awaiting is None and text else None
    if aftercare is not None and risk is not None and _presence_only(risk):
        return aftercare  # 'ya llegó' after a threat: not safe to write (paged), no questions
    if risk is not None and risk.severity.at_least(Severity.HIGH):
        return risk_turn(session, text, risk, ctx)
    if keyword is not None:
        return _keyword(session, keyword, ctx)
    if aftercare is not None:
        return aftercare
    if session.awaiting is not None and (text or inbound.payload):
        answered = _answer_pending(session, inbound.payload or text, ctx)
        if answered is not None:
            return answered
        session = session.evolve(awaiting=None)
    if risk is not None and risk.follow_up:
        return ask_danger_now(session.evolve(choices=()), ctx, text)
    if risk is not None and risk.severity is Severity.MODERATE:
        moderate = session.evolve(severity=Severity.highest(session.severity, Severity.MODERATE))
        if ctx.content.words.mood(text) is Mood.FEELINGS:  # 'no tengo a dónde ir': heard first
            return _feelings(moderate, ctx)
        return show(moderate, ctx, Node.MAIN, prefix=ctx.texts["risk_moderate"])
    return _menus_and_free_text(session, inbound, text, ctx)


def _menus_and_free_text(session: Session, inbound: Inbound, text: str, ctx: Ctx) -> Turn:
    folded = fold(text)
    if inbound.media is not None and not text:
        return with_menu(session, ctx, ctx.texts["media_unsupported"])
    location = inbound.location
    if location is not None and on_earth(location.latitude, location.longitude):
        hits = nearest_centers(ctx.content.places, location.latitude, location.longitude)
        answer = format_centers_answer(hits, ctx.content.orientation, district=None)
        if beyond_lima(hits):  # Arequipa is not helped by a list of Lima's CEMs
            c = ctx.content
            far = intent_answer("outside_lima", ctx.texts, c.episodes, ctx.now, c.orientation)
            answer = far or answer
        return show(session.evolve(choices=()), ctx, Node.MAIN, prefix=answer)
    choice = inbound.payload or (folded if folded.isdigit() else None)
    if choice is not None:
        return _pick(session, choice, ctx)
    if not folded:
        return _no_words(session, text, ctx)
    if session.choices:
        picked = _match_choice(session.choices, folded)
        if picked is not None:
            return _centers(session, picked, ctx)
    node = ctx.content.menus.nodes[session.node]
    if node.expects == "district":
        return _district_answer(session, text, ctx, fallback_to_intent=True)
    return _free_text(session, text, ctx)


def _keyword(session: Session, keyword: Keyword, ctx: Ctx) -> Turn:
    if keyword is Keyword.MENU:
        base = session.evolve(awaiting=None, choices=())
        return show(base, ctx, ctx.content.menus.start, prefix=ctx.texts["welcome"])
    if keyword is Keyword.DEFENSORA:
        return show(session.evolve(choices=()), ctx, Node.DEFENSORA)
    return act(session, keyword.value, ctx)


def _switched_in_relay(session: Session, text: str, ctx: Ctx) -> Turn:
    """'english' while a defensora talks with her: a short acknowledgement, no menu, and the
    word still reaches the defensora (it tells her which language to write in)."""
    assert session.relay_case is not None
    relay = Relay(case_id=session.relay_case, text=text)
    return Turn(session, (Outbound(ctx.texts["language_switched"]),), (relay,))


def _in_other_languages(risk: Assessment, text: str, ctx: Ctx) -> Assessment:
    """Danger words of other languages ('wañuchiwanqa') read through their Spanish glosses;
    any of them at least asks whether she is in danger now."""
    glosses = ctx.content.languages.glosses(text)
    if not glosses:
        return risk
    found = assess_risk(". ".join(glosses), ctx.content.risk)
    if not found.severity.at_least(Severity.HIGH) and not found.follow_up:
        found = replace(found, follow_up=True)
    if risk.severity.rank > found.severity.rank:
        return risk
    return replace(found, follow_up=found.follow_up or risk.follow_up)


def _answer_pending(session: Session, answer: str, ctx: Ctx) -> Turn | None:
    """The pending question answered in her words; a safety question unanswered is asked again
    unless she moved on to something the bot understands."""
    reading = reading_of(session, answer, ctx)
    if session.awaiting in SAFETY_QUESTIONS:
        turn = answer_safety(session, reading, ctx)
        if turn is not None:
            return turn
        if ctx.content.words.mood(answer) is Mood.LEAVING:  # 'quiero dejarlo': orientation, and
            again = ask_again(session, ctx)  # the question still stands
            return replace(again, replies=(Outbound(ctx.texts["leaving_answer"]), *again.replies))
        moved_on = fold(answer).isdigit() or _intent(answer, ctx) != FALLBACK
        return None if moved_on else ask_again(session, ctx)
    return answer_confirmation(session, reading, ctx)


def _answer_in_context(session: Session, answer: str, ctx: Ctx) -> Turn | None:
    """A safety question just asked: a short answer means what it says about that question,
    whatever the risk words in it ('no, está aquí' is not a new report but the answer)."""
    reading = reading_of(session, answer, ctx)
    if reading is Reading.UNKNOWN:
        return None
    if session.awaiting is Awaiting.CONFIRM_DEFENSORA:
        return answer_confirmation(session, reading, ctx)
    return answer_safety(session, reading, ctx)


def _outweighs(risk: Assessment | None, answered: Turn) -> TypeGuard[Assessment]:
    """Risk of her own at high or above beside an answer that would only acknowledge it ('sí,
    me va a matar' -> 'Gracias...'; 'no, ya me amenazó con el cuchillo' -> 'Me alegra...'): the
    risk reply instead. An answer that pages or goes quiet ('no, me va a matar': not safe) is
    kept, with the risk paged at its own level (with_risk)."""
    if risk is None or not risk.severity.at_least(Severity.HIGH):
        return False
    pages = any(isinstance(e, Escalate) for e in answered.effects)
    quiet = any(isinstance(e, SafeToContact) and not e.safe for e in answered.effects)
    return not pages and not quiet


def _presence_only(risk: Assessment) -> bool:
    """The risk reader heard only that he is there ('ya llegó' alone: imminent, no category)."""
    return risk.severity.at_least(Severity.HIGH) and not risk.categories


def _after_danger(session: Session, text: str, ctx: Ctx) -> Turn | None:
    """Nothing asked, but she told of danger earlier in this conversation: 'ya llegó', 'está
    aquí' is danger now; 'ya no es seguro' (after she answered the question) stops messages."""
    if not session.severity.at_least(Severity.HIGH):
        return None
    words = ctx.content.words
    short = len(fold(text).split()) <= words.max_words  # not a sentence in a long story
    if short and read_answer(text, words) is Reading.PRESENCE:
        return he_is_here(session, ctx, "presence_later")
    if session.asked_safe and words.says_unsafe(text):
        return not_safe(session, ctx)
    return None


def _pick(session: Session, choice: str, ctx: Ctx) -> Turn:
    number = menu_number(choice)
    if session.choices and number is not None and 1 <= number <= len(session.choices):
        return _centers(session, session.choices[number - 1], ctx)
    node = ctx.content.menus.nodes[session.node]
    if number is not None and 1 <= number <= len(node.options):
        option = node.options[number - 1]
        if option.action is not None:
            return act(session, option.action, ctx)
        assert option.goto is not None
        return show(session.evolve(choices=()), ctx, option.goto)
    return short_prompt(session, ctx, "unknown_option")


def _no_words(session: Session, text: str, ctx: Ctx) -> Turn:
    """Nothing to read (only emoji, or nothing at all): a kind reply, never 'no text arrived'."""
    if not text:
        return with_menu(session, ctx, ctx.texts["empty"])
    if ctx.content.words.mood(text) is Mood.FEELINGS:
        return _feelings(session, ctx)
    return with_menu(session, ctx, ctx.texts["emoji_only"])


def _feelings(session: Session, ctx: Ctx) -> Turn:
    """Fear, not being believed, exhaustion, shame: acknowledged; the menu offers a defensora."""
    calm = session.evolve(node=Node.MAIN.value, choices=())
    return with_menu(calm, ctx, ctx.texts["feelings_answer"])


def _intent(text: str, ctx: Ctx) -> str:
    return match_intent(text, ctx.content.intents).intent


BARE_ANSWERS = frozenset({Reading.YES, Reading.NO, Reading.OK})
SOCIAL = frozenset({"thanks_bye", "greeting_menu"})
GENERAL = SOCIAL | {"about"}
"""Intents a feeling in the same message outweighs (a greeting, a word about the programme)."""


def _free_text(session: Session, text: str, ctx: Ctx) -> Turn:
    match = match_intent(text, ctx.content.intents)
    intent = match.intent
    if intent not in SOCIAL and _bare_answer(text, ctx):  # 'sí pues' with nothing asked
        return show(session.evolve(node=Node.MAIN.value, choices=()), ctx, Node.MAIN)
    asked = _leading_keyword(text, ctx)
    if asked is not None and intent not in REQUESTS:  # 'alta por favor', 'ALTA gracias'
        return ask_to_confirm(session, asked, ctx)
    mood = ctx.content.words.mood(text)
    if mood is Mood.LEAVING and (intent in GENERAL | {FALLBACK, "feelings"} or not match.clear):
        calm = session.evolve(node=Node.MAIN.value, choices=())  # 'salir de la casa es peligroso?'
        return with_menu(calm, ctx, ctx.texts["leaving_answer"])
    if mood is Mood.NO_ANSWER and intent in GENERAL | {FALLBACK, "helplines"}:
        calm = session.evolve(node=Node.MAIN.value, choices=())  # 'la 100 no contesta': another
        return with_menu(calm, ctx, ctx.texts["line_no_answer"])  # way, not the list again
    if mood is Mood.FEELINGS and intent in GENERAL:  # 'hola, no tengo a dónde ir'
        return _feelings(session, ctx)
    if intent == "find_cem" and (match.district or len(match.candidates) > 1):
        return _district_answer(session, text, ctx, fallback_to_intent=False)
    routes = {
        "greeting_menu": Node.MAIN,
        "find_cem": Node.CEM_ASK,
        "helplines": Node.HELPLINES,
        "next_episode": Node.EPISODES,
        "talk_to_defensora": Node.DEFENSORA,
        "about": Node.ABOUT,
    }
    if intent in routes:
        prefix = ctx.texts["welcome"] if intent == "greeting_menu" else None
        return show(session.evolve(choices=()), ctx, routes[intent], prefix=prefix)
    if intent in {"subscribe", "unsubscribe"}:
        return ask_to_confirm(session, intent, ctx)
    if intent == "forget_me":
        return ask_to_confirm(session, "forget", ctx)
    if intent == "thanks_bye":
        return Turn(session.evolve(node=Node.MAIN.value, choices=()), (Outbound(ctx.texts["bye"]),))
    if intent == "feelings" or mood is Mood.FEELINGS:
        return _feelings(session, ctx)
    if mood is Mood.HYPERBOLE and intent == FALLBACK:  # a figure of speech, not a question
        return with_menu(session.evolve(node=Node.MAIN.value), ctx, ctx.texts["hyperbole"])
    content = ctx.content
    answer = intent_answer(intent, ctx.texts, content.episodes, ctx.now, content.orientation)
    if answer is not None and match.score > 0:  # out_of_scope recognised, not just not understood
        return with_menu(session.evolve(node=Node.MAIN.value, choices=()), ctx, answer)
    return with_menu(session.evolve(node=Node.MAIN.value), ctx, ctx.texts["fallback"])


def _leading_keyword(text: str, ctx: Ctx) -> str | None:
    """ALTA or BAJA opening a short message ('alta por favor'): asked, never done at once."""
    tokens = fold(text).split()
    if not 1 < len(tokens) <= 4:
        return None
    found = ctx.content.words.keyword(tokens[0])
    return found.value if found in {Keyword.SUBSCRIBE, Keyword.UNSUBSCRIBE} else None


def _bare_answer(text: str, ctx: Ctx) -> bool:
    """A yes or a no of at most three words, not a question."""
    short = len(fold(text).split()) <= 3 and "?" not in text
    return short and read_answer(text, ctx.content.words) in BARE_ANSWERS


def _district_answer(session: Session, text: str, ctx: Ctx, *, fallback_to_intent: bool) -> Turn:
    if fallback_to_intent:  # asked for a district, but clearly asking something else
        match = match_intent(text, ctx.content.intents)
        if match.clear and match.intent not in {FALLBACK, "find_cem", "outside_lima"}:
            return _free_text(session.evolve(node=Node.MAIN.value), text, ctx)
    found = resolve_district(text, ctx.content.places)
    if found.district is not None:
        return _centers(session, found.district, ctx, point=found.point)
    if len(found.candidates) > 1:
        reply = Outbound(ctx.texts["ask_which_district"], numbered(found.candidates))
        return Turn(session.evolve(node=Node.CEM_ASK.value, choices=found.candidates), (reply,))
    prompt = format_resolution_prompt(found, ctx.content.orientation)  # a reply per kind of place
    return Turn(session.evolve(node=Node.CEM_ASK.value, choices=()), (Outbound(prompt),))


def _centers(
    session: Session, district: str, ctx: Ctx, *, point: tuple[float, float] | None = None
) -> Turn:
    places = ctx.content.places
    if district not in places.districts:  # renamed in content since it was offered
        found = resolve_district(district, places).district
        if found is None:
            return show(session.evolve(choices=()), ctx, Node.CEM_ASK)
        district = found
    hits = centers_for_district(places, district, point=point)
    total = len(places.centers_by_district[district])
    answer = format_centers_answer(
        hits, ctx.content.orientation, district=district, total_in_district=total
    )
    new = session.evolve(node=Node.MAIN.value, choices=(), district=district)
    return show(new, ctx, Node.MAIN, prefix=answer)


def _match_choice(choices: tuple[str, ...], folded: str) -> str | None:
    for name in choices:
        if fold(name) == folded or folded in fold(name).split(" de ")[-1:]:
            return name
    return None
