"""Help lines (Línea 100, 105, ...) and the user-facing orientation texts. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class OrientationTexts(BaseModel):
    """Schema of content/orientation.yaml: every sentence the orientation flow shows, by id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ask_district: str
    ask_which: str = Field(description="'{options}' = 'A o B' / 'A, B o C'")
    or_word: str
    outside_lima: str
    unplaceable: str
    dont_know: str
    market_unknown: str
    market_chain: str = Field(description="'{market}' = a market name of several districts")
    broad: str = Field(description="'{place}' = what the person wrote, e.g. 'Lima Norte'")
    unknown_place: str
    header_district: str
    header_district_more: str
    header_no_cem: str
    header_nearest: str
    far_from_lima: str
    other_district: str
    distance: str
    approximate: str
    reference: str
    phones: str
    hours: str
    hours_unknown: str
    hours_unknown_note: str
    emergency: str
    data_note: str
    helplines_header: str
    helplines_footer: str
    district_display: dict[str, str] = Field(default_factory=dict)
    address_words: dict[str, str] = Field(default_factory=dict)
    """How directory abbreviations are shown in an address ('Sjl' -> 'SJL')."""

    def display(self, district: str) -> str:
        """How a district is shown to a person ('Lima' -> 'Cercado de Lima')."""
        return self.district_display.get(district, district)


class HelplineSource(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    url: str
    date: str | None = None
    says: str | None = None


class Helpline(BaseModel):
    """One national line, as in content/helplines.yaml (copied from shared/data/helplines.yaml)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    number: str | None = None
    url: str | None = None
    purpose: str
    hours: str | None = None
    cost: str | None = None
    short: str | None = Field(default=None, description="One line for someone in a hurry")
    show: bool = False
    order: int = 100
    sources: tuple[HelplineSource, ...] = ()

    @model_validator(mode="after")
    def _shown_lines_are_usable(self) -> Helpline:
        if self.show and not self.short:
            raise ValueError(f"helplines.yaml: line '{self.id}' has show: true but no 'short' text")
        if self.show and not self.sources:
            raise ValueError(f"helplines.yaml: line '{self.id}' has show: true but no sources")
        return self


def load_helplines(data: Mapping[str, Any]) -> tuple[Helpline, ...]:
    """Validate the parsed helplines.yaml; errors name the file and the entry."""
    raw = data.get("lines")
    if not isinstance(raw, list):
        raise ValueError("helplines.yaml: top-level key 'lines' must be a list")
    lines: list[Helpline] = []
    for i, item in enumerate(raw):
        try:
            lines.append(Helpline.model_validate(item))
        except ValidationError as exc:
            key = item.get("id", "?") if isinstance(item, dict) else "?"
            raise ValueError(f"helplines.yaml: lines[{i}] (id '{key}'): {exc}") from exc
    ids = [line.id for line in lines]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"helplines.yaml: duplicate ids {dupes}")
    for required, number in (("linea_100", "100"), ("pnp_105", "105")):
        found = next((line for line in lines if line.id == required), None)
        if found is None or found.number != number or not found.show:
            raise ValueError(
                f"helplines.yaml: '{required}' must exist, be shown and have number {number}"
            )
    return tuple(lines)


def load_texts(data: Mapping[str, Any]) -> OrientationTexts:
    """Validate the parsed orientation.yaml; errors name the file and the missing/unknown key."""
    try:
        return OrientationTexts.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"orientation.yaml: {exc}") from exc


def line_by_id(lines: Sequence[Helpline], line_id: str) -> Helpline | None:
    return next((line for line in lines if line.id == line_id), None)


def format_helplines(lines: Sequence[Helpline], texts: OrientationTexts) -> str:
    """The help lines worth showing, most urgent first, one short line each. Plain text."""
    shown = sorted((line for line in lines if line.show), key=lambda line: line.order)
    body = [f"• {line.short}" for line in shown]
    return "\n".join([texts.helplines_header, *body, texts.helplines_footer])


def emergency_line(lines: Sequence[Helpline], texts: OrientationTexts) -> str:
    """Short reminder of the two numbers to use in danger: '... 105 ... Línea 100 ...'."""
    police = line_by_id(lines, "pnp_105")
    line100 = line_by_id(lines, "linea_100")
    return texts.emergency.format(
        police=police.number if police and police.number else "105",
        line100=line100.name if line100 else "Línea 100",
    )
