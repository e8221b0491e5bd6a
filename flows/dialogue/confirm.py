"""Nothing destructive from a guess: erasing, unsubscribing, subscribing and opening a case on
request happen on the exact keyword (content/keywords.yaml) or after an explicit yes."""

from __future__ import annotations

from flows.dialogue.context import Ctx
from flows.dialogue.replies import ask, show
from flows.dialogue.safety import escalation, he_is_here, not_safe
from flows.dialogue.words import Reading
from flows.effects import Forget, SafeToContact, Subscribe, Unsubscribe
from flows.episodes import subscription_confirmation, unsubscription_confirmation
from flows.menus import Node
from flows.session import Awaiting, Session, Turn
from flows.types import Outbound, Severity

CONFIRMATIONS = {
    "forget": Awaiting.CONFIRM_FORGET,
    "unsubscribe": Awaiting.CONFIRM_UNSUBSCRIBE,
    "subscribe": Awaiting.CONFIRM_SUBSCRIBE,
}
_ACTION_OF = {awaiting: action for action, awaiting in CONFIRMATIONS.items()}
_DECLINED = {Reading.NO, Reading.LATER, Reading.CANT, Reading.UNSURE, Reading.FINE}
_ASKED_AGAIN_ON_OK = {Awaiting.CONFIRM_FORGET, Awaiting.CONFIRM_UNSUBSCRIBE}
"""'ok' (agreed, or only heard: 'ok espera', 'ok entendido') to erasing or unsubscribing asks
once more, as to "¿Es seguro que te escriban aquí?" (the defensora screen): a guess never
destroys. To subscribing, which she asked for and undoes with BAJA, it confirms as a yes."""


def ask_to_confirm(session: Session, action: str, ctx: Ctx) -> Turn:
    """Free text that looks like an action: ask, naming the keyword that does it at once."""
    awaiting = CONFIRMATIONS[action]
    return ask(session.evolve(choices=()), ctx, f"confirm_{action}", awaiting)


def answer_confirmation(session: Session, reading: Reading, ctx: Ctx) -> Turn | None:
    """Her answer to a pending confirmation; None when the words do not answer it."""
    awaiting = session.awaiting
    if reading is Reading.PRESENCE:
        return he_is_here(session, ctx, f"{awaiting}:presence")
    if awaiting is Awaiting.CONFIRM_DEFENSORA:
        if reading is Reading.YES:
            return act(session, "request_defensora", ctx)
        if reading is Reading.OK:
            return show(session, ctx, Node.DEFENSORA)
        return act(session, "decline_defensora", ctx) if reading in _DECLINED else None
    if awaiting not in _ACTION_OF:
        return None
    if reading is Reading.OK and awaiting in _ASKED_AGAIN_ON_OK:
        return ask_to_confirm(session, _ACTION_OF[awaiting], ctx)
    if reading in {Reading.YES, Reading.OK}:
        return act(session, _ACTION_OF[awaiting], ctx)
    if reading in _DECLINED:
        cleared = session.evolve(awaiting=None)
        return show(cleared, ctx, Node.MAIN, prefix=ctx.texts["confirm_cancelled"])
    return None


def act(session: Session, action: str, ctx: Ctx) -> Turn:
    """Carry out a keyword, a confirmed request or a menu action."""
    base = session.evolve(node=Node.MAIN.value, awaiting=None, choices=())
    if action == "forget":
        return Turn(Session(), (Outbound(ctx.texts["forgotten"]),), (Forget(),))
    if action == "request_defensora":
        severity = Severity.highest(session.severity, Severity.MODERATE)
        page = escalation(severity, evidence="asked_for_person", requested=True)
        effects = (page, SafeToContact(safe=True))
        asked = base.evolve(severity=severity, asked_safe=True)
        prefix = ctx.texts["defensora_requested"]
        return show(asked, ctx, Node.MAIN, prefix=prefix, effects=effects)
    if action == "decline_defensora":
        return not_safe(base, ctx)
    schedule = ctx.content.episodes
    if action == "subscribe":  # one message: what she will get, the next date, how to stop
        return Turn(base, (Outbound(subscription_confirmation(schedule, ctx.now)),), (Subscribe(),))
    if action == "unsubscribe":
        return Turn(base, (Outbound(unsubscription_confirmation(schedule)),), (Unsubscribe(),))
    raise ValueError(f"unknown action {action!r}")
