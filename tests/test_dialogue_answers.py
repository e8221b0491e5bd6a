"""The yes/no parser, as a table: what she may answer, and what the bot reads."""

from __future__ import annotations

import pytest

from flows.dialogue.answers import read_answer
from flows.dialogue.words import Reading
from flows.engine import Content

Y, N, LATER, CANT, HERE = Reading.YES, Reading.NO, Reading.LATER, Reading.CANT, Reading.PRESENCE
FINE, HELP, UNSURE, UNKNOWN = Reading.FINE, Reading.HELP, Reading.UNSURE, Reading.UNKNOWN
OK = Reading.OK

TABLE: list[tuple[str, Reading]] = [
    # yes, as people type it
    ("si", Y),
    ("Sí", Y),
    ("SI", Y),
    ("siii", Y),
    ("siiiiii!!", Y),
    ("sii", Y),
    ("sí sí", Y),
    ("si si si", Y),
    ("sip", Y),
    ("claro", Y),
    ("claro que sí", Y),
    ("ok", OK),  # agreed, or only heard: each question decides (test_dialogue_safety)
    ("okey", OK),
    ("dale", Y),
    ("ya", Y),
    ("bueno, sí", Y),
    ("pues si", Y),
    ("sí, es seguro", Y),
    ("es seguro", Y),
    ("si pueden escribirme", Y),
    ("1", Y),
    ("yes", Y),
    ("yeah", Y),
    ("👍", Y),
    ("👍🏽", Y),
    ("👌", Y),
    ("✅", Y),
    ("creo que sí", Y),
    ("claro q si", Y),
    ("k si", Y),
    ("bueno", OK),
    ("está bien", Y),
    ("ta bn", Y),
    ("ahora sí", Y),
    ("ok gracias", OK),
    ("ok, sí", Y),
    ("ok no", N),
    ("supongo que no", N),  # a hedge before a no: still a no
    ("probablemente no", N),
    ("probably not", N),
    # no
    ("no", N),
    ("NO", N),
    ("noo", N),
    ("nooooo", N),
    ("nop", N),
    ("nope", N),
    ("nel", N),
    ("no.", N),
    ("no no", N),
    ("no es seguro", N),
    ("ya no", N),
    ("para nada", N),
    ("2", N),
    ("👎", N),
    ("❌", N),
    ("no 👎", N),
    ("nah", N),
    ("creo que no", N),
    ("seguro que no", N),
    ("mmm no", N),
    ("no gracias", N),
    ("q no", N),
    # not now
    ("no, ahora no", LATER),
    ("ahora no", LATER),
    ("ahorita no", LATER),
    ("después", LATER),
    ("despues te escribo", LATER),
    ("luego", LATER),
    ("más tarde", LATER),
    ("todavía no", LATER),
    ("not now", LATER),
    ("later", LATER),
    # cannot talk
    ("no puedo", CANT),
    ("no puedo hablar", CANT),
    ("ahora no puedo hablar", CANT),
    ("no me deja", CANT),
    ("can't", CANT),
    # he is here (itself an emergency)
    ("está aquí", HERE),
    ("esta aqui", HERE),
    ("no, está aquí", HERE),
    ("sí, pero está al lado", HERE),
    ("está al lado", HERE),
    ("él lee mi celular", HERE),
    ("el revisa mi celular", HERE),
    ("ya llegó", HERE),
    ("he is here", HERE),
    ("he's here", HERE),
    ("no puedo, está en la casa", HERE),
    ("ahorita no, está en casa", HERE),
    ("mi esposo está aquí", HERE),
    ("está durmiendo al lado", HERE),
    # safe at the moment
    ("estoy bien", FINE),
    ("no, estoy bien", FINE),
    ("sí, estoy bien", FINE),
    ("estoy sola", FINE),
    ("ya estoy bien", FINE),
    ("I'm fine", FINE),
    ("ya se fue", FINE),  # he left: not 'ya' (yes) to "are you in danger now?"
    ("se fue", FINE),
    ("no hay nadie", FINE),
    ("no está aquí", FINE),
    ("estoy sola en casa", FINE),
    # asks for help rather than answering
    ("ayuda", HELP),
    ("tengo miedo", HELP),
    ("no estoy bien", HELP),
    ("help", HELP),
    # unsure
    ("no sé", UNSURE),
    ("nose", UNSURE),
    ("no estoy segura", UNSURE),
    ("tal vez", UNSURE),
    ("más o menos", UNSURE),
    ("not sure", UNSURE),
    # not an answer
    ("", UNKNOWN),
    ("dónde queda el cem de comas", UNKNOWN),
    ("cuando es el programa", UNKNOWN),
    ("😀", UNKNOWN),
    (
        "no sé si contarte todo lo que pasó ayer en la casa con mis hermanos y mi mamá",
        UNKNOWN,
    ),
]


def test_the_table_is_big_enough_and_has_no_duplicate() -> None:
    answers = [answer for answer, _ in TABLE]
    assert len(answers) >= 60
    assert len(set(answers)) == len(answers)


@pytest.mark.parametrize(("answer", "reading"), TABLE, ids=[a or "(empty)" for a, _ in TABLE])
def test_natural_answer_is_read(content: Content, answer: str, reading: Reading) -> None:
    assert read_answer(answer, content.words) is reading


# ------------------------------------------- the conditional 'si' ('if') is not the yes 'si'

CONDITIONALS = [
    "si lo denuncio me mata",
    "si me ve con el celular me pega",
    "si se entera que te escribo me mata",
    "SI LO DENUNCIO ME MATA",
    "si lo dejo me mata",
    "si me voy me busca",
    "si él se entera",
    "si me ve",
    "si no le hago caso me pega",
    "si mi esposo ve esto me mata",
    "bueno, si lo denuncio me mata",
    "claro que si me ve me mata",
    "si si me ve me mata",
    "si llego tarde me pega",
    "si me borras me muero",
    "si me das de baja me muero",
    "si willakuptiyqa wañuchiwanqa",
    "if he finds out he will kill me",
]
STILL_YES = [
    "si claro",
    "si, pueden escribirme",
    "si me pueden escribir",
    "si por favor",
    "si gracias",
    "si porfa",
    "si señorita",
    "si pe",
    "si aqui nomas",
    "si pueden escribirme por aqui",
    "si quieres escríbeme",
    "si si",
    "siii claro",
    "si ok",
    "si, está bien",
    "si quiero los recordatorios",
    "si borra todo",
    "si please",
    "sí lo denuncio me mata",  # with its accent 'sí' is always a yes (the risk is read apart)
    "Sí me ve",
    "si, si me ve me mata",  # a yes, then a condition in its own clause
    "si pero solo en la noche",  # a yes, hedged: see the guarded table
]


@pytest.mark.parametrize("answer", CONDITIONALS)
def test_a_conditional_si_is_not_a_yes(content: Content, answer: str) -> None:
    assert read_answer(answer, content.words) is not Y
    assert read_answer(answer, content.words, guarded=True) is not Y


@pytest.mark.parametrize("answer", STILL_YES)
def test_a_si_that_goes_on_saying_yes_is_still_a_yes(content: Content, answer: str) -> None:
    assert read_answer(answer, content.words) is Y


@pytest.mark.parametrize("answer", ["si estoy sola", "si ahorita estoy sola", "si ya se fue"])
def test_a_si_before_she_is_safe_is_still_safe(content: Content, answer: str) -> None:
    assert read_answer(answer, content.words) is FINE


@pytest.mark.parametrize(
    ("answer", "open_reading", "guarded_reading"),
    [("sí, pero si me ve me mata", Y, UNSURE),
     ("si pero solo en la noche", Y, UNSURE),
     ("si, si me ve me mata", Y, UNSURE),
     ("yes if he is out", Y, UNSURE),
     ("sí, pero ¿se borra todo?", Y, UNSURE),
     ("no, si me ve me mata", UNSURE, UNSURE),
     ("estoy sola, si llega te aviso", UNSURE, UNSURE),
     ("sí", Y, Y),
     ("si claro", Y, Y),
     ("si, pueden escribirme", Y, Y),
     ("1", Y, Y),
     ("no", N, N)],
)  # fmt: skip
def test_a_hedged_yes_is_unsure_where_a_wrong_yes_costs_her(
    content: Content, answer: str, open_reading: Reading, guarded_reading: Reading
) -> None:
    """Guarded (is it safe to write here, erase, unsubscribe): 'sí, pero...' or a yes with a
    condition is unsure. To "are you in danger now?" it stays a yes (paged as imminent)."""
    assert read_answer(answer, content.words) is open_reading
    assert read_answer(answer, content.words, guarded=True) is guarded_reading
