"""Reading a message for the assessor: folded words for evidence, key spelling for matching."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import cast

from flows.risk.memo import WordMemo, bounded
from flows.risk.model import Named, RiskModel, _Index, _Matcher
from flows.risk.phrases import _CLITICS, _PREFIX_LENGTHS
from flows.spelling import key
from flows.text import MAX_TEXT_CHARS, drop_invisible, fold_visible

SENTENCE = "#"
_SENTENCE_WORD_BARE = "0sentence0"
_SENTENCE_WORD = f" {_SENTENCE_WORD_BARE} "
_SENTENCE_RUN = re.compile(rf"{_SENTENCE_WORD_BARE}(?: {_SENTENCE_WORD_BARE})*")
_SENTENCES = re.compile(r"[.!?;¡¿\n\r]+|(?i:(?<=no)(?<!\wno)\s*[,:])")
"""Sentence ends; also the comma of an answer's "no," ("no, me amenazó con un cuchillo"
answers a question, it does not deny the threat after it)."""
_MARKS = re.compile(r"[.!?;¡¿\n\r]+")
"""The sentence ends of :data:`_SENTENCES` alone (one fast scan for its first characters)."""
_ANSWER = re.compile(r"[nN][oO]\s*[,:]")
"""Where the answer's comma may follow: without it only :data:`_MARKS` can match."""


def _mark_sentences(text: str) -> str:
    """``_SENTENCES.sub(_SENTENCE_WORD, text)``; its lookbehinds cost every character, so
    it runs only on a text where an answer's 'no,' may be."""
    if _ANSWER.search(text) is None:
        return _MARKS.sub(_SENTENCE_WORD, text)
    return _SENTENCES.sub(_SENTENCE_WORD, text)


def prepare(text: str, model: RiskModel) -> tuple[list[str], str]:
    """Folded words (for evidence) and the key text (for matching); word i <-> key word i.

    Invisible format characters are removed first (they hide inside words), decorative and
    fullwidth letters folded, emoji of the lexicon turned into words.
    """
    text = drop_invisible(text[:MAX_TEXT_CHARS])
    emoji = (
        model.emoji is not None
        and not text.isascii()
        and (model.emoji_start is None or model.emoji_start.search(text) is not None)
    )
    if emoji and model.emoji is not None:
        emoji_words = model.emoji_words
        text = model.emoji.sub(lambda m: emoji_words[m.group()], text)
    text = _mark_sentences(text)[:MAX_TEXT_CHARS]
    if emoji:  # the lexicon's words for emoji may hold what drop_invisible changes
        text = drop_invisible(text)
    # Without them it would change nothing: the text is NFKC already, with no invisible
    # character, and ASCII put in place of sentence marks (starters) composes with nothing.
    # fold() and the key spelling look at no character across white space: each piece of text
    # is read once and remembered as its folded words each followed by its key (the same words
    # as reading the whole text; a sentence word is its own key).
    folds = model.memo.folds
    pieces = text.split()
    found = list(map(folds.get, pieces))
    if None in found:
        found = [
            _read_piece(p, model) if f is None else f for p, f in zip(pieces, found, strict=True)
        ]
    both = list(chain.from_iterable(cast("list[tuple[str, ...]]", found)))
    words = both[::2]
    folded = " ".join(words)
    if _SENTENCE_WORD_BARE not in folded:
        return words, " ".join(both[1::2])
    whole = folded.count(_SENTENCE_WORD_BARE) == words.count(_SENTENCE_WORD_BARE)
    folded = _SENTENCE_RUN.sub(SENTENCE, folded).strip(f" {SENTENCE}")
    shown = folded.split()
    if whole and "" not in both:
        # Sentence words only whole (no key holds one: 'ce' is keyed 'se') and no empty key:
        # the key text has them where the folded text has them.
        keyed = _SENTENCE_RUN.sub(SENTENCE, " ".join(both[1::2])).strip(f" {SENTENCE}")
        return shown, keyed
    keys = model.memo.keys  # a sentence word inside a word ('x0sentence0'): key word by word
    return shown, " ".join([keys.get(w) or _word_key(w, model) for w in shown])


def _read_piece(piece: str, model: RiskModel) -> tuple[str, ...]:
    """A piece's folded words, each followed by its key (remembered)."""
    keys = model.memo.keys
    found: list[str] = []
    for word in fold_visible(piece).split():
        keyed = _SENTENCE_WORD_BARE if word == _SENTENCE_WORD_BARE else keys.get(word)
        found += (word, keyed or _word_key(word, model))
    folds = model.memo.folds
    bounded(folds)
    folds[piece] = tuple(found)
    return folds[piece]


def _word_key(word: str, model: RiskModel) -> str:
    found = key(model.spelling.get(word, word))
    keys = model.memo.keys
    bounded(keys)
    keys[word] = found
    return found


GLUED_WORD = 12
"""Words this long may be several run together ("meestapegando"): their inner letters also
start anchors, so the phrases they hold are tried."""


def prefixes(distinct: Iterable[str], memo: WordMemo | None = None) -> frozenset[str]:
    """Starts of every word (and of words glued after a clitic: 'mequiere'); first letters
    too, since a one-letter phrase word may start a glued text word ('a mi' in 'ami').

    Each word's starts depend on that word alone: with a ``memo`` they are remembered."""
    if memo is None:
        return frozenset(chain.from_iterable(map(_word_starts, set(distinct))))
    starts = memo.starts
    return frozenset(
        chain.from_iterable([starts.get(w) or _remember_starts(w, starts) for w in distinct])
    )


def _word_starts(word: str) -> tuple[str, ...]:
    """The starts one word adds (see :func:`prefixes`)."""
    words = [word]
    if len(word) > 4 and word.startswith(_CLITICS):
        words.append(word[3:] if word.startswith("nos") else word[2:])
    if len(word) >= GLUED_WORD:
        words += [word[i:] for i in range(3, len(word) - 3)]
    return tuple({w[:n] for w in words for n in (1, *_PREFIX_LENGTHS)})


def _remember_starts(word: str, starts: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    found = _word_starts(word)
    bounded(starts)
    starts[word] = found
    return found


LONG_TEXT = 300
"""Longer texts are matched sentence by sentence (no match runs past a sentence's end)."""


@dataclass(frozen=True, slots=True)
class TextIndex:
    """Where the words of a key text begin, and its sentences.

    A phrase's regex can only match at a word start where one of its openings begins
    (:meth:`places`), and only at one whose first letters are those of one of its first words
    (:func:`flows.risk.phrases.starts`, :meth:`scan`), so it is tried there alone, never scanned
    over the whole text: a long testimony costs its words, not its phrases times its letters."""

    prefixes: frozenset[str]
    """Word starts (and starts inside glued words) for the anchor prefilter."""
    keyed: str
    ends: tuple[int, ...]
    """End of each sentence (of the text when it is short), the last one the text's end."""
    chunks: tuple[tuple[int, int], ...]
    """The sentences (start, end) of a long text; the whole text when short."""
    at: dict[str, list[int]] = field(default_factory=dict)
    """Word -> where it begins, ascending (made when first needed: most patterns are looked
    for after their openings, :meth:`places`)."""
    words: list[str] = field(default_factory=list)
    """The distinct words, sorted: the words that start with some letters are a slice."""
    found: dict[frozenset[str], list[int]] = field(default_factory=dict)
    """Word starts already looked up (many phrases begin with the same words: me, la, le)."""
    by_letters: dict[str, list[int]] = field(default_factory=dict)
    passes: dict[int, tuple[dict[int, list[int]], ...]] = field(default_factory=dict)
    """Opening regex (by id: a pattern's hash reads all its code) -> :meth:`places` of each
    list it was compiled with (:meth:`_groups`)."""

    def scan(
        self, pattern: re.Pattern[str], first: frozenset[str] | None, text: str
    ) -> list[re.Match[str]]:
        """What ``pattern.finditer`` finds sentence by sentence (leftmost, non-overlapping),
        trying only the word starts ``first`` allows (every position when it is None)."""
        if first is None:
            return [m for lo, hi in self.chunks for m in pattern.finditer(text, lo, hi)]
        positions = self.found.get(first)
        if positions is None:
            positions = self._positions(first)
            self.found[first] = positions
        return self.scan_at(pattern, positions, text) if positions else []

    def look(self, matcher: _Matcher, text: str) -> list[re.Match[str]]:
        """What :meth:`scan` finds for a context matcher in ``text`` (the key text or it with
        false friends blanked: :meth:`places`), tried only after its openings: where the shared
        opening pass names one that begins with one of them (the longest opening at a place
        begins with every shorter one there, so these are the places :meth:`places` argues)."""
        if matcher.opening is None:
            return self.scan(matcher.pattern, matcher.starts, text)
        places = self._groups(matcher.opening, matcher.opened)[-1].get(matcher.number)
        return self.scan_at(matcher.pattern, places, text) if places else []

    def sweep(self, index: _Index, text: str) -> dict[int, list[re.Match[str]]]:
        """What :meth:`scan` finds for every pattern of ``index`` among its candidates (those
        whose anchor words occur), by pattern number, in ``text`` (the key text or it with
        false friends blanked: :meth:`places`); patterns that find nothing are left out."""
        found: dict[int, list[re.Match[str]]] = {}
        places = self.places(index)
        prefixes = self.prefixes
        anchors = index.anchors  # index.candidate and self.find, without two calls a pattern
        patterns = index.patterns
        for number in sorted(places.keys() | index.unopened):
            if (some := anchors[number]) is not None and some.isdisjoint(prefixes):
                continue
            if number in places:
                matches = self.scan_at(patterns[number], places[number], text)
            else:
                matches = self.scan(patterns[number], index.starts[number], text)
            if matches:
                found[number] = matches
        return found

    def find(
        self, index: _Index, number: int, places: dict[int, list[int]], text: str
    ) -> list[re.Match[str]]:
        """What :meth:`scan` finds for pattern ``number`` of ``index`` in ``text`` (the key
        text or it with false friends blanked: :meth:`places`), given its ``places``."""
        if number in places:
            return self.scan_at(index.patterns[number], places[number], text)
        if number in index.unopened:
            return self.scan(index.patterns[number], index.starts[number], text)
        return []  # no opening of it begins anywhere

    def places(self, index: _Index) -> dict[int, list[int]]:
        """Pattern number -> the word starts of the key text where one of its openings begins,
        ascending (the patterns of ``index.unopened`` left out). The pass's own table: never to
        be changed, nor indexed by a pattern it does not hold (a ``defaultdict``: it would
        make one).

        One pass of the index's opening regex (:func:`flows.risk.phrases.opening_regex`) names,
        at each word start, the longest opening that begins there, which names the patterns
        one of whose openings begins there; a pattern matches nowhere else. Its places are
        among those :meth:`scan` tries (the word starts its first words allow) and hold every
        place where it matches.

        They serve the text with false friends blanked too, which has the key text's letters
        or '~' in their place (letters and spaces of a blanked span alike, never a space), so
        the same word starts: a match there begins with one of the pattern's openings, letters
        and spaces with no '~' among them, which the key text holds at the same place, so its
        pass names the pattern there. Where the key text's pass names a pattern and no opening
        of it begins in the blanked text (blanking cut it), the pattern matches nothing: an
        idle try."""
        return self._groups(index.opening, index.opened)[index.slot]

    def _groups(self, opening: re.Pattern[str], opened: Named) -> tuple[dict[int, list[int]], ...]:
        """Per list of ``opened`` (:data:`flows.risk.model.Named`), :meth:`places` of its
        patterns (or matchers): one pass of ``opening``
        (:func:`flows.risk.phrases.opening_regex`) for every list, remembered."""
        groups = self.passes.get(id(opening))
        if groups is not None:
            return groups
        groups = (defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list))
        first, second, third, fourth = groups  # model.LISTS of them, unrolled (zip: +5 % Ir)
        for found in opening.finditer(f" {self.keyed}"):
            where = found.start()  # after the space: the word start
            of_first, of_second, of_third, of_fourth = opened[found[1]]
            for number in of_first:
                first[number].append(where)
            for number in of_second:
                second[number].append(where)
            for number in of_third:
                third[number].append(where)
            for number in of_fourth:
                fourth[number].append(where)
        self.passes[id(opening)] = groups
        return groups

    def scan_at(
        self, pattern: re.Pattern[str], places: list[int], text: str
    ) -> list[re.Match[str]]:
        """What :meth:`scan` finds, trying ``places`` only (they must hold every word start
        where the pattern matches, as :meth:`places` gives): the same places that may match,
        tried in the same order, skipped alike (leftmost, non-overlapping)."""
        done = -1
        match = pattern.match
        out = []
        ends = self.ends
        if len(ends) == 1:
            end = ends[0]
            for pos in places:
                if pos >= done and (found := match(text, pos, end)) is not None:
                    done = max(found.end(), pos + 1)
                    out.append(found)
            return out
        for pos in places:
            if pos >= done and (found := match(text, pos, ends[bisect_left(ends, pos)])):
                done = max(found.end(), pos + 1)
                out.append(found)
        return out

    def _positions(self, first: frozenset[str]) -> list[int]:
        """Ascending starts of the words that begin with one of ``first``."""
        keys = first & self.prefixes
        if not keys:
            return []
        lists = [self._starting(k) for k in keys]
        if len(lists) == 1:
            return lists[0]
        # Prefix-free starts (model.py): no word begins with two of them, the lists are disjoint.
        return sorted(chain.from_iterable(lists))

    def _starting(self, letters: str) -> list[int]:
        """Ascending starts of the words that begin with ``letters`` (remembered)."""
        found = self.by_letters.get(letters)
        if found is None:
            if not self.at:
                self._find_words()
            words, at = self.words, self.at
            i = bisect_left(words, letters)
            found = []
            while i < len(words) and words[i].startswith(letters):
                found += at[words[i]]
                i += 1
            found.sort()
            self.by_letters[letters] = found
        return found

    def _find_words(self) -> None:
        at = self.at
        pos = 0
        for word in self.keyed.split(" "):
            if word:
                at.setdefault(word, []).append(pos)
            pos += len(word) + 1
        self.words.extend(sorted(at))


def index(keyed: str, memo: WordMemo | None = None) -> TextIndex:
    """Word starts of the whole text and its sentences (one when the text is short); ``memo``
    remembers each word's starts across messages."""
    distinct = set(keyed.split(" "))
    distinct.discard("")
    if len(keyed) < LONG_TEXT or SENTENCE not in keyed:
        chunks: tuple[tuple[int, int], ...] = ((0, len(keyed)),)
    else:
        found = []
        lo = 0
        while lo < len(keyed):
            hi = keyed.find(SENTENCE, lo)
            hi = len(keyed) if hi < 0 else hi
            if hi > lo:
                found.append((lo, hi))
            lo = hi + 1
        chunks = tuple(found)
    ends = (*[hi for _, hi in chunks[:-1]], len(keyed))
    return TextIndex(prefixes(distinct, memo), keyed, ends, chunks)
