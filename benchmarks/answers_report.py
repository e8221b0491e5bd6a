"""How replies to the two safety questions are taken, end to end through the pure core.

    python -m benchmarks.answers_report [TSV ...] [--misses]

Each row (columns question, reading, danger, text; tests/data/answers_blind1.tsv by default) is
played in a fresh conversation through `flows.engine.step`, the function every channel runs:

- Q1, "¿Estás en peligro ahora mismo?": opened with "auxilio" (a bare cry, paged high and asked
  Q1);
- Q2, "¿Es seguro que te escribamos por aquí?": opened with "mi esposo me pegó ayer" (paged high,
  the risk reply, then Q2).

The opener is checked to leave that question pending (the run stops otherwise). What happened is
read from the reply's turn only, never from the text again:

- paged: an Escalate effect that the shell turns into a page (high or above, or requested);
  its level is the highest such severity in the turn;
- taken as consent: a SafeToContact(safe=True) effect (the case is marked safe to write);
- taken as not safe: SafeToContact(safe=False).

Figures per question: rows per reading and per danger; Q1: replies that should page (reading yes
or unsure, or the reply's own danger high or above) that paged, and replies that should not
(reading no or unknown, danger none or moderate) that paged all the same; Q2: non-yes replies taken
as consent (the dangerous error), yes replies taken as yes, replies whose own danger is high or
above paged at that level or higher in their own turn. The overall line counts the rows that went
wrong by any of these (a Q1 page on a plain no is counted apart: paging when in doubt is the
design).

answers_blind1.tsv (120 rows, writer U, stop 22) was scored once on cfc1d6f before any tuning,
with two measures that differ from the above and are printed too ("the first run's measures"):
Q1 counted reading yes or own danger >= high (29 rows), and Q2's danger was the case's level after
the reply, where the opener's high page counts. This scorer reproduces that run on 9d79fca: Q1
29/29; Q2 non-yes taken as consent 2/39; Q2 yes taken as yes 17/21; Q2 case at the reply's level
9/11 (own turn: 8/11); Q1 should page by the measure above 36/39, 7/21 pages on a no or unknown.
It is development data since (spent).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.content import load_content
from flows.effects import Escalate, SafeToContact
from flows.engine import Content, step
from flows.session import Awaiting, Session, Turn
from flows.types import Channel, Inbound, Severity

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "tests" / "data" / "answers_blind1.tsv"
NOW = datetime(2026, 6, 17, 15, 0, tzinfo=UTC)
OPENERS = {"Q1": "auxilio", "Q2": "mi esposo me pegó ayer"}
ASKED = {"Q1": Awaiting.DANGER_NOW, "Q2": Awaiting.SAFE_TO_WRITE}
READINGS = ("yes", "no", "unsure", "unknown")
SHORT = 12
"""Texts this short ('No', 'Sí') are option labels: not named in the misses."""


@dataclass(frozen=True, slots=True)
class Row:
    question: str
    reading: str
    danger: Severity
    text: str

    @property
    def should_page(self) -> bool:
        return self.reading in {"yes", "unsure"} or self.danger.at_least(Severity.HIGH)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the reply's turn did."""

    paged: Severity | None
    consent: bool | None
    """SafeToContact's value in the turn, None when there was none."""
    level: Severity
    """The conversation's level after the turn (the opener's page counts)."""
    awaiting: Awaiting | None
    replies: tuple[str, ...]

    def paged_at(self, level: Severity) -> bool:
        return self.paged is not None and self.paged.at_least(level)


def read_rows(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text("utf-8").splitlines()[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        question, reading, danger, text = line.split("\t", 3)
        if question not in OPENERS or reading not in READINGS:
            raise ValueError(f"{path.name}: bad row {line!r}")
        rows.append(Row(question, reading, Severity(danger), text))
    return rows


def _say(session: Session, text: str, content: Content) -> Turn:
    return step(session, Inbound(Channel.WHATSAPP, text=text), content, NOW)


def play(row: Row, content: Content) -> Outcome:
    """The row's opener, then the row's text, in a fresh conversation."""
    opened = _say(Session(), OPENERS[row.question], content)
    if opened.session.awaiting is not ASKED[row.question]:
        raise RuntimeError(f"{OPENERS[row.question]!r} no longer asks {ASKED[row.question]}")
    turn = _say(opened.session, row.text, content)
    pages = [
        e.severity
        for e in turn.effects
        if isinstance(e, Escalate) and (e.severity.at_least(Severity.HIGH) or e.requested)
    ]
    consent = [e.safe for e in turn.effects if isinstance(e, SafeToContact)]
    return Outcome(
        paged=Severity.highest(*pages) if pages else None,
        consent=consent[-1] if consent else None,
        level=turn.session.severity,
        awaiting=turn.session.awaiting,
        replies=tuple(reply.text for reply in turn.replies),
    )


@dataclass(frozen=True, slots=True)
class Figure:
    """One line of the report: how many of `total` rows `hit`, and the rows that went wrong."""

    name: str
    hit: int
    total: int
    wrong: tuple[tuple[Row, Outcome], ...]
    bad: bool
    """The figure counts errors (hits are wrong), not successes."""

    def line(self) -> str:
        return f"  {self.name}: {self.hit}/{self.total}"


def _figure(
    name: str, played: Sequence[tuple[Row, Outcome]], hit: list[bool], *, bad: bool
) -> Figure:
    wrong = tuple(pair for pair, h in zip(played, hit, strict=True) if h == bad)
    return Figure(name, sum(hit), len(hit), wrong, bad)


def figures(played: Sequence[tuple[Row, Outcome]]) -> dict[str, list[Figure]]:
    """The report's figures per question, from rows already played."""
    q1 = [(r, o) for r, o in played if r.question == "Q1"]
    q2 = [(r, o) for r, o in played if r.question == "Q2"]
    page = [(r, o) for r, o in q1 if r.should_page]
    calm = [(r, o) for r, o in q1 if not r.should_page]
    not_yes = [(r, o) for r, o in q2 if r.reading != "yes"]
    yes = [(r, o) for r, o in q2 if r.reading == "yes"]
    high = [(r, o) for r, o in q2 if r.danger.at_least(Severity.HIGH)]
    first = [(r, o) for r, o in q1 if r.reading == "yes" or r.danger.at_least(Severity.HIGH)]
    return {
        "Q1": [
            _figure("should page, paged", page, [o.paged is not None for _, o in page], bad=False),
            _figure(
                "should not page, paged", calm, [o.paged is not None for _, o in calm], bad=True
            ),
        ],
        "Q2": [
            _figure(
                "non-yes taken as consent",
                not_yes,
                [o.consent is True for _, o in not_yes],
                bad=True,
            ),
            _figure("yes taken as yes", yes, [o.consent is True for _, o in yes], bad=False),
            _figure(
                "own danger >= high paged at that level",
                high,
                [o.paged_at(r.danger) for r, o in high],
                bad=False,
            ),
        ],
        "first run": [
            _figure(
                "Q1 reading yes or own danger >= high, paged",
                first,
                [o.paged is not None for _, o in first],
                bad=False,
            ),
            _figure(
                "Q2 own danger >= high, case at that level",
                high,
                [o.level.at_least(r.danger) for r, o in high],
                bad=False,
            ),
        ],
    }


def _counts(rows: Iterable[Row]) -> str:
    rows = list(rows)
    readings = Counter(r.reading for r in rows)
    dangers = Counter(r.danger for r in rows)
    by_reading = " ".join(f"{k} {readings[k]}" for k in READINGS)
    by_danger = " ".join(f"{s.value} {dangers[s]}" for s in Severity)
    return f"  {len(rows)} rows; reading: {by_reading}; danger: {by_danger}"


def _text_ids(reply: str, content: Content) -> str:
    """The ids of the content's texts (any language) that this reply holds, or its start."""
    wordings = [content.texts, *(found.texts for found in content.languages.localized.values())]
    held = sorted(
        {
            key
            for texts in wordings
            for key, text in texts.texts.items()
            if len(text) > SHORT and text in reply
        }
    )
    return "+".join(held) or reply[:40]


def describe(outcome: Outcome, content: Content) -> str:
    """paged/consent/pending, and the text ids of the replies where they are whole texts."""
    said = [_text_ids(reply, content) for reply in outcome.replies]
    paged = outcome.paged.value if outcome.paged else "-"
    consent = {True: "yes", False: "no", None: "-"}[outcome.consent]
    pending = outcome.awaiting.value if outcome.awaiting else "-"
    return f"paged {paged}, safe {consent}, pending {pending}, said {said}"


def report(played: Sequence[tuple[Row, Outcome]], content: Content, *, misses: bool) -> list[str]:
    lines: list[str] = []
    found = figures(played)
    for question in OPENERS:
        rows = [r for r, _ in played if r.question == question]
        lines.append(f"{question} ({OPENERS[question]!r} first)")
        lines.append(_counts(rows))
        lines += [f.line() for f in found[question]]
    lines.append("the first run's measures (stop 22)")
    lines += [f.line() for f in found["first run"]]
    wrong = {id(r) for question in OPENERS for f in found[question] for r, _ in f.wrong}
    alarms = {id(r) for r, _ in found["Q1"][1].wrong}
    serious = len(wrong - alarms)
    lines.append(
        f"overall: {len(played)} rows, {serious} wrong"
        f" (+{len(alarms)} Q1 pages on a no/unknown);"
        f" Q1 missed pages {found['Q1'][0].total - found['Q1'][0].hit},"
        f" Q2 false consent {found['Q2'][0].hit},"
        f" Q2 yes not taken {found['Q2'][1].total - found['Q2'][1].hit},"
        f" Q2 danger not raised {found['Q2'][2].total - found['Q2'][2].hit}"
    )
    if misses:
        for question in OPENERS:
            for f in found[question]:
                for r, o in f.wrong:
                    lines.append(
                        f"MISS {r.question} [{f.name}] {r.reading}/{r.danger.value}"
                        f" {r.text!r}: {describe(o, content)}"
                    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tsv", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--misses", action="store_true", help="list the rows that went wrong")
    args = parser.parse_args(argv)
    content = load_content()
    for path in args.tsv:
        played = [(row, play(row, content)) for row in read_rows(path)]
        print(f"== {path.name}")
        print("\n".join(report(played, content, misses=args.misses)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
