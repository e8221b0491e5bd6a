"""The compiled lexicon (:class:`RiskModel`), built once by :func:`compile_lexicon`."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from flows.risk.classifier import Classifier
from flows.risk.lexicon import LAUGHTER, RiskLexicon, combo_parts
from flows.risk.memo import WordMemo
from flows.risk.phrases import (
    OPENED_WORDS,
    _Anchors,
    _anchors,
    _PhraseCompiler,
    anchored,
    opening_regex,
    prefix_free,
    starts,
)
from flows.spelling import key
from flows.text import fold
from flows.types import Severity

_NEGATION_TAIL = r"(?:(?:me|te|lo|la|le|nos|les|las|los|ha|han|a)\s)?(?:(?:a|e)\s)?$"


# --------------------------------------------------------------------------------------------
# Compiled model


@dataclass(frozen=True, slots=True)
class _Matcher:
    """A regular expression with the word starts that must be present for it to match."""

    pattern: re.Pattern[str]
    anchors: _Anchors
    starts: _Anchors = None
    """First letters of the words a match may begin with (None: try everywhere)."""
    opening: re.Pattern[str] | None = None
    """The opening regex shared with the indexes and the other matchers (None: it has no
    openings): :func:`_indexes`, :meth:`flows.risk.prepare.TextIndex.look`."""
    opened: Named = field(default_factory=dict)
    """The shared table of openings (:data:`Named`): the matchers are its last list."""
    number: int = -1

    def may_match(self, prefixes: frozenset[str]) -> bool:
        return self.anchors is None or not self.anchors.isdisjoint(prefixes)


@dataclass(frozen=True, slots=True)
class _Index:
    """Phrase regexes of many owners (rules or false friends), reachable by anchor word."""

    patterns: tuple[re.Pattern[str], ...]
    starts: tuple[_Anchors, ...]
    """Per pattern: first letters of the words a match may begin with (None: anywhere)."""
    owners: tuple[int, ...]
    always: frozenset[int]
    by_anchor: dict[str, tuple[int, ...]]
    anchors: tuple[_Anchors, ...]
    """Per pattern: its anchor words (None: always a candidate); see :meth:`candidate`."""
    opening: re.Pattern[str]
    """Gives the longest opening after each space, of any pattern of this index and of the
    others compiled with it (:func:`_indexes`, :data:`flows.risk.phrases.OPENED_WORDS`)."""
    opened: Named
    """The shared table of openings (:data:`Named`): this index is its list :attr:`slot`."""
    slot: int
    unopened: tuple[int, ...]
    """Patterns without openings (written as regexes, or that may begin with anything): looked
    for as before, pattern by pattern."""

    def candidate(self, number: int, prefixes: frozenset[str]) -> bool:
        """Whether pattern ``number`` is among :meth:`candidate_set` (one pattern alone)."""
        anchors = self.anchors[number]
        return anchors is None or not anchors.isdisjoint(prefixes)

    def candidate_set(self, prefixes: frozenset[str]) -> set[int]:
        """Patterns whose anchor words occur (in no particular order): those whose matches
        are kept (:meth:`candidate` asks it of one pattern)."""
        found = set(self.always)
        by_anchor = self.by_anchor
        for anchor in by_anchor.keys() & prefixes:
            found.update(by_anchor[anchor])
        return found


_CONTEXTS = (
    "now",
    "recent",
    "past",
    "topic",
    "personal",
    "laughter",
    "pregnancy",
    "cries",
    "weak_cries",
    "presence",
    "cry_fillers",
    "narrative",
    "follow_up",
    "bare_presence",
    "habitual",
    "unharmed",
    "closure",
)
"""The context matchers' fields (of :class:`flows.risk.lexicon.Context` and of the model)."""

Named = dict[str, tuple[tuple[int, ...], ...]]
"""Opening -> per list compiled with it (the ``LISTS`` - 1 indexes, then the context matchers),
the patterns of that list (or matchers, by number) that may match where it begins, ascending:
one lookup names them all (:func:`_indexes`)."""
LISTS = 4
"""Lists in the one opening table: false friends, rules, concepts and the context matchers
(:meth:`flows.risk.prepare.TextIndex.places` is written for them)."""

_Owners = list[tuple[tuple[str, ...], tuple[str, ...]]]
"""Per owner (a rule, a false friend, a concept): its phrases and its regexes."""
_NO_OPENING = re.compile("(?!)")


@dataclass(frozen=True, slots=True)
class _Shared:
    """The opening regex of the indexes and of the context matchers, the matchers' table of
    openings (:attr:`_Matcher.opened`) and each one's number by its phrases (those without
    openings left out)."""

    opening: re.Pattern[str]
    opened: Named
    numbers: dict[tuple[str, ...], int]


def _indexes(
    compiler: _PhraseCompiler, lists: list[_Owners], contexts: list[tuple[str, ...]]
) -> tuple[list[_Index], _Shared]:
    """An index per list of owners, all sharing one opening regex (:func:`opening_regex`) with
    the context matchers of ``contexts`` (each its phrases): one pass over a text finds the
    places of every list (:meth:`TextIndex.places`) and of every matcher (:meth:`look`)."""
    parsed = [_index(compiler, owners) for owners in lists]
    numbers: dict[tuple[str, ...], int] = {}
    matchers: dict[int, frozenset[str]] = {}
    for phrases in contexts:
        if phrases not in numbers and (texts := _spelled(compiler, phrases)) is not None:
            numbers[phrases] = len(matchers)
            matchers[len(matchers)] = texts
    if len(lists) + 1 != LISTS:
        raise ValueError(f"the opening table holds {LISTS} lists, not {len(lists) + 1}")
    regex, opened = opening_regex([openings_of for _, openings_of in parsed] + [matchers])
    opening = re.compile(OPENED_WORDS.format(regex))
    named: Named = {}
    kept: dict[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]] = {}
    for text in frozenset().union(*opened):
        per_list = tuple(found.get(text, ()) for found in opened)
        named[text] = kept.setdefault(per_list, per_list)  # equal ones kept once
    indexes = [
        dataclasses.replace(index, opening=opening, opened=named, slot=slot)
        for slot, (index, _) in enumerate(parsed)
    ]
    return indexes, _Shared(opening, named, numbers)


def _spelled(compiler: _PhraseCompiler, phrases: tuple[str, ...]) -> frozenset[str] | None:
    """The openings of a matcher's phrases (None: one may begin anywhere or has none)."""
    parsed = [compiler.parse(p) for p in phrases]
    spelled = [compiler.openings.of(seq) for seq in parsed]
    if not parsed or any(starts(seq) is None for seq in parsed) or None in spelled:
        return None
    return frozenset().union(*[texts for texts in spelled if texts is not None])


def _index(compiler: _PhraseCompiler, owners: _Owners) -> tuple[_Index, dict[int, frozenset[str]]]:
    """The index of one list of owners (its openings not yet compiled) and per pattern its
    openings."""
    patterns: list[re.Pattern[str]] = []
    first: list[_Anchors] = []
    owner_of: list[int] = []
    always: set[int] = set()
    by_anchor: dict[str, list[int]] = {}
    anchors_of: list[_Anchors] = []
    openings_of: dict[int, frozenset[str]] = {}
    for owner, (phrases, regex) in enumerate(owners):
        for phrase in phrases:
            seq = compiler.parse(phrase)
            i = len(patterns)
            patterns.append(re.compile(anchored(seq)))
            first.append(prefix_free(starts(seq)))
            owner_of.append(owner)
            anchors = _anchors(seq)
            anchors_of.append(anchors)
            if anchors is None:
                always.add(i)
            else:
                for anchor in anchors:
                    by_anchor.setdefault(anchor, []).append(i)
            found = compiler.openings.of(seq)
            if found is not None and first[i] is not None:
                openings_of[i] = found
        for rx in regex:
            always.add(len(patterns))
            patterns.append(re.compile(rx))
            first.append(None)
            owner_of.append(owner)
            anchors_of.append(None)
    index = _Index(
        tuple(patterns),
        tuple(first),
        tuple(owner_of),
        frozenset(always),
        {anchor: tuple(ids) for anchor, ids in by_anchor.items()},
        tuple(anchors_of),
        _NO_OPENING,
        {},
        0,
        tuple(i for i in range(len(patterns)) if i not in openings_of),
    )
    return index, openings_of


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
    habitual: Severity | None = None
    unharmed: Severity | None = None
    closed: Severity | None = None


@dataclass(frozen=True, slots=True)
class _CompiledGuard:
    """A harmless frame (:class:`flows.risk.lexicon.Guard`), compiled."""

    id: str
    cue: _Matcher
    unless: _Matcher | None
    scope: str
    categories: frozenset[str]
    rules: frozenset[str]
    """Rule ids covered besides the categories (the ``laughter`` guard: those with ``joking``)."""
    spares: frozenset[str]
    level: Severity
    follow_up: bool
    quiets: bool

    def covers(self, rule: _CompiledRule) -> bool:
        if rule.id in self.spares:
            return False
        if not self.categories and not self.rules:
            return True
        return rule.category in self.categories or rule.id in self.rules


@dataclass(frozen=True, slots=True)
class _Combo:
    """One ``together`` combination of a rule: concept indices that must co-occur."""

    rule: int
    parts: tuple[int, ...]
    within: int


@dataclass(frozen=True, slots=True)
class RiskModel:
    """Compiled lexicon: build once with :func:`compile_lexicon`, share freely (immutable)."""

    version: int
    spelling: dict[str, str]
    emoji: re.Pattern[str] | None
    emoji_words: dict[str, str]
    false_friends: tuple[tuple[str, bool, bool], ...]
    """(id, asks a follow-up, calms) per false friend."""
    false_friend_unless: tuple[_Matcher | None, ...]
    """Per false friend, what keeps its words risky anywhere in the message."""
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
    weak_cries: _Matcher | None
    presence: _Matcher | None
    cry_fillers: _Matcher | None
    narrative: _Matcher | None
    follow_up: _Matcher | None
    cry_max_words: int
    narrative_min_chars: int
    compounding: frozenset[str] = frozenset()
    """Two of these categories at high or above: imminent."""
    concepts: _Index | None = None
    """Every distinct part of the ``together`` rules, pattern i being concept i."""
    combos: tuple[_Combo, ...] = ()
    guards: tuple[_CompiledGuard, ...] = ()
    """Harmless frames that move the hits of the rules they cover (in lexicon order)."""
    classifier: Classifier | None = None
    """The learned second opinion (may raise a verdict, never lowers it)."""
    bare_presence: _Matcher | None = None
    """He is here, said alone: imminent (see :attr:`Context.bare_presence`)."""
    habitual: _Matcher | None = None
    unharmed: _Matcher | None = None
    closure: _Matcher | None = None
    emoji_start: re.Pattern[str] | None = None
    """Any character from the lowest first character of the emoji on: where it is not found
    no emoji can match, and the emoji regex (27 astral characters, no fast scan: ~80 ns per
    character) is not run."""
    memo: WordMemo = field(default_factory=WordMemo, init=False, compare=False, repr=False)
    """Per-word key spellings and word starts seen in earlier messages (speed only; a model
    made by ``dataclasses.replace`` starts its own, so a changed spelling table is safe)."""

    def with_classifier(self, classifier: Classifier | None) -> RiskModel:
        """The same lexicon with another (or no) learned second opinion."""
        return dataclasses.replace(self, classifier=classifier)

    def without_classifier(self) -> RiskModel:
        """The rules alone (benchmarks compare)."""
        return self.with_classifier(None)


def _matcher(compiler: _PhraseCompiler, phrases: tuple[str, ...], shared: _Shared) -> _Matcher:
    """``phrases`` as one regex, looked for after its openings in ``shared`` (when it has)."""
    parsed = [compiler.parse(p) for p in phrases]
    first: set[str] | None = set()
    for seq in parsed:
        found_first = starts(seq)
        first = None if found_first is None or first is None else first | found_first
    anchors: set[str] | None = set()
    for seq in parsed:
        found = _anchors(seq)
        if found is None or anchors is None:
            anchors = None
            continue
        anchors |= found
    number = shared.numbers.get(phrases)
    return _Matcher(
        re.compile("|".join(f"(?:{anchored(seq)})" for seq in parsed)),
        None if anchors is None else frozenset(anchors),
        None if first is None else prefix_free(frozenset(first)),
        None if number is None else shared.opening,
        shared.opened,
        -1 if number is None else number,
    )


def _optional(
    compiler: _PhraseCompiler, phrases: tuple[str, ...], shared: _Shared
) -> _Matcher | None:
    return _matcher(compiler, phrases, shared) if phrases else None


def _combos(lexicon: RiskLexicon) -> tuple[_Owners, tuple[_Combo, ...]]:
    """Every distinct concept phrase (each its own owner, to be compiled once); combos point at
    them by index."""
    concept_ids: dict[str, int] = {}
    combos: list[_Combo] = []
    for rule_number, rule in enumerate(lexicon.rules):
        for combo in rule.together:
            parts = []
            for part in combo_parts(combo):
                concept_ids.setdefault(part, len(concept_ids))
                parts.append(concept_ids[part])
            combos.append(_Combo(rule_number, tuple(parts), rule.within))
    return [((part,), ()) for part in concept_ids], tuple(combos)


def _guards(
    compiler: _PhraseCompiler, lexicon: RiskLexicon, shared: _Shared
) -> tuple[_CompiledGuard, ...]:
    joking = frozenset(rule.id for rule in lexicon.rules if rule.joking is not None)
    return tuple(
        _CompiledGuard(
            id=guard.id,
            cue=_matcher(compiler, guard.phrases, shared),
            unless=_optional(compiler, guard.unless, shared),
            scope=guard.scope,
            categories=frozenset(guard.categories),
            rules=frozenset(guard.rules) | (joking if guard.id == LAUGHTER else frozenset()),
            spares=frozenset(guard.spares),
            level=guard.level,
            follow_up=guard.follow_up,
            quiets=guard.quiets,
        )
        for guard in lexicon.guards
    )


def compile_lexicon(lexicon: RiskLexicon, classifier: Classifier | None = None) -> RiskModel:
    """Compile every phrase of a validated lexicon into regular expressions."""
    # Slightly over ~50 lines: compiles each section of the YAML lexicon in turn; the sections
    # share the lookup tables built at the top.
    compiler = _PhraseCompiler(lexicon.words)
    concept_owners, combos = _combos(lexicon)
    ctx = lexicon.context
    (false_friend_index, rule_index, concepts), shared = _indexes(
        compiler,
        [
            [(ff.phrases, ()) for ff in lexicon.false_friends],
            [(rule.phrases, rule.regex) for rule in lexicon.rules],
            concept_owners,
        ],
        [getattr(ctx, name) for name in _CONTEXTS]
        + [phrases for g in lexicon.guards for phrases in (g.phrases, g.unless)]
        + [ff.unless for ff in lexicon.false_friends],
    )
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
            habitual=rule.habitual,
            unharmed=rule.unharmed,
            closed=rule.closed,
            overrides=frozenset(rule.overrides),
        )
        for rule in lexicon.rules
    )
    negation = None
    if ctx.negation:
        words = "|".join(re.escape(key(fold(w))) for w in ctx.negation)
        negation = re.compile(rf"(?<!\w)(?:{words})\s{_NEGATION_TAIL}")
    emoji = emoji_start = None
    if lexicon.emoji:
        emoji = re.compile("|".join(re.escape(e) for e in sorted(lexicon.emoji, key=len)[::-1]))
        lowest = min(e[0] for e in lexicon.emoji)
        emoji_start = re.compile(f"[{re.escape(lowest)}-\U0010ffff]")

    def context(phrases: tuple[str, ...]) -> _Matcher | None:
        return _optional(compiler, phrases, shared)

    return RiskModel(
        version=lexicon.version,
        spelling=dict(lexicon.spelling),
        emoji=emoji,
        emoji_words=dict(lexicon.emoji),
        false_friends=tuple((ff.id, ff.follow_up, ff.calms) for ff in lexicon.false_friends),
        false_friend_unless=tuple(context(ff.unless) for ff in lexicon.false_friends),
        false_friend_index=false_friend_index,
        rules=rules,
        rule_index=rule_index,
        negation=negation,
        now=context(ctx.now),
        recent=context(ctx.recent),
        past=context(ctx.past),
        topic=context(ctx.topic),
        personal=context(ctx.personal),
        laughter=context(ctx.laughter),
        pregnancy=context(ctx.pregnancy),
        cries=context(ctx.cries),
        weak_cries=context(ctx.weak_cries),
        presence=context(ctx.presence),
        cry_fillers=context(ctx.cry_fillers),
        narrative=context(ctx.narrative),
        follow_up=context(ctx.follow_up),
        cry_max_words=lexicon.cry_max_words,
        narrative_min_chars=lexicon.narrative_min_chars,
        compounding=frozenset(lexicon.compounding),
        concepts=concepts,
        combos=combos,
        guards=_guards(compiler, lexicon, shared),
        classifier=classifier,
        bare_presence=context(ctx.bare_presence),
        habitual=context(ctx.habitual),
        unharmed=context(ctx.unharmed),
        closure=context(ctx.closure),
        emoji_start=emoji_start,
    )
