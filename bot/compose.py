"""One turn's replies as few messages as fit: an answer and the menu after it go as one message,
not two bubbles a moment apart (half the sends in a burst, and the menu never arrives alone)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.channels.envelope import render_plain
from flows.types import Outbound

LIMITS = {"telegram": 4000, "whatsapp": 1600}
"""What one message may carry per channel, menu lines included (WhatsApp counts them)."""
SEPARATOR = "\n\n"


def compose(replies: Sequence[Outbound], channel: str) -> list[Outbound]:
    """Join each reply without buttons to the next one while the result fits the channel."""
    limit = LIMITS.get(channel)
    if limit is None:  # the console prints each reply as it comes
        return list(replies)
    composed: list[Outbound] = []
    for reply in replies:
        previous = composed[-1] if composed else None
        if previous is not None and not previous.options:
            joined = Outbound(previous.text + SEPARATOR + reply.text, reply.options)
            if len(render_plain(joined.text, joined.options)) <= limit:
                composed[-1] = joined
                continue
        composed.append(reply)
    return composed
