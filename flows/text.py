"""Text normalisation shared by every matcher: how people really write on cheap phones."""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT_CHARS = 4000
"""Longer messages are cut before matching: risk words sit in the first screenfuls."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_REPEATS = re.compile(r"(\w)\1{2,}")
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Drop control and invisible characters, collapse white space, cut overlong input."""
    text = _CONTROL.sub(" ", text[:MAX_TEXT_CHARS])
    return _SPACES.sub(" ", text).strip()


def strip_accents(text: str) -> str:
    """'Línea' -> 'Linea', 'ñ' -> 'n': people on cheap phones rarely type accents."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free, letters repeated 3+ times squeezed to one.

    'AYUDAAAA!!' -> 'ayuda'; 'San Juan de Lurigancho' -> 'san juan de lurigancho'.
    """
    text = strip_accents(clean(text)).lower()
    text = _REPEATS.sub(r"\1", text)
    text = _NON_WORD.sub(" ", text.replace("_", " "))
    return _SPACES.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """The folded words of a text."""
    return fold(text).split()
