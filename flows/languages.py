"""Languages of the conversation: translations by text id, detection, switching. Pure.

Spanish (content/*.yaml) is the reference. Each other language lives in its own file,
content/lang/<code>.yaml, holding only translations by id; an id it lacks falls back to Spanish,
and the file declares which ids it must cover (``coverage``). Ids are namespaced:
``texts.welcome``, ``menus.main.1`` (option labels, 1-based), ``orientation.header_district``,
``helplines.linea_100`` (the line's short text), ``episodes.next_episode``, ``reminders.<id>``
(how a reminder is named when she subscribes), ``cases.person_taken`` (what she hears about
the people of her case).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from string import Formatter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from flows.cases.words import CaseWords
from flows.episodes import EpisodeSchedule, first_indiscreet_word
from flows.helplines import Helpline, OrientationTexts
from flows.menus import MenuNode, Menus, Texts
from flows.text import fold

REFERENCE = "es"
STAFF_TEXTS = re.compile(r"^texts\.(sev_|cat_|console_banner$)")
"""Texts only defensoras or operators read: no translation is required for them."""
PERSON_CASE_TEXTS = re.compile(r"^(person_|stop_|when_|next_shift$)")
"""The case texts the person herself receives (content/cases.yaml); the rest are for defensoras."""
PUBLIC_EPISODE_TEXTS = re.compile(r"^episodes\.(?!list_)")
"""Episode wording a person reads, in a reply or a reminder (the CLI listing is for staff)."""
LOCK_SCREEN_TEXTS = re.compile(r"^episodes\.reminder_")
"""Reminders are read on a lock screen: their words are checked as the Spanish ones are."""


class Translation(BaseModel):
    """One translated text, with its review mark (False until a native speaker checked it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    reviewed: bool = True


Entry = str | Translation


class CalendarWords(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weekdays: tuple[str, ...] = Field(min_length=7, max_length=7)
    months: tuple[str, ...] = Field(min_length=12, max_length=12)


class LanguagePack(BaseModel):
    """Schema of content/lang/<code>.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str = Field(pattern=r"^[a-z]{2,3}$")
    name: str
    coverage: Literal["all"] | tuple[str, ...] = ()
    """'all': every text the public sees; or the ids (or id prefixes) that must be translated."""
    switch: tuple[str, ...] = Field(min_length=1)
    """Whole messages that switch the conversation to this language ('english', 'runasimi')."""
    detect: tuple[str, ...] = ()
    """Words typical of the language (and rare in the others) for detection."""
    detect_strong: tuple[str, ...] = ()
    """Words that alone are enough (a greeting: 'hello', 'allillanchu')."""
    detect_endings: tuple[str, ...] = ()
    """Word endings typical of the language (Quechua suffixes), for words of 6+ letters."""
    danger_words: dict[str, str] = Field(default_factory=dict)
    """Danger words of this language -> a Spanish gloss the risk assessor reads."""
    texts: dict[str, Entry] = Field(default_factory=dict)
    menus: dict[str, tuple[Entry, ...]] = Field(default_factory=dict)
    orientation: dict[str, Entry] = Field(default_factory=dict)
    helplines: dict[str, Entry] = Field(default_factory=dict)
    episodes: dict[str, Entry] = Field(default_factory=dict)
    reminders: dict[str, Entry] = Field(default_factory=dict)
    cases: dict[str, Entry] = Field(default_factory=dict)
    calendar: CalendarWords | None = None

    def entries(self) -> dict[str, Translation]:
        """Every translation by namespaced id."""
        found: dict[str, Translation] = {}
        for space in ("texts", "orientation", "helplines", "episodes", "reminders", "cases"):
            for key, entry in getattr(self, space).items():
                found[f"{space}.{key}"] = _entry(entry)
        for node, labels in self.menus.items():
            for index, entry in enumerate(labels, 1):
                found[f"menus.{node}.{index}"] = _entry(entry)
        return found

    def unreviewed(self) -> list[str]:
        """Ids whose text still awaits a native speaker's review."""
        return [key for key, entry in self.entries().items() if not entry.reviewed]

    def review_list(self) -> str:
        """The README's list of texts awaiting review: one line per namespace, in file order."""
        spaces: dict[str, list[str]] = {}
        for key in self.unreviewed():
            space, rest = key.split(".", 1)
            spaces.setdefault(space, []).append(f"`{rest}`")
        return "".join(f"- `{space}`: {', '.join(ids)}\n" for space, ids in spaces.items())


def _entry(entry: Entry) -> Translation:
    return entry if isinstance(entry, Translation) else Translation(text=entry)


@dataclass(frozen=True, slots=True)
class Reference:
    """The Spanish content a language file translates."""

    texts: Texts
    menus: Menus
    orientation: OrientationTexts
    helplines: tuple[Helpline, ...]
    episodes: EpisodeSchedule
    cases: CaseWords

    def entries(self) -> dict[str, str]:
        """Every Spanish text a language file may translate, by namespaced id."""
        found = {f"texts.{k}": v for k, v in self.texts.texts.items()}
        for key, value in self.orientation.model_dump().items():
            if isinstance(value, str):
                found[f"orientation.{key}"] = value
        for line in self.helplines:
            if line.show and line.short:
                found[f"helplines.{line.id}"] = line.short
        found |= {f"episodes.{k}": v for k, v in self.episodes.texts.items()}
        found |= {f"reminders.{o.id}": o.label for o in self.episodes.reminder_offsets}
        found |= {
            f"cases.{k}": v for k, v in self.cases.texts.items() if PERSON_CASE_TEXTS.match(k)
        }
        for name, node in self.menus.nodes.items():
            for index, option in enumerate(node.options, 1):
                found[f"menus.{name}.{index}"] = option.label
        return found

    def public(self) -> set[str]:
        """Ids of the texts a person can see."""
        return {
            key
            for key in self.entries()
            if not STAFF_TEXTS.match(key)
            and (not key.startswith("episodes.") or PUBLIC_EPISODE_TEXTS.match(key))
        }


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def check_pack(pack: LanguagePack, reference: Reference, where: str) -> list[str]:
    """Problems of one language file, each naming the file and the id."""
    spanish = reference.entries()
    problems: list[str] = []
    for key, entry in pack.entries().items():
        if key not in spanish:
            problems.append(f"{where}: {key}: no such Spanish text")
            continue
        try:
            mine, theirs = _fields(entry.text), _fields(spanish[key])
        except ValueError as exc:
            problems.append(f"{where}: {key}: {exc}")
            continue
        problems += [f"{where}: {key}: placeholder {{{f}}} missing" for f in sorted(theirs - mine)]
        problems += [f"{where}: {key}: placeholder {{{f}}} unknown" for f in sorted(mine - theirs)]
        word = first_indiscreet_word(entry.text) if LOCK_SCREEN_TEXTS.match(key) else None
        if word is not None:
            problems.append(f"{where}: {key}: {word!r} must not appear in a lock-screen text")
    covered = set(pack.entries())
    for key in sorted(required_ids(pack, reference) - covered):
        problems.append(f"{where}: {key}: missing (required for {pack.language!r})")
    return problems


def required_ids(pack: LanguagePack, reference: Reference) -> set[str]:
    """Ids this language file must translate: its coverage among the public texts."""
    public = reference.public()
    if pack.coverage == "all":
        return public
    return {k for k in public for p in pack.coverage if k == p or k.startswith(p + ".")}


Localized = Reference
"""The content a conversation in one language reads (Spanish where not translated): the same
shape as the Spanish reference it is laid over."""


def localize(pack: LanguagePack, ref: Reference) -> Localized:
    """Spanish content with this language's translations laid over it."""
    tr = {key: entry.text for key, entry in pack.entries().items()}

    def space(name: str) -> dict[str, str]:
        prefix = f"{name}."
        return {k[len(prefix) :]: v for k, v in tr.items() if k.startswith(prefix)}

    nodes: dict[str, MenuNode] = {}
    for name, node in ref.menus.nodes.items():
        options = tuple(
            o.model_copy(update={"label": tr.get(f"menus.{name}.{i}", o.label)})
            for i, o in enumerate(node.options, 1)
        )
        nodes[name] = node.model_copy(update={"options": options})
    shorts = space("helplines")
    labels = space("reminders")
    offsets = tuple(
        o.model_copy(update={"label": labels.get(o.id, o.label)})
        for o in ref.episodes.reminder_offsets
    )
    episodes_update: dict[str, object] = {
        "texts": {**ref.episodes.texts, **space("episodes")},
        "reminder_offsets": offsets,
    }
    cases_update: dict[str, object] = {"texts": {**ref.cases.texts, **space("cases")}}
    if pack.calendar is not None:
        cases_update["weekdays"] = pack.calendar.weekdays
        episodes_update["calendar"] = ref.episodes.calendar.model_copy(
            update=pack.calendar.model_dump()
        )
    return Localized(
        texts=Texts(language=pack.language, texts={**ref.texts.texts, **space("texts")}),
        menus=ref.menus.model_copy(update={"nodes": nodes}),
        orientation=ref.orientation.model_copy(update=space("orientation")),
        helplines=tuple(
            h.model_copy(update={"short": shorts[h.id]}) if h.id in shorts else h
            for h in ref.helplines
        ),
        episodes=ref.episodes.model_copy(update=episodes_update),
        cases=ref.cases.model_copy(update=cases_update),
    )


@dataclass(frozen=True, slots=True)
class Detector:
    language: str
    words: frozenset[str]
    strong: frozenset[str]
    endings: tuple[str, ...]

    def score(self, tokens: Iterable[str]) -> int:
        total = 0
        for token in tokens:
            if token in self.strong:
                total += 2
            elif token in self.words or (len(token) >= 6 and token.endswith(self.endings)):
                total += 1
        return total


@dataclass(frozen=True, slots=True)
class Languages:
    """Every language the bot speaks, compiled once at start-up."""

    localized: Mapping[str, Localized] = field(default_factory=dict)
    switches: Mapping[str, str] = field(default_factory=dict)
    detectors: tuple[Detector, ...] = ()
    danger_glosses: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)

    def chosen(self, text: str) -> str | None:
        """The language a whole message asks for ('english', 'español', 'runasimi')."""
        return self.switches.get(fold(text)) if len(text) <= 30 else None

    def detect(self, text: str) -> str | None:
        """The language of a message when the evidence is clear (2+ points and ahead)."""
        tokens = fold(text).split()
        scores = sorted(((d.score(tokens), d.language) for d in self.detectors), reverse=True)
        if not scores or scores[0][0] < 2:
            return None
        if len(scores) > 1 and scores[1][0] >= scores[0][0]:
            return None
        return scores[0][1]

    def hinted(self, tag: str | None) -> str | None:
        """The language a channel's hint names ('en-US' -> 'en', 'qu' -> 'qu'), if the bot
        speaks it; a first guess for a new conversation, never over her own words."""
        code = (tag or "").strip().lower().replace("_", "-").split("-")[0]
        return code if code in self.localized else None

    def glosses(self, text: str) -> list[str]:
        """Spanish glosses of the danger words of other languages found in a message."""
        return [self.danger_glosses[t] for t in fold(text).split() if t in self.danger_glosses]


def compile_languages(packs: Iterable[LanguagePack], reference: Reference) -> Languages:
    """Switch words, detectors, danger glosses and localized content of every language file.
    Assumes check_pack found no problems."""
    packs = list(packs)
    return Languages(
        localized={p.language: localize(p, reference) for p in packs if p.language != REFERENCE},
        switches={fold(w): p.language for p in packs for w in p.switch},
        detectors=tuple(
            Detector(
                p.language,
                frozenset(fold(w) for w in p.detect),
                frozenset(fold(w) for w in (*p.detect_strong, *p.danger_words)),
                tuple(fold(e) for e in p.detect_endings),
            )
            for p in packs
            if p.detect or p.detect_strong or p.danger_words
        ),
        danger_glosses={fold(w): g for p in packs for w, g in p.danger_words.items()},
        names={p.language: p.name for p in packs},
    )
