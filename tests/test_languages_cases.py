"""A Quechua or English case pages first the on-duty defensoras who speak it, then everyone on
duty; the roster records the languages a defensora speaks (`defensora add ... --speaks es,qu`)."""

# ruff: noqa: F811  (tests take the imported `pipe` and `lite` fixtures as arguments)

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bot.app import App
from bot.cli import cli as typer_cli
from bot.roster import add_defensora, add_shift
from bot.store import unit_of_work
from tests.case_pipeline import (
    ANA,
    BETY,
    CARMEN_WA,
    Pipeline,
    lima,
    lite,  # noqa: F401  (a fixture)
    pipe,  # noqa: F401  (a fixture)
)


def team(app: App, carmen_speaks: tuple[str, ...] = ("es", "qu")) -> None:
    """Ana and Bety (Telegram, Spanish) and Carmen (WhatsApp, who speaks Quechua) on shift."""
    with unit_of_work(app.engine) as db:
        add_defensora(db, app.vault, "Ana", "telegram", str(ANA), coordinator=False)
        add_defensora(db, app.vault, "Bety", "telegram", str(BETY), coordinator=False)
        add_defensora(
            db, app.vault, "Carmen", "whatsapp", CARMEN_WA, coordinator=False, speaks=carmen_speaks
        )
        for name in ("Ana", "Bety", "Carmen"):
            add_shift(db, name, lima(17, 8), lima(17, 20), weekly=False)


async def test_a_quechua_case_reaches_a_quechua_speaking_defensora_first(pipe: Pipeline) -> None:
    team(pipe.app)
    pipe.whatsapp("allillanchu")
    pipe.whatsapp("qusaymi wañuchiwanqa")  # imminent: 5 minutes before the next rung
    await pipe.drain()
    assert len(pipe.wa_texts(CARMEN_WA)) == 1  # the Quechua speaker on shift
    assert pipe.tg_texts(ANA) == [] and pipe.tg_texts(BETY) == []
    events = pipe.events()
    assert events.count("paged") == 1

    pipe.clock.advance(minutes=5)
    assert pipe.reescalate() == 1
    await pipe.drain()
    assert len(pipe.tg_texts(ANA)) == 1 and len(pipe.tg_texts(BETY)) == 1  # then everyone on duty


async def test_a_spanish_case_pages_everyone_on_duty_at_once(lite: Pipeline) -> None:
    team(lite.app)
    lite.whatsapp("mi ex me dijo que me va a matar")
    await lite.drain()
    assert len(lite.wa_texts(CARMEN_WA)) == 1
    assert len(lite.tg_texts(ANA)) == 1 and len(lite.tg_texts(BETY)) == 1


async def test_an_english_case_with_no_english_speaker_on_duty_pages_everyone(
    lite: Pipeline,
) -> None:
    team(lite.app)
    lite.whatsapp("my husband said he will kill me")
    await lite.drain()
    assert lite.case().severity in {"high", "imminent"}
    assert len(lite.tg_texts(ANA)) == 1 and len(lite.tg_texts(BETY)) == 1
    assert len(lite.wa_texts(CARMEN_WA)) == 1


async def test_an_english_case_goes_to_the_english_speaker_first(lite: Pipeline) -> None:
    team(lite.app, carmen_speaks=("es", "en"))
    lite.whatsapp("my husband said he will kill me")
    await lite.drain()
    assert len(lite.wa_texts(CARMEN_WA)) == 1
    assert lite.tg_texts(ANA) == [] and lite.tg_texts(BETY) == []


async def test_she_hears_about_the_people_of_her_case_in_english(lite: Pipeline) -> None:
    team(lite.app)
    english = lite.app.content.in_language("en").cases
    lite.whatsapp("my husband said he will kill me")
    lite.whatsapp("yes")  # safe to write here
    await lite.drain()
    assert english["person_on_duty"] in lite.wa_texts()
    lite.tg(ANA, "/tomar 1")
    await lite.drain()
    assert english.text("person_taken", stop=english["stop_whatsapp"]) in lite.wa_texts()
    lite.tg(ANA, "/cerrar 1")
    await lite.drain()
    assert english["person_closed"] in lite.wa_texts()


async def test_a_language_switch_during_the_relay_is_acknowledged_and_relayed(
    lite: Pipeline,
) -> None:
    """While Ana holds her case, 'english' changes the language quietly: a short answer in
    English, no menu, the word still reaches Ana, and what she writes next is relayed too."""
    team(lite.app)
    lite.whatsapp("mi esposo me dijo que me va a matar")
    lite.whatsapp("1")  # safe to write here
    lite.tg(ANA, "/tomar 1")
    await lite.drain()
    before, pages = len(lite.wa_texts()), len(lite.tg_texts(ANA))

    lite.whatsapp("english")
    await lite.drain()
    english = lite.app.content.in_language("en")
    assert lite.wa_texts()[before:] == [english.texts["language_switched"]]
    relayed = lite.tg_texts(ANA)[pages:]
    assert len(relayed) == 1 and relayed[0].startswith("💬 #1 ")
    assert relayed[0].endswith(": english")

    lite.whatsapp("thank you, I can talk now")
    lite.whatsapp("runasimi")
    await lite.drain()
    quechua = lite.app.content.in_language("qu")
    assert lite.wa_texts()[before + 1 :] == [quechua.texts["language_switched"]]
    relayed = lite.tg_texts(ANA)[pages + 1 :]
    assert [line.split(": ", 1)[1] for line in relayed] == ["thank you, I can talk now", "runasimi"]
    assert lite.case().status == "taken"


async def test_she_hears_about_the_people_of_her_case_in_quechua(lite: Pipeline) -> None:
    """A Quechua case: what she is told about the defensoras (on duty, taken, closed) is in
    Quechua, never the Spanish notice."""
    team(lite.app)
    quechua = lite.app.content.in_language("qu").cases
    spanish = lite.app.content.cases
    lite.whatsapp("qusaymi wañuchiwanqa")
    lite.whatsapp("arí")  # safe to write here
    await lite.drain()
    assert quechua["person_on_duty"] in lite.wa_texts()
    assert spanish["person_on_duty"] not in lite.wa_texts()
    lite.tg(ANA, "/tomar 1")
    await lite.drain()
    assert quechua.text("person_taken", stop=quechua["stop_whatsapp"]) in lite.wa_texts()
    lite.tg(ANA, "/cerrar 1")
    await lite.drain()
    assert quechua["person_closed"] in lite.wa_texts()
    assert not any(spanish[k] in lite.wa_texts() for k in ("person_taken", "person_closed"))


async def test_a_quechua_case_with_nobody_registered_is_told_so_in_quechua(
    lite: Pipeline,
) -> None:
    lite.whatsapp("qusaymi wañuchiwanqa")
    await lite.drain()
    assert lite.app.content.in_language("qu").cases["person_nobody"] in lite.wa_texts()
    assert lite.app.content.cases["person_nobody"] not in lite.wa_texts()


@pytest.fixture
def run(sqlite_app: App) -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(typer_cli, list(args), obj=sqlite_app)

    return invoke


def test_cli_defensora_speaks(run: Callable[..., Result]) -> None:
    assert run("defensora", "add", "Qori", "--telegram", "5011", "--speaks", "es,qu").exit_code == 0
    assert run("defensora", "add", "Rosa", "--telegram", "5012").exit_code == 0
    listing = run("defensora", "list").stdout.splitlines()
    assert any(line.startswith("Qori: telegram C-") and "habla es,qu" in line for line in listing)
    assert any(line.startswith("Rosa: telegram C-") and "habla es" in line for line in listing)
    for bad, message in [("xx", "idioma desconocido xx"), ("es;qu", "separados por comas")]:
        result = run("defensora", "add", "Eva", "--telegram", "5013", "--speaks", bad)
        assert result.exit_code == 2 and message in result.stderr, result.stderr
