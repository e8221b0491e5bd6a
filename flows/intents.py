"""Free-text intent matching at the main menu: keyword scoring on normalised, typo-tolerant words.

Pure: no I/O. A district named anywhere in the message sends the person to the CEM answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from rapidfuzz import fuzz, process

from flows.places import PlaceIndex, resolve_district
from flows.spelling import sound_tokens

INTENTS = (
    "greeting_menu",
    "find_cem",
    "helplines",
    "next_episode",
    "subscribe",
    "unsubscribe",
    "talk_to_defensora",
    "about",
    "forget_me",
    "thanks_bye",
    "other",
)
WEIGHTS = {"strong": 3.0, "medium": 2.0, "weak": 1.0}
MIN_SCORE = 2.0
"""Below this (e.g. only a weak word) the message is 'other'."""
MAX_TOKENS = 60


class IntentTerms(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    strong: tuple[str, ...] = ()
    medium: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


class Negation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    negators: tuple[str, ...]
    source: str = Field(alias="from")
    target: str = Field(alias="to")


class IntentModel(BaseModel):
    """Schema of content/intents.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    priority: tuple[str, ...]
    district_overrides: tuple[str, ...] = ()
    negation: Negation | None = None
    intents: dict[str, IntentTerms]

    @model_validator(mode="after")
    def _check(self) -> IntentModel:
        named = set(INTENTS) - {"other"}
        for where, names in (
            ("intents", self.intents),
            ("priority", self.priority),
            ("district_overrides", self.district_overrides),
        ):
            unknown = set(names) - named
            if unknown:
                raise ValueError(f"intents.yaml: {where}: unknown intents {sorted(unknown)}")
        missing = named - set(self.intents)
        if missing or set(self.priority) != named:
            raise ValueError(
                f"intents.yaml: every intent needs terms and a priority: {sorted(missing)}"
            )
        return self


@dataclass(frozen=True)
class IntentMatch:
    intent: str
    score: float
    district: str | None = None
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Term:
    intent: str
    keys: tuple[str, ...]
    weight: float


class IntentMatcher:
    """Precompiled term table (sound keys) plus the place index for district detection."""

    def __init__(self, model: IntentModel, index: PlaceIndex) -> None:
        self.model = model
        self.index = index
        self.rank = {name: i for i, name in enumerate(model.priority)}
        self.terms: list[_Term] = []
        for name, terms in model.intents.items():
            for tier, weight in WEIGHTS.items():
                for phrase in getattr(terms, tier):
                    keys = tuple(sound_tokens(phrase))
                    if keys:
                        self.terms.append(_Term(name, keys, weight))
        self.vocab = sorted({k for t in self.terms for k in t.keys})
        self.fuzzy_vocab = [k for k in self.vocab if len(k) >= 5]
        self.vocab_set = frozenset(self.vocab)
        neg = model.negation
        self.negators = [tuple(sound_tokens(n)) for n in neg.negators] if neg else []

    def canonical(self, key: str) -> str:
        """A typed word mapped to the vocabulary word it most likely is ('grasias' -> 'grasias')."""
        if key in self.vocab_set or len(key) < 5 or key.isdigit():
            return key
        best = process.extractOne(key, self.fuzzy_vocab, scorer=fuzz.ratio, score_cutoff=80.0)
        return best[0] if best is not None else key


def build_intent_matcher(model: IntentModel, index: PlaceIndex) -> IntentMatcher:
    return IntentMatcher(model, index)


def load_intent_model(data: dict[str, Any]) -> IntentModel:
    try:
        return IntentModel.model_validate(data)
    except ValueError as exc:
        raise ValueError(f"intents.yaml: {exc}") from exc


def _find(seq: list[str], keys: tuple[str, ...]) -> int:
    n = len(keys)
    for i in range(len(seq) - n + 1):
        if tuple(seq[i : i + n]) == keys:
            return i
    return -1


def _negated(seq: list[str], at: int, negators: list[tuple[str, ...]]) -> bool:
    window = seq[max(0, at - 3) : at]
    return any(_find(window, neg) >= 0 for neg in negators)


def _scores(seq: list[str], matcher: IntentMatcher) -> dict[str, float]:
    found: dict[str, list[float]] = {}
    neg = matcher.model.negation
    for term in matcher.terms:
        at = _find(seq, term.keys)
        if at < 0:
            continue
        intent = term.intent
        if neg is not None and intent == neg.source and _negated(seq, at, matcher.negators):
            intent = neg.target
        found.setdefault(intent, []).append(term.weight)
    # the strongest term decides; further terms only add a little (topic words must not outvote
    # the request: 'avisenme del siguiente programa' is subscribe, not next_episode)
    return {name: max(w) + 0.25 * (sum(w) - max(w)) for name, w in found.items()}


def match_intent(text: str, matcher: IntentMatcher) -> IntentMatch:
    """The menu intent of a free-text message; 'other' when nothing fits."""
    seq = [matcher.canonical(k) for k in sound_tokens(text)[:MAX_TOKENS]]
    scores = _scores(seq, matcher)
    best = "other"
    if scores:
        best = max(scores, key=lambda name: (scores[name], -matcher.rank[name]))
    score = scores.get(best, 0.0)
    if score < MIN_SCORE:
        best, score = "other", 0.0
    place = resolve_district(text, matcher.index)
    if place.district is not None or len(place.candidates) > 1:
        district = place.district
        candidates = place.candidates if place.district is None else ()
        if best in matcher.model.district_overrides:
            return IntentMatch(best, score, district, candidates)
        return IntentMatch("find_cem", max(score, 3.0), district, candidates)
    return IntentMatch(best, score)


def intent_json(text: str, matcher: IntentMatcher) -> dict[str, object]:
    """The `defensoras intent --json` object for one input line."""
    m = match_intent(text, matcher)
    return {
        "intent": m.intent,
        "score": m.score,
        "district": m.district,
        "candidates": list(m.candidates),
    }
