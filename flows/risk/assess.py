"""Assessment of one message against a compiled :class:`RiskModel`."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import islice

from flows.risk.classifier import Scores
from flows.risk.combine import find_combos
from flows.risk.lexicon import CATEGORIES, LAUGHTER
from flows.risk.model import RiskModel, _CompiledGuard, _CompiledRule, _Matcher
from flows.risk.prepare import SENTENCE, TextIndex, read
from flows.types import Severity

MAX_EVIDENCE = 8
EVIDENCE_CHARS = 60
CONTEXT_CHARS = 70
"""How far (in key characters, same sentence only) a context marker may sit from a hit."""
PERSONAL_CHARS = 30
"""How far before a hit a first-person word anchors it when the message talks *about* violence
(before it or at its first word: 'mi hija' after 'el novio la golpea' is not its victim)."""
BEFORE_CHARS = 30
"""How far before a hit a guard's ``before`` cue (its doer: 'mi bebé me muerde') may start."""
BLANK = "~"
"""False friends are overwritten with this (not a word character, not a sentence break)."""


@dataclass(frozen=True, slots=True)
class Assessment:
    severity: Severity
    categories: tuple[str, ...]
    """Category ids, most severe first."""
    evidence: tuple[str, ...]
    """``rule_id: matched words`` for the defensora (folded spelling)."""
    follow_up: bool = False
    """Ask "are you in danger now?" (bare cry, ambiguous hyperbole) whatever the severity."""
    pregnancy: bool = False
    classifier: Scores | None = None
    """The learned second opinion's probabilities (None when no classifier is loaded)."""
    learned_only: bool = False
    """No rule, cry or testimony spoke: the severity or the follow-up come from the classifier
    alone (a request she makes in the same words wins over it; never in ``to_json``)."""

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "severity": self.severity.value,
            "categories": list(self.categories),
            "evidence": list(self.evidence),
            "follow_up": self.follow_up,
        }
        if self.classifier is not None:
            data["classifier"] = {
                "imminent": round(self.classifier.imminent, 3),
                "high": round(self.classifier.high, 3),
                "flag": round(self.classifier.flag, 3),
            }
        return data


NOTHING = Assessment(Severity.NONE, (), ())


@dataclass(frozen=True, slots=True)
class _Hit:
    rule: _CompiledRule
    start: int
    end: int
    parts: tuple[int, ...] = ()
    """Starts of the parts of a concept combination (each may be negated)."""


@dataclass(frozen=True, slots=True)
class _Read:
    """One message as the assessor reads it."""

    shown: list[str]
    keyed: str
    blanked: str
    words: TextIndex
    bounds: list[int]
    calmed: bool = False
    """A false friend that says help is with her was blanked (:attr:`FalseFriend.calms`)."""
    seen: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    """Matcher (by id) -> where it matches in ``blanked``: each looked for once per message."""
    written: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    """The same in ``keyed`` (:meth:`_Frames.where`); ``seen`` itself when nothing was blanked."""


def _spans(matcher: _Matcher | None, read: _Read) -> list[tuple[int, int]]:
    """Where a context matcher matches, looking only in sentences holding its words."""
    return _where(matcher, read, read.blanked, read.seen)


def _found(matcher: _Matcher | None, read: _Read) -> bool:
    return bool(_where(matcher, read, read.blanked, read.seen))


def _where(
    matcher: _Matcher | None, read: _Read, text: str, seen: dict[int, list[tuple[int, int]]]
) -> list[tuple[int, int]]:
    """Where ``matcher`` matches in ``text`` (``read``'s blanked or key text), remembered in
    ``seen`` for the rest of the message."""
    if matcher is None or not matcher.may_match(read.words.prefixes):
        return []
    found = seen.get(id(matcher))
    if found is None:
        found = [m.span() for m in read.words.look(matcher, text)]
        seen[id(matcher)] = found
    return found


def _near(spans: list[tuple[int, int]], lo: int, hi: int) -> bool:
    return any(s < hi and e > lo for s, e in spans)


def _read(text: str, model: RiskModel) -> tuple[_Read, bool]:
    """Prepare the text and blank out false friends; True when one asks for a follow-up."""
    shown, words = read(text, model)
    keyed = words.keyed
    follow_up = calmed = False
    blanks: list[tuple[int, int]] = []
    ff_index = model.false_friend_index
    vetoed: dict[int, bool] = {}  # owner -> its 'unless' is in the text (looked for once)
    swept = words.sweep(ff_index, keyed)
    for i in sorted(swept):
        found = swept[i]
        owner = ff_index.owners[i]
        if owner not in vetoed:
            unless = model.false_friend_unless[owner]
            vetoed[owner] = bool(
                unless is not None
                and unless.may_match(words.prefixes)
                and words.look(unless, keyed)
            )
        if vetoed[owner]:
            continue
        for m in found:
            blanks.append(m.span())
            _, asks, calms = model.false_friends[owner]
            follow_up = follow_up or asks
            calmed = calmed or calms
    blanked = keyed
    if blanks:
        letters = list(keyed)
        for start, end in blanks:
            letters[start:end] = BLANK * (end - start)
        blanked = "".join(letters)
    bounds = [m.start() for m in _SENTENCE_MARK.finditer(blanked)]
    seen: dict[int, list[tuple[int, int]]] = {}
    written = seen if blanked is keyed else {}
    return _Read(shown, keyed, blanked, words, bounds, calmed, seen, written), follow_up


def _hits(read: _Read, model: RiskModel) -> list[_Hit]:
    """Phrase and combination hits that survive overrides, negation and talk about violence."""
    hits: list[_Hit] = []
    rule_index = model.rule_index
    blanked = read.blanked
    words = read.words
    swept = words.sweep(rule_index, blanked)
    for i in sorted(swept):
        rule = model.rules[rule_index.owners[i]]
        for m in swept[i]:
            if m.end() > m.start():
                hits.append(_Hit(rule, m.start(), m.end()))
    if len(words.chunks) > 1:  # sentence by sentence, as they are read (evidence order)
        hits.sort(key=lambda h: bisect_right(read.bounds, h.start))
    for number, start, end, parts in find_combos(model, blanked, words):
        hits.append(_Hit(model.rules[number], start, end, parts))
    if not hits:
        return hits
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
                h.rule.negatable
                and any(negation.search(blanked, max(0, at - 24), at) for at in (h.start, *h.parts))
            )
        ]
    if hits and _found(model.topic, read):
        # the talk's own words are no anchor ('si yo veo que le pegan a una señora')
        topic = _spans(model.topic, read)
        personal = [p for p in _spans(model.personal, read) if not _near(topic, *p)]
        hits = [h for h in hits if _near(personal, h.start - PERSONAL_CHARS, h.start + 1)]
    return hits


def _grade(
    hits: list[_Hit], read: _Read, model: RiskModel
) -> tuple[dict[str, Severity], list[str], bool, bool, bool]:
    """Severity per category (moved by nearby context and by guards), evidence, whether a
    guard asks a follow-up question, whether a guard acted, and whether a hit was lowered by its
    context (long ago, habitual, no harm done, a story that is over)."""
    severities: dict[str, Severity] = {}
    evidence: list[str] = []
    asks = guarded = lowered = False
    blanked = read.blanked
    frames = _Frames(read)
    for hit in hits:
        rule = hit.rule
        level = rule.severity
        lo, hi = _window(read.bounds, hit.start, hit.end, len(blanked))
        # Each context is looked for only when a hit's rule is moved by it (once: _spans).
        if rule.past is not None and _near(_spans(model.past, read), lo, hi):
            level = rule.past
        elif rule.now is not None and _near(_spans(model.now, read), lo, hi):
            level = rule.now
        elif (
            rule.unharmed is not None
            and _near(_spans(model.unharmed, read), lo, hi)
            and not _near(_spans(model.now, read), lo, hi)
        ):
            level = rule.unharmed
        elif (
            rule.habitual is not None
            and _near(_spans(model.habitual, read), lo, hi)
            and not _near(_spans(model.now, read), lo, hi)
        ):
            level = rule.habitual
        elif rule.recent is not None and _near(_spans(model.recent, read), lo, hi):
            level = rule.recent
        if rule.closed is not None and _closed(read, model):
            level = rule.closed
        lowered = lowered or level.rank < rule.severity.rank
        guard = frames.guard(model.guards, hit, lo, hi)
        if guard is not None:
            joking = guard.id == LAUGHTER and rule.joking is not None
            moved = rule.joking if joking and rule.joking is not None else guard.level
            if moved.rank < level.rank:
                level = moved
                asks = asks or guard.follow_up
                guarded = True
                _add(evidence, f"guard {guard.id}: {rule.id}")
        if level is Severity.NONE:
            continue
        if level.rank > severities.get(rule.category, Severity.NONE).rank:
            severities[rule.category] = level
        _add(evidence, f"{rule.id}: {_fragment(read, hit)}")
    return severities, evidence, asks, guarded, lowered


def _add(evidence: list[str], note: str) -> None:
    if len(evidence) < MAX_EVIDENCE and note not in evidence:
        evidence.append(note)


def _quieted(read: _Read, model: RiskModel) -> bool:
    """A guard that ``quiets`` finds its cue in the message and none of its serious cues."""
    frames = _Frames(read)
    size = len(read.blanked)
    return any(
        guard.quiets
        and _near(frames.where(guard.cue), 0, size)
        and not _near(frames.where(guard.unless), 0, size)
        for guard in model.guards
    )


class _Frames:
    """Where the guards' cues and serious cues are, each looked for once per message."""

    def __init__(self, read: _Read) -> None:
        self._read = read

    def where(self, matcher: _Matcher | None) -> list[tuple[int, int]]:
        """Where a matcher matches in the text as written, false friends not blanked: 'dolor
        de cabeza' still frames 'ya tomé paracetamol' once 'me está matando' is blanked, and
        'cuando estaba embarazada' still says whose baby it is."""
        return _where(matcher, self._read, self._read.keyed, self._read.written)

    def guard(
        self, guards: tuple[_CompiledGuard, ...], hit: _Hit, lo: int, hi: int
    ) -> _CompiledGuard | None:
        """The first guard covering the hit whose cue is in its scope with no serious cue."""
        size = len(self._read.blanked)
        for guard in guards:
            if not guard.covers(hit.rule):
                continue
            start, end = lo, hi  # near: the hit's context window
            if guard.scope == "message":
                start, end = 0, size
            elif guard.scope == "sentence":
                start, end = _sentence(self._read.bounds, hit.start, size)
            cues = self.where(guard.cue)
            if guard.scope == "before":  # its doer: serious cues before the hit's end only
                first = max(lo, hit.start - BEFORE_CHARS)
                found = any(first <= s <= hit.start for s, _ in cues)
                end = hit.end
            else:
                found = _near(cues, start, end)
            if found and not _near(self.where(guard.unless), start, end):
                return guard
        return None


def _closed(read: _Read, model: RiskModel) -> bool:
    """The message tells a story that is over: a closure marker ('nunca volví', 'en paz
    descanse'), a 'long ago' marker, and no sign that anything happens now."""
    return _found(model.closure, read) and _found(model.past, read) and not _found(model.now, read)


@dataclass(frozen=True, slots=True)
class Guards:
    """When the learned second opinion may not act, read from the rules' verdict and the text.
    Serving and training (``benchmarks/train_risk.py``) take them from :func:`rules_verdict`."""

    alone: bool
    """No rule, cry or testimony spoke and no follow-up is asked: the classifier would act alone."""
    too_short: bool
    """Fewer than ``MIN_WORDS_ALONE`` content words ('ya', 'borra todo'): it may not act alone."""
    told_before: bool
    """One short event told after it ('anoche', 'hace años', no 'ahorita'): never raised to
    imminent by the classifier."""
    laughing: bool = False
    """The message laughs (jaja, 😂): a joke or hyperbole; the classifier does not act alone."""
    harmless: bool = False
    """A short message whose risky words the lexicon reads as harmless (a false friend: a fever
    that 'le dio fuerte', glue that 'pega'): the classifier does not act alone."""
    settled: bool = False
    """The rules lowered a reading by its context (long ago, no harm done, a story that is over)
    and nothing says it happens now: the classifier, blind to that context, does not raise it."""
    guarded: bool = False
    """A guard of the lexicon (a laugh, a baby, an accident, cooking, an illness) moved a rule's
    hit down, or no rule spoke and a guard that ``quiets`` frames the message: the classifier
    does not act alone against it."""
    calmed: bool = False
    """The message says help is with her (a false friend that ``calms``: 'mi hermana ya llegó',
    'llegó la policía'), whatever its length: acting alone, the classifier may lift to high and
    ask the danger question, never to imminent."""


@dataclass(frozen=True, slots=True)
class _Verdict:
    severity: Severity
    severities: dict[str, Severity]
    evidence: list[str]
    follow_up: bool
    pregnancy: bool
    guards: Guards


def assess_risk(text: str, model: RiskModel) -> Assessment:
    """Assess one message. Never raises on odd input; empty or emoji-only text is ``none``."""
    read, follow_up = _read(text, model)
    if not read.keyed:
        return NOTHING
    verdict = _rules(read, model, follow_up)
    severity, follow_up, evidence = verdict.severity, verdict.follow_up, verdict.evidence
    scores = None
    learned_only = False
    if model.classifier is not None:
        scores = model.classifier.scores(read.keyed)
        severity, follow_up, note = second_opinion(
            severity, follow_up, scores, model.classifier.thresholds, verdict.guards
        )
        evidence.append(note)
        learned_only = verdict.guards.alone and (follow_up or severity is not Severity.NONE)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    severities = verdict.severities
    categories = tuple(
        sorted(severities, key=lambda c: (-severities[c].rank, order.get(c, len(order))))
    )
    return Assessment(
        severity, categories, tuple(evidence), follow_up, verdict.pregnancy, scores, learned_only
    )


def rules_verdict(text: str, model: RiskModel) -> tuple[Severity, bool, Guards]:
    """The rules' own severity and follow-up, and the guards of the second opinion: what
    :func:`second_opinion` combines with the classifier's scores (training mirrors serving)."""
    read, follow_up = _read(text, model)
    if not read.keyed:
        return Severity.NONE, False, Guards(alone=True, too_short=True, told_before=False)
    verdict = _rules(read, model, follow_up)
    return verdict.severity, verdict.follow_up, verdict.guards


def _rules(read: _Read, model: RiskModel, follow_up: bool) -> _Verdict:
    """Rules, pregnancy, testimony and cries: the verdict before the second opinion."""
    hits = _hits(read, model)
    severities, evidence, asks, guarded, lowered = (
        _grade(hits, read, model) if hits else ({}, [], False, False, False)
    )
    follow_up = follow_up or asks
    severity = Severity.highest(*severities.values())
    pregnancy = _found(model.pregnancy, read)
    if severity is not Severity.NONE:
        compounding = model.compounding
        serious = sum(
            1 for c, s in severities.items() if c in compounding and s.at_least(Severity.HIGH)
        )
        if serious >= 2 or (pregnancy and severity is Severity.HIGH):
            severity = Severity.IMMINENT
        elif pregnancy and severity is Severity.MODERATE:
            severity = Severity.HIGH
        if pregnancy:
            evidence.append("pregnancy")
    if (
        severity is Severity.NONE
        and len(read.keyed) >= model.narrative_min_chars
        and _found(model.narrative, read)
    ):  # a testimony of past violence: never silence
        severity = Severity.MODERATE
        evidence.append("past violence told at length")
    severity, cried = _cries(read, model, severity, evidence)
    follow_up = follow_up or cried
    if not follow_up and not severity.at_least(Severity.HIGH) and _found(model.follow_up, read):
        follow_up = True
    guards = Guards(
        alone=severity is Severity.NONE and not follow_up,
        too_short=_content_words(read.shown, MIN_WORDS_ALONE) < MIN_WORDS_ALONE,
        laughing=_found(model.laughter, read),
        harmless=read.blanked != read.keyed and len(read.shown) <= AFTER_THE_FACT_WORDS,
        calmed=read.calmed,
        settled=lowered and not _found(model.now, read),
        guarded=guarded or (severity is Severity.NONE and _quieted(read, model)),
        told_before=(  # 'me cayó a coñazos anoche': one event told after it, not now
            len(read.shown) <= AFTER_THE_FACT_WORDS
            and not _found(model.now, read)
            and (_found(model.recent, read) or _found(model.past, read))
        ),
    )
    return _Verdict(severity, severities, evidence, follow_up, pregnancy, guards)


MIN_WORDS_ALONE = 4
CRY_WORDS = 40
"""Longer messages are accounts: their 'ayuda' or 'help' asks for a service ('can help a
foreigner'), and 'right now' in them says where things stand, not a cry with him there."""
AFTER_THE_FACT_WORDS = 15
"""Up to this many words, 'anoche'/'hace años' without 'ahorita' is one past event (no raise)."""
"""The classifier acts alone (no rule evidence) only on messages with this many content words:
'ya', 'ya no', 'borra todo lo que te escribí' are answers and requests, not reports."""
_FUNCTION = (
    "a al ante con de del desde el en entre es esa ese eso esta este esto hacia la las le les lo "
    "los me mi mis muy nada ni no nos o ok oe pe pues para por porfa que se si su sus te ti todo "
    "toda todos tu tus un una uno y ya yo bueno gracias hola pls plis x q"
)
FUNCTION_WORDS = frozenset(_FUNCTION.split())


def _content_words(shown: list[str], enough: int) -> int:
    """Words that carry meaning (not articles, pronouns, 'ya', 'no', 'porfa'), counted up to
    ``enough`` (a long testimony is not read to its end)."""
    found = (w for w in shown if w.isalpha() and w not in FUNCTION_WORDS)
    return sum(1 for _ in islice(found, enough))


def _note(scores: Scores) -> str:
    return (
        f"classifier: imminent {scores.imminent:.2f}, high {scores.high:.2f}, "
        f"flag {scores.flag:.2f}"
    )


def _cries(
    read: _Read, model: RiskModel, severity: Severity, evidence: list[str]
) -> tuple[Severity, bool]:
    """A cry with a sign that he is there or that it is happening, or a strong cry (socorro,
    auxilio) with a serious danger: imminent. A bare strong cry is high, a bare weak one (ayuda)
    moderate; both ask the danger question."""
    if severity is Severity.IMMINENT:
        return severity, False
    strong = _found(model.cries, read)
    weak = not strong and _found(model.weak_cries, read)
    if not strong and not weak:
        if (
            len(read.shown) <= model.cry_max_words
            and _found(model.bare_presence, read)
            and _bare(read, model, model.bare_presence)
        ):  # 'está en la puerta', 'ya llegó' alone: he is there
            evidence.append("presence alone")
            return Severity.IMMINENT, False
        return severity, False
    if len(read.shown) > CRY_WORDS:  # a long account: 'help' asks for a service, not a cry
        return severity, False
    present = _found(model.presence, read)
    if present or (strong and severity.at_least(Severity.HIGH)):
        evidence.append("cry with presence" if present else "cry with danger")
        return Severity.IMMINENT, False
    if len(read.shown) > model.cry_max_words or not _bare(read, model):
        return severity, False
    evidence.append("cry")
    bare = Severity.HIGH if strong else Severity.MODERATE
    return Severity.highest(severity, bare), True


def _bare(read: _Read, model: RiskModel, *more: _Matcher | None) -> bool:
    """Nothing but cries, fillers (and ``more``): every letter is inside one of their matches."""
    covered = [False] * len(read.blanked)
    for matcher in (model.cries, model.weak_cries, model.cry_fillers, *more):
        for start, end in _spans(matcher, read):
            covered[start:end] = [True] * (end - start)
    return all(done or ch in " #~" for done, ch in zip(covered, read.blanked, strict=True))


def second_opinion(
    severity: Severity,
    follow_up: bool,
    scores: Scores,
    thresholds: tuple[float, float, float],
    guards: Guards,
) -> tuple[Severity, bool, str]:
    """Raise (never lower) the rules' verdict where a head passes its threshold; the evidence
    note. Acting alone it needs ``MIN_WORDS_ALONE`` content words; the imminent head raises a
    verdict that is high (by the rules or by the high head), never one told after the fact.

    Acting alone (no rule spoke), a lift to high also asks the danger question; where the words
    say help is with her (``calmed``) it stops there, never imminent. Lifting to imminent only
    where the rules saw some risk was measured and left: 8 imminent development rows that only
    the classifier recognises would drop to high."""
    note = _note(scores)
    if guards.alone and guards.too_short:
        return severity, follow_up, note + " (too short to act alone)"
    if guards.alone and (guards.laughing or guards.harmless or guards.guarded):
        return severity, follow_up, note + " (a joke or a harmless use: not alone)"
    if guards.settled:
        return severity, follow_up, note + " (told as past or harmless: not raised)"
    if guards.laughing and not severity.at_least(Severity.HIGH):
        # the rules read a joke and ask the danger question: the answer decides, not the model
        return severity, follow_up, note + " (a joke: the rules' reading stands)"
    t_imm, t_high, t_flag = thresholds
    raised = severity
    if scores.high >= t_high and not severity.at_least(Severity.HIGH):
        raised = Severity.HIGH
    elif scores.flag >= t_flag and severity is Severity.NONE:
        raised = Severity.MODERATE
        follow_up = True
    calmed = guards.alone and guards.calmed  # help is with her: ask, do not assume danger now
    if scores.imminent >= t_imm and raised is Severity.HIGH and not (guards.told_before or calmed):
        raised = Severity.IMMINENT
    elif guards.alone and raised is Severity.HIGH:
        follow_up = True  # no rule spoke: ask whether she is in danger now
    if raised is not severity:
        note += f" (raised to {raised.value})"
    return raised, follow_up, note


_SENTENCE_MARK = re.compile(re.escape(SENTENCE))


def _window(bounds: list[int], start: int, end: int, size: int) -> tuple[int, int]:
    """The context window of a hit: CONTEXT_CHARS either side, inside its sentence."""
    sentence_lo, sentence_hi = _sentence(bounds, start, size)
    return max(sentence_lo, start - CONTEXT_CHARS), min(sentence_hi, end + CONTEXT_CHARS)


def _sentence(bounds: list[int], start: int, size: int) -> tuple[int, int]:
    """The sentence holding ``start``."""
    i = bisect_right(bounds, start)
    return (bounds[i - 1] if i > 0 else 0), (bounds[i] if i < len(bounds) else size)


def _fragment(read: _Read, hit: _Hit) -> str:
    """The folded words a hit covers (key word i is folded word i: count the spaces)."""
    first = read.keyed.count(" ", 0, hit.start)
    last = read.keyed.count(" ", 0, max(hit.start, hit.end - 1))
    return " ".join(read.shown[first : last + 1])[:EVIDENCE_CHARS]
