"""Load and validate content/*.yaml; refuse to start on bad content, naming file, key and line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import TypeAdapter, ValidationError

from flows.cases.words import load_case_words
from flows.dialogue.words import compile_words
from flows.engine import Content
from flows.episodes import EpisodeSchedule
from flows.helplines import load_helplines, load_texts
from flows.intents import LinearModel, build_intent_matcher, load_intent_model
from flows.languages import LanguagePack, Languages, Reference, check_pack, compile_languages
from flows.menus import Menus, Texts, check_menu_texts
from flows.places import Directory, build_place_index
from flows.risk import RiskLexicon, RiskModel, compile_lexicon, parse_classifier
from flows.spelling import Spelling, load_spelling

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
M = TypeVar("M")


class ContentError(RuntimeError):
    """Content that the bot must not start with."""


Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster


def _compose(path: Path) -> tuple[Any, str]:
    """Parsed data and the raw text (composed into nodes only when an error needs a line)."""
    try:
        raw = path.read_text(encoding="utf-8")
        return yaml.load(raw, Loader=Loader), raw
    except FileNotFoundError as exc:
        raise ContentError(f"{path}: file is missing") from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: invalid YAML: {exc}") from exc


def _line_of(raw: str, loc: tuple[int | str, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to a line number."""
    node: yaml.Node | None = yaml.compose(raw, Loader=Loader)
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _validate(path: Path, adapter: TypeAdapter[M]) -> M:
    loaded, tree = _compose(path)
    try:
        return adapter.validate_python(loaded)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            key = ".".join(str(p) for p in error["loc"]) or "(top level)"
            line = _line_of(tree, tuple(error["loc"]))
            where = f"line {line}, " if line else ""
            problems.append(f"{path.name}: {where}key {key}: {error['msg']}")
        raise ContentError("invalid content:\n  " + "\n  ".join(problems)) from exc


def _checked(path: Path, build: Callable[[Any], M]) -> M:
    """For content whose own loader names the file and key in a ValueError."""
    loaded, _ = _compose(path)
    try:
        return build(loaded if loaded is not None else {})
    except ValueError as exc:
        raise ContentError(f"invalid content: {exc}") from exc


def load_directory(folder: Path) -> Directory:
    """CEMs, districts and landmarks validated together."""
    cems, districts, landmarks = (
        _compose(folder / f"{n}.yaml")[0] for n in ("cems", "districts", "landmarks")
    )
    try:
        return Directory.from_content(cems or {}, districts or {}, landmarks or {})
    except ValueError as exc:
        raise ContentError(f"invalid content: {exc}") from exc


RISK_CLASSIFIER = "risk_classifier.tsv"
"""Weights of the learned second opinion (``python3 dev.py train-risk`` writes them)."""


def load_risk_model(folder: Path, spelling: Spelling | None = None) -> RiskModel:
    """The risk lexicon compiled with the bot's one SMS dictionary (content/spelling.yaml), and
    the learned second opinion when its weights ship."""
    lexicon = _validate(folder / "risk.yaml", TypeAdapter(RiskLexicon))
    if spelling is None and (folder / "spelling.yaml").exists():
        spelling = _checked(folder / "spelling.yaml", load_spelling)
    if spelling is not None:
        lexicon = lexicon.model_copy(update={"spelling": {**spelling.sms, **lexicon.spelling}})
    weights = folder / RISK_CLASSIFIER
    classifier = None
    if weights.exists():
        try:
            classifier = parse_classifier(weights.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ContentError(f"invalid content: {weights.name}: {exc}") from exc
    return compile_lexicon(lexicon, classifier)


def load_learned_intents(path: Path) -> LinearModel:
    """The exported intent model (benchmarks/train_intents.py)."""
    try:
        return LinearModel.from_text(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContentError(f"{path}: file is missing") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ContentError(f"{path}: invalid intent model: {exc}") from exc


LANGUAGES_DIR = "lang"
"""content/lang/<code>.yaml: one file per language (Spanish's holds only its switch and detection
words; the others their translations by id)."""


def load_language_packs(folder: Path) -> list[LanguagePack]:
    """Every language file, validated (schema only)."""
    packs = []
    for path in sorted((folder / LANGUAGES_DIR).glob("*.yaml")):
        pack = _validate(path, TypeAdapter(LanguagePack))
        if pack.language != path.stem:
            raise ContentError(f"invalid content: {path.name}: language {pack.language!r}")
        packs.append(pack)
    return packs


def load_languages(folder: Path, reference: Reference) -> Languages:
    """Language files checked against the Spanish reference: an unknown id, a placeholder
    missing or unknown, or a required text missing refuses start-up naming the file and id."""
    packs = load_language_packs(folder)
    problems = [
        p for pack in packs for p in check_pack(pack, reference, f"lang/{pack.language}.yaml")
    ]
    if problems:
        raise ContentError("invalid content:\n  " + "\n  ".join(problems[:10]))
    return compile_languages(packs, reference)


def load_content(folder: Path | None = None) -> Content:
    """Read, validate and compile every content file."""
    folder = folder or DEFAULT_CONTENT_DIR
    texts = _validate(folder / "texts.yaml", TypeAdapter(Texts))
    menus = _validate(folder / "menus.yaml", TypeAdapter(Menus))
    missing = check_menu_texts(menus, texts)
    if missing:
        raise ContentError("invalid content: texts.yaml, menus.yaml: " + "; ".join(missing))
    spelling = _checked(folder / "spelling.yaml", load_spelling)
    places = build_place_index(load_directory(folder), spelling)
    intents = _checked(folder / "intents.yaml", load_intent_model)
    reference = Reference(
        texts=texts,
        menus=menus,
        orientation=_checked(folder / "orientation.yaml", load_texts),
        helplines=_checked(folder / "helplines.yaml", load_helplines),
        episodes=_validate(folder / "episodes.yaml", TypeAdapter(EpisodeSchedule)),
        cases=_checked(folder / "cases.yaml", load_case_words),
    )
    return Content(
        texts=texts,
        menus=menus,
        risk=load_risk_model(folder, spelling),
        places=places,
        orientation=reference.orientation,
        intents=build_intent_matcher(
            intents, places, load_learned_intents(folder / "intent_model.json")
        ),
        helplines=reference.helplines,
        episodes=reference.episodes,
        cases=reference.cases,
        words=_checked(folder / "keywords.yaml", compile_words),
        languages=load_languages(folder, reference),
    )
