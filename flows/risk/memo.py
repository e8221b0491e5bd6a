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

MAX_WORDS = 50_000
"""Words remembered per table (a few MB); then the table is emptied and refilled."""


@dataclass(frozen=True, slots=True)
class WordMemo:
    folds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Piece of text between white space -> its folded words (:func:`flows.text.fold`), each
    followed by its key spelling: ``('mata', 'mata', 'kasa', 'kasa')``."""
    keys: dict[str, str] = field(default_factory=dict)
    """Folded word -> its key spelling after SMS shorthand (:func:`flows.risk.prepare.prepare`)."""
    starts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Key word -> the word starts it adds (:func:`flows.risk.prepare.prefixes`)."""


def bounded(table: dict[str, _V]) -> None:
    """Empty ``table`` when it holds ``MAX_WORDS`` words (called before adding one)."""
    if len(table) >= MAX_WORDS:
        table.clear()
