"""Menus and texts as declared data, checked once at start-up."""

from __future__ import annotations

from collections import deque
from enum import StrEnum
from string import Formatter
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

ACTIONS = frozenset(
    {"subscribe", "unsubscribe", "request_defensora", "forget", "decline_defensora"}
)
BLOCKS = frozenset({"helplines", "next_episode"})


class Node(StrEnum):
    """The menu nodes the engine itself sends people to; each must exist in menus.yaml."""

    MAIN = "main"
    CEM_ASK = "cem_ask"
    HELPLINES = "helplines"
    EPISODES = "episodes"
    DEFENSORA = "defensora"
    ABOUT = "about"


class MenuOption(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    goto: str | None = None
    action: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> MenuOption:
        if (self.goto is None) == (self.action is None):
            raise ValueError("an option needs exactly one of 'goto' or 'action'")
        if self.action is not None and self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}; known: {sorted(ACTIONS)}")
        return self


class MenuNode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    show: str | None = None
    expects: Literal["district"] | None = None
    options: tuple[MenuOption, ...] = ()

    @model_validator(mode="after")
    def _known_block(self) -> MenuNode:
        if self.show is not None and self.show not in BLOCKS:
            raise ValueError(f"unknown block {self.show!r}; known: {sorted(BLOCKS)}")
        return self


class Menus(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: str
    nodes: dict[str, MenuNode]

    @model_validator(mode="after")
    def _graph_is_sound(self) -> Menus:
        if self.start not in self.nodes:
            raise ValueError(f"start node {self.start!r} is not defined")
        for name, node in self.nodes.items():
            for index, option in enumerate(node.options):
                if option.goto is not None and option.goto not in self.nodes:
                    raise ValueError(f"nodes.{name}.options.{index}: unknown node {option.goto!r}")
        unreachable = set(self.nodes) - self.reachable()
        if unreachable:
            raise ValueError(f"nodes not reachable from {self.start!r}: {sorted(unreachable)}")
        return self

    def reachable(self) -> set[str]:
        seen = {self.start}
        queue = deque([self.start])
        while queue:
            for option in self.nodes[queue.popleft()].options:
                if option.goto is not None and option.goto not in seen:
                    seen.add(option.goto)
                    queue.append(option.goto)
        return seen


class Texts(BaseModel):
    """User-facing wording by id, per language (Spanish first)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str = "es"
    texts: dict[str, str]

    def __getitem__(self, text_id: str) -> str:
        return self.texts[text_id]


REQUIRED_TEXTS = (
    "welcome",
    "fallback",
    "unknown_option",
    "empty",
    "emoji_only",
    "media_unsupported",
    "forgotten",
    "bye",
    "risk_imminent",
    "risk_high",
    "risk_other_imminent",
    "risk_other_high",
    "self_harm_imminent",
    "self_harm_high",
    "risk_moderate",
    "ask_danger_now",
    "ask_danger_now_other",
    "danger_no",
    "ask_safe",
    "safe_yes",
    "not_safe",
    "defensora_requested",
    "confirm_forget",
    "confirm_unsubscribe",
    "confirm_subscribe",
    "confirm_cancelled",
    "hyperbole",
    "ask_which_district",
    "outside_lima",
    "group_chat",
    "throttled",
    "option_yes",
    "option_no",
    "language_switched",
    # answers to free-text questions (flows/answers.py)
    "privacy_answer",
    "defensora_info",
    "feelings_answer",
    "leaving_answer",
    "line_no_answer",
    "outside_lima_help",
    "out_of_scope",
    "venues_intro",
    "venues_next",
    "venues_no_date",
    "venues_online",
    # yes/no buttons (flows/engine.py) and the console's banner (bot/channels/console.py)
    "option_yes",
    "option_no",
    "console_banner",
)
"""Text ids the code names (tests/test_content_required.py keeps this list complete)."""

TEXT_FIELDS: dict[str, frozenset[str]] = {"venues_next": frozenset({"when", "markets"})}
"""The placeholders the code fills, per text it names; every other text it names has none."""

REQUIRED_NODES = tuple(node.value for node in Node)
"""Menu nodes the engine goes to by name: renaming one in menus.yaml would break a turn."""


PLACEHOLDERS = frozenset(
    {
        "id",
        "severity",
        "categories",
        "pseudonym",
        "channel",
        "excerpt",
        "minutes",
        "name",
        "names",
        "text",
        "lines",
        "when",
        "markets",
    }
)
"""The only {fields} texts may use: a typo would make an alert fail at the worst moment."""


def check_menu_texts(menus: Menus, texts: Texts) -> list[str]:
    """Every text and node the menus or the code use exists, and every text uses only the
    placeholders its code fills; the problems, each naming the text or node."""
    problems = [
        f"menus.yaml: missing node {name!r} (the code goes to it)"
        for name in REQUIRED_NODES
        if name not in menus.nodes
    ]
    needed = {node.text for node in menus.nodes.values()} | set(REQUIRED_TEXTS)
    problems += [f"missing text id {key!r}" for key in sorted(needed - set(texts.texts))]
    for key, text in texts.texts.items():
        try:
            fields = {field for _, field, _, _ in Formatter().parse(text) if field is not None}
        except ValueError as exc:
            problems.append(f"text {key!r}: {exc}")
            continue
        allowed = TEXT_FIELDS.get(key, frozenset()) if key in needed else PLACEHOLDERS
        for field in sorted(fields - allowed):
            problems.append(f"text {key!r}: placeholder {{{field}}} is not filled by the code")
    return problems
