"""Who is paged, when, and what the person hears about it: the re-escalation ladder.

First page: the defensoras on shift (only those who speak her language, when she writes in
English or Quechua and one of them is on shift); nobody on shift -> the coordinators (told so); no
coordinator -> everyone registered. After each deadline the circle widens (on shift and
coordinators, then everyone) and the wait doubles; after MAX_REPAGES the bot stops paging
and the case waits in /casos, so nobody gets a message at every scan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flows.cases.words import CaseWords

MAX_REPAGES = 4
"""Automatic re-pages per case; the last one says it is the last."""
MAX_WAIT = timedelta(hours=4)
"""The longest gap between two re-pages."""


class Circle(StrEnum):
    ON_DUTY = "on_duty"
    COORDINATORS = "coordinators"
    EVERYONE = "everyone"
    NOBODY = "nobody"


@dataclass(frozen=True, slots=True)
class Staff:
    """Member ids at the moment of need (the shell computes them from the roster)."""

    on_duty: tuple[int, ...] = ()
    coordinators: tuple[int, ...] = ()
    everyone: tuple[int, ...] = ()
    speakers: tuple[int, ...] = ()
    """On shift and speaking her language, when it is not Spanish: they are paged first."""


@dataclass(frozen=True, slots=True)
class Page:
    recipients: tuple[int, ...]
    circle: Circle
    next_wait: timedelta | None
    """Until the next re-page; None once the cap is reached."""
    last: bool = False


def _union(*groups: tuple[int, ...]) -> tuple[int, ...]:
    seen: dict[int, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(group))
    return tuple(seen)


def first_page(staff: Staff, ack: timedelta) -> Page:
    """On shift (those who speak her language first); else coordinators; else everyone; else
    nobody (the case waits, loudly). The first re-page reaches everyone on shift."""
    for circle, ids in (
        (Circle.ON_DUTY, staff.speakers),
        (Circle.ON_DUTY, staff.on_duty),
        (Circle.COORDINATORS, staff.coordinators),
        (Circle.EVERYONE, staff.everyone),
    ):
        if ids:
            return Page(ids, circle, ack)
    return Page((), Circle.NOBODY, ack)


def repage(staff: Staff, done: int, ack: timedelta) -> Page:
    """The `done`-th re-page (0-based): a wider circle, a longer wait, a cap."""
    if done >= MAX_REPAGES:
        return Page((), Circle.NOBODY, None)
    if done == 0:
        recipients = _union(staff.on_duty, staff.coordinators)
        circle = Circle.COORDINATORS
    else:
        recipients = _union(staff.on_duty, staff.coordinators, staff.everyone)
        circle = Circle.EVERYONE
    if not recipients:
        recipients, circle = staff.everyone, Circle.EVERYONE
    if not recipients:  # nobody registered: try again later without spending a rung
        return Page((), Circle.NOBODY, ack)
    last = done + 1 >= MAX_REPAGES
    wait = None if last else min(ack * 2 ** (done + 1), MAX_WAIT)
    return Page(recipients, circle, wait, last)


# -- what the person hears ------------------------------------------------------------------


def when(words: CaseWords, moment: datetime, now: datetime) -> str:
    """'hoy a las 20:00', 'mañana a las 08:00', 'el jueves 18 a las 08:00' (both local time)."""
    time = moment.strftime("%H:%M")
    days = (moment.date() - now.date()).days
    if days <= 0:
        return words.text("when_today", time=time)
    if days == 1:
        return words.text("when_tomorrow", time=time)
    weekday = words.weekdays[moment.weekday()]
    return words.text("when_later", weekday=weekday, day=moment.day, time=time)


def _next_shift(words: CaseWords, next_shift: datetime | None, now: datetime) -> str:
    if next_shift is None:
        return ""
    return words.text("next_shift", when=when(words, next_shift, now))


def staffing_notice(
    words: CaseWords, circle: Circle, next_shift: datetime | None, now: datetime
) -> str:
    """After her case is opened: the truth about people, never a promise nobody can keep."""
    if circle is Circle.ON_DUTY:
        return words["person_on_duty"]
    if circle is Circle.NOBODY:
        return words["person_nobody"]
    return words.text("person_no_shift", next_shift=_next_shift(words, next_shift, now))


def waiting_notice(words: CaseWords, next_shift: datetime | None, now: datetime) -> str:
    """Her case passed its deadline untaken: say so, with the lines to call meanwhile."""
    return words.text("person_waiting", next_shift=_next_shift(words, next_shift, now))


def taken_notice(words: CaseWords, channel: str) -> str:
    """A defensora took her case: she has seen the message; how to stop safely on this channel."""
    stop = words.texts.get(f"stop_{channel}", "")
    return words.text("person_taken", stop=stop).strip()
