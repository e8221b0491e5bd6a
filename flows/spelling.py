"""Spelling normalisation on top of flows.text: SMS shorthand and a Spanish sound key.

Pure functions used by the place and intent matchers. `fold()` already removes accents, case,
punctuation and letters repeated 3+ times; this module adds what people on cheap phones do on top:
'sn juan', 'kiero', 'x favor', 'linea100', 'Chorrios', 'surkillo', 'vilaa'.
"""

from __future__ import annotations

import re

from flows.text import fold

_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")

SMS: dict[str, str] = {
    "q": "que",
    "k": "que",
    "ke": "que",
    "qe": "que",
    "xq": "porque",
    "pq": "porque",
    "xk": "porque",
    "pk": "porque",
    "porq": "porque",
    "x": "por",
    "d": "de",
    "dl": "del",
    "tb": "tambien",
    "tmb": "tambien",
    "porfa": "por favor",
    "porfis": "por favor",
    "xfa": "por favor",
    "xfavor": "por favor",
    "pls": "por favor",
    "plis": "por favor",
    "grax": "gracias",
    "grx": "gracias",
    "grs": "gracias",
    "gcs": "gracias",
    "bn": "bien",
    "dnd": "donde",
    "dnde": "donde",
    "sn": "san",
    "jn": "juan",
    "sta": "santa",
    "sto": "santo",
    "av": "avenida",
    "avda": "avenida",
    "avd": "avenida",
    "jr": "jiron",
    "psje": "pasaje",
    "pje": "pasaje",
    "mcdo": "mercado",
    "mdo": "mercado",
    "urb": "urbanizacion",
    "nro": "numero",
    "num": "numero",
    "nmro": "numero",
    "tlf": "telefono",
    "telf": "telefono",
    "tel": "telefono",
    "fono": "telefono",
    "cel": "celular",
    "msj": "mensajes",
    "msjs": "mensajes",
    "mjs": "mensajes",
    "info": "informacion",
    "hla": "hola",
    "toy": "estoy",
    "stoy": "estoy",
    "tas": "estas",
    "pa": "para",
    "cm": "como",
    "tmbn": "tambien",
    "xa": "para",
}
"""Whole-word SMS shorthand -> the word it stands for (folded)."""


def tokens(text: str) -> list[str]:
    """Folded words with SMS shorthand expanded and letters split from digits ('linea100')."""
    out: list[str] = []
    for word in _LETTER_DIGIT.sub(" ", fold(text)).split():
        out.extend(SMS.get(word, word).split())
    return out


_DOUBLE = re.compile(r"(.)\1+")
_SOFT_C = re.compile(r"c(?=[ei])")
_SOFT_G = re.compile(r"g(?=[ei])")
_GU = re.compile(r"gu(?=[ei])")
_Y_VOWEL = re.compile(r"y(?![aeiou])")


def sound(word: str) -> str:
    """A Spanish sound key for one folded word: spellings that sound alike get the same key.

    'chorrillos' and 'chorillos' -> 'Xoriyos'; 'surquillo' and 'surkiyo' -> 'surkiyo';
    'hola' -> 'ola'; 'vmt' -> 'bmt'. Double letters collapse ('barrancoo' -> 'baranko').
    """
    w = word.replace("ch", "X").replace("ll", "y").replace("qu", "k")
    w = _GU.sub("G", w)
    w = _SOFT_G.sub("j", w).replace("G", "g")
    w = _SOFT_C.sub("s", w).replace("c", "k").replace("z", "s").replace("v", "b").replace("h", "")
    w = _Y_VOWEL.sub("i", w)
    return _DOUBLE.sub(r"\1", w)


def sound_tokens(text: str) -> list[str]:
    """The sound keys of a text's words, in order."""
    return [key for key in (sound(t) for t in tokens(text)) if key]
