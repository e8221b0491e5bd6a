"""Property-based fuzzing of the pure core: no input a person or a stale session can produce
makes a turn, the risk assessor, the intent matcher or the place resolver raise.

Surrogates: Telegram's JSON can carry lone surrogates (``\\ud83d`` escapes) and the console
decodes undecodable bytes to surrogates (surrogateescape), so both channels get them; Twilio's
form bodies are decoded as strict UTF-8, so WhatsApp never does.
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.engine import Content, step
from flows.intents import intent_json, match_intent
from flows.places import cem_json, resolve_district
from flows.risk import assess_risk
from flows.session import Session
from flows.types import Channel, Inbound, Location, Severity
from tests.conftest import shared_content

FUZZ = settings(
    # ~1 s per test in CI; FUZZ_EXAMPLES=20000 for a longer hunt on a developer's machine.
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "400")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

CONTENT: Content = shared_content()
NODES = sorted(CONTENT.menus.nodes)
DISTRICTS = sorted(CONTENT.places.districts)
ODD_DIGITS = "0123456789٣３①➀፩᧚²⁵"

any_text = st.text(st.characters(codec="utf-8"), max_size=120)
"""What strict UTF-8 can carry: every code point but the surrogates."""
surrogate_text = st.text(st.characters(), max_size=120)
"""Any code point, lone surrogates included."""
digits = st.text(st.sampled_from(ODD_DIGITS), min_size=1, max_size=6) | st.just("1" * 5000)
CUES = ["hola", "menu", "borrar", "alta", "baja", "si", "no", "1", "2", "ayuda", "socorro", "cem"]
cue_words = st.sampled_from([*CUES, *DISTRICTS])


def _message(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Free text, odd digits, menu words and district names, alone or mixed."""
    words = st.one_of(alphabet, digits, cue_words)
    return st.lists(words, max_size=4).map(" ".join)


floats = st.floats(allow_nan=True, allow_infinity=True)
locations = st.none() | st.builds(Location, floats, floats)
payloads = st.none() | digits | any_text | st.sampled_from(NODES)


@st.composite
def inbounds(draw: st.DrawFn) -> Inbound:
    channel = draw(st.sampled_from(list(Channel)))
    alphabet = any_text if channel is Channel.WHATSAPP else surrogate_text
    return Inbound(
        channel,
        text=draw(_message(alphabet)),
        location=draw(locations),
        payload=draw(payloads),
        media=draw(st.none() | st.sampled_from(["voice", "image", "sticker", "document"])),
    )


stored_sessions: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {},
    optional={
        "node": st.sampled_from(NODES) | any_text,
        "severity": st.sampled_from([s.value for s in Severity]),
        "asked_safe": st.booleans(),
        "awaiting": st.none() | st.sampled_from(["safe_to_talk", "follow_up"]) | any_text,
        "choices": st.lists(st.sampled_from(DISTRICTS) | any_text, max_size=4),
        "district": st.none() | st.sampled_from(DISTRICTS) | any_text,
        "relay_case": st.none() | st.integers(1, 2**31 - 1),
        "renamed_field": any_text,
    },
)
"""Session rows as the database holds them, including nodes, questions and districts renamed
or removed from the content since they were stored."""

moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


@FUZZ
@given(stored=stored_sessions, inbound=inbounds(), now=moments)
def test_no_turn_raises_and_every_turn_can_be_stored_and_sent(
    stored: dict[str, Any], inbound: Inbound, now: datetime
) -> None:
    turn = step(Session.from_dict(stored), inbound, CONTENT, now)

    saved = json.loads(json.dumps(turn.session.to_dict(), allow_nan=False))
    assert Session.from_dict(saved) == turn.session
    assert turn.session.node in CONTENT.menus.nodes
    assert turn.replies or turn.session.relay_case is not None
    for reply in turn.replies:
        assert reply.text.strip()
        assert "nan" not in reply.text.split() and "inf" not in reply.text.split()
        assert all(option.key and option.label for option in reply.options)


@FUZZ
@given(text=_message(surrogate_text))
def test_the_matchers_take_any_text(text: str) -> None:
    risk = assess_risk(text, CONTENT.risk)
    assert risk.severity in set(Severity)
    assert match_intent(text, CONTENT.intents).intent
    found = resolve_district(text, CONTENT.places)
    assert found.district is None or found.district in CONTENT.places.districts
    for line in (intent_json(text, CONTENT.intents), cem_json(text, CONTENT.places)):
        json.dumps(line, allow_nan=False)


@FUZZ
@given(latitude=floats, longitude=floats)
def test_any_coordinates_get_an_answer_without_nan(latitude: float, longitude: float) -> None:
    inbound = Inbound(Channel.TELEGRAM, location=Location(latitude, longitude))
    turn = step(Session(), inbound, CONTENT, datetime(2026, 6, 17, 15, 0, tzinfo=UTC))
    text = "\n".join(reply.text for reply in turn.replies)
    finite = math.isfinite(latitude) and math.isfinite(longitude)
    assert turn.replies
    if finite and abs(latitude) <= 90 and abs(longitude) <= 180:  # near: km; far: Línea 100
        assert "km" in text or CONTENT.texts["outside_lima_help"] in text
    else:
        assert "km" not in text


NOON = datetime(2026, 6, 17, 17, 0, tzinfo=UTC)


def test_digits_that_int_refuses_are_an_unknown_option() -> None:
    for digit in ("፩", "᧚", "➀", "1" * 5000):  # as a typed text: '➀' reads as 1 after NFKC
        assert step(Session(), Inbound(Channel.TELEGRAM, text=digit), CONTENT, NOON).replies
        turn = step(Session(), Inbound(Channel.WHATSAPP, payload=digit), CONTENT, NOON)
        assert turn.session.node == "main"
        assert turn.replies


def test_a_district_renamed_while_her_choice_is_pending_is_asked_again() -> None:
    first = DISTRICTS[0]
    pending = Session(node="cem_ask", choices=("Distrito De Antes", first))
    renamed = step(pending, Inbound(Channel.WHATSAPP, payload="1"), CONTENT, NOON)
    assert renamed.session.node == "cem_ask" and renamed.session.choices == ()
    kept = step(pending, Inbound(Channel.WHATSAPP, payload="2"), CONTENT, NOON)
    assert kept.session.district == first
