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
   (happening now, within 72 h, long ago, joking).
6. Two categories at high or above, or high plus pregnancy, become imminent.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Literal, get_args

import pydantic

from flows.text import MAX_TEXT_CHARS, fold, strip_accents
from flows.types import Severity

Category = Literal[
    "threat_to_life",
    "weapon_strangulation",
    "physical",
    "sexual",
    "confinement",
    "child_dependant",
    "self_harm",
    "stalking_control",
    "psychological",
    "economic",
    "harassment",
    "discrimination",
]
CATEGORIES: tuple[str, ...] = get_args(Category)
"""Category ids, in the order used to break ties between equally severe categories."""

MAX_EVIDENCE = 8
EVIDENCE_CHARS = 60
CONTEXT_CHARS = 70
"""How far (in key characters, same sentence only) a context marker may sit from a hit."""
PERSONAL_CHARS = 30
"""How far before a hit a first-person word anchors it when the message talks *about* violence."""
SENTENCE = "#"
BLANK = "~"
"""False friends are overwritten with this (not a word character, not a sentence break)."""
_SENTENCE_WORD_BARE = "0sentence0"
_SENTENCE_WORD = f" {_SENTENCE_WORD_BARE} "
_SENTENCE_RUN = re.compile(rf"{_SENTENCE_WORD_BARE}(?: {_SENTENCE_WORD_BARE})*")

_SENTENCES = re.compile(r"[.!?;¡¿\n\r]+")
_KEY_STEPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<!c)h(?=[a-z])"), ""),
    (re.compile(r"qu(?=[ei])"), "k"),
    (re.compile(r"c(?=[ei])"), "s"),
    (re.compile(r"c(?!h)"), "k"),
    (re.compile(r"([a-z])\1+"), r"\1"),
)
_KEY_LETTERS = str.maketrans({"v": "b", "z": "s"})
_TOKEN = re.compile(r"\.\.\.|\{[a-z_]+\}|[()\[\]|]|[a-z0-9]+\*?")
_NEGATION_TAIL = r"(?:(?:me|te|lo|la|le|nos|les|las|los|ha|han|a)\s)?(?:(?:a|e)\s)?$"


def key(text: str) -> str:
    """The forgiving spelling used for matching (input already folded)."""
    text = text.replace("ll", "y").translate(_KEY_LETTERS)
    for pattern, repl in _KEY_STEPS:
        text = pattern.sub(repl, text)
    return text


# --------------------------------------------------------------------------------------------
# Lexicon schema


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    """One way of saying something risky, in one category."""

    id: str = pydantic.Field(pattern=r"^[a-z0-9_]+$")
    category: Category
    severity: Severity
    phrases: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    """Raw regular expressions over the key spelling; for counsellors, phrases are enough."""
    now: Severity | None = None
    """Severity when a 'happening now' marker is near (ahorita, en este momento...)."""
    recent: Severity | None = None
    """Severity when a 'last 72 hours' marker is near (anoche, hoy, ayer...)."""
    past: Severity | None = None
    """Severity when a 'long ago' marker is near (de niña, hace años...)."""
    joking: Severity | None = None
    """Severity when the message laughs (jaja, xd); a follow-up question is then asked."""
    negatable: bool = True
    """A 'no'/'nunca' right before the phrase cancels it."""
    overrides: tuple[str, ...] = ()
    """Rule ids whose hits inside this rule's match are dropped (a more specific reading)."""

    @pydantic.model_validator(mode="after")
    def _check(self) -> Rule:
        if not self.phrases and not self.regex:
            raise ValueError(f"rule {self.id}: needs phrases or regex")
        for rx in self.regex:
            try:
                re.compile(rx)
            except re.error as exc:
                raise ValueError(f"rule {self.id}: bad regex {rx!r}: {exc}") from exc
        return self


class FalseFriend(_Strict):
    """A harmless way of using risky words; the matched words are ignored by the rules."""

    id: str = pydantic.Field(pattern=r"^[a-z0-9_]+$")
    phrases: tuple[str, ...]
    follow_up: bool = False
    """Ambiguous: ask a gentle question instead of staying silent."""


class Context(_Strict):
    negation: tuple[str, ...] = ()
    now: tuple[str, ...] = ()
    recent: tuple[str, ...] = ()
    past: tuple[str, ...] = ()
    topic: tuple[str, ...] = ()
    personal: tuple[str, ...] = ()
    laughter: tuple[str, ...] = ()
    pregnancy: tuple[str, ...] = ()
    cries: tuple[str, ...] = ()
    follow_up: tuple[str, ...] = ()


class RiskLexicon(_Strict):
    """Schema of ``content/risk.yaml``."""

    version: int
    spelling: dict[str, str] = {}
    emoji: dict[str, str] = {}
    words: dict[str, tuple[str, ...]] = {}
    context: Context = Context()
    false_friends: tuple[FalseFriend, ...] = ()
    rules: tuple[Rule, ...]
    cry_max_words: int = 5

    @pydantic.model_validator(mode="after")
    def _check(self) -> RiskLexicon:
        for src, dst in self.spelling.items():
            if not re.fullmatch(r"[a-z0-9]+", src) or not re.fullmatch(r"[a-z0-9]+", dst):
                raise ValueError(f"spelling {src!r}: {dst!r}: single lower-case words only")
        seen: set[str] = set()
        for item_id in [r.id for r in self.rules] + [f.id for f in self.false_friends]:
            if item_id in seen:
                raise ValueError(f"rule {item_id}: duplicate id")
            seen.add(item_id)
        for name, phrases in self.words.items():
            for phrase in phrases:
                _check_phrase(phrase, self.words, f"words {name}")
        for ff in self.false_friends:
            for phrase in ff.phrases:
                _check_phrase(phrase, self.words, f"false friend {ff.id}")
        for rule in self.rules:
            for phrase in rule.phrases:
                _check_phrase(phrase, self.words, f"rule {rule.id}")
            for other in rule.overrides:
                if other not in seen:
                    raise ValueError(f"rule {rule.id}: overrides unknown rule {other!r}")
        for kind, phrases in self.context.model_dump().items():
            for phrase in phrases:
                _check_phrase(phrase, self.words, f"context {kind}")
        return self


def _check_phrase(phrase: str, words: dict[str, tuple[str, ...]], where: str) -> None:
    try:
        pattern = _PhraseCompiler(words).compile(phrase)
        re.compile(pattern)
    except (ValueError, re.error) as exc:
        raise ValueError(f"{where}: bad phrase {phrase!r}: {exc}") from exc


# --------------------------------------------------------------------------------------------
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
        return rf"(?<!\w){_regex(self.parse(phrase))}(?!\w)"

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
            rx = "(?:" + "|".join(_regex(opt) for opt in node.options) + ")"
        else:
            rx = r"(?:\s\w++){0,6}"
        sep = "" if i == 0 or isinstance(node, _Gap) else r"\s?"
        out += f"(?:{sep}{rx})?" if optional else f"{sep}{rx}"
    return out


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


# --------------------------------------------------------------------------------------------
# Compiled model


@dataclass(frozen=True, slots=True)
class _Matcher:
    """A regular expression with the word starts that must be present for it to match."""

    pattern: re.Pattern[str]
    anchors: _Anchors

    def may_match(self, prefixes: frozenset[str]) -> bool:
        return self.anchors is None or not self.anchors.isdisjoint(prefixes)


@dataclass(frozen=True, slots=True)
class _Index:
    """Phrase regexes of many owners (rules or false friends), reachable by anchor word."""

    patterns: tuple[re.Pattern[str], ...]
    owners: tuple[int, ...]
    always: frozenset[int]
    by_anchor: dict[str, tuple[int, ...]]

    def candidates(self, prefixes: frozenset[str]) -> list[int]:
        found = set(self.always)
        by_anchor = self.by_anchor
        for anchor in by_anchor.keys() & prefixes:
            found.update(by_anchor[anchor])
        return sorted(found)


def _index(
    compiler: _PhraseCompiler, owners: list[tuple[tuple[str, ...], tuple[str, ...]]]
) -> _Index:
    patterns: list[re.Pattern[str]] = []
    owner_of: list[int] = []
    always: set[int] = set()
    by_anchor: dict[str, list[int]] = {}
    for owner, (phrases, regex) in enumerate(owners):
        for phrase in phrases:
            seq = compiler.parse(phrase)
            i = len(patterns)
            patterns.append(re.compile(rf"(?<!\w){_regex(seq)}(?!\w)"))
            owner_of.append(owner)
            anchors = _anchors(seq)
            if anchors is None:
                always.add(i)
            else:
                for anchor in anchors:
                    by_anchor.setdefault(anchor, []).append(i)
        for rx in regex:
            always.add(len(patterns))
            patterns.append(re.compile(rx))
            owner_of.append(owner)
    return _Index(
        tuple(patterns),
        tuple(owner_of),
        frozenset(always),
        {anchor: tuple(ids) for anchor, ids in by_anchor.items()},
    )


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    id: str
    category: str
    severity: Severity
    now: Severity | None
    recent: Severity | None
    past: Severity | None
    joking: Severity | None
    negatable: bool
    overrides: frozenset[str]


@dataclass(frozen=True, slots=True)
class RiskModel:
    """Compiled lexicon: build once with :func:`compile_lexicon`, share freely (immutable)."""

    version: int
    spelling: dict[str, str]
    emoji: re.Pattern[str] | None
    emoji_words: dict[str, str]
    false_friends: tuple[tuple[str, bool], ...]
    false_friend_index: _Index
    rules: tuple[_CompiledRule, ...]
    rule_index: _Index
    negation: re.Pattern[str] | None
    now: _Matcher | None
    recent: _Matcher | None
    past: _Matcher | None
    topic: _Matcher | None
    personal: _Matcher | None
    laughter: _Matcher | None
    pregnancy: _Matcher | None
    cries: _Matcher | None
    follow_up: _Matcher | None
    cry_max_words: int


def _matcher(
    compiler: _PhraseCompiler, phrases: tuple[str, ...], regex: tuple[str, ...] = ()
) -> _Matcher:
    parsed = [compiler.parse(p) for p in phrases]
    parts = [rf"(?<!\w){_regex(seq)}(?!\w)" for seq in parsed] + list(regex)
    anchors: set[str] | None = set()
    for seq in parsed:
        found = _anchors(seq)
        if found is None or anchors is None:
            anchors = None
            continue
        anchors |= found
    if regex:
        anchors = None
    return _Matcher(
        re.compile("|".join(f"(?:{p})" for p in parts)),
        None if anchors is None else frozenset(anchors),
    )


def _optional(compiler: _PhraseCompiler, phrases: tuple[str, ...]) -> _Matcher | None:
    return _matcher(compiler, phrases) if phrases else None


def compile_lexicon(lexicon: RiskLexicon) -> RiskModel:
    """Compile every phrase of a validated lexicon into regular expressions."""
    compiler = _PhraseCompiler(lexicon.words)
    rules = tuple(
        _CompiledRule(
            id=rule.id,
            category=rule.category,
            severity=rule.severity,
            now=rule.now,
            recent=rule.recent,
            past=rule.past,
            joking=rule.joking,
            negatable=rule.negatable,
            overrides=frozenset(rule.overrides),
        )
        for rule in lexicon.rules
    )
    ctx = lexicon.context
    negation = None
    if ctx.negation:
        words = "|".join(re.escape(key(fold(w))) for w in ctx.negation)
        negation = re.compile(rf"(?<!\w)(?:{words})\s{_NEGATION_TAIL}")
    emoji = None
    if lexicon.emoji:
        emoji = re.compile("|".join(re.escape(e) for e in sorted(lexicon.emoji, key=len)[::-1]))
    return RiskModel(
        version=lexicon.version,
        spelling=dict(lexicon.spelling),
        emoji=emoji,
        emoji_words=dict(lexicon.emoji),
        false_friends=tuple((ff.id, ff.follow_up) for ff in lexicon.false_friends),
        false_friend_index=_index(compiler, [(ff.phrases, ()) for ff in lexicon.false_friends]),
        rules=rules,
        rule_index=_index(compiler, [(rule.phrases, rule.regex) for rule in lexicon.rules]),
        negation=negation,
        now=_optional(compiler, ctx.now),
        recent=_optional(compiler, ctx.recent),
        past=_optional(compiler, ctx.past),
        topic=_optional(compiler, ctx.topic),
        personal=_optional(compiler, ctx.personal),
        laughter=_optional(compiler, ctx.laughter),
        pregnancy=_optional(compiler, ctx.pregnancy),
        cries=_optional(compiler, ctx.cries),
        follow_up=_optional(compiler, ctx.follow_up),
        cry_max_words=lexicon.cry_max_words,
    )


def _fold_phrase(phrase: str) -> str:
    """Lower-case, accent-free phrase that keeps the phrase syntax characters."""
    return re.sub(r"\s+", " ", strip_accents(phrase).lower().replace("'", " ")).strip()


# --------------------------------------------------------------------------------------------
# Assessment


@dataclass(frozen=True, slots=True)
class Assessment:
    severity: Severity
    categories: tuple[str, ...]
    """Category ids, most severe first."""
    evidence: tuple[str, ...]
    """``rule_id: matched words`` for the defensora (folded spelling)."""
    follow_up: bool = False
    """Ask a gentle question (bare cry, ambiguous hyperbole) even if severity is low."""
    pregnancy: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "categories": list(self.categories),
            "evidence": list(self.evidence),
            "follow_up": self.follow_up,
        }


NOTHING = Assessment(Severity.NONE, (), ())


@dataclass(frozen=True, slots=True)
class _Hit:
    rule: _CompiledRule
    start: int
    end: int


def _prepare(text: str, model: RiskModel) -> tuple[list[str], str]:
    """Folded words (for evidence) and the key text (for matching); word i <-> key word i."""
    text = text[:MAX_TEXT_CHARS]
    if model.emoji is not None:
        emoji_words = model.emoji_words
        text = model.emoji.sub(lambda m: emoji_words[m.group()], text)
    folded = _fold(_SENTENCES.sub(_SENTENCE_WORD, text))
    if _SENTENCE_WORD_BARE in folded:
        folded = _SENTENCE_RUN.sub(SENTENCE, folded).strip(f" {SENTENCE}")
    shown = folded.split()
    spelling = model.spelling
    keyed = key(" ".join([spelling.get(w, w) for w in shown]))
    return shown, keyed


_ACCENTS = str.maketrans(
    "áéíóúàèìòùäëïöüâêîôûãõñçÁÉÍÓÚÀÈÌÒÙÄËÏÖÜÂÊÎÔÛÃÕÑÇ",
    "aeiouaeiouaeiouaeiouaoncAEIOUAEIOUAEIOUAEIOUAONC",
)
_NON_ASCII_SYMBOL = re.compile(r"[^\x00-\x7f\w]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_REPEATS = re.compile(r"(\w)\1{2,}")
_NON_WORD = re.compile(r"[^\w\s]+|_")
_SPACES = re.compile(r"\s+")


def _fold(text: str) -> str:
    """Same result as :func:`flows.text.fold`, with a fast path for (nearly) ASCII text."""
    text = _NON_ASCII_SYMBOL.sub(" ", text.translate(_ACCENTS))
    if not text.isascii():
        return fold(text)
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text)).lower()
    text = _NON_WORD.sub(" ", _REPEATS.sub(r"\1", text))
    return _SPACES.sub(" ", text).strip()


def _prefixes(keyed: str) -> frozenset[str]:
    """Starts of every word (and of words glued after a clitic: 'mequiere')."""
    out: set[str] = set()
    for word in set(keyed.split()):
        out.update((word[:2], word[:3], word[:4], word[:5]))
        if len(word) > 4 and word.startswith(_CLITICS):
            rest = word[3:] if word.startswith("nos") else word[2:]
            out.update((rest[:2], rest[:3], rest[:4], rest[:5]))
    return frozenset(out)


def _spans(matcher: _Matcher | None, text: str, prefixes: frozenset[str]) -> list[tuple[int, int]]:
    if matcher is None or not matcher.may_match(prefixes):
        return []
    return [m.span() for m in matcher.pattern.finditer(text)]


def _found(matcher: _Matcher | None, text: str, prefixes: frozenset[str]) -> bool:
    return (
        matcher is not None
        and matcher.may_match(prefixes)
        and matcher.pattern.search(text) is not None
    )


def _near(spans: list[tuple[int, int]], lo: int, hi: int) -> bool:
    return any(s < hi and e > lo for s, e in spans)


def assess_risk(text: str, model: RiskModel) -> Assessment:
    """Assess one message. Never raises on odd input; empty or emoji-only text is ``none``."""
    shown, keyed = _prepare(text, model)
    if not keyed:
        return NOTHING
    prefixes = _prefixes(keyed)

    follow_up = False
    blanked = keyed
    ff_index = model.false_friend_index
    for i in ff_index.candidates(prefixes):
        pattern = ff_index.patterns[i]
        if pattern.search(blanked):
            blanked = pattern.sub(lambda m: BLANK * len(m.group()), blanked)
            follow_up = follow_up or model.false_friends[ff_index.owners[i]][1]

    hits: list[_Hit] = []
    rule_index = model.rule_index
    for i in rule_index.candidates(prefixes):
        rule = model.rules[rule_index.owners[i]]
        for m in rule_index.patterns[i].finditer(blanked):
            if m.end() > m.start():
                hits.append(_Hit(rule, m.start(), m.end()))

    if hits:
        overriding = [h for h in hits if h.rule.overrides]
        if overriding:
            hits = [
                h
                for h in hits
                if not any(
                    h.rule.id in o.rule.overrides and h.start < o.end and h.end > o.start
                    for o in overriding
                )
            ]
        if model.negation is not None:
            negation = model.negation
            hits = [
                h
                for h in hits
                if not (
                    h.rule.negatable and negation.search(blanked, max(0, h.start - 24), h.start)
                )
            ]

    if hits and _found(model.topic, blanked, prefixes):
        personal = _spans(model.personal, blanked, prefixes)
        hits = [h for h in hits if _near(personal, h.start - PERSONAL_CHARS, h.end)]

    severities: dict[str, Severity] = {}
    evidence: list[str] = []
    if hits:
        bounds = [m.start() for m in _SENTENCE_MARK.finditer(blanked)]
        now = _spans(model.now, blanked, prefixes)
        recent = _spans(model.recent, blanked, prefixes)
        past = _spans(model.past, blanked, prefixes)
        laughing = _found(model.laughter, blanked, prefixes)
        word_starts = [0, *(m.end() for m in _SPACE.finditer(keyed))]
        for hit in hits:
            rule = hit.rule
            level = rule.severity
            lo, hi = _window(bounds, hit.start, hit.end, len(blanked))
            if rule.past is not None and _near(past, lo, hi):
                level = rule.past
            elif rule.now is not None and _near(now, lo, hi):
                level = rule.now
            elif rule.recent is not None and _near(recent, lo, hi):
                level = rule.recent
            if rule.joking is not None and laughing:
                level = rule.joking
                follow_up = True
            if level is Severity.NONE:
                continue
            if level.rank > severities.get(rule.category, Severity.NONE).rank:
                severities[rule.category] = level
            note = f"{rule.id}: {_fragment(shown, word_starts, hit)}"
            if len(evidence) < MAX_EVIDENCE and note not in evidence:
                evidence.append(note)

    severity = Severity.highest(*severities.values())
    pregnancy = False
    if severity is not Severity.NONE:
        pregnancy = _found(model.pregnancy, blanked, prefixes)
        serious = sum(1 for s in severities.values() if s.at_least(Severity.HIGH))
        if serious >= 2 or (pregnancy and severity is Severity.HIGH):
            severity = Severity.IMMINENT
        elif pregnancy and severity is Severity.MODERATE:
            severity = Severity.HIGH
        if pregnancy:
            evidence.append("pregnancy")
    else:
        pregnancy = _found(model.pregnancy, blanked, prefixes)

    if (
        not severity.at_least(Severity.HIGH)
        and not follow_up
        and (
            _found(model.follow_up, blanked, prefixes)
            or (
                not severities
                and len(shown) <= model.cry_max_words
                and _found(model.cries, blanked, prefixes)
            )
        )
    ):
        follow_up = True

    order = {c: i for i, c in enumerate(CATEGORIES)}
    categories = tuple(
        sorted(severities, key=lambda c: (-severities[c].rank, order.get(c, len(order))))
    )
    return Assessment(
        severity=severity,
        categories=categories,
        evidence=tuple(evidence),
        follow_up=follow_up,
        pregnancy=pregnancy,
    )


_SENTENCE_MARK = re.compile(re.escape(SENTENCE))
_SPACE = re.compile(" ")


def _window(bounds: list[int], start: int, end: int, size: int) -> tuple[int, int]:
    """The context window of a hit: CONTEXT_CHARS either side, inside its sentence."""
    i = bisect_right(bounds, start)
    sentence_lo = bounds[i - 1] if i > 0 else 0
    sentence_hi = bounds[i] if i < len(bounds) else size
    return max(sentence_lo, start - CONTEXT_CHARS), min(sentence_hi, end + CONTEXT_CHARS)


def _fragment(shown: list[str], word_starts: list[int], hit: _Hit) -> str:
    first = bisect_right(word_starts, hit.start) - 1
    last = bisect_right(word_starts, max(hit.start, hit.end - 1)) - 1
    return " ".join(shown[first : last + 1])[:EVIDENCE_CHARS]
