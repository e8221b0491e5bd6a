"""Phrase language of the risk lexicon: the forgiving *key* spelling, phrase parsing into regular
expressions over it, and the anchor words used as a prefilter."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.spelling import key
from flows.text import strip_accents

_TOKEN = re.compile(r"\.\.\.|\{[a-z_]+\}|[()\[\]|]|[a-z0-9]+\*?")


# Phrase language -> regular expression over key spelling, plus anchor words for a prefilter

_COMMON = frozenset(
    (
        "me",
        "la",
        "le",
        "nos",
        "les",
        "las",
        "lo",
        "los",
        "te",
        "se",
        "mi",
        "mis",
        "su",
        "sus",
        "tu",
        "de",
        "del",
        "que",
        "a",
        "al",
        "con",
        "el",
        "en",
        "y",
        "un",
        "una",
        "no",
        "si",
        "ya",
        "por",
        "para",
        "es",
        "esta",
        "este",
        "ese",
        "esa",
        "estoy",
        "esto",
        "tiene",
        "tengo",
        "dijo",
        "dice",
        "dise",
    )
)
"""Words too frequent to make a useful prefilter anchor."""
_CLITICS = ("me", "la", "le", "se", "te", "lo", "nos", "mi", "ya", "no", "ke")
_PREFIX_LENGTHS = (2, 3, 4, 5)  # _prefixes() is unrolled for these
"""Anchors are word starts of these lengths (longer words are cut to the last one)."""


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    stem: bool


@dataclass(frozen=True, slots=True)
class _Alt:
    options: tuple[_Seq, ...]


@dataclass(frozen=True, slots=True)
class _Gap:
    pass


@dataclass(frozen=True, slots=True)
class _Seq:
    items: tuple[tuple[_Word | _Alt | _Gap, bool], ...]
    """(node, optional)."""


_Anchors = frozenset[str] | None


class _PhraseCompiler:
    """Phrase syntax: words; ``stem*``; ``(a|b c)`` choices; ``[a|b]`` optional; ``...`` up to
    six words; ``{name}`` a word list from ``words:``. Words may be run together."""

    def __init__(self, words: dict[str, tuple[str, ...]]) -> None:
        self._words = words
        self._macros: dict[str, _Alt] = {}
        self._stack: list[str] = []

    def parse(self, phrase: str) -> _Seq:
        folded = _fold_phrase(phrase)
        rest = _TOKEN.sub("", folded).strip()
        if rest:
            raise ValueError(f"unexpected characters {rest!r}")
        tokens = _TOKEN.findall(folded)
        if not tokens:
            raise ValueError("empty phrase")
        seq, pos = self._sequence(tokens, 0)
        if pos != len(tokens):
            raise ValueError(f"unbalanced {tokens[pos]!r}")
        return seq

    def compile(self, phrase: str) -> str:
        return anchored(self.parse(phrase))

    def _sequence(self, tokens: list[str], pos: int) -> tuple[_Seq, int]:
        items: list[tuple[_Word | _Alt | _Gap, bool]] = []
        while pos < len(tokens) and tokens[pos] not in (")", "]", "|"):
            tok = tokens[pos]
            if tok in ("(", "["):
                close = ")" if tok == "(" else "]"
                alts: list[_Seq] = []
                pos += 1
                while True:
                    alt, pos = self._sequence(tokens, pos)
                    alts.append(alt)
                    if pos >= len(tokens) or tokens[pos] not in (close, "|"):
                        raise ValueError(f"missing {close!r}")
                    pos += 1
                    if tokens[pos - 1] == close:
                        break
                items.append((_Alt(tuple(alts)), tok == "["))
            elif tok == "...":
                items.append((_Gap(), True))
                pos += 1
            elif tok.startswith("{"):
                items.append((self._macro(tok[1:-1]), False))
                pos += 1
            else:
                items.append((_Word(key(tok.rstrip("*")), tok.endswith("*")), False))
                pos += 1
        if not items:
            raise ValueError("empty group")
        return _Seq(tuple(items)), pos

    def _macro(self, name: str) -> _Alt:
        if name in self._macros:
            return self._macros[name]
        if name not in self._words:
            raise ValueError(f"unknown word list {{{name}}}")
        if name in self._stack:
            raise ValueError(f"word list {{{name}}} refers to itself")
        self._stack.append(name)
        alt = _Alt(tuple(self.parse(phrase) for phrase in self._words[name]))
        self._stack.pop()
        self._macros[name] = alt
        return alt


def _regex(seq: _Seq) -> str:
    out = ""
    for i, (node, optional) in enumerate(seq.items):
        if isinstance(node, _Word):
            rx = re.escape(node.text) + (r"\w*+" if node.stem else "")
        elif isinstance(node, _Alt):
            rx = "(?:" + _factored([_regex(opt) for opt in node.options]) + ")"
        else:
            rx = r"(?:\s\w++){0,6}"
        sep = "" if i == 0 or isinstance(node, _Gap) else r"\s?"
        out += f"(?:{sep}{rx})?" if optional else f"{sep}{rx}"
    return out


def _factored(options: list[str]) -> str:
    """The alternation of ``options`` with shared first letters factored out, recursively
    (``ba|ban|bino`` -> ``b(?:a(?:|n)|ino)``): Python's engine tries every branch of a flat
    alternation at each word, a trie only the branches of one letter. Exact: order is kept
    within a letter, and branches that start with different letters cannot both match."""
    out: list[str] = []
    i = 0
    while i < len(options):
        if not _literal_start(options[i]):
            out.append(options[i])
            i += 1
            continue
        groups: dict[str, list[str]] = {}
        while i < len(options) and _literal_start(options[i]):
            groups.setdefault(options[i][0], []).append(options[i][1:])
            i += 1
        for first, rests in groups.items():
            out.append(first + rests[0] if len(rests) == 1 else f"{first}(?:{_factored(rests)})")
    return "|".join(out)


def _literal_start(rx: str) -> bool:
    """Starts with a plain letter or digit (word text is [a-z0-9] in key spelling; quantifiers
    only ever follow a group or an escape, never a bare letter)."""
    return bool(rx) and rx[0].isascii() and rx[0].isalnum()


def anchored(seq: _Seq) -> str:
    """The whole-word regex of a phrase. A leading look-ahead on the possible first letters
    lets the regex engine skip ahead quickly (about twice as fast on long messages)."""
    first = _first_chars(seq)
    guard = f"(?=[{''.join(sorted(first))}])" if first else ""
    return rf"{guard}(?<!\w){_regex(seq)}(?!\w)"


def _first_chars(seq: _Seq) -> frozenset[str] | None:
    """Characters a match may start with (None when unknown or possibly empty)."""
    found = starts(seq)
    if found is None:
        return None
    chars = frozenset(start[:1] for start in found)
    return chars if all(c.isalnum() for c in chars) else None


START_CHARS = 5
"""A match's first word is known by its first (up to) this many letters."""


def starts(seq: _Seq) -> _Anchors:
    """The first letters (cut at ``START_CHARS``) of the words a match may begin with; None
    when unknown (a leading gap). Matches begin at a word start, so they are only tried where
    a word of the text begins with one of these."""
    found: set[str] = set()
    for node, optional in seq.items:
        chars = _node_starts(node)
        if chars is None:
            return None
        found |= chars
        if not optional:
            return frozenset(found)
    return None


def prefix_free(found: _Anchors) -> _Anchors:
    """The word starts without those another one begins (``me`` covers ``mes``, ``mesa``): the
    same words begin with them, and no word begins with two (see ``TextIndex._positions``)."""
    if found is None:
        return None
    return frozenset(w for w in found if not any(w[:n] in found for n in range(1, len(w))))


def _node_starts(node: _Word | _Alt | _Gap) -> _Anchors:
    if isinstance(node, _Word):
        return frozenset({node.text[:START_CHARS]}) if node.text else None
    if isinstance(node, _Alt):
        found: set[str] = set()
        for option in node.options:
            sub = starts(option)
            if sub is None:
                return None
            found |= sub
        return frozenset(found)
    return None


def _anchors(seq: _Seq) -> _Anchors:
    """Word starts of which at least one must occur in any text the sequence matches."""
    best: _Anchors = None
    best_score = (0, 0)
    for node, optional in seq.items:
        if optional or isinstance(node, _Gap):
            continue
        found = _node_anchors(node)
        if found is None:
            continue
        score = (
            sum(1000 if w in _COMMON else 100 if len(w) < 4 else 1 for w in found),
            len(found),
        )
        if best is None or score < best_score:
            best, best_score = found, score
    return best


def _node_anchors(node: _Word | _Alt | _Gap) -> _Anchors:
    if isinstance(node, _Word):
        return frozenset({node.text[: _PREFIX_LENGTHS[-1]]})
    if isinstance(node, _Alt):
        found: set[str] = set()
        for option in node.options:
            sub = _anchors(option)
            if sub is None:
                return None
            found |= sub
        return frozenset(found)
    return None


def _fold_phrase(phrase: str) -> str:
    """Lower-case, accent-free phrase that keeps the phrase syntax characters."""
    return re.sub(r"\s+", " ", strip_accents(phrase).lower().replace("'", " ")).strip()
