"""Spelling on top of flows.text: SMS shorthand and the one forgiving *key* spelling.

Pure. The SMS dictionary is content (content/spelling.yaml, one list for the whole bot); the shell
loads it and passes it to :class:`Spelling`. The key spelling is shared by the risk, place and
intent matchers so that one misspelling is forgiven the same way everywhere:
no ``h`` (except in ``ch``), ``ll`` -> ``y``, ``v`` -> ``b``, ``z`` and soft ``c`` -> ``s``,
hard ``c``/``qu`` -> ``k``, doubled letters squeezed ('Chorrillos', 'chorillos' -> 'choriyos').
(A ``y`` -> ``i`` rule would also forgive 'huaican', but it moved the risk assessor's learned
second opinion, trained on this spelling, on its development sets: left out.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flows.text import fold

_KEY_STEPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<!c)h(?=[a-z])"), ""),
    (re.compile(r"qu(?=[ei])"), "k"),
    (re.compile(r"c(?=[ei])"), "s"),
    (re.compile(r"c(?!h)"), "k"),
    (re.compile(r"([a-z])\1+"), r"\1"),
)
_KEY_LETTERS = str.maketrans({"v": "b", "z": "s"})
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")


def key(text: str) -> str:
    """The forgiving spelling used for matching (input already folded)."""
    text = text.replace("ll", "y").translate(_KEY_LETTERS)
    for pattern, repl in _KEY_STEPS:
        text = pattern.sub(repl, text)
    return text


class Spelling:
    """SMS shorthand of content/spelling.yaml applied word by word, then the key spelling."""

    def __init__(self, sms: Mapping[str, str] | None = None) -> None:
        self.sms = {fold(k): fold(v) for k, v in (sms or {}).items() if fold(k)}

    def tokens(self, text: str) -> list[str]:
        """Folded words, SMS shorthand expanded, letters split from digits ('linea100')."""
        words = _LETTER_DIGIT.sub(" ", fold(text)).split()
        out: list[str] = []
        for i, word in enumerate(words):
            if len(word) == 1 and _initials(words, i):
                out.append(word)  # 's m p', 'v.e.s': initials, not 'me', 'de'
            else:
                out.extend(self.sms.get(word, word).split())
        return out

    def keys(self, text: str) -> list[str]:
        """The key spelling of a text's words, in order."""
        return [k for k in (key(t) for t in self.tokens(text)) if k]


def _initials(words: list[str], i: int) -> bool:
    return any(0 <= j < len(words) and len(words[j]) == 1 for j in (i - 1, i + 1))


def load_spelling(data: Mapping[str, Any]) -> Spelling:
    """content/spelling.yaml parsed; refuses anything but word -> word."""
    sms = data.get("sms") or {}
    if not isinstance(sms, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and len(v.split()) == 1 for k, v in sms.items()
    ):
        raise ValueError("spelling.yaml: sms must map one word to one word (quote 'no', 'si')")
    return Spelling(sms)
