"""Free-text intents: what a person asks for, from keywords, places and a learned second opinion."""

from flows.intents.learned import LinearModel
from flows.intents.matcher import (
    IntentMatch,
    IntentMatcher,
    build_intent_matcher,
    intent_json,
    keyword_scores,
    match_intent,
)
from flows.intents.schema import FALLBACK, INTENTS, IntentModel, IntentTerms, load_intent_model

__all__ = [
    "FALLBACK",
    "INTENTS",
    "IntentMatch",
    "IntentMatcher",
    "IntentModel",
    "IntentTerms",
    "LinearModel",
    "build_intent_matcher",
    "intent_json",
    "keyword_scores",
    "load_intent_model",
    "match_intent",
]
