"""Phrase language of the risk lexicon: the forgiving *key* spelling, phrase parsing into regular
expressions over it, the anchor words used as a prefilter, and the openings (the literal text a
match begins with) that let one regex pass find where each phrase may match."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

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
        self.openings = Openings()
        """Openings of parsed phrases (the word lists shared by many spelled out once)."""

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


# Openings: the literal text every match begins with, for one scan of the whole text per index

OPENING_STRINGS = 256
"""At most this many openings per phrase (and per word list): past it they are cut to fewer
letters. More name fewer phrases per word start but cost compile time: at 1,024 a long
testimony took 6.8 M instructions instead of 7.0 M, the opening regexes 0.3 s more to build."""
OPENING_CHARS = 6
"""Openings stop growing at this length ('me mat', 'no me'): at 16 they ruled out little more
and the opening regexes took 2.2 s to build instead of 0.3 s."""

_Growing = frozenset[tuple[str, bool]]
"""Openings being spelled out: (text so far, whether it is all the match took so far)."""
_AFTER = "\0"
"""Stands for any text before a word list that does not begin the phrase (:class:`Openings`)."""


class Openings:
    """Literal texts one of which every match of a phrase begins with, at a word start
    (:func:`anchored`): :meth:`of`. A word list used by many phrases is spelled out once."""

    def __init__(self) -> None:
        self._lists: dict[tuple[int, str, int], tuple[_Alt, _Growing]] = {}
        """(id of a word list, what comes before, most openings) -> the list and its openings;
        holding the list keeps its id from being reused."""

    def of(self, seq: _Seq) -> frozenset[str] | None:
        """The phrase's first words spelled out: each choice of a word list, with and without
        the space between words (they may be run together), optional items taken and left, cut
        at a stem, a gap or ``OPENING_CHARS`` (and shortened past ``OPENING_STRINGS``). None when
        a match may begin with anything (a leading gap, nothing but optional items). At a word
        start the text holds no space, so a separator that would come first takes nothing; key
        text has no white space but the single space between words.

        Only a prefilter: a position where none of the openings begins cannot hold a match, and
        the phrase's own regex decides the rest."""
        found = self._grow(seq, frozenset({("", True)}))
        texts = frozenset(text for text, _ in found)
        return None if "" in texts else texts

    def _grow(self, seq: _Seq, growing: _Growing) -> _Growing:
        """``growing`` followed by the items of ``seq`` (separators as in :func:`_regex`)."""
        for i, (node, optional) in enumerate(seq.items):
            open_ = [text for text, more in growing if more]
            if not open_:
                break
            if i > 0 and not isinstance(node, _Gap):  # the separator \s?: nothing or one space
                open_ += [f"{text} " for text in open_ if text]
            grown = self._node(node, open_)
            grown.update((text, False) for text, more in growing if not more)
            if optional:
                grown.update((text, True) for text, more in growing if more)
            growing = frozenset((text, more and len(text) < OPENING_CHARS) for text, more in grown)
            if len(growing) > OPENING_STRINGS:
                growing = _cut(growing)
        return growing

    def _node(self, node: _Word | _Alt | _Gap, open_: list[str]) -> set[tuple[str, bool]]:
        if isinstance(node, _Word):
            return {(text + node.text, not node.stem) for text in open_}
        if isinstance(node, _Gap):
            return {(text, False) for text in open_}  # anything may follow
        # A word list grows the same after any text but the empty one (its separators then
        # take nothing): spelled out once after each and put after every text.
        grown: set[tuple[str, bool]] = set()
        room = max(1, OPENING_STRINGS // len(open_))  # keep the product few enough
        for text in open_:
            before = _AFTER if text else ""
            spelled = self._list(node, before, room)
            grown.update((text + t[len(before) :], more) for t, more in spelled)
        return grown

    def _list(self, node: _Alt, before: str, most: int) -> _Growing:
        """A word list's openings after ``before``, at most ``most`` of them (remembered)."""
        key = (id(node), before, most)
        if key not in self._lists:
            if most < OPENING_STRINGS:
                found = _cut(self._list(node, before, OPENING_STRINGS), most)
            else:
                start = frozenset({(before, True)})
                found = frozenset().union(*(self._grow(option, start) for option in node.options))
            self._lists[key] = (node, _cut(found, most) if len(found) > most else found)
        return self._lists[key][1]


def _cut(growing: _Growing, most: int = OPENING_STRINGS) -> _Growing:
    """At most ``most`` openings: each cut to its first letters, as many letters as leave few
    enough distinct ones (an opening's first letters still begin every match it begins)."""
    texts = sorted({text for text, _ in growing})
    # Cut to ``size`` letters, two neighbours (in sorted order) stay apart when they differ
    # within their first ``size`` letters: count those whose common start is shorter.
    common = sorted(_common_start(a, b) for a, b in pairwise(texts))
    size = OPENING_CHARS
    while size > 1 and 1 + bisect_left(common, size) > most:
        size -= 1
    return frozenset(
        (text, more) if len(text) <= size else (text[:size], False) for text, more in growing
    )


def _common_start(a: str, b: str) -> int:
    """How many first letters ``a`` and ``b`` share."""
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return size


_Trie = dict[str, "_Trie"]
"""Openings by letter; the empty key marks where one ends."""


OPENED_WORDS = " (?=({}))"
"""Around :func:`opening_regex`: ``finditer`` over ``" " + text`` finds the spaces an opening
follows, the longest opening after each its group 1."""


def opening_regex(
    lists: Sequence[dict[int, frozenset[str]]],
) -> tuple[str, list[dict[str, tuple[int, ...]]]]:
    """A regex of the openings of several lists of patterns (matching the longest one that
    begins where it is tried), and per list, per opening that begins any of its patterns'
    openings, the patterns of that list one of whose openings begins it.

    The openings that begin at one place are all beginnings of the longest one, so the
    longest names, in each list, every pattern that may match there. The regex is a trie
    (``m(?:e(?: (?:mata|pega)|)``) that tries longer openings first: one pass of the regex
    engine after every space (:data:`OPENED_WORDS`) visits every word start for every list."""
    trie: _Trie = {}
    owners: list[dict[str, set[int]]] = []
    for openings_of in lists:
        mine: dict[str, set[int]] = {}
        for number, texts in openings_of.items():
            for text in texts:
                node = trie
                for char in text:
                    node = node.setdefault(char, {})
                node[""] = {}
                mine.setdefault(text, set()).add(number)
        owners.append(mine)
    patterns: list[dict[str, tuple[int, ...]]] = [{} for _ in lists]
    nothing = frozenset[int]()
    _name(trie, "", (nothing,) * len(lists), owners, patterns, {})
    return _trie_regex(trie), patterns


def _name(
    node: _Trie,
    text: str,
    above: tuple[frozenset[int], ...],
    owners: list[dict[str, set[int]]],
    patterns: list[dict[str, tuple[int, ...]]],
    named: dict[frozenset[int], tuple[int, ...]],
) -> None:
    """Each opening -> per list, the patterns of it and of the openings it begins with
    (walking down); a list none of whose patterns it names leaves it out."""
    if "" in node:
        above = tuple(
            got.union(mine[text]) if text in mine else got
            for got, mine in zip(above, owners, strict=True)
        )
        for got, found in zip(above, patterns, strict=True):
            if got:
                found[text] = named.setdefault(got, tuple(sorted(got)))
    for char, sub in node.items():
        if char:
            _name(sub, text + char, above, owners, patterns, named)


def _trie_regex(node: _Trie) -> str:
    """Longer openings first: the first match of the alternation is the longest."""
    alts = [re.escape(char) + _trie_regex(sub) for char, sub in sorted(node.items()) if char]
    if "" in node:
        alts.append("")
    return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
