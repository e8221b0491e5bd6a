"""What a defensora reads about a case: pings, re-pings, upgrades, relays, the case list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.cases.commands import Hint
from flows.cases.words import CaseWords
from flows.menus import Texts
from flows.types import Option, Outbound, Severity

EXCERPT_PART = 190
"""Each of the first and the latest excerpt keeps this much (the column holds 400)."""


@dataclass(frozen=True, slots=True)
class CaseView:
    """One case as the shell read it; never the person's number."""

    id: int
    severity: Severity
    categories: tuple[str, ...]
    pseudonym: str
    channel: str
    opened_at: datetime
    excerpt: str | None = None
    district: str | None = None
    safe_to_write: bool | None = None
    holder: str | None = None
    requested: bool = False
    """She asked to talk with a person (the defensora screen), not only a risk reading."""


def _labels(view: CaseView, texts: Texts) -> dict[str, str]:
    labels = [texts.texts.get(f"cat_{c}", c) for c in view.categories]
    unlabelled = "cat_requested" if view.requested else "cat_none"  # 'auxilio' is no request
    return {
        "severity": texts.texts.get(f"sev_{view.severity.value}", view.severity.value),
        "categories": ", ".join(labels) or texts.texts.get(unlabelled, "-"),
    }


def safety_line(words: CaseWords, safe: bool | None) -> str:
    return words[{True: "safety_yes", False: "safety_no", None: "safety_unknown"}[safe]]


def details(words: CaseWords, view: CaseView) -> str:
    """The middle of every ping: safety first (it decides what she may do), then who and what."""
    lines = [safety_line(words, view.safe_to_write)]
    lines.append(words.text("detail_person", pseudonym=view.pseudonym, channel=view.channel))
    if view.district:
        lines.append(words.text("detail_district", district=view.district))
    if view.excerpt:
        lines.append(words.text("detail_excerpt", excerpt=view.excerpt))
    return "\n".join(lines)


def _case_values(words: CaseWords, view: CaseView, texts: Texts) -> dict[str, object]:
    return {"id": view.id, **_labels(view, texts), "details": details(words, view)}


def take_button(words: CaseWords, case_id: int) -> Option:
    return Option(f"/{words.command('tomar')} {case_id}", words.text("take_button", id=case_id))


def ping(words: CaseWords, texts: Texts, view: CaseView, *, nobody_on_shift: bool) -> Outbound:
    """The first page of a case (to coordinators, saying so, when nobody is on shift)."""
    text_id = "ping_no_shift" if nobody_on_shift else "ping"
    body = words.text(text_id, **_case_values(words, view, texts))
    return Outbound(body, (take_button(words, view.id),))


def reping(
    words: CaseWords,
    texts: Texts,
    view: CaseView,
    now: datetime,
    told: tuple[str, ...],
    *,
    last: bool,
    nobody_on_shift: bool = False,
) -> Outbound:
    """A page after the deadline: how long it waits, who already knows, whether it is the last,
    and that nobody is on shift when that is so."""
    minutes = int((now - view.opened_at).total_seconds() // 60)
    names = ", ".join(told) or words["nobody_told"]
    values = _case_values(words, view, texts)
    if nobody_on_shift:
        values["details"] = f"{words['no_shift_line']}\n{values['details']}"
    body = words.text("reping_last" if last else "reping", minutes=minutes, told=names, **values)
    return Outbound(body, (take_button(words, view.id),))


def upgraded(words: CaseWords, texts: Texts, view: CaseView) -> Outbound:
    """A worse message joined the case: a take button only while nobody holds it."""
    values = _case_values(words, view, texts)
    if view.holder is not None:
        return Outbound(words.text("upgraded_held", holder=view.holder, **values))
    return Outbound(words.text("upgraded", **values), (take_button(words, view.id),))


def relay_in(words: CaseWords, view: CaseView, text: str, *, danger: bool) -> Outbound:
    """Her words to the holder; marked 🚨 when they say she is in danger now."""
    if danger:
        holder = view.holder or "-"
        body = words.text(
            "danger_held", id=view.id, holder=holder, pseudonym=view.pseudonym, text=text
        )
        return Outbound(body)
    return Outbound(words.text("relay_in", id=view.id, pseudonym=view.pseudonym, text=text))


def merge_excerpt(words: CaseWords, current: str | None, latest: str | None) -> str | None:
    """Keep the first words she wrote and the latest ones (an upgrade must not erase the start)."""
    if not latest:
        return current
    separator = words["excerpt_joined"].format(first="\x00", latest="\x00").split("\x00")[1]
    first = current.split(separator)[0] if current and separator else current
    if not first or first == latest:
        return latest[: 2 * EXCERPT_PART]
    return words.text("excerpt_joined", first=first[:EXCERPT_PART], latest=latest[:EXCERPT_PART])


def age(delta: timedelta) -> str:
    """'4 min', '3 h', '2 d': short enough for one line of /casos."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def case_list(words: CaseWords, texts: Texts, views: list[CaseView], now: datetime) -> str:
    """/casos: every open case, oldest first, in Spanish, with age, severity, safety, holder."""
    if not views:
        return words["no_cases"]
    short = {True: "safety_short_yes", False: "safety_short_no", None: "safety_short_unknown"}
    lines = [
        words.list_line.format(
            id=view.id,
            severity=_labels(view, texts)["severity"],
            age=age(now - view.opened_at),
            safety=words[short[view.safe_to_write]],
            holder=view.holder or words["holder_none"],
            pseudonym=view.pseudonym,
            channel=view.channel,
        )
        for view in sorted(views, key=lambda v: v.id)
    ]
    return words.text("cases", lines="\n".join(lines))


def hint_text(words: CaseWords, hint: Hint) -> str:
    """The words of a hint (the free-text one lists her open cases)."""
    values = dict(hint.values)
    if hint.text_id == "hint_free_text":
        held_id = values.pop("held_id", "held_none")
        return words.text("hint_free_text", held=words.text(held_id, **values))
    return words.text(hint.text_id, **values)


def confirm_send(words: CaseWords, case_id: int, text: str, *, unsafe: bool) -> Outbound:
    """'¿Enviar a #N?' with the draft, and two buttons."""
    preview = text if len(text) <= 300 else text[:299] + "…"
    body = words.text("ask_send_unsafe" if unsafe else "ask_send", id=case_id, text=preview)
    options = (
        Option(f"/{words.command('enviar')}", words.text("send_button", id=case_id)),
        Option(f"/{words.command('cancelar')}", words["cancel_button"]),
    )
    return Outbound(body, options)


def callback_ack(words: CaseWords, payload: str) -> str:
    """The short text a Telegram button press shows at once (the outcome follows as a message)."""
    return words.text("callback_ack", command=payload[:40])[:200]
