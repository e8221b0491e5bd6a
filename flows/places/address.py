"""Addresses as a person reads them: the MIMP directory's text, tidied for a phone screen.

Only the look changes (separators, capitals, repeated place names, abbreviations a coordinator
lists in content/orientation.yaml); no word is added or dropped except an exact repetition. The
JSON of `defensoras cem --json` keeps the directory's text verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_SEPARATOR = re.compile(r"\s*[-–]\s*")
_PARTICLES = frozenset({"De", "Del", "Y", "Con", "En", "Al"})
_ORDINAL = re.compile(r"\b(\d+)(Ta|To|Do|Da|Er|Era|Ro|Ra|Vo|Va|No|Na|Mo|Ma)\b")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[\wÁÉÍÓÚÑáéíóúñ.]+")


def _keeps_hyphen(text: str, start: int, end: int) -> bool:
    """'Cdra 5-6' and 'Mz N-8' keep their hyphen; 'S/N-Huaycán-Ate' is a list of places."""
    left = text[:start].rstrip()
    right = text[end:].lstrip()
    if not left or not right or not right[0].isdigit():
        return False
    last = left.split()[-1]
    return left[-1].isdigit() or len(last) == 1


def _segments(text: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for m in _SEPARATOR.finditer(text):
        if not _keeps_hyphen(text, m.start(), m.end()):
            parts.append(text[start : m.start()])
            start = m.end()
    parts.append(text[start:])
    return [p.strip(" ,.;") for p in parts if p.strip(" ,.;")]


def _tidy_words(segment: str, words: Mapping[str, str]) -> str:
    out = []
    for i, token in enumerate(segment.split()):
        bare = token.rstrip(",.;")
        tail = token[len(bare) :]
        if bare in words:
            bare = words[bare]
        elif i > 0 and bare in _PARTICLES:
            bare = bare.lower()
        out.append(bare + tail)
    return _ORDINAL.sub(lambda m: m.group(1) + m.group(2).lower(), " ".join(out))


def readable_address(text: str, words: Mapping[str, str]) -> str:
    """'Jr. Primero De Mayo S/N Cuadra 3 Iii Zona - Bayovar - Sjl -Lima' ->
    'Jr. Primero de Mayo S/N Cuadra 3 III Zona, Bayovar, SJL, Lima'."""
    kept: list[str] = []
    for segment in _segments(_SPACES.sub(" ", text)):
        for piece in (p.strip() for p in segment.split(",")):
            tidy = _tidy_words(piece, words)
            if tidy and (not kept or tidy.casefold() != kept[-1].casefold()):
                kept.append(tidy)
    return ", ".join(kept)
