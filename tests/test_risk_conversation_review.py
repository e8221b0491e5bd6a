"""Defects a conversation reviewer found, fixed as concepts; checked with wordings of our own.

- self-injury told as done or under way is imminent (106 and 105 first), told long ago high;
- English soft wishes to die are self-harm (113, Línea 100);
- tiredness alone is a feeling, tired *of living* is self-harm;
- the learned classifier alone never makes a neutral story imminent;
- the police, a friend or a relative arriving is not him arriving;
- wanting to leave home with nowhere to go is a sign to orient (moderate).
"""

from __future__ import annotations

import re

import pytest

from benchmarks.risk_report import load_model
from flows.engine import Content
from flows.risk import Classifier, RiskModel, assess_risk
from flows.risk.assess import rules_verdict, second_opinion
from flows.risk.prepare import prepare
from flows.types import Severity
from tests.transcript import Chat

NONE, MODERATE, HIGH, IMMINENT = (
    Severity.NONE,
    Severity.MODERATE,
    Severity.HIGH,
    Severity.IMMINENT,
)


@pytest.fixture(scope="module")
def rules() -> RiskModel:
    """The shipped lexicon without the learned second opinion."""
    return load_model().without_classifier()


def _rules_say(model: RiskModel, text: str, expected: Severity, category: str | None) -> None:
    result = assess_risk(text, model)
    assert result.severity is expected, (text, result.evidence)
    if category is not None:
        assert result.categories[:1] == (category,), (text, result.categories)


# ------------------------------------------------------------------ self-harm done, under way


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("me acabo de cortar las muñecas", IMMINENT),
        ("me rajé los brazos con una gillette", IMMINENT),
        ("ya me abri las venas", IMMINENT),
        ("me estoy cortando las piernas en el baño", IMMINENT),
        ("me trague un frasco de clonazepam", IMMINENT),
        ("i just slit my wrists", IMMINENT),
        ("im cutting myself right now", IMMINENT),
        ("i swallowed all the pills in the drawer", IMMINENT),
        # told long ago: a past attempt, high
        ("me corte las venas hace cinco años, ahora estoy mejor", HIGH),
        ("de adolescente me cortaba los brazos", HIGH),
        ("i used to cut myself when i was younger", HIGH),
    ],
)
def test_self_injury_done_is_imminent_told_long_ago_high(
    rules: RiskModel, text: str, expected: Severity
) -> None:
    _rules_say(rules, text, expected, "self_harm")


@pytest.mark.parametrize(
    "text",
    [
        "i feel like ending it all",
        "sometimes i think everyone would be better off without me",
        "i really don't want to be here anymore",
        "there's no reason to live anymore",
        "i wish i were dead",
        "honestly i'm tired of living",
        "estoy cansada de vivir así",
        "ya me cansé de la vida",
    ],
)
def test_soft_wishes_to_die_are_self_harm_thoughts(rules: RiskModel, text: str) -> None:
    _rules_say(rules, text, HIGH, "self_harm")


@pytest.mark.parametrize(
    "text",
    [
        "estoy cansada de todo esto",
        "uff estoy harta de todo, del trafico y de la chamba",
        "i cut myself while chopping onions",
        "i feel like ending it all with him, he never listens",
        "me corte el dedo pelando papas",
        "i'm not cutting myself anymore",
    ],
)
def test_tiredness_accidents_and_break_ups_are_not_self_harm(rules: RiskModel, text: str) -> None:
    assert "self_harm" not in assess_risk(text, rules).categories, text


def test_a_concept_part_is_not_also_the_next_part(rules: RiskModel) -> None:
    """'cansada de todo' holds 'todo': one word does not stand for two concepts."""
    assert assess_risk("cansada de todo", rules).severity is NONE
    assert assess_risk("no le veo sentido a nada", rules).severity is HIGH


@pytest.fixture
def chat(content: Content) -> Chat:
    return Chat(content)


@pytest.mark.parametrize(
    "text", ["me corté las venas", "me acabo de tomar todas las pastillas", "I cut myself"]
)
def test_self_injury_done_gets_106_and_105_first(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.paged is IMMINENT
    assert chat.first("self_harm_imminent") and not chat.said("self_harm_high")
    assert re.findall(r"\b1\d\d\b", chat.t("self_harm_imminent"))[:2] == ["106", "105"]


@pytest.mark.parametrize("text", ["i feel like ending it all", "estoy cansada de vivir"])
def test_soft_wish_to_die_gets_113_linea_100_and_a_defensora(chat: Chat, text: str) -> None:
    chat.say(text)
    assert chat.paged is HIGH
    assert chat.first("self_harm_high")
    reply = chat.t("self_harm_high")
    assert "113" in reply and "Línea 100" in reply and "defensora" in reply


def test_tiredness_alone_pages_nobody(chat: Chat) -> None:
    chat.say("estoy cansada de todo esto")
    assert chat.paged is None
    assert not chat.said("self_harm_high") and not chat.said("self_harm_imminent")


# ------------------------------------------------------------------ who arrives


@pytest.mark.parametrize(
    "text",
    [
        "ya llegó la policía",
        "recién vinieron los serenos, ya estamos más tranquilas",
        "mi tía ya llegó y se va a quedar conmigo esta semana",
        "por fin llegó mi hermana de Ayacucho a ayudarme",
        "the police are here now",
    ],
)
def test_help_arriving_is_not_him_arriving(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity is NONE, text


@pytest.mark.parametrize(
    "text",
    [
        "ya llegó, ayuda",
        "ya llegó borracho y tengo miedo",
        "ya llegó, mi mamá está llorando y tengo miedo",
        "ya llegó la policía pero él está afuera con un cuchillo",
    ],
)
def test_him_arriving_stays_imminent(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity is IMMINENT, text


# ------------------------------------------------------------------ nowhere to go


@pytest.mark.parametrize(
    "text",
    [
        "quiero salir de mi casa pero no tengo a donde ir",
        "me quiero ir de la casa con mis hijos y no tengo donde quedarme",
        "quisiera escaparme de aqui pero no tengo a quien acudir",
        "i want to leave him but i have nowhere to go",
    ],
)
def test_wanting_to_leave_with_nowhere_to_go_is_moderate(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity.at_least(MODERATE), text


@pytest.mark.parametrize(
    "text",
    ["quiero salir el sabado pero no se a donde ir", "mañana es feriado y no tengo a donde ir"],
)
def test_going_out_with_no_plan_is_not_flagged(rules: RiskModel, text: str) -> None:
    assert assess_risk(text, rules).severity is NONE, text


def test_nowhere_to_go_is_heard_warmly_and_kept_as_moderate(chat: Chat) -> None:
    """Her feeling is answered (a defensora, Línea 100) and the conversation is marked moderate."""
    chat.say("quiero salir de mi casa pero no tengo a donde ir")
    assert chat.first("feelings_answer") and chat.shows_menu
    assert chat.session.severity is MODERATE and chat.paged is None
    chat.say("mi enamorado me revisa el celular todos los dias")  # moderate, no feeling: as before
    assert chat.first("risk_moderate")


# ------------------------------------------------------------------ the classifier alone


def _sure(thresholds: tuple[float, float, float] = (0.5, 0.5, 0.5)) -> Classifier:
    """A classifier certain of everything: every head at probability 1."""
    return Classifier("sure", (30.0, 30.0, 30.0), {}, thresholds)


CALM_STORIES = [
    "mi hermana ya llegó de Arequipa y se está quedando con los chicos, gracias por escucharme",
    "la policía ya llegó y se lo llevaron, ahora estoy con mi mamá tomando un té",
]


@pytest.mark.parametrize("text", CALM_STORIES)
def test_help_is_with_her_so_the_classifier_alone_asks_and_never_says_imminent(
    rules: RiskModel, text: str
) -> None:
    assert assess_risk(text, rules).severity is NONE
    result = assess_risk(text, rules.with_classifier(_sure()))
    assert result.severity is HIGH and result.follow_up, (text, result.evidence)


def test_the_classifier_alone_lifting_to_high_asks_the_danger_question(rules: RiskModel) -> None:
    text = "no se como decirlo pero ya no puedo mas con esto"
    assert assess_risk(text, rules).severity is NONE
    result = assess_risk(text, rules.with_classifier(_sure((1.01, 0.5, 0.5))))
    assert result.severity is HIGH and result.follow_up
    # where a rule spoke, nothing changes: the rules' high is lifted, no question added
    spoke = "mi esposo me pega en la cara cuando toma"
    lifted = assess_risk(spoke, rules.with_classifier(_sure((0.5, 0.5, 0.5))))
    assert lifted.severity is IMMINENT and not lifted.follow_up


@pytest.mark.parametrize("text", [*CALM_STORIES, "me duele la cabeza desde ayer"])
def test_training_reads_the_same_guards_as_serving(rules: RiskModel, text: str) -> None:
    """train_risk combines rules_verdict and second_opinion: the served verdict, exactly."""
    model = rules.with_classifier(_sure())
    assert model.classifier is not None
    severity, follow_up, guards = rules_verdict(text, model)
    scores = model.classifier.scores(prepare(text, model)[1])
    combined = second_opinion(severity, follow_up, scores, model.classifier.thresholds, guards)
    served = assess_risk(text, model)
    assert (combined[0], combined[1]) == (served.severity, served.follow_up)


def test_calm_story_in_the_conversation_asks_before_paging_as_imminent(content: Content) -> None:
    chat = Chat(content)
    chat.say(CALM_STORIES[0])
    assert chat.paged is not IMMINENT
