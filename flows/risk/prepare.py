"""Reading a message for the assessor: folded words for evidence, key spelling for matching."""

from __future__ import annotations

import re
import sys
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
from flows.text import MAX_TEXT_CHARS, drop_invisible, fold_visible, is_latin1

SENTENCE = "#"
_SENTENCE_WORD_BARE = "0sentence0"
_SENTENCE_WORD = f" {_SENTENCE_WORD_BARE} "
_SENTENCE_RUN = re.compile(rf"{_SENTENCE_WORD_BARE}(?: {_SENTENCE_WORD_BARE})*")
_SENTENCES = re.compile(r"[.!?;¡¿\n\r]+|(?i:(?<=no)(?<!\wno)\s*[,:])")
"""Sentence ends; also the comma of an answer's "no," ("no, me amenazó con un cuchillo"
answers a question, it does not deny the threat after it)."""
_MARK_CHARS = ".!?;¡¿\n\r"
_MARKS = re.compile(f"[{_MARK_CHARS}]+")
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
    shown, keyed, _ = _prepare(text, model)
    return shown, keyed


def read(text: str, model: RiskModel) -> tuple[list[str], TextIndex]:
    """:func:`prepare` and the :func:`index` of its key text: each piece of text is remembered
    with its key words' starts, so the text's word starts come without a lookup per word."""
    shown, keyed, starts = _prepare(text, model)
    return shown, index(keyed, model.memo, starts)


def _prepare(text: str, model: RiskModel) -> tuple[list[str], str, list[tuple[str, ...]] | None]:
    """:func:`prepare`, and the starts of each word of the key text but its sentence words
    (None where a sentence word hides inside a word: then the key text is keyed word by word)."""
    text = drop_invisible(text[:MAX_TEXT_CHARS])
    emoji = model.emoji is not None and not text.isascii() and _may_hold_emoji(text, model)
    if emoji and model.emoji is not None:
        emoji_words = model.emoji_words
        text = model.emoji.sub(lambda m: emoji_words[m.group()], text)
    if emoji or not _marks_fit(text):
        text = _mark_sentences(text)[:MAX_TEXT_CHARS]
        if emoji:  # the lexicon's words for emoji may hold what drop_invisible changes
            text = drop_invisible(text)
        # Without them it would change nothing: the text is NFKC already, with no invisible
        # character, and ASCII put in place of sentence marks (starters) composes with nothing.
    elif _ANSWER.search(text) is not None:
        text = _SENTENCES.sub(_SENTENCE_WORD, text)[:MAX_TEXT_CHARS]  # its commas grow it too
    elif "\n" in text or "\r" in text:  # sentence marks the split below would drop
        text = text.replace("\n", ".\n").replace("\r", ".\r")
    # fold() and the key spelling look at no character across white space: each piece of text
    # is read once and remembered as its folded words each followed by its key and the key's
    # starts (the same words as reading the whole text; a sentence word is its own key). Nor do
    # the sentence marks but an answer's 'no ,' and line breaks (the runs across white space
    # they would make one sentence word make several, which the text keeps as one '#'): where
    # no answer may be, each piece's marks become sentence words as it is first read.
    folds = model.memo.folds
    pieces = text.split()
    found = list(map(folds.get, pieces))
    if None in found:
        found = [
            _read_piece(p, model) if f is None else f for p, f in zip(pieces, found, strict=True)
        ]
    both = list(chain.from_iterable(cast("list[_Piece]", found)))
    words = cast("list[str]", both[::3])
    keys = cast("list[str]", both[1::3])
    starts = cast("list[tuple[str, ...]]", both[2::3])
    folded = " ".join(words)
    if _SENTENCE_WORD_BARE not in folded:
        return words, " ".join(keys), starts
    whole = folded.count(_SENTENCE_WORD_BARE) == words.count(_SENTENCE_WORD_BARE)
    folded = _SENTENCE_RUN.sub(SENTENCE, folded).strip(f" {SENTENCE}")
    shown = folded.split()
    if whole and "" not in keys:
        # Sentence words only whole (no key holds one: 'ce' is keyed 'se') and no empty key:
        # the key text has them where the folded text has them.
        keyed = _SENTENCE_RUN.sub(SENTENCE, " ".join(keys)).strip(f" {SENTENCE}")
        return shown, keyed, starts
    by_word = model.memo.keys  # a sentence word inside a word ('x0sentence0'): word by word
    return shown, " ".join([by_word.get(w) or _word_key(w, model) for w in shown]), None


def _marks_fit(text: str) -> bool:
    """Whether ``text`` with its sentence marks made sentence words is surely no longer than
    ``MAX_TEXT_CHARS`` (each mark makes at most ``len(_SENTENCE_WORD) - 1`` more characters):
    cut to it, it would lose nothing."""
    grow = len(_SENTENCE_WORD) - 1
    if len(text) * (grow + 1) <= MAX_TEXT_CHARS:
        return True
    return len(text) + grow * sum(map(text.count, _MARK_CHARS)) <= MAX_TEXT_CHARS


def _may_hold_emoji(text: str, model: RiskModel) -> bool:
    """Whether ``text`` holds a character from the lowest first character of the lexicon's
    emoji on (:attr:`RiskModel.emoji_start`): where it holds none, no emoji can match. A text
    of Latin-1 characters alone holds none when that character is above them (no scan)."""
    start = model.emoji_start
    if start is None:
        return True
    if start.search("\u00ff") is None and is_latin1(text):
        return False
    return start.search(text) is not None


_Piece = tuple[str | tuple[str, ...], ...]
"""A piece's folded words, each followed by its key and the key's starts (:func:`prefixes`):
``('mata', 'mata', ('m', 'ma', 'mat', 'mata'), 'casa', 'kasa', ('k', 'ka', 'kas', 'kasa'))``."""


def _read_piece(piece: str, model: RiskModel) -> _Piece:
    """A piece's folded words, each followed by its key and the key's starts (remembered);
    its sentence marks are sentence words (the piece of a text where no answer's 'no,' is).

    A word equal to the piece, or a key equal to its word, is the same string: fewer objects
    to touch when the piece is read again."""
    memo = model.memo
    keys, starts = memo.keys, memo.starts
    found: list[str | tuple[str, ...]] = []
    for word in fold_visible(_MARKS.sub(_SENTENCE_WORD, piece)).split():
        if word == _SENTENCE_WORD_BARE:
            found += (_SENTENCE_WORD_BARE, _SENTENCE_WORD_BARE, ())  # '#': index() adds it
            continue
        if word == piece:
            word = piece
        keyed = keys.get(word) or _word_key(word, model)
        # A key is one word (folded words and the lexicon's SMS words hold letters and digits
        # only; the key spelling adds none): the key text's words are the keys.
        its = (starts.get(keyed) or _remember_starts(keyed, starts)) if keyed else ()
        found += (word, keyed, its)
    bounded(memo.folds)
    memo.folds[piece] = tuple(found)
    return memo.folds[piece]


def _word_key(word: str, model: RiskModel) -> str:
    found = key(model.spelling.get(word, word))
    if found == word:
        found = word
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
    return frozenset().union(*[starts.get(w) or _remember_starts(w, starts) for w in distinct])


def _word_starts(word: str) -> tuple[str, ...]:
    """The starts one word adds (see :func:`prefixes`)."""
    words = [word]
    if len(word) > 4 and word.startswith(_CLITICS):
        words.append(word[3:] if word.startswith("nos") else word[2:])
    if len(word) >= GLUED_WORD:
        words += [word[i:] for i in range(3, len(word) - 3)]
    return tuple({w[:n] for w in words for n in (1, *_PREFIX_LENGTHS)})


def _remember_starts(word: str, starts: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """A word's starts, remembered; each start one string for every word (interned: the
    common starts 'm', 'me', 'la' stay at hand, and ~4 times fewer strings in the memo)."""
    found = tuple(map(sys.intern, _word_starts(word)))
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


def index(
    keyed: str, memo: WordMemo | None = None, starts: list[tuple[str, ...]] | None = None
) -> TextIndex:
    """Word starts of the whole text and its sentences (one when the text is short); ``memo``
    remembers each word's starts across messages. ``starts``: those of each word of ``keyed``
    but its sentences' ``SENTENCE`` (:func:`read`; no key holds one), else found here."""
    sentences = SENTENCE in keyed
    if starts is None:
        distinct = set(keyed.split(" "))
        distinct.discard("")
        found_starts = prefixes(distinct, memo)
    else:
        found_starts = frozenset().union(*starts, _SENTENCE_STARTS if sentences else ())
    if len(keyed) < LONG_TEXT or not sentences:
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
    return TextIndex(found_starts, keyed, ends, chunks)


_SENTENCE_STARTS = _word_starts(SENTENCE)
