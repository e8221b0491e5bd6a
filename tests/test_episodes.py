"""Episodes, next-episode answers and reminders (flows/episodes.py + content/episodes.yaml)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from pydantic import ValidationError

from flows.episodes import (
    REMINDER_FORBIDDEN_WORDS,
    DueReminder,
    EpisodeSchedule,
    due_reminders,
    format_episode_list,
    next_episode,
    next_episode_answer,
    next_episode_in_district,
    subscription_confirmation,
    unsubscription_confirmation,
    upcoming_episodes,
)
from flows.text import fold

LIMA = ZoneInfo("America/Lima")

SENSITIVE = (
    "violencia",
    "violento",
    "abuso",
    "abusador",
    "denuncia",
    "denunciar",
    "agresión",
    "agresor",
    "maltrato",
    "golpe",
    "víctima",
    "acoso",
    "feminicidio",
    "emergencia",
    "CEM",
    "Línea 100",
)


def raw() -> dict[str, Any]:
    data = yaml.safe_load(
        Path(__file__).parents[1].joinpath("content/episodes.yaml").read_text("utf-8")
    )
    assert isinstance(data, dict)
    return data


def lima(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LIMA)


MARKETS = [
    {
        "market": "Mercado Municipal Gran Mariscal Castilla",
        "short_name": "Mercado Central",
        "district": "Lima",
    },
    {"market": "Mercado El Bosque – Zárate", "district": "San Juan de Lurigancho"},
    {"market": "Mercado Unicachi de Villa El Salvador", "district": "Villa El Salvador"},
    {"market": "Megamercado Señor de Huamantanga", "district": "Puente Piedra"},
]
FACEBOOK = [
    {"name": "Mujer Lima", "platform": "Facebook", "url": None},
    {"name": "OIM Misión Perú", "platform": "Facebook", "url": None},
]


def ep(
    number: int,
    day: str,
    at: str | None = "19:00",
    venues: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "number": number,
        "date": day,
        "time": at,
        "time_known": at is not None,
        "title": None,
        "topic": None,
        "venues": venues or [],
        "online": FACEBOOK,
    }


def synthetic(extra_seasons: list[dict[str, Any]] | None = None) -> EpisodeSchedule:
    """Real texts and offsets, made-up seasons with known times (2021 calendar)."""
    data = raw()
    data["seasons"] = [
        {
            "id": "a",
            "name": "temporada A",
            "episodes": [
                ep(1, "2021-06-16"),
                ep(2, "2021-06-18", venues=MARKETS),
                ep(3, "2021-06-25", venues=[MARKETS[1]]),
                ep(4, "2021-06-30", None),
            ],
        },
        {
            "id": "b",
            "name": "temporada B",
            "episodes": [ep(1, "2021-09-01"), ep(2, "2021-09-03", None)],
        },
        *(extra_seasons or []),
    ]
    return EpisodeSchedule.model_validate(data)


@pytest.fixture(scope="module")
def real() -> EpisodeSchedule:
    return EpisodeSchedule.model_validate(raw())


@pytest.fixture(scope="module")
def sched() -> EpisodeSchedule:
    return synthetic()


# --- the shipped content ----------------------------------------------------------------------


def test_real_season_2021(real: EpisodeSchedule) -> None:
    assert real.timezone == "America/Lima"
    (season,) = real.seasons
    assert season.id == "2021"
    eps = {e.number: e for e in season.episodes}
    assert sorted(eps) == list(range(1, 16))
    for e in season.episodes:
        assert e.date.year == 2021 and e.date.month in (6, 7)
        assert e.date.weekday() in (2, 4)  # Wednesday, Friday
        assert e.time is None and e.time_known is False
        assert e.title is None and e.topic is None
        assert [(o.name, o.platform, o.url) for o in e.online] == [
            ("Mujer Lima", "Facebook", None),
            ("OIM Misión Perú", "Facebook", None),
        ]
    # numbering derived from Wed/Fri dates so that episode 3 is Friday 18 June 2021
    third = eps[3]
    assert third.date == date(2021, 6, 18) and third.date_confirmed
    assert [v.district for v in third.venues] == [
        "Lima",
        "San Juan de Lurigancho",
        "Villa El Salvador",
        "Puente Piedra",
    ]
    assert third.venues[0].display_name == "Mercado Central"
    assert all(not e.venues and not e.date_confirmed for n, e in eps.items() if n != 3)
    # consecutive Wednesdays and Fridays without gaps
    dates = [eps[n].date for n in range(1, 16)]
    every = [date(2021, 6, 11) + timedelta(days=i) for i in range(51)]
    assert dates == [d for d in every if d.weekday() in (2, 4)]


def test_real_answers(real: EpisodeSchedule) -> None:
    # Wednesday 16 (episode 2, time unknown) counts as upcoming all day long
    assert "es hoy, en Facebook" in next_episode_answer(real, lima(2021, 6, 16, 21, 0))
    answer = next_episode_answer(real, lima(2021, 6, 17, 9, 0))
    assert "es mañana, " in answer
    assert "en el Mercado Central y 3 mercados más, y en Facebook" in answer
    assert "la anunciaremos" in answer  # time unknown: day only, time to be announced
    assert " a las " not in answer
    # today (long after the 2021 season): between seasons
    later = next_episode_answer(real, datetime(2026, 5, 1, 12, tzinfo=UTC))
    assert "aún no tiene fecha" in later and "ALTA" in later


def test_real_list(real: EpisodeSchedule) -> None:
    text = format_episode_list(real)
    assert text.count("hora por confirmar") == 15
    assert text.count("fecha deducida") == 14
    assert "viernes 18 de junio de 2021" in text
    assert "Mercado Municipal Gran Mariscal Castilla (Lima)" in text
    assert "Mujer Lima (Facebook, enlace por confirmar)" in text
    marked = format_episode_list(real, lima(2021, 6, 17, 12, 0))
    (next_line,) = [line for line in marked.splitlines() if "próximo" in line]
    assert "viernes 18 de junio" in next_line
    assert marked.count("emitido") == 2


def test_real_reminders_only_evening_before(real: EpisodeSchedule) -> None:
    due = due_reminders(real, now=lima(2021, 8, 1, 0, 0), since=lima(2021, 6, 1, 0, 0))
    assert due == []  # every episode has started by then
    all_due: list[DueReminder] = []
    t = lima(2021, 6, 1, 0, 0)
    while t < lima(2021, 8, 1, 0, 0):
        all_due += due_reminders(real, now=t + timedelta(hours=1), since=t)
        t += timedelta(hours=1)
    assert len(all_due) == 15
    assert {r.offset_id for r in all_due} == {"evening_before"}  # 1h_before skipped: no time
    third = next(r for r in all_due if r.number == 3)
    assert third.key == "reminder:2021:3:evening_before"
    assert third.send_at == lima(2021, 6, 17, 19, 0)
    assert third.text == "Defensoras al Parlante: mañana nuevo programa 📻"


# --- broken content -------------------------------------------------------------------------


def _mutate(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(raw())
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _DELETE:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("timezone", _DELETE, "timezone"),
        ("timezone", "Mars/Olympus", "Mars/Olympus"),
        ("seasons.0.episodes.1.date", date(2021, 6, 11), "season '2021': episode 2"),
        ("seasons.0.episodes.1.number", 1, "season '2021': episode number 1"),
        ("seasons.0.episodes.0.time", 1140, "HH:MM"),
        ("seasons.0.episodes.0.time", "7pm", "HH:MM"),
        ("seasons.0.episodes.0.time_known", True, "episode 1: time_known"),
        ("seasons.0.episodes.2.venues.1.district", "", "district"),
        ("seasons.0.episodes.2.venue", [], "venue"),
        ("seasons.0.id", "2021:x", "season id"),
        ("reminder_offsets.1.id", "evening_before", "'evening_before' is repeated"),
        ("reminder_offsets.1.minutes", None, "1h_before"),
        ("reminder_offsets.0.text", "nope", "'nope' is not in texts"),
        ("texts.next_episode", _DELETE, "'next_episode' is missing"),
        ("texts.no_upcoming", "Hola {nombre}", "texts.no_upcoming"),
        ("texts.reminder_before_start", "Aviso de violencia", "violencia"),
        ("texts.subscribe_confirmed", "Te ayudo con tu denuncia {next}", "denuncia"),
        ("calendar.weekdays", ["lunes"], "weekdays"),
    ],
)
def test_broken_content_refused(path: str, value: Any, expected: str) -> None:
    with pytest.raises(ValidationError) as err:
        EpisodeSchedule.model_validate(_mutate(path, value))
    assert expected in str(err.value)


def test_duplicate_season_refused() -> None:
    data = raw()
    data["seasons"] = [data["seasons"][0], data["seasons"][0]]
    with pytest.raises(ValidationError, match="season id '2021' is repeated"):
        EpisodeSchedule.model_validate(data)


# --- next episode -----------------------------------------------------------------------------


def test_before_first_season(sched: EpisodeSchedule) -> None:
    answer = next_episode_answer(sched, lima(2021, 6, 1, 10, 0))
    assert "¡Vuelve" in answer and "temporada A" in answer
    assert "el miércoles 16 de junio a las 19:00" in answer


def test_within_season_issue_example(sched: EpisodeSchedule) -> None:
    answer = next_episode_answer(sched, lima(2021, 6, 16, 20, 0))
    assert "este viernes 18 a las 19:00, en el Mercado Central y 3 mercados más, y en Facebook" in (
        answer
    )
    assert "la anunciaremos" not in answer


def test_between_seasons(sched: EpisodeSchedule) -> None:
    slot = next_episode(sched, lima(2021, 7, 15, 12, 0))
    assert slot is not None and (slot.season_id, slot.number) == ("b", 1)
    answer = next_episode_answer(sched, lima(2021, 7, 15, 12, 0))
    assert "¡Vuelve" in answer and "temporada B" in answer
    assert "el miércoles 1 de septiembre a las 19:00" in answer


def test_after_last_season(sched: EpisodeSchedule) -> None:
    now = lima(2021, 9, 4, 0, 0)
    assert next_episode(sched, now) is None and upcoming_episodes(sched, now) == []
    answer = next_episode_answer(sched, now)
    assert "aún no tiene fecha" in answer and "ALTA" in answer


def test_announced_season_without_dates() -> None:
    s = synthetic([{"id": "c", "name": "temporada C", "episodes": []}])
    answer = next_episode_answer(s, lima(2022, 1, 1, 0, 0))
    assert "temporada C" in answer and "aún no tiene fecha" in answer
    assert "(aún sin fechas)" in format_episode_list(s)


def test_upcoming_order_and_start(sched: EpisodeSchedule) -> None:
    keys = [(s.season_id, s.number) for s in upcoming_episodes(sched, lima(2021, 6, 18, 19, 0))]
    assert keys == [("a", 3), ("a", 4), ("b", 1), ("b", 2)]  # 19:00 on the 18th: started
    slot = upcoming_episodes(sched, lima(2021, 6, 18, 18, 59))[0]
    assert slot.number == 2 and slot.starts_at == lima(2021, 6, 18, 19, 0)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (lima(2021, 6, 18, 10, 0), "es hoy a las 19:00"),
        (lima(2021, 6, 17, 8, 0), "es mañana a las 19:00"),
        (lima(2021, 6, 16, 19, 1), "es este viernes 18 a las 19:00"),
        (lima(2021, 6, 19, 9, 0), "es este viernes 25 a las 19:00"),
        (lima(2021, 6, 6, 9, 0), "el miércoles 16 de junio a las 19:00"),
        (lima(2020, 12, 1, 9, 0), "el miércoles 16 de junio de 2021 a las 19:00"),
    ],
)
def test_spanish_day_phrases(sched: EpisodeSchedule, now: datetime, expected: str) -> None:
    assert expected in next_episode_answer(sched, now)


def test_unknown_time_episode_answer(sched: EpisodeSchedule) -> None:
    # a.4 on Wed 30 June has no time: upcoming the whole day, day given, time "to be announced"
    for now in (lima(2021, 6, 29, 12, 0), lima(2021, 6, 30, 23, 0)):
        slot = next_episode(sched, now)
        assert slot is not None and (slot.number, slot.time_known) == (4, False)
        assert slot.starts_at == lima(2021, 6, 30, 0, 0)
    answer = next_episode_answer(sched, lima(2021, 6, 30, 23, 0))
    assert "es hoy, en Facebook." in answer and "la anunciaremos" in answer
    assert "mañana" in next_episode_answer(sched, lima(2021, 6, 29, 12, 0))


# --- time zones -------------------------------------------------------------------------------


def test_utc_now_is_read_in_lima_time(sched: EpisodeSchedule) -> None:
    # Thursday 17 June 23:30 in Lima is already Friday 04:30 in UTC: the episode is "mañana"
    utc_now = datetime(2021, 6, 18, 4, 30, tzinfo=UTC)
    assert utc_now == lima(2021, 6, 17, 23, 30)
    answer = next_episode_answer(sched, utc_now)
    assert "es mañana a las 19:00" in answer and "hoy" not in answer
    assert answer == next_episode_answer(sched, lima(2021, 6, 17, 23, 30))
    # one hour later it is Friday in Lima too
    assert "es hoy a las 19:00" in next_episode_answer(sched, utc_now + timedelta(hours=1))
    tokyo = utc_now.astimezone(ZoneInfo("Asia/Tokyo"))
    assert next_episode_answer(sched, tokyo) == answer


def test_naive_datetimes_refused(sched: EpisodeSchedule) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_episode(sched, datetime(2021, 6, 1))
    with pytest.raises(ValueError, match="since"):
        due_reminders(sched, now=lima(2021, 6, 1, 0, 0), since=datetime(2021, 5, 1))


# --- districts --------------------------------------------------------------------------------


def test_venues_in_district_first(sched: EpisodeSchedule) -> None:
    now = lima(2021, 6, 17, 12, 0)
    slot = next_episode(sched, now, "san juan de lurigancho")
    assert slot is not None
    assert [v.district for v in slot.venues] == [
        "San Juan de Lurigancho",
        "Lima",
        "Villa El Salvador",
        "Puente Piedra",
    ]
    answer = next_episode_answer(sched, now, "SAN JUAN DE LURIGANCHO")
    assert "Mercado El Bosque – Zárate (San Juan de Lurigancho) y 3 mercados más" in answer
    # unknown district: original order, no note
    plain = next_episode(sched, now)
    assert next_episode(sched, now, "Ancón") == plain
    assert next_episode_answer(sched, now, "Ancón") == next_episode_answer(sched, now)
    assert "Mercado Central y 3 mercados más" in next_episode_answer(sched, now, "Ancón")


def test_later_episode_in_district_is_mentioned(sched: EpisodeSchedule) -> None:
    now = lima(2021, 6, 16, 8, 0)  # next is a.1 (no markets); SJL gets loudspeakers on the 18th
    found = next_episode_in_district(sched, now, "San Juan de Lurigancho")
    assert found is not None and found.number == 2
    answer = next_episode_answer(sched, now, "San Juan de Lurigancho")
    assert "empieza hoy a las 19:00, en Facebook." in answer
    assert "En San Juan de Lurigancho podrás escucharlo por parlantes este viernes 18" in answer
    assert "Mercado El Bosque – Zárate" in answer
    assert next_episode_in_district(sched, now, "Ancón") is None


# --- reminders --------------------------------------------------------------------------------


def test_evening_before_and_hour_before(sched: EpisodeSchedule) -> None:
    due = due_reminders(sched, now=lima(2021, 6, 17, 19, 0), since=lima(2021, 6, 17, 18, 0))
    assert [r.key for r in due] == ["reminder:a:2:evening_before"]
    assert due[0].text == "Defensoras al Parlante: mañana a las 19:00 nuevo programa 📻"
    assert due[0].send_at == lima(2021, 6, 17, 19, 0)
    due = due_reminders(sched, now=lima(2021, 6, 18, 18, 5), since=lima(2021, 6, 18, 17, 55))
    assert [r.key for r in due] == ["reminder:a:2:1h_before"]
    assert due[0].send_at == lima(2021, 6, 18, 18, 0)


def test_window_bounds(sched: EpisodeSchedule) -> None:
    send_at = lima(2021, 6, 17, 19, 0)
    assert due_reminders(sched, now=send_at + timedelta(hours=1), since=send_at) == []
    assert len(due_reminders(sched, now=send_at, since=send_at - timedelta(seconds=1))) == 1
    assert due_reminders(sched, now=send_at, since=send_at) == []
    assert due_reminders(sched, now=send_at, since=send_at + timedelta(days=1)) == []


def test_windows_partition_and_keys_are_idempotent(sched: EpisodeSchedule) -> None:
    start, end = lima(2021, 6, 1, 0, 0), lima(2021, 10, 1, 0, 0)
    chunks: list[DueReminder] = []
    t = start
    while t < end:
        step = t + timedelta(minutes=37)
        chunks += due_reminders(sched, now=step, since=t)
        t = step
    keys = [r.key for r in chunks]
    assert len(keys) == len(set(keys))
    assert keys == [
        "reminder:a:1:evening_before",
        "reminder:a:1:1h_before",
        "reminder:a:2:evening_before",
        "reminder:a:2:1h_before",
        "reminder:a:3:evening_before",
        "reminder:a:3:1h_before",
        "reminder:a:4:evening_before",  # unknown time: no 1h_before
        "reminder:b:1:evening_before",
        "reminder:b:1:1h_before",
        "reminder:b:2:evening_before",
    ]
    again = due_reminders(sched, now=lima(2021, 6, 17, 19, 30), since=lima(2021, 6, 17, 18, 0))
    assert again == due_reminders(
        sched, now=lima(2021, 6, 17, 19, 30), since=lima(2021, 6, 17, 18, 0)
    )


def test_across_season_edge(sched: EpisodeSchedule) -> None:
    due = due_reminders(sched, now=lima(2021, 9, 1, 18, 30), since=lima(2021, 6, 30, 12, 0))
    assert [r.key for r in due] == ["reminder:b:1:evening_before", "reminder:b:1:1h_before"]
    assert {r.season_id for r in due} == {"b"}


def test_outage_returns_missed_reminders_of_upcoming_episodes_only(
    sched: EpisodeSchedule,
) -> None:
    # bot down from May until Friday 18 June 18:30: a.1 (16 June) already aired, so nothing for
    # it; both reminders of a.2 (19:00 today) are returned, late. Misfire grace is the caller's.
    now = lima(2021, 6, 18, 18, 30)
    due = due_reminders(sched, now=now, since=lima(2021, 5, 1, 0, 0))
    assert [r.key for r in due] == ["reminder:a:2:evening_before", "reminder:a:2:1h_before"]
    assert [r.send_at for r in due] == [lima(2021, 6, 17, 19, 0), lima(2021, 6, 18, 18, 0)]
    # the text is rendered for "now": the late evening-before reminder says "hoy", not "mañana"
    assert due[0].text == "Defensoras al Parlante: hoy a las 19:00 nuevo programa 📻"


def test_unknown_time_reminders(sched: EpisodeSchedule) -> None:
    due = due_reminders(sched, now=lima(2021, 6, 30, 12, 0), since=lima(2021, 6, 26, 0, 0))
    assert [r.key for r in due] == ["reminder:a:4:evening_before"]
    assert due[0].send_at == lima(2021, 6, 29, 19, 0)
    assert due[0].text == "Defensoras al Parlante: hoy nuevo programa 📻"  # rendered at noon
    on_time = due_reminders(sched, now=lima(2021, 6, 29, 19, 0), since=lima(2021, 6, 29, 18, 0))
    assert on_time[0].text == "Defensoras al Parlante: mañana nuevo programa 📻"
    assert due_reminders(sched, now=lima(2021, 7, 1, 0, 0), since=lima(2021, 6, 26, 0, 0)) == []
    # even late on the day itself, an unknown-time episode still counts as upcoming
    late = due_reminders(sched, now=lima(2021, 6, 30, 21, 0), since=lima(2021, 6, 29, 0, 0))
    assert [r.text for r in late] == ["Defensoras al Parlante: hoy nuevo programa 📻"]


def test_utc_since_now(sched: EpisodeSchedule) -> None:
    utc = due_reminders(
        sched,
        now=datetime(2021, 6, 18, 0, 30, tzinfo=UTC),  # Thu 19:30 Lima
        since=datetime(2021, 6, 17, 23, 30, tzinfo=UTC),  # Thu 18:30 Lima
    )
    assert [r.key for r in utc] == ["reminder:a:2:evening_before"]
    assert utc[0].send_at == datetime(2021, 6, 18, 0, 0, tzinfo=UTC)


# --- discretion -------------------------------------------------------------------------------


def _contains(text: str, word: str) -> bool:
    return f" {fold(word)} " in f" {fold(text)} "


def test_reminder_and_subscription_texts_are_discreet(
    sched: EpisodeSchedule, real: EpisodeSchedule
) -> None:
    texts: list[str] = []
    for s in (sched, real):
        texts += [
            r.text for r in due_reminders(s, now=lima(2021, 10, 1, 0, 0), since=lima(2021, 1, 1))
        ]
        t = lima(2021, 6, 1, 0, 0)
        while t < lima(2021, 10, 1, 0, 0):
            texts += [r.text for r in due_reminders(s, now=t + timedelta(hours=6), since=t)]
            texts.append(subscription_confirmation(s, t))
            t += timedelta(hours=6)
        texts.append(unsubscription_confirmation(s))
    assert len(texts) > 100
    for text in texts:
        for word in (*SENSITIVE, *REMINDER_FORBIDDEN_WORDS):
            assert not _contains(text, word), (word, text)


def test_subscription_texts(sched: EpisodeSchedule) -> None:
    alta = subscription_confirmation(sched, lima(2021, 6, 16, 20, 0))
    assert "\n" not in alta
    assert "la noche anterior y una hora antes" in alta
    assert "El próximo es este viernes 18 a las 19:00." in alta
    assert "BAJA" in alta
    none = subscription_confirmation(sched, lima(2022, 1, 1, 0, 0))
    assert "aún no tiene fecha" in none
    assert "ALTA" in unsubscription_confirmation(sched)
