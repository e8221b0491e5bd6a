"""Per-word pieces of reading a message, remembered across messages.

Most words of a testimony are common words seen before; their key spelling and word starts
depend on the word alone, so they are computed once per word and looked up afterwards. The
memo belongs to one compiled model (its spelling table) and is bounded: past ``MAX_WORDS``
words it starts afresh. Remembering changes no result, only the time it takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

_V = TypeVar("_V")

MAX_WORDS = 10_000
"""Words remembered per table; then the table is emptied and refilled. A word costs ~500 bytes
over the three tables (3.8 MiB for the 7,600 pieces of 3,248 development texts): 10,000 holds
the common words of many days at ~5 MiB of a server's memory, where 50,000 could reach ~25."""


@dataclass(frozen=True, slots=True)
class WordMemo:
    folds: dict[str, tuple[str | tuple[str, ...], ...]] = field(default_factory=dict)
    """Piece of text between white space -> its folded words (:func:`flows.text.fold`), each
    followed by its key spelling and the key's word starts (those of :attr:`starts`):
    ``('mata', 'mata', ('m', 'ma', 'mat', 'mata'), 'casa', 'kasa', ('k', 'ka', ...))``."""
    keys: dict[str, str] = field(default_factory=dict)
    """Folded word -> its key spelling after SMS shorthand (:func:`flows.risk.prepare.prepare`)."""
    starts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Key word -> the word starts it adds (:func:`flows.risk.prepare.prefixes`), each start
    one (interned) string for every word."""


def bounded(table: dict[str, _V]) -> None:
    """Empty ``table`` when it holds ``MAX_WORDS`` words (called before adding one)."""
    if len(table) >= MAX_WORDS:
        table.clear()
