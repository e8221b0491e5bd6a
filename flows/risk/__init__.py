"""Risk assessor: one message in, a severity, categories and evidence out.

Pure: no I/O, no clock, no mutable globals. The lexicon lives in ``content/risk.yaml``; this
module validates it (:class:`RiskLexicon`), compiles it once (:func:`compile_lexicon`) and
applies it (:func:`assess_risk`).

How a message is read:

1. The first ``MAX_TEXT_CHARS`` characters are kept, emoji in the lexicon are mapped to words,
   the text is cut into sentences and each is folded (:func:`flows.text.fold`).
2. SMS spellings are replaced word by word (``q`` -> ``que``, ``xq`` -> ``porque``).
3. Every word is put into a *key* spelling that forgives common misspellings: no ``h``,
   ``ll`` -> ``y``, ``v`` -> ``b``, ``z`` and soft ``c`` -> ``s``, hard ``c``/``qu`` -> ``k``,
   doubled letters squeezed. Lexicon phrases go through the same key, so ``cuchiyo`` matches
   ``cuchillo`` and ``biolencia`` matches ``violencia``. Words of a phrase may be run together
   (``mequiere matar``).
4. False friends (idioms, hyperbole, accidents) are blanked out.
5. Rules are matched; each hit is dropped when negated or when the message is talk *about*
   violence and the hit has no first-person anchor; its severity is moved by nearby context
   (happening now, within 72 h, long ago) and by guards: a harmless frame (a laugh, a baby, a
   boss, an accident, cooking, an illness) with no serious cue near (a weapon, an injury, a
   man, fear) moves it down, and the evidence names the guard ("guard laughter: strangulation").
6. Two categories at high or above among the ``compounding`` ones (threat, weapon or
   strangulation, physical, sexual, confinement), or high plus pregnancy, become imminent.
7. The learned second opinion (:func:`second_opinion`) may raise the verdict, never lower it;
   its guards (too short to act alone, laughing, told after the fact) come from
   :func:`rules_verdict`, which training uses too.

Phrases are never scanned over a whole testimony one by one. Each phrase's *openings* (its
first letters spelled out, up to six: 'me mata', 'memata', 'la pe') are compiled, for all the
phrases of the rules, of the false friends and of the concepts, and for the context matchers
(now, topic, the guards' cues ...), into one trie regex
(:func:`flows.risk.phrases.opening_regex`); one pass of it over the key text names, at each word
start, the phrases of each list and the matchers that may match there, and only they are tried
there (in the key text, or in it with false friends blanked:
:meth:`flows.risk.prepare.TextIndex.places`, :meth:`~flows.risk.prepare.TextIndex.look`).
Exact: a phrase matches only where one of its openings begins.
Phrases without openings (written as regexes) are tried at the word starts their first words
allow (:meth:`TextIndex.scan`).
"""

from flows.risk.assess import (
    BLANK,
    CONTEXT_CHARS,
    EVIDENCE_CHARS,
    MAX_EVIDENCE,
    NOTHING,
    PERSONAL_CHARS,
    Assessment,
    assess_risk,
)
from flows.risk.classifier import Classifier, Scores, parse_classifier
from flows.risk.lexicon import CATEGORIES, Category, Context, FalseFriend, RiskLexicon, Rule
from flows.risk.model import RiskModel, compile_lexicon
from flows.risk.prepare import SENTENCE
from flows.spelling import key

__all__ = [
    "BLANK",
    "CATEGORIES",
    "CONTEXT_CHARS",
    "EVIDENCE_CHARS",
    "MAX_EVIDENCE",
    "NOTHING",
    "PERSONAL_CHARS",
    "SENTENCE",
    "Assessment",
    "Category",
    "Classifier",
    "Context",
    "FalseFriend",
    "RiskLexicon",
    "RiskModel",
    "Rule",
    "Scores",
    "assess_risk",
    "compile_lexicon",
    "key",
    "parse_classifier",
]
