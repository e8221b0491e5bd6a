"""Intent matching: concept tables, places, glued words, the learned model, accuracy guards."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import load_learned_intents
from flows.intents import (
    FALLBACK,
    INTENTS,
    IntentMatcher,
    LinearModel,
    build_intent_matcher,
    intent_json,
    load_intent_model,
    match_intent,
)
from flows.intents.learned import char_wb_ngrams
from flows.places import Directory, build_place_index
from flows.spelling import load_spelling

ROOT = Path(__file__).parents[1]
DATA = Path(__file__).parent / "data"


def content(name: str) -> Any:
    return yaml.safe_load(ROOT.joinpath("content", name).read_text("utf-8"))


@pytest.fixture(scope="module")
def index() -> Any:
    directory = Directory.from_content(
        content("cems.yaml"), content("districts.yaml"), content("landmarks.yaml")
    )
    return build_place_index(directory, load_spelling(content("spelling.yaml")))


@pytest.fixture(scope="module")
def matcher(index: Any) -> IntentMatcher:
    learned = load_learned_intents(ROOT / "content" / "intent_model.json")
    return build_intent_matcher(load_intent_model(content("intents.yaml")), index, learned)


@pytest.fixture(scope="module")
def keywords(index: Any) -> IntentMatcher:
    return build_intent_matcher(load_intent_model(content("intents.yaml")), index)


CONCEPTS = {
    "greeting_menu": ["holaaa", "menu", "wenas wenas", "qué opciones hay", "/start", "👋"],
    "find_cem": ["donde keda el cem", "kiero denunciar en persona", "dondehayuncem", "vivo en sjl"],
    "helplines": ["linea100", "numerodeemergencia", "a que numero llamo", "numero de la policia"],
    "next_episode": ["cuando sale el proximo episodio", "a q hora es el programa", "tema de hoy?"],
    "venues": ["en que mercados suena el programa", "el parlante llega al mercado de caqueta?"],
    "subscribe": ["quiero suscribirme", "avisenme del siguiente programa", "activame las alertas"],
    "unsubscribe": ["ya no quiero recibir alertas", "STOP", "cancelen mis alertas", "BAJA"],
    "talk_to_defensora": ["kiero ablar con una defensora", "me pueden llamar?", "agente humano"],
    "about": ["eres un bot?", "es gratis?", "quien esta detras de esto", "es oficial?"],
    "privacy": ["es confidencial?", "guardan mi numero?", "mi esposo se puede enterar?"],
    "forget_me": ["borra mis datos", "olvídame", "eliminen mi numero de su sistema"],
    "defensora_info": [
        "como puedo ser defensora",
        "quiero ser voluntaria",
        "que hace una defensora",
    ],
    "thanks_bye": ["grasias", "thank you", "ok", "chau chau", "👍"],
    "feelings": ["tengo miedo", "nadie me cree", "me siento muy sola", "estoy agotada"],
    "outside_lima": ["vivo en arequipa", "hay cem en huancayo?", "en piura hay defensoras?"],
    "out_of_scope": ["asdfgh", "tal vez", "", "receta de ceviche", "necesito chamba en sjl"],
}


@pytest.mark.parametrize(
    ("intent", "text"), [(name, text) for name, texts in CONCEPTS.items() for text in texts]
)
def test_concepts(matcher: IntentMatcher, intent: str, text: str) -> None:
    assert match_intent(text, matcher).intent == intent


def test_every_intent_has_a_concept_row() -> None:
    assert set(CONCEPTS) == set(INTENTS)


def test_examples_in_content_match(matcher: IntentMatcher) -> None:
    for name, terms in matcher.model.intents.items():
        for example in terms.examples:
            assert match_intent(example, matcher).intent == name, example


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("quiero borrar mi cuenta de instagram", "out_of_scope"),  # 'delete' about other things
        ("quiero salir del grupo de whatsapp del colegio", "out_of_scope"),  # leaving, not alerts
        ("que es una defensora comunitaria", "defensora_info"),  # 'defensora', no request
        ("los mensajes se borran solos o quedan?", "privacy"),  # a question, never an erasure
        ("recuérdame el próximo episodio", "subscribe"),  # the request beats the topic
        ("ya no me avises mana gracias", "unsubscribe"),  # thanks never outvote a request
    ],
)
def test_tricky_neighbours(matcher: IntentMatcher, text: str, intent: str) -> None:
    assert match_intent(text, matcher).intent == intent


CONFUSION_CLASSES = [
    # a market + the programme coming, playing, being heard -> venues, even when it is a place
    ("cuándo traen el parlante al mercado de zárate", "venues"),
    ("en el mercado de santa anita lo pasan los sabados?", "venues"),
    ("y a mi mercado cuando vienen", "venues"),
    ("which market does it play in on fridays", "venues"),
    ("estoy en el mercado de caqueta, donde denuncio?", "find_cem"),  # a request beats the market
    # stop / no more messages -> unsubscribe, never subscribe
    ("no me mandes ningun recordatorio", "unsubscribe"),
    ("suspendan las alertas por favor", "unsubscribe"),
    ("ya no me envíen avisos del programa", "unsubscribe"),
    ("no more reminders please", "unsubscribe"),
    ("mandenme avisos de los programas", "subscribe"),
    # a person + talk / attend / call -> talk_to_defensora
    ("quisiera hablar con la chica del audio", "talk_to_defensora"),
    ("que me atienda una persona por favor", "talk_to_defensora"),
    ("alguien me puede llamar mas tarde?", "talk_to_defensora"),
    ("can someone call me tonight", "talk_to_defensora"),
    ("pónganme en contacto con una defensora", "talk_to_defensora"),
    # my data / name / messages + passed on, seen -> privacy (a question, never an erasure)
    ("a quien le pasan mis datos?", "privacy"),
    ("mi nombre va a salir en la radio?", "privacy"),
    ("mi suegra puede ver mis mensajes aqui?", "privacy"),
    # the development set of writer N showed these concepts missing
    ("me pueden enviar un avisito cuando empiece?", "subscribe"),  # a send-me verb + a message
    ("escríbanme un recordatorio el viernes", "subscribe"),
    ("no quiero seguir recibiendo esos avisos", "unsubscribe"),  # negation 4 words back
    ("cómo desactivo las alertas", "unsubscribe"),
    ("si mi pareja agarra el celular se da cuenta?", "privacy"),
    ("lo que escribo queda grabado en algún lado?", "privacy"),
    ("eres una maquina o una persona de verdad?", "about"),
    ("qué hacen las defensoras en el barrio?", "defensora_info"),
    ("a las defensoras les pagan?", "defensora_info"),
    ("saludos desde villa el salvador", "greeting_menu"),  # a greeting from a place
    ("qué puedo preguntar por aquí", "greeting_menu"),
    ("me llaman por favor?", "talk_to_defensora"),
    ("extraño mucho a mi mamá que está en cusco", "feelings"),  # feelings, wherever she is
    ("se malogró mi celular, cómo lo arreglo", "out_of_scope"),
    ("qué tiempo hará mañana en lima", "out_of_scope"),
    ("a qué hora juega perú", "out_of_scope"),
    ("no puedo hablar en voz alta, hay chat?", "helplines"),  # 'alta' alone is no sign-up
    ("me da miedo que mi suegra vea esto, lo borran solo?", "privacy"),  # feelings + a question
    ("tengo miedo, cual es el numero de emergencia", "helplines"),
    ("tengo miedo de todo", "feelings"),
]


@pytest.mark.parametrize(("text", "intent"), CONFUSION_CLASSES)
def test_confusion_classes(matcher: IntentMatcher, text: str, intent: str) -> None:
    """The confusions the first final set showed, as concepts in wordings of our own."""
    assert match_intent(text, matcher).intent == intent


def test_place_goes_to_find_cem_unless_something_else_is_asked(matcher: IntentMatcher) -> None:
    m = match_intent("hola buenas, vivo en sjl", matcher)
    assert (m.intent, m.district) == ("find_cem", "San Juan de Lurigancho")
    amb = match_intent("estoy en san juan", matcher)
    assert amb.intent == "find_cem" and amb.district is None and len(amb.candidates) == 2
    venue = match_intent("cuando vienen al mercado de mi barrio en SJL", matcher)
    assert (venue.intent, venue.district) == ("venues", "San Juan de Lurigancho")
    assert match_intent("busco cuarto en alquiler en los olivos", matcher).intent == FALLBACK


def test_forget_me_not_swallowed_by_district(matcher: IntentMatcher) -> None:
    m = match_intent("borra mis datos, soy de comas", matcher)
    assert (m.intent, m.district) == ("forget_me", "Comas")


def test_outside_lima_beats_the_topic(matcher: IntentMatcher) -> None:
    assert match_intent("el programa llega a ica?", matcher).intent == "outside_lima"
    assert match_intent("borra mis datos, vivo en cusco", matcher).intent == "forget_me"


def test_learned_model_is_a_second_opinion(matcher: IntentMatcher, keywords: IntentMatcher) -> None:
    """Keywords alone read 'alooo hay alguien?? buenas' as a request; the model knows greetings."""
    assert match_intent("alooo hay alguien?? buenas", keywords).intent == "talk_to_defensora"
    assert match_intent("alooo hay alguien?? buenas", matcher).intent == "greeting_menu"


def test_char_ngrams_follow_scikit_learn() -> None:
    assert list(char_wb_ngrams("ola ke", 2, 3)) == [
        " o", "ol", "la", "a ", " ol", "ola", "la ", " k", "ke", "e ", " ke", "ke ",
    ]  # fmt: skip
    assert list(char_wb_ngrams("a", 2, 5)) == [" a", "a ", " a "]


def test_learned_model_refuses_bad_shapes() -> None:
    data = json.loads(ROOT.joinpath("content", "intent_model.json").read_text("utf-8"))
    LinearModel.from_json(data)
    broken = {**data, "intercept": data["intercept"][:-1]}
    with pytest.raises(ValueError, match="intercept"):
        LinearModel.from_json(broken)


def test_the_model_read_from_its_text_is_the_one_read_from_json() -> None:
    """`from_text` (the bot's, with a lower start-up peak) reads the very model `from_json`
    does: the same n-grams in the same order, idf, rows and weights to the bit."""
    raw = ROOT.joinpath("content", "intent_model.json").read_text("utf-8")
    lean, plain = LinearModel.from_text(raw), LinearModel.from_json(json.loads(raw))
    assert (
        lean == plain and list(lean.idf) == list(plain.idf) and list(lean.rows) == list(plain.rows)
    )
    assert lean.scaled.tobytes() == plain.scaled.tobytes()
    with pytest.raises(ValueError, match="unknown class"):
        LinearModel.from_text(raw.replace("[[0,", "[[99,", 1))


def test_intent_json(matcher: IntentMatcher) -> None:
    out = intent_json("línea 100", matcher)
    assert out["intent"] == "helplines" and out["intent"] in INTENTS
    assert intent_json("comas", matcher)["district"] == "Comas"


@pytest.mark.parametrize("text", ["x" * 10_000, "🙏" * 3000, "gracias " * 2000, "\u200b\x00"])
def test_hostile_inputs(matcher: IntentMatcher, text: str) -> None:
    assert match_intent(text, matcher).intent in INTENTS


def test_unknown_intent_refused() -> None:
    data = copy.deepcopy(content("intents.yaml"))
    data["intents"]["dance"] = {"strong": ["baila"]}
    with pytest.raises(ValueError, match="dance"):
        load_intent_model(data)


def _rows(name: str) -> list[tuple[str, str]]:
    lines = (DATA / name).read_text("utf-8").splitlines()[1:]
    rows = [line.split("\t") for line in lines if line.strip()]
    return [("out_of_scope" if r[0] == "other" else r[0], r[1]) for r in rows]


@pytest.mark.parametrize(
    ("name", "least"),
    [
        ("intents_dev2.tsv", 0.95),
        ("intents_spent1.tsv", 0.93),
        ("intents_dev3.tsv", 0.95),
        ("intents_dev.tsv", 0.95),
        ("intents_heldout.tsv", 0.95),
        ("intents_probe.tsv", 0.93),
        ("intents_probe2.tsv", 0.93),
        ("intents_probe3.tsv", 0.93),
        ("intents_probe4.tsv", 0.93),
        ("intents_probe5.tsv", 0.93),
        ("intents_probe6.tsv", 0.93),
    ],
)
def test_accuracy_regression_guard(matcher: IntentMatcher, name: str, least: float) -> None:
    """Development sets only (tuned on: a guard against regressions, not a measure)."""
    rows = _rows(name)
    correct = sum(match_intent(text, matcher).intent == label for label, text in rows)
    assert len(rows) >= 40 and correct / len(rows) >= least
