"""The one step function: (session, inbound, content, now) -> Turn. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.answers import intent_answer
from flows.cases.words import CaseWords
from flows.episodes import (
    EpisodeSchedule,
    next_episode_answer,
    subscription_confirmation,
    unsubscription_confirmation,
)
from flows.helplines import Helpline, OrientationTexts, format_helplines
from flows.intents import FALLBACK, IntentMatcher, match_intent
from flows.menus import MenuNode, Menus, Texts
from flows.places import (
    PlaceIndex,
    centers_for_district,
    format_centers_answer,
    format_resolution_prompt,
    nearest_centers,
    on_earth,
    resolve_district,
)
from flows.risk import Assessment, RiskModel, assess_risk
from flows.session import Session, Turn
from flows.text import clean, fold, menu_number
from flows.types import Effect, Inbound, Option, Outbound, Severity

GREETINGS = frozenset({"hola", "menu", "0", "inicio", "ola", "holi", "hi", "hello", "start"})
FORGET = frozenset({"borrar", "salir", "borrar todo", "borra todo"})
SUBSCRIBE = frozenset({"alta"})
UNSUBSCRIBE = frozenset({"baja", "stop", "parar", "detener", "cancelar suscripcion"})
YES = frozenset({"si", "s", "sip", "claro", "ok", "yes", "1"})
NO = frozenset({"no", "n", "nop", "2"})
MAX_EXCERPT = 280


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the core needs, validated and compiled once at start-up."""

    texts: Texts
    menus: Menus
    risk: RiskModel
    places: PlaceIndex
    orientation: OrientationTexts
    intents: IntentMatcher
    helplines: tuple[Helpline, ...]
    episodes: EpisodeSchedule
    cases: CaseWords


@dataclass(frozen=True, slots=True)
class Ctx:
    """What every helper of one step reads: the content and the moment."""

    content: Content
    now: datetime

    @property
    def texts(self) -> Texts:
        return self.content.texts


def step(session: Session, inbound: Inbound, content: Content, now: datetime) -> Turn:
    """Assess risk first, then global keywords, then the current menu, then free text."""
    ctx = Ctx(content, now)
    if session.node not in content.menus.nodes:  # a node renamed or removed since her last visit
        session = session.evolve(node=content.menus.start, choices=())
    text = clean(inbound.text)
    folded = fold(text)
    if session.relay_case is not None and folded not in FORGET and text:
        return _relay(session, text, folded, ctx)
    risk = assess_risk(text, ctx.content.risk) if text else None
    if risk is not None and risk.severity.at_least(Severity.HIGH):
        return _risk_turn(session, text, risk, ctx)
    keyword = _global_keyword(session, folded, ctx)
    if keyword is not None:
        return keyword
    if session.awaiting is not None and (folded or inbound.payload):
        answered = _answer_pending(session, inbound.payload or folded, ctx)
        if answered is not None:
            return answered
    if risk is not None and risk.follow_up:
        return _ask(session.evolve(awaiting="follow_up"), ctx, "risk_follow_up", "follow_up")
    if risk is not None and risk.severity is Severity.MODERATE:
        return _moderate(session, ctx)
    if inbound.media is not None and not text:
        return _with_menu(session, ctx, ctx.texts["media_unsupported"])
    if inbound.location is not None and on_earth(
        inbound.location.latitude, inbound.location.longitude
    ):
        hits = nearest_centers(
            ctx.content.places, inbound.location.latitude, inbound.location.longitude
        )
        answer = format_centers_answer(hits, ctx.content.orientation, district=None)
        return _show(session.evolve(node="main", choices=()), ctx, "main", prefix=answer)
    choice = inbound.payload or (folded if folded.isdigit() else None)
    if choice is not None:
        return _pick(session, choice, ctx)
    if not folded:
        return _with_menu(session, ctx, ctx.texts["empty"])
    if session.choices:
        picked = _match_choice(session.choices, folded)
        if picked is not None:
            return _centers(session, picked, ctx)
    node = ctx.content.menus.nodes[session.node]
    if node.expects == "district":
        return _district_answer(session, text, ctx, fallback_to_intent=True)
    return _free_text(session, text, ctx)


def _global_keyword(session: Session, folded: str, ctx: Ctx) -> Turn | None:
    if folded in GREETINGS:
        base = session.evolve(awaiting=None, choices=())
        return _show(base, ctx, ctx.content.menus.start, prefix=ctx.texts["welcome"])
    if folded in FORGET:
        fresh = Session(severity=Severity.NONE)
        reply = Outbound(ctx.texts["forgotten"])
        return Turn(fresh, (reply,), (Effect("forget"),))
    if folded in SUBSCRIBE:
        return _action(session, "subscribe", ctx)
    if (
        folded in UNSUBSCRIBE
        or "ya no quiero mensajes" in folded
        or "no quiero mas mensajes" in folded
    ):
        return _action(session, "unsubscribe", ctx)
    return None


def _escalation(
    severity: Severity,
    risk: Assessment | None = None,
    text: str | None = None,
    *,
    evidence: str | None = None,
) -> Effect:
    """Ask the shell to open (or join) a case; `requested` when the person asked for someone."""
    return Effect(
        "escalate",
        {
            "severity": severity.value,
            "categories": list(risk.categories) if risk else [],
            "evidence": list(risk.evidence) if risk else [evidence],
            "excerpt": text[:MAX_EXCERPT] if text else None,
            "requested": risk is None,
        },
    )


def _risk_turn(session: Session, text: str, risk: Assessment, ctx: Ctx) -> Turn:
    severity = Severity.highest(session.severity, risk.severity)
    effect = _escalation(severity, risk, text)
    key = "risk_imminent" if severity is Severity.IMMINENT else "risk_high"
    replies = [Outbound(ctx.texts[key])]
    new = session.evolve(severity=severity, choices=())
    if risk.follow_up and severity is Severity.HIGH:  # a bare cry: paged, and asked if in danger
        new = new.evolve(awaiting="follow_up")
        return Turn(new, (*replies, Outbound(ctx.texts["risk_follow_up"])), (effect,))
    if not session.asked_safe:
        new = new.evolve(asked_safe=True, awaiting="safe_to_talk")
        replies.append(_yes_no(ctx, "ask_safe"))
    return Turn(new, tuple(replies), (effect,))


def _relay(session: Session, text: str, folded: str, ctx: Ctx) -> Turn:
    """A defensora holds the case: the text goes to her (still assessed, still answered)."""
    effects = [Effect("relay", {"case_id": session.relay_case, "text": text})]
    if session.awaiting == "safe_to_talk" and (folded in YES or folded in NO):
        effects.append(Effect("safe_to_contact", {"safe": folded in YES}))
        session = session.evolve(awaiting=None)
    risk = assess_risk(text, ctx.content.risk)
    severity = Severity.highest(session.severity, risk.severity)
    replies: tuple[Outbound, ...] = ()
    if risk.severity.at_least(Severity.HIGH):
        effects.append(_escalation(severity, risk, text))
    if risk.severity is Severity.IMMINENT:  # danger now: 105 first, whoever holds the case
        replies = (Outbound(ctx.texts["risk_imminent"]),)
    return Turn(session.evolve(severity=severity), replies, tuple(effects))


def _answer_pending(session: Session, answer: str, ctx: Ctx) -> Turn | None:
    yes, no = answer in YES, answer in NO
    if not (yes or no):
        return None
    cleared = session.evolve(awaiting=None)
    if session.awaiting == "safe_to_talk":
        effect = Effect("safe_to_contact", {"safe": yes})
        return _show(
            cleared,
            ctx,
            "main",
            prefix=ctx.texts["safe_yes" if yes else "safe_no"],
            effects=(effect,),
        )
    if session.awaiting == "follow_up" and yes:
        severity = Severity.highest(session.severity, Severity.HIGH)
        effect = _escalation(severity, evidence="follow_up:yes")
        turn = Turn(
            cleared.evolve(severity=severity, asked_safe=True, awaiting="safe_to_talk"),
            (Outbound(ctx.texts["risk_high"]), _yes_no(ctx, "ask_safe")),
            (effect,),
        )
        return (
            turn
            if not session.asked_safe
            else Turn(
                cleared.evolve(severity=severity),
                (Outbound(ctx.texts["risk_high"]),),
                (effect,),
            )
        )
    return _show(cleared, ctx, "main")


def _moderate(session: Session, ctx: Ctx) -> Turn:
    severity = Severity.highest(session.severity, Severity.MODERATE)
    return _show(session.evolve(severity=severity), ctx, "main", prefix=ctx.texts["risk_moderate"])


def _pick(session: Session, choice: str, ctx: Ctx) -> Turn:
    number = menu_number(choice)
    if session.choices and number is not None and 1 <= number <= len(session.choices):
        return _centers(session, session.choices[number - 1], ctx)
    node = ctx.content.menus.nodes[session.node]
    if number is not None and 1 <= number <= len(node.options):
        option = node.options[number - 1]
        if option.action is not None:
            return _action(session, option.action, ctx)
        assert option.goto is not None
        return _show(session.evolve(choices=()), ctx, option.goto)
    return _show(session, ctx, session.node, prefix=ctx.texts["unknown_option"])


def _action(session: Session, action: str, ctx: Ctx) -> Turn:
    base = session.evolve(node="main", awaiting=None, choices=())
    if action == "forget":
        return Turn(Session(), (Outbound(ctx.texts["forgotten"]),), (Effect("forget"),))
    if action == "request_defensora":
        severity = Severity.highest(session.severity, Severity.MODERATE)
        effect = _escalation(severity, evidence="asked_for_person")
        return _show(
            base.evolve(severity=severity, asked_safe=True),
            ctx,
            "main",
            prefix=ctx.texts["defensora_requested"],
            effects=(effect,),
        )
    if action == "decline_defensora":
        return _show(base, ctx, "main", prefix=ctx.texts["safe_no"])
    schedule = ctx.content.episodes
    if action == "subscribe":  # one message: what she will get, the next date, how to stop
        text = subscription_confirmation(schedule, ctx.now)
    else:
        text = unsubscription_confirmation(schedule)
    return Turn(base, (Outbound(text),), (Effect(action),))


def _free_text(session: Session, text: str, ctx: Ctx) -> Turn:
    match = match_intent(text, ctx.content.intents)
    intent = match.intent
    if intent == "find_cem" and (match.district or len(match.candidates) > 1):
        return _district_answer(session, text, ctx, fallback_to_intent=False)
    routes = {
        "greeting_menu": "main",
        "find_cem": "cem_ask",
        "helplines": "helplines",
        "next_episode": "episodes",
        "talk_to_defensora": "defensora",
        "about": "about",
    }
    if intent in routes:
        prefix = ctx.texts["welcome"] if intent == "greeting_menu" else None
        return _show(session.evolve(choices=()), ctx, routes[intent], prefix=prefix)
    if intent in {"subscribe", "unsubscribe"}:
        return _action(session, intent, ctx)
    if intent == "forget_me":
        return _action(session, "forget", ctx)
    if intent == "thanks_bye":
        return Turn(session.evolve(node="main", choices=()), (Outbound(ctx.texts["bye"]),))
    content = ctx.content
    answer = intent_answer(intent, ctx.texts, content.episodes, ctx.now, content.orientation)
    if answer is not None and match.score > 0:  # out_of_scope recognised, not just not understood
        return _with_menu(session.evolve(node="main", choices=()), ctx, answer)
    return _with_menu(session.evolve(node="main"), ctx, ctx.texts["fallback"])


def _district_answer(session: Session, text: str, ctx: Ctx, *, fallback_to_intent: bool) -> Turn:
    if fallback_to_intent:  # asked for a district, but clearly asking something else
        match = match_intent(text, ctx.content.intents)
        if match.clear and match.intent not in {FALLBACK, "find_cem", "outside_lima"}:
            return _free_text(session.evolve(node="main"), text, ctx)
    found = resolve_district(text, ctx.content.places)
    if found.district is not None:
        return _centers(session, found.district, ctx, point=found.point)
    if len(found.candidates) > 1:
        options = tuple(Option(str(i), name) for i, name in enumerate(found.candidates, 1))
        reply = Outbound(ctx.texts["ask_which_district"], options)
        return Turn(session.evolve(node="cem_ask", choices=found.candidates), (reply,))
    prompt = format_resolution_prompt(found, ctx.content.orientation)  # a reply per kind of place
    return Turn(session.evolve(node="cem_ask", choices=()), (Outbound(prompt),))


def _centers(
    session: Session, district: str, ctx: Ctx, *, point: tuple[float, float] | None = None
) -> Turn:
    places = ctx.content.places
    if district not in places.districts:  # renamed in content since it was offered
        found = resolve_district(district, places).district
        if found is None:
            return _show(session.evolve(choices=()), ctx, "cem_ask")
        district = found
    hits = centers_for_district(places, district, point=point)
    total = len(places.centers_by_district[district])
    answer = format_centers_answer(
        hits, ctx.content.orientation, district=district, total_in_district=total
    )
    new = session.evolve(node="main", choices=(), district=district)
    return _show(new, ctx, "main", prefix=answer)


def _match_choice(choices: tuple[str, ...], folded: str) -> str | None:
    for name in choices:
        if fold(name) == folded or folded in fold(name).split(" de ")[-1:]:
            return name
    return None


def _ask(session: Session, ctx: Ctx, text_id: str, awaiting: str) -> Turn:
    return Turn(session.evolve(awaiting=awaiting), (_yes_no(ctx, text_id),))


def _yes_no(ctx: Ctx, text_id: str) -> Outbound:
    return Outbound(
        ctx.texts[text_id],
        (Option("1", ctx.texts["option_yes"]), Option("2", ctx.texts["option_no"])),
    )


def _with_menu(session: Session, ctx: Ctx, text: str) -> Turn:
    return _show(
        session,
        ctx,
        session.node if session.node in ctx.content.menus.nodes else "main",
        prefix=text,
    )


def _show(
    session: Session,
    ctx: Ctx,
    node_name: str,
    *,
    prefix: str | None = None,
    effects: tuple[Effect, ...] = (),
) -> Turn:
    node = ctx.content.menus.nodes[node_name]
    body = _render(node, ctx, session)
    replies: list[Outbound] = []
    if prefix:
        replies.append(Outbound(prefix))
    replies.append(Outbound(body, _options(node)))
    return Turn(session.evolve(node=node_name), tuple(replies), effects)


def _render(node: MenuNode, ctx: Ctx, session: Session) -> str:
    parts = [ctx.texts[node.text]]
    if node.show == "helplines":
        parts.append(format_helplines(ctx.content.helplines, ctx.content.orientation))
    elif node.show == "next_episode":
        parts.append(next_episode_answer(ctx.content.episodes, ctx.now, session.district))
    return "\n\n".join(part for part in parts if part)


def _options(node: MenuNode) -> tuple[Option, ...]:
    return tuple(Option(str(i), option.label) for i, option in enumerate(node.options, 1))
