"""Keyword scoring on the key spelling: typo-tolerant, SMS-aware, glued words split, places checked.

Pure: no I/O. How a message is read:
1. `flows.spelling.Spelling.keys`: folded words, SMS shorthand expanded, the key spelling each.
2. A word the vocabulary does not know is split when it is known words run together
   ('dondehayuncem'), else mapped to the nearest known word of 5+ letters ('grasias').
3. Every term found adds to its intent: the strongest term decides, others add a quarter.
4. A place decides when nothing else is clear: a Lima place -> find_cem, a place elsewhere in
   Peru -> outside_lima. Nothing -> out_of_scope (or the learned model's opinion, when sure).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from flows.intents.learned import LinearModel
from flows.intents.schema import FALLBACK, WEIGHTS, IntentModel
from flows.places import PlaceIndex, resolve_district
from flows.spelling import Spelling

MIN_SCORE = 2.0
"""Below this (only a weak word) the keywords say nothing."""
PLACE_SCORE = 3.0
"""A named place outweighs any intent scoring less than this ('hola, vivo en sjl')."""
PLACE_INTENTS = frozenset({"find_cem", "outside_lima"})
"""The model's vote for these leans on place names, which have their own rule: it never
overrules a key phrase ('extraño a mi mamá que está en Cusco' is a feeling)."""
MAX_TOKENS = 60
FUZZY = 85.0
"""Least similarity for a misspelling: one letter more or less, or one wrong in 7+ letters."""
SPLIT_MIN = 6
"""Shorter unknown words are never split into glued words."""


@dataclass(frozen=True)
class IntentMatch:
    intent: str
    score: float
    district: str | None = None
    candidates: tuple[str, ...] = ()
    keyword: float = 0.0
    """The keywords' own score for the intent (without the learned model's opinion)."""

    @property
    def clear(self) -> bool:
        """Keywords alone name the intent firmly: no place or guess should override it."""
        return self.keyword >= PLACE_SCORE


@dataclass(frozen=True)
class _Term:
    intent: str
    parts: tuple[tuple[str, ...], ...]
    """One part: a phrase whose words follow each other. Several: all present, any order."""
    weight: float


def _compile(phrase: str, spelling: Spelling) -> tuple[tuple[str, ...], ...]:
    parts = tuple(tuple(spelling.keys(p)) for p in phrase.split(" + "))
    return parts if all(parts) else ()


class IntentMatcher:
    """Precompiled term table (key spelling), the place index and an optional learned model."""

    def __init__(
        self, model: IntentModel, index: PlaceIndex, learned: LinearModel | None = None
    ) -> None:
        self.model = model
        self.index = index
        self.learned = learned
        self.rank = {name: i for i, name in enumerate(model.priority)}
        spelling = index.spelling
        table: dict[tuple[str, tuple[tuple[str, ...], ...]], float] = {}
        for name, terms in model.intents.items():
            for tier, weight in WEIGHTS.items():
                for phrase in getattr(terms, tier):
                    parts = _compile(phrase, spelling)  # 'hola' and 'ola' sound alike: one term
                    if parts and table.get((name, parts), 0.0) < weight:
                        table[(name, parts)] = weight
        self.terms = [_Term(name, parts, w) for (name, parts), w in table.items()]
        self.by_first: dict[str, list[_Term]] = {}
        for term in self.terms:
            for part in term.parts:
                self.by_first.setdefault(part[0], []).append(term)
        vocab = {k for t in self.terms for p in t.parts for k in p}
        self.fuzzy_vocab = sorted(k for k in vocab if len(k) >= 5)
        neg = model.negation
        self.negators = [tuple(spelling.keys(n)) for n in neg.negators] if neg else []
        common = {k for w in model.common_words for k in spelling.keys(w)}
        self.known = frozenset(vocab | common | {k for n in self.negators for k in n})
        emoji = sorted(model.emoji, key=len, reverse=True)
        self.emoji = re.compile("|".join(map(re.escape, emoji))) if emoji else None
        self.read = lru_cache(maxsize=4096)(self._read_word)
        self.retarget = [
            (
                frozenset(r.source),
                [_compile(w, spelling) for w in r.words],
                [_compile(w, spelling) for w in r.unless],
                r.target,
            )
            for r in model.retarget
        ]

    def _read_word(self, key: str) -> tuple[str, ...]:
        """A typed word as vocabulary words: itself, its glued parts, or its nearest spelling."""
        if key in self.known or len(key) < 5 or key.isdigit():
            return (key,)
        if len(key) >= SPLIT_MIN:
            parts = _split(key, self.known)
            if parts:
                return parts
        best = process.extractOne(key, self.fuzzy_vocab, scorer=fuzz.ratio, score_cutoff=FUZZY)
        if best is None or best[0][0] != key[0]:  # typos keep the first letter ('salud' is no
            return (key,)  # misspelt 'essalud')
        return (best[0],)

    def sequence(self, text: str) -> list[str]:
        """The message as vocabulary keys, in order."""
        if self.emoji is not None:
            text = self.emoji.sub(lambda m: f" {self.model.emoji[m.group()]} ", text)
        keys = self.index.spelling.keys(text)[:MAX_TOKENS]
        return [k for raw in keys for k in self.read(raw)]


def _split(word: str, vocab: frozenset[str]) -> tuple[str, ...]:
    """Fewest known pieces (2+ letters each) that spell the word; () when there are none.

    A letter the key spelling squeezed at a seam counts for both pieces ('de|emergencia').
    """
    n = len(word)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for end in range(2, n + 1):
        for start in range(max(0, end - 16), end - 1):
            head = best[start]
            if head is None:
                continue
            for piece in (word[start:end], word[start - 1 : end] if start else ""):
                old = best[end]
                if piece in vocab and (old is None or len(head) + 1 < len(old)):
                    best[end] = (*head, piece)
    found = best[n]
    return found if found is not None and len(found) >= 2 else ()


def build_intent_matcher(
    model: IntentModel, index: PlaceIndex, learned: LinearModel | None = None
) -> IntentMatcher:
    return IntentMatcher(model, index, learned)


def _find(seq: list[str], keys: tuple[str, ...]) -> int:
    n = len(keys)
    for i in range(len(seq) - n + 1):
        if tuple(seq[i : i + n]) == keys:
            return i
    return -1


def _any(seq: list[str], phrases: list[tuple[tuple[str, ...], ...]]) -> bool:
    return any(parts and all(_find(seq, p) >= 0 for p in parts) for parts in phrases)


def _negated(seq: list[str], at: int, negators: list[tuple[str, ...]], size: int) -> bool:
    window = seq[max(0, at - size) : at]
    return any(_find(window, neg) >= 0 for neg in negators)


def _spot(seq: list[str], at: dict[str, list[int]], keys: tuple[str, ...]) -> int:
    """Where the words of `keys` first follow each other in seq (-1: nowhere), looking only
    where its first word stands."""
    n = len(keys)
    for i in at.get(keys[0], ()):
        if n == 1 or tuple(seq[i : i + n]) == keys:
            return i
    return -1


def keyword_scores(seq: list[str], matcher: IntentMatcher) -> dict[str, float]:
    """Score of every intent with a term in the message."""
    at: dict[str, list[int]] = {}
    for i, word in enumerate(seq):
        at.setdefault(word, []).append(i)
    found: dict[str, list[float]] = {}
    neg = matcher.model.negation
    seen: set[int] = set()
    for word in at:
        for term in matcher.by_first.get(word, ()):
            if id(term) in seen:
                continue
            seen.add(id(term))
            spots = [_spot(seq, at, part) for part in term.parts]
            if min(spots) < 0:
                continue
            intent = term.intent
            if (
                neg is not None
                and intent == neg.source
                and _negated(seq, spots[0], matcher.negators, neg.window)
            ):
                intent = neg.target
            found.setdefault(intent, []).append(term.weight)
    # the strongest term decides; further terms only add a little (topic words must not outvote
    # the request: 'avisenme del siguiente programa' is subscribe, not next_episode)
    return {name: max(w) + 0.25 * (sum(w) - max(w)) for name, w in found.items()}


def _decide(seq: list[str], matcher: IntentMatcher) -> tuple[str, float, float]:
    """Best intent, its combined score and its keyword score; keywords and model added up."""
    scores = keyword_scores(seq, matcher)
    probs: dict[str, float] = {}
    combined = dict(scores)
    learned = matcher.learned
    if learned is not None:
        probs = learned.probabilities(" ".join(seq))
        for name, p in probs.items():
            combined[name] = combined.get(name, 0.0) + learned.blend * p
    if not combined:
        return FALLBACK, 0.0, 0.0
    best = max(combined, key=lambda name: (combined[name], -matcher.rank[name]))
    decisive = [name for name, s in scores.items() if s >= WEIGHTS["key"]]
    overrule = learned.overrule if learned is not None else 1.0
    sure_of_other = probs.get(best, 0.0) >= overrule and best not in PLACE_INTENTS
    if len(decisive) == 1 and best not in decisive and not sure_of_other:
        best = decisive[0]  # one phrase that settles it, unless the model is sure of another
    asked = [name for name in decisive if name != best]
    if best in matcher.model.yields and asked:  # 'tengo miedo que mi esposo lea esto': a question
        best = max(asked, key=lambda name: combined[name])
    neg = matcher.model.negation
    if neg is not None and best == neg.source and scores.get(neg.target, 0.0) >= WEIGHTS["key"]:
        best = neg.target  # 'ya no me manden avisos' is never read as a request for them
    for source, words, unless, target in matcher.retarget:
        if best in source and _any(seq, words) and not _any(seq, unless):
            # 'borra las fotos de mi celular': her phone, not the bot's data; the request's
            # weight carries over to what it is about
            scores[target] = max(scores.get(target, 0.0), scores.get(best, 0.0))
            combined[target] = max(combined.get(target, 0.0), combined[best])
            best = target
            break
    sure = learned is not None and probs.get(best, 0.0) >= learned.threshold
    if not (scores.get(best, 0.0) >= MIN_SCORE or sure):
        return FALLBACK, 0.0, 0.0
    return best, combined[best], scores.get(best, 0.0)


def match_intent(text: str, matcher: IntentMatcher) -> IntentMatch:
    """The intent of a free-text message; out_of_scope when nothing fits."""
    if _noise(text):
        return IntentMatch(FALLBACK, 0.0)
    seq = matcher.sequence(text)
    best, score, keyword = _decide(seq, matcher)
    model = matcher.model
    place = resolve_district(text, matcher.index)
    in_lima = place.district is not None or len(place.candidates) > 1
    if in_lima and place.matched is not None and best != FALLBACK:
        bare = _without_place(seq, place.matched, matcher)
        if bare != seq:  # 'Plaza Norte' is a place, not a job opening ('plazas')
            best, score, keyword = _decide(bare, matcher)
    found = keyword >= MIN_SCORE or (best != FALLBACK and score > 0.0)
    if place.kind == "outside" and not (found and best in model.outside_keeps):
        return IntentMatch("outside_lima", max(score, PLACE_SCORE))
    if place.district is not None or len(place.candidates) > 1:
        district = place.district
        candidates = place.candidates if district is None else ()
        if found and (best in model.place_keeps or keyword >= PLACE_SCORE):
            return IntentMatch(best, score, district, candidates, keyword)
        return IntentMatch("find_cem", max(score, PLACE_SCORE), district, candidates, keyword)
    return IntentMatch(best, score, keyword=keyword)


NOISE = re.compile(r"(\w{1,3}?)\1{2,}")


def _noise(text: str) -> bool:
    """One letter or syllable over and over ('aaaa…', 'jajaja', 'mmm'): nothing to read."""
    letters = "".join(ch for ch in text.casefold() if ch.isalpha())
    return bool(letters) and len(letters) >= 3 and NOISE.fullmatch(letters) is not None


def _without_place(seq: list[str], name: str, matcher: IntentMatcher) -> list[str]:
    """The message without the words of the place it names (market words stay: 'mercado' asks
    about the programme's markets)."""
    keys = tuple(matcher.sequence(name))
    at = _find(seq, keys)
    if at < 0 or not keys:
        return seq
    market = matcher.index.market_words
    kept = [k for k in keys if k in market]
    return [*seq[:at], *kept, *seq[at + len(keys) :]]


def intent_json(text: str, matcher: IntentMatcher) -> dict[str, object]:
    """The `defensoras intent --json` object for one input line."""
    m = match_intent(text, matcher)
    return {
        "intent": m.intent,
        "score": m.score,
        "district": m.district,
        "candidates": list(m.candidates),
    }
