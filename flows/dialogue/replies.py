"""Building replies: a menu screen, a yes/no question, a short prompt."""

from __future__ import annotations

from flows.dialogue.context import Ctx
from flows.effects import Effect
from flows.episodes import next_episode_answer
from flows.helplines import format_helplines
from flows.menus import MenuNode, Node
from flows.session import Awaiting, Session, Turn
from flows.types import Option, Outbound


def yes_no(ctx: Ctx, text_id: str) -> Outbound:
    """A question with the two answers as buttons (numbered lines on WhatsApp)."""
    return Outbound(
        ctx.texts[text_id],
        (Option("1", ctx.texts["option_yes"]), Option("2", ctx.texts["option_no"])),
    )


def ask(
    session: Session,
    ctx: Ctx,
    text_id: str,
    awaiting: Awaiting,
    *,
    before: tuple[Outbound, ...] = (),
    effects: tuple[Effect, ...] = (),
) -> Turn:
    """Ask a yes/no question and wait for its answer."""
    return Turn(session.evolve(awaiting=awaiting), (*before, yes_no(ctx, text_id)), effects)


def show(
    session: Session,
    ctx: Ctx,
    node_name: str,
    *,
    prefix: str | None = None,
    effects: tuple[Effect, ...] = (),
) -> Turn:
    """A menu screen (its text, its block, its options), after an optional answer."""
    node = ctx.content.menus.nodes[node_name]
    replies: list[Outbound] = []
    if prefix:
        replies.append(Outbound(prefix))
    replies.append(Outbound(_render(node, ctx, session), options(node)))
    new = session.evolve(node=node_name)
    if node_name == Node.DEFENSORA:  # the screen is the question "is it safe to write here?"
        new = new.evolve(awaiting=Awaiting.CONFIRM_DEFENSORA)
    return Turn(new, tuple(replies), effects)


def with_menu(session: Session, ctx: Ctx, text: str) -> Turn:
    """An answer followed by the screen she is on."""
    return show(session, ctx, session.node, prefix=text)


def short_prompt(session: Session, ctx: Ctx, text_id: str) -> Turn:
    """A short line with the current screen's options, without its (maybe long) body; the
    districts offered, when she is choosing one of them (their numbers are the ones that work)."""
    offered = numbered(session.choices) or options(ctx.content.menus.nodes[session.node])
    return Turn(session, (Outbound(ctx.texts[text_id], offered),))


def numbered(names: tuple[str, ...]) -> tuple[Option, ...]:
    """Names as numbered options, from 1 (a blank name, from a damaged session, is left out)."""
    return tuple(Option(str(i), name) for i, name in enumerate(names, 1) if name.strip())


def options(node: MenuNode) -> tuple[Option, ...]:
    return tuple(Option(str(i), option.label) for i, option in enumerate(node.options, 1))


def _render(node: MenuNode, ctx: Ctx, session: Session) -> str:
    parts = [ctx.texts[node.text]]
    if node.show == "helplines":
        parts.append(format_helplines(ctx.content.helplines, ctx.content.orientation))
    elif node.show == "next_episode":
        parts.append(next_episode_answer(ctx.content.episodes, ctx.now, session.district))
    return "\n\n".join(part for part in parts if part)
