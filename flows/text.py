"""Text normalisation shared by every matcher: how people really write on cheap phones."""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT_CHARS = 4000
"""Longer messages are cut before matching: risk words sit in the first screenfuls."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]"
)
"""Format characters (Unicode Cf: zero-width space, soft hyphen, word joiner, bidi marks...),
variation selectors and fillers. They are removed, not replaced by a space: phones and
copy-pastes put them inside words ("fo<ZWSP>tos"). These are the ones below U+10000; the
rest, :data:`_INVISIBLE_ASTRAL`, are looked for only in a text holding astral characters
(a class with both is tested range by range at every character: twice as slow)."""
_INVISIBLE_ASTRAL = re.compile(
    "[\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_INVISIBLE_LATIN1 = "".join(c for c in map(chr, range(0x100)) if _INVISIBLE.match(c))
"""The characters of :data:`_INVISIBLE` below U+0100: all a Latin-1 text can hold of them."""
_REPEATS = re.compile(r"(\w)\1{2,}")
_NON_WORD = re.compile(r"[^\w\s]+|_")
_SPACES = re.compile(r"\s+")
_NON_ASCII_SYMBOL = re.compile(r"[^\x00-\x7f\w]+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def drop_invisible(text: str) -> str:
    """Remove format characters and fold compatibility forms (fullwidth, decorative letters)."""
    if text.isascii():
        return text
    if is_latin1(text):  # only the few invisible characters below U+0100 (the soft hyphen)
        for char in _INVISIBLE_LATIN1:
            if char in text:
                text = text.replace(char, "")
    else:
        text = _INVISIBLE.sub("", text)
        if _ASTRAL.search(text) is not None:
            text = _INVISIBLE_ASTRAL.sub("", text)
    return unicodedata.normalize("NFKC", text)


def is_latin1(text: str) -> bool:
    """Whether every character of ``text`` is below U+0100 (most Spanish text: accents, ñ, ¿¡),
    without a regex scan: a Latin-1 string encodes as one copy."""
    return len(text.encode("latin-1", "ignore")) == len(text)


def clean(text: str) -> str:
    """Drop control and invisible characters, collapse white space, cut overlong input."""
    text = _CONTROL.sub(" ", drop_invisible(text[:MAX_TEXT_CHARS]))
    return _SPACES.sub(" ", text).strip()


def strip_accents(text: str) -> str:
    """'Línea' -> 'Linea', 'ñ' -> 'n': people on cheap phones rarely type accents."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free, letters repeated 3+ times squeezed to one.

    'AYUDAAAA!!' -> 'ayuda'; 'San Juan de Lurigancho' -> 'san juan de lurigancho'. The one fold
    of the bot (risk, places, intents, menus); few passes, since it runs on every message.
    """
    return fold_visible(drop_invisible(text[:MAX_TEXT_CHARS]))


def fold_visible(text: str) -> str:
    """:func:`fold` of a text whose invisible characters are already dropped
    (:func:`drop_invisible`). No step looks across white space: folding a text is folding each
    of its ``split()`` pieces and joining them (the risk assessor remembers words this way)."""
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
        text = _NON_ASCII_SYMBOL.sub(" ", text)
    text = _NON_WORD.sub(" ", _REPEATS.sub(r"\1", text.lower()))
    return " ".join(text.split())


def menu_number(text: str) -> int | None:
    """'2' -> 2; None for anything else. ASCII digits only: `str.isdigit()` also accepts '፩',
    '➀' or '²', which `int()` refuses, and a 5000-digit payload would overflow `int()`."""
    text = text.strip()
    if 0 < len(text) <= 4 and text.isascii() and text.isdigit():
        return int(text)
    return None


def words(text: str) -> list[str]:
    """The folded words of a text."""
    return fold(text).split()
