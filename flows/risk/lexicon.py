"""Schema of ``content/risk.yaml`` (validated with pydantic) and the category ids."""

from __future__ import annotations

import re
from typing import Literal, get_args

import pydantic

from flows.risk.phrases import _PhraseCompiler
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
LAUGHTER = "laughter"
"""The guard that a rule's ``joking`` level belongs to."""


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
    """Severity when the ``laughter`` guard acts (the message laughs, jaja, xd, and says nothing
    serious); a follow-up question is then asked. The rule is covered by that guard whatever its
    category."""
    habitual: Severity | None = None
    """Severity when a 'habitual' marker is near (todos los días, cada noche, varias veces, cuando
    su mamá se va) and no 'happening now' marker: it happens again and again, not this moment."""
    unharmed: Severity | None = None
    """Severity when she says near it that it did her no harm ('no me pasó nada', 'no me dejó
    marca') and no 'happening now' marker is near."""
    closed: Severity | None = None
    """Severity when the message tells it as over (a 'closure' marker: 'nunca volví', 'ya salí de
    eso', 'en paz descanse') with a 'long ago' marker, and nothing says it is happening now."""
    negatable: bool = True
    """A 'no'/'nunca' right before the phrase cancels it."""
    overrides: tuple[str, ...] = ()
    """Rule ids whose hits inside this rule's match are dropped (a more specific reading)."""
    together: tuple[str, ...] = ()
    """Concept combinations: ``"{kill} + {target}"`` matches when every part occurs, in any
    order, with any words in between, inside one sentence and ``within`` characters."""
    within: int = pydantic.Field(default=60, ge=10, le=400)

    @pydantic.model_validator(mode="after")
    def _check(self) -> Rule:
        if not self.phrases and not self.regex and not self.together:
            raise ValueError(f"rule {self.id}: needs phrases, together or regex")
        for combo in self.together:
            if len(combo_parts(combo)) < 2:
                raise ValueError(f"rule {self.id}: together {combo!r} needs parts joined by +")
        for rx in self.regex:
            try:
                re.compile(rx)
            except re.error as exc:
                raise ValueError(f"rule {self.id}: bad regex {rx!r}: {exc}") from exc
        return self


def combo_parts(combo: str) -> tuple[str, ...]:
    """The phrases of a ``together`` combination ("a + b + c")."""
    return tuple(part.strip() for part in combo.split(" + ") if part.strip())


class FalseFriend(_Strict):
    """A harmless way of using risky words; the matched words are ignored by the rules."""

    id: str = pydantic.Field(pattern=r"^[a-z0-9_]+$")
    phrases: tuple[str, ...]
    follow_up: bool = False
    """Ambiguous: ask a gentle question instead of staying silent."""
    calms: bool = False
    """The words say help is with her ('ya llegó la policía', 'mi hermana ya llegó'): the
    learned classifier alone may then ask the danger question, never make it imminent."""
    unless: tuple[str, ...] = ()
    """Cues that, anywhere in the message, keep the words risky ('si lo denuncio me mata' is
    no hyperbole of a teacher)."""


class Guard(_Strict):
    """A harmless frame around risky words (a laugh, a baby or a pet, an accident, cooking, an
    illness): the hits of the rules it covers are moved to ``level`` where its cue is found,
    unless one of its serious cues is found too (a weapon, an injury, fear, 'no es broma').
    The evidence then names it ("guard laughter: strangulation")."""

    id: str = pydantic.Field(pattern=r"^[a-z0-9_]+$")
    phrases: tuple[str, ...]
    """The cue: any of these phrases."""
    scope: Literal["message", "sentence", "near", "before"] = "message"
    """Where cue and serious cues are looked for: the whole message, the hit's sentence, the
    hit's context window (``CONTEXT_CHARS`` either side, inside its sentence), or ``before``:
    the cue starts at most ``BEFORE_CHARS`` before the hit (its doer: 'mi bebé me muerde'),
    the serious cues in its window up to the hit's end (what is told after it is another
    story: 'pensando que me estaban matando jaja, mi esposo no podía de la risa')."""
    categories: tuple[Category, ...] = ()
    rules: tuple[str, ...] = ()
    """Rule ids covered besides ``categories`` (neither: every rule)."""
    spares: tuple[str, ...] = ()
    """Rule ids never covered (a more serious reading the frame does not explain)."""
    level: Severity = Severity.NONE
    unless: tuple[str, ...] = ()
    follow_up: bool = False
    """Ask a gentle question when it acted (a laugh may hide fear)."""
    quiets: bool = False
    """Its cue anywhere in the message with none of its serious cues also keeps the learned
    classifier from acting alone ('se quemó el brazo con la plancha', 'la tos de mi bebe me
    está ahogando': no rule spoke, and the frame explains the words it reacts to)."""


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
    """Strong cries (socorro, auxilio, help): bare -> high with a follow-up question."""
    weak_cries: tuple[str, ...] = ()
    """Weak cries (ayuda): bare -> moderate with a follow-up question."""
    cry_fillers: tuple[str, ...] = ()
    """Words that leave a cry bare ("ayuda por favor", "socorro señorita"); any other word
    ("numero de ayuda", "gracias por la ayuda") means it is not a bare cry."""
    presence: tuple[str, ...] = ()
    """He is here / it is happening now: any cry with one of these is imminent."""
    bare_presence: tuple[str, ...] = ()
    """He is here ('está en la puerta', 'ya llegó'): a message of nothing else (and fillers, at
    most ``cry_max_words`` words) is imminent on a help line; after a threat the conversation
    answers it as not safe to write."""
    narrative: tuple[str, ...] = ()
    habitual: tuple[str, ...] = ()
    """It happens again and again (todos los días, cada noche, dos veces): rules with
    ``habitual`` take that level near it."""
    unharmed: tuple[str, ...] = ()
    """She says it did her no harm: rules with ``unharmed`` take that level near it."""
    closure: tuple[str, ...] = ()
    """The story is over (he is gone, she left long ago and is well): with a ``past`` marker
    anywhere and no ``now`` marker, rules with ``closed`` take that level in the whole message."""
    """Violence told in the past; in a long message (``narrative_min_chars``) at least moderate."""
    follow_up: tuple[str, ...] = ()


class RiskLexicon(_Strict):
    """Schema of ``content/risk.yaml``."""

    version: int
    spelling: dict[str, str] = {}
    emoji: dict[str, str] = {}
    words: dict[str, tuple[str, ...]] = {}
    context: Context = Context()
    false_friends: tuple[FalseFriend, ...] = ()
    guards: tuple[Guard, ...] = ()
    rules: tuple[Rule, ...]
    cry_max_words: int = 5
    narrative_min_chars: int = 300
    compounding: tuple[Category, ...] = get_args(Category)
    """Categories that, two of them at high or above, make a message imminent (dangers that
    compound: a threat with a weapon, beatings with rape); the others count alone."""

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
            for phrase in ff.phrases + ff.unless:
                _check_phrase(phrase, self.words, f"false friend {ff.id}")
        for rule in self.rules:
            for phrase in rule.phrases:
                _check_phrase(phrase, self.words, f"rule {rule.id}")
            for combo in rule.together:
                for part in combo_parts(combo):
                    _check_phrase(part, self.words, f"rule {rule.id}")
            for other in rule.overrides:
                if other not in seen:
                    raise ValueError(f"rule {rule.id}: overrides unknown rule {other!r}")
        rule_ids = {r.id for r in self.rules}
        for guard in self.guards:
            if guard.id in seen:
                raise ValueError(f"guard {guard.id}: duplicate id")
            seen.add(guard.id)
            for phrase in guard.phrases + guard.unless:
                _check_phrase(phrase, self.words, f"guard {guard.id}")
            for other in guard.rules + guard.spares:
                if other not in rule_ids:
                    raise ValueError(f"guard {guard.id}: unknown rule {other!r}")
        if any(r.joking is not None for r in self.rules) and not any(
            g.id == LAUGHTER for g in self.guards
        ):
            raise ValueError(f"rules with joking need a guard {LAUGHTER!r}")
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
