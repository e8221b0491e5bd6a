"""Languages: English and Quechua conversations as transcripts, and the start-up checks of
content/lang/. Texts are compared with the content's wording in the conversation's language."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content import DEFAULT_CONTENT_DIR, ContentError, load_content, load_language_packs
from flows.diagram import mermaid
from flows.engine import Content
from flows.languages import Reference, required_ids
from flows.types import Location, Severity
from tests.transcript import Chat

README = DEFAULT_CONTENT_DIR.parent / "README.md"


@pytest.fixture
def chat(content: Content) -> Chat:
    return Chat(content)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(
        DEFAULT_CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- detection and switching ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("hello", "en"),
        ("my husband hits me", "en"),
        ("where is the nearest women's center? I live in Comas", "en"),
        ("hola quiero ayuda", "es"),
        ("me pega mi esposo", "es"),
        ("allillanchu", "qu"),
        ("qusayniy maqawan", "qu"),
        ("imaynalla kachkanki", "qu"),
    ],
)
def test_the_language_is_detected_from_her_words(chat: Chat, message: str, language: str) -> None:
    chat.say(message)
    assert chat.session.language == language


@pytest.mark.parametrize("message", ["ok", "si", "Comas", "1", "👍"])
def test_too_little_to_tell_keeps_the_language(chat: Chat, message: str) -> None:
    chat.say("hello").say(message)
    assert chat.session.language == "en"


def test_she_changes_the_language_at_any_time(chat: Chat) -> None:
    chat.say("hola").say("english")
    assert chat.session.language == "en" and chat.first("welcome") and chat.shows_menu
    assert chat.t("welcome") != chat.content.texts["welcome"]
    chat.say("runasimi")
    assert chat.session.language == "qu" and chat.first("welcome") and chat.shows_menu
    chat.say("my husband hits me")  # chosen: detection no longer changes it
    assert chat.session.language == "qu" and chat.said("risk_high")
    chat.say("1")  # safe to write here
    chat.say("Español")
    assert chat.session.language == "es" and chat.replies[0] == chat.content.texts["welcome"]


@pytest.mark.parametrize("report", ["me pega mi esposo", "ayuda"])
def test_changing_language_asks_an_open_safety_question_again(chat: Chat, report: str) -> None:
    chat.say(report)
    asked = chat.session.awaiting
    assert asked is not None
    chat.say("runasimi")
    assert chat.session.awaiting is asked and chat.session.language == "qu"
    assert chat.replies[-1] in {chat.t("ask_safe"), chat.t("ask_danger_now")}
    assert chat.labels == [chat.t("option_yes"), chat.t("option_no")]


def test_the_language_is_kept_in_the_stored_session(chat: Chat) -> None:
    chat.say("runasimi")
    stored = type(chat.session).from_dict(chat.session.to_dict())
    assert stored.language == "qu" and stored.language_chosen


# --- English: every journey ------------------------------------------------------------------


def test_english_greeting_and_menu(chat: Chat) -> None:
    chat.say("hi")
    assert chat.first("welcome") and chat.shows_menu
    assert chat.labels == [
        o.label for o in chat.content.in_language("en").menus.nodes["main"].options
    ]
    assert "Buscar" not in " ".join(chat.labels)


def test_english_cem_search(chat: Chat) -> None:
    en = chat.content.in_language("en")
    chat.say("hello").say("1")
    assert chat.said("cem_ask")
    chat.say("Comas")
    assert en.orientation.header_district.format(district="Comas") in chat.text
    assert chat.shows_menu


def test_english_cem_from_free_text(chat: Chat) -> None:
    chat.say("where is the nearest women's center? I live in Comas")
    orientation = chat.content.in_language("en").orientation
    assert orientation.header_district.format(district="Comas") in chat.text


def test_english_help_lines(chat: Chat) -> None:
    chat.say("hello").say("2")
    en = chat.content.in_language("en")
    assert chat.said("helplines_intro") and en.orientation.helplines_header in chat.text
    shown = [line.short for line in en.helplines if line.show]
    assert shown and all(short and short in chat.text for short in shown)


def test_english_programme_and_reminders(chat: Chat) -> None:
    chat.say("hello").say("3")
    assert chat.said("episodes_intro")
    chat.say("1")
    assert chat.kinds == ["subscribe"]
    labels = [o.label for o in chat.content.in_language("en").episodes.reminder_offsets]
    assert all(label in chat.text for label in labels)


def test_english_talk_with_a_defensora(chat: Chat) -> None:
    chat.say("hello").say("4")
    assert chat.said("defensora_intro")
    chat.say("1")
    assert chat.said("defensora_requested") and "escalate" in chat.kinds


def test_english_about_and_forget(chat: Chat) -> None:
    chat.say("hello").say("5")
    assert chat.said("about")
    chat.say("please delete my data")
    assert chat.said("confirm_forget")
    chat.say("yes")
    assert chat.kinds == ["forget"]


def test_english_danger_journey(chat: Chat) -> None:
    chat.say("my husband hits me")
    assert chat.paged is Severity.HIGH and chat.said("risk_high", "ask_safe")
    assert chat.labels == [chat.t("option_yes"), chat.t("option_no")]
    chat.say("no")
    assert chat.safe is False and chat.replies == [chat.t("not_safe")]


def test_english_is_complete(content: Content) -> None:
    """Every Spanish text a person sees has English wording (checked at start-up too)."""
    (en,) = [p for p in load_language_packs(DEFAULT_CONTENT_DIR) if p.language == "en"]
    translated = en.entries()
    staff = ("sev_", "cat_", "console_banner")
    public = [f"texts.{k}" for k in content.texts.texts if not k.startswith(staff)]
    labels = [
        f"menus.{name}.{i}"
        for name, node in content.menus.nodes.items()
        for i in range(1, len(node.options) + 1)
    ]
    assert [k for k in public + labels if k not in translated] == []


# --- Quechua: the safety journeys and the CEM search -----------------------------------------


def test_quechua_greeting_menu_and_cem_search(chat: Chat) -> None:
    qu = chat.content.in_language("qu")
    chat.say("allillanchu")
    assert chat.first("welcome") and chat.shows_menu
    assert chat.labels == [o.label for o in qu.menus.nodes["main"].options]
    chat.say("1")
    assert chat.said("cem_ask")
    chat.say("San Juan de Lurigancho")
    assert qu.orientation.header_district.format(district="San Juan de Lurigancho") in chat.text
    assert qu.orientation.emergency.split("{")[0] in chat.text


def test_quechua_cem_by_a_shared_location(chat: Chat) -> None:
    qu = chat.content.in_language("qu")
    chat.say("allillanchu").say(location=Location(-12.0464, -77.0428))
    assert qu.orientation.header_nearest in chat.text and chat.shows_menu
    assert chat.content.orientation.header_nearest not in chat.text


def test_quechua_help_lines(chat: Chat) -> None:
    chat.say("runasimi").say("2")
    qu = chat.content.in_language("qu")
    assert chat.said("helplines_intro") and qu.orientation.helplines_footer in chat.text
    assert all(line.short in chat.text for line in qu.helplines if line.show and line.short)


@pytest.mark.parametrize("cry", ["yanapaway", "YANAPAWAY!!", "qispichiway"])
def test_a_quechua_cry_asks_about_danger_and_yes_pages_imminent(chat: Chat, cry: str) -> None:
    chat.say(cry)
    assert chat.session.language == "qu" and chat.said("ask_danger_now")
    assert chat.labels == [chat.t("option_yes"), chat.t("option_no")]
    chat.say("arí")
    assert chat.paged is Severity.IMMINENT and chat.said("risk_imminent", "ask_safe")
    chat.say("manam")
    assert chat.safe is False and chat.replies == [chat.t("not_safe")]


def test_a_quechua_death_threat_pages_imminent(chat: Chat) -> None:
    chat.say("qusaymi wañuchiwanqa")
    assert chat.paged is Severity.IMMINENT and chat.said("risk_imminent", "ask_safe")
    chat.say("1")
    assert chat.safe is True and chat.said("safe_yes")


def test_a_quechua_beating_pages_high(chat: Chat) -> None:
    chat.say("runasimi").say("qusayniy maqawan")
    assert chat.paged is Severity.HIGH and chat.said("risk_high", "ask_safe")


@pytest.mark.parametrize("words", ["wañukuyta munani", "kunan tuta wañuchikusaq"])
def test_quechua_words_of_self_harm_get_the_self_harm_reply(chat: Chat, words: str) -> None:
    chat.say(words)
    assert chat.session.language == "qu" and chat.said("self_harm_high")
    assert chat.paged is Severity.HIGH


def test_quechua_no_danger_now(chat: Chat) -> None:
    chat.say("yanapaway").say("manam")
    assert chat.said("danger_no") and chat.paged is None


QUECHUA_WALKS = [
    # the CEM search: a district, a market it does not know, a vague place, "I don't know",
    # the city's name, a place outside Lima, a name of two districts, a wrong option
    ["allillanchu", "1", "San Juan de Lurigancho"],
    ["allillanchu", "1", "mercado qhapaqñan"],
    ["allillanchu", "1", "wasiypi"],
    ["allillanchu", "1", "no sé"],
    ["allillanchu", "1", "Lima"],
    ["allillanchu", "1", "Cusco"],
    ["allillanchu", "1", "san juan"],
    ["allillanchu", "9"],
    # the safety journeys: a cry, yes and no, the safety question, talking to a defensora
    ["yanapaway", "manam"],
    ["yanapaway", "arí", "manam"],
    ["qusaymi wañuchiwanqa", "1"],
    ["allillanchu", "4", "1"],
    ["allillanchu", "4", "2"],
    ["allillanchu", "4", "9"],
    ["allillanchu", "DEFENSORA"],
    ["allillanchu", "kunan punchaw paramuchkan"],
    ["allillanchu", "💜"],
    ["allillanchu", "wañukuyta munani"],
]


def test_the_quechua_safety_journeys_and_cem_search_read_no_spanish(chat: Chat) -> None:
    """Walking the safety journeys and the CEM search in Quechua, she reads no Spanish text
    where a Quechua one is required (the language-pack check makes these ids required for qu,
    so start-up refuses a Quechua file that lacks one)."""
    content = chat.content
    spanish = Reference(
        content.texts,
        content.menus,
        content.orientation,
        content.helplines,
        content.episodes,
        content.cases,
    )
    (pack,) = [p for p in load_language_packs(DEFAULT_CONTENT_DIR) if p.language == "qu"]
    required = required_ids(pack, spanish)
    for id_ in ("texts.fallback", "texts.defensora_intro", "menus.defensora.1"):
        assert id_ in required
    assert "cases.person_on_duty" in required and "orientation.market_unknown" in required
    wording = {k: v.split("{")[0] for k, v in spanish.entries().items() if k in required}
    mine = {k: e.text for k, e in pack.entries().items()}
    # "Sí", "{place}", "Horario: " (a loanword the Quechua text keeps): no evidence
    wording = {k: v for k, v in wording.items() if len(v) >= 8 and v not in mine.get(k, "")}
    for walk in QUECHUA_WALKS:
        talk = Chat(content)
        for message in walk:
            talk.say(message)
            assert talk.session.language == "qu", walk
            said = [talk.text, *talk.labels]
            spanish_left = [k for k, v in wording.items() if any(v in line for line in said)]
            assert spanish_left == [], (walk, message, spanish_left)


def test_quechua_fallback_and_defensora_screen(chat: Chat) -> None:
    chat.say("allillanchu").say("kunan punchaw paramuchkan")  # "it is raining today"
    assert chat.first("fallback") and chat.t("fallback") != chat.content.texts["fallback"]
    chat.say("4")
    qu = chat.content.in_language("qu")
    assert chat.said("defensora_intro")
    assert chat.labels == [o.label for o in qu.menus.nodes["defensora"].options]
    chat.say("manam")
    assert chat.replies == [chat.t("not_safe")]


def test_quechua_danger_no_thanks_her_rather_than_calls_it_good(chat: Chat) -> None:
    """After a distressing story, "no danger now" gets a thank-you (as in Spanish), not
    "Allinmi" ("good")."""
    chat.say("yanapaway").say("manam")
    assert chat.first("danger_no") and not chat.text.startswith("Allin")
    assert "añay" in chat.t("danger_no").lower()
    english = chat.content.in_language("en").texts["danger_no"]
    assert english.startswith("Thank you") and chat.content.texts["danger_no"].startswith("Gracias")


def test_quechua_falls_back_to_spanish_where_not_translated(chat: Chat) -> None:
    chat.say("runasimi").say("5")
    assert chat.replies[0].startswith(chat.content.texts["about"])


# --- start-up checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{district} distritopaq",
            "distritopaq",
            r"lang/qu\.yaml: orientation\.header_district: placeholder \{district\} missing",
        ),
        (
            "at {markets}.",
            "at {market}.",
            r"lang/en\.yaml: texts\.venues_next: placeholder \{market\} unknown",
        ),
        ('  welcome: "Hi', '  welcom: "Hi', r"lang/en\.yaml: texts\.welcom: no such Spanish text"),
        (
            "  danger_no: {reviewed",
            "  danger_nope: {reviewed",
            r"lang/qu\.yaml: texts\.danger_no: missing",
        ),
        (
            "  person_on_duty: {reviewed",
            "  # person_on_duty: {reviewed",
            r"lang/qu\.yaml: cases\.person_on_duty: missing",
        ),
        (
            "  fallback: {reviewed",
            "  # fallback: {reviewed",
            r"lang/qu\.yaml: texts\.fallback: missing",
        ),
        ('  ask_safe: "Is it', '  # ask_safe: "Is it', r"lang/en\.yaml: texts\.ask_safe: missing"),
        (
            "the programme starts in one hour",
            "the programme on violence starts in one hour",
            r"lang/en\.yaml: episodes\.reminder_before_start: 'violence' must not appear",
        ),
        (
            "  reminder_evening_before: ",
            "  # reminder_evening_before: ",
            r"lang/en\.yaml: episodes\.reminder_evening_before: missing",
        ),
    ],
)
def test_a_bad_language_file_refuses_start_up(
    folder: Path, old: str, new: str, message: str
) -> None:
    name = "qu.yaml" if "qu" in message.split(":")[0] else "en.yaml"
    edit(folder / "lang" / name, old, new)
    with pytest.raises(ContentError, match=message):
        load_content(folder)


def test_a_language_file_named_for_another_language_is_refused(folder: Path) -> None:
    edit(folder / "lang" / "en.yaml", "language: en", "language: fr")
    with pytest.raises(ContentError, match=r"en\.yaml"):
        load_content(folder)


def test_readme_lists_the_quechua_texts_awaiting_review() -> None:
    """The README's list is generated from content/lang/qu.yaml: on a change, paste the
    assertion message's list in the README."""
    readme = README.read_text(encoding="utf-8")
    section = readme.split("Quechua texts awaiting review")[1].split("```")[0]
    (qu,) = [p for p in load_language_packs(DEFAULT_CONTENT_DIR) if p.language == "qu"]
    expected = qu.review_list()
    assert expected.count("\n") >= 4 and "`texts`: `welcome`" in expected
    listed = "".join(line + "\n" for line in section.splitlines() if line.startswith("- `"))
    assert listed == expected, f"the README's list should read:\n{expected}"


def test_readme_menu_diagrams_per_language(content: Content) -> None:
    readme = README.read_text(encoding="utf-8")
    for code in ("en", "qu"):
        assert mermaid(content.in_language(code).menus) in readme


# --- English understanding, measured apart -----------------------------------------------------


def test_the_reports_give_the_english_rows_of_each_set_a_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks import intent_report, risk_report
    from benchmarks.languages import is_english

    assert is_english("my husband hits me") and is_english("where is the nearest CEM?")
    assert not is_english("mi esposo me pega") and not is_english("qusayniy maqawan")
    risk_report.main(["--only", "heldout", "--no-misses", "--repeats", "1"])
    out = capsys.readouterr().out.split("English rows")[1]
    assert out.splitlines()[1].startswith("  heldout: ") and "high+imm" in out
    assert intent_report.main(["--no-misses"]) == 0
    blocks = capsys.readouterr().out.split("\n== ")
    sets = [block for block in blocks if block.startswith("intents")]
    assert len(sets) >= 5 and all("\n  English rows (language detector): " in b for b in sets)
