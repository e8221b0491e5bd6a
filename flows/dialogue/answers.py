"""Read a natural answer to a yes/no question: 'siii', 'nop', 'no, ahora no', 'está aquí', 👍.

Pure and question-agnostic: `read_answer` says what the words mean; the safety and confirmation
flows decide what that reading means for the question they asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flows.dialogue.words import Phrase, Reading, Words, key_of

_SKIN_AND_VARIATION = frozenset(
    {"\ufe0f", "\ufe0e", "\U0001f3fb", "\U0001f3fc", "\U0001f3fd", "\U0001f3fe", "\U0001f3ff"}
)
_CLAUSE = re.compile(r"[,.;:!?¿¡\n]+")
_SI = "si"
_ACCENTED_SI = re.compile(r"[íÍ]|i\u0301|I\u0301")
"""'sí' typed with its accent (composed or not): always a yes, never the conditional 'si'."""
_ANYWHERE = (Reading.CANT, Reading.UNSURE, Reading.LATER)
"""Readings whose phrases count wherever they sit in a short answer, in this order."""


def read_answer(text: str, words: Words, *, guarded: bool = False) -> Reading:
    """What a short reply means; PRESENCE wins over everything (it is itself an emergency).
    A no or 'estoy bien' followed by 'pero' ('ya se fue pero va a volver') or by a condition
    ('no, si me ve me mata') is unsure. guarded: the question is one a wrong yes costs her (is
    it safe to write to her here, erase, unsubscribe): a yes so hedged is unsure too ('sí, pero
    si me ve me mata', 'yes if he is out'), and so is a guess ('creo que sí', 'i guess so') or a
    yes taken back ('sí, mejor no', 'ok no borres'); a no before good news stays a no ('no,
    estoy bien', 'no im fine'); to "are you in danger now?" it stays a yes. A long reply is read
    by its first clause only when that clause is itself a doubt ('no lo sé... él no me pega pero
    me grita') or, not guarded, a yes: a long story never consents."""
    clauses, accented = _clauses(text)
    reading = _read(text, clauses, accented, words)
    tokens = [token for clause in clauses for token in clause]
    if reading is Reading.UNKNOWN and len(tokens) > words.max_words:
        reading = _opening(clauses, words, guarded=guarded)
    hedged = {Reading.NO, Reading.FINE, *((Reading.YES, Reading.OK) if guarded else ())}
    if reading in hedged:
        if any(token in words.contrast for token in tokens[1:]):
            return Reading.UNSURE
        if any(_opens_condition(clauses, accented, spot, words) for spot in _spots(clauses)):
            return Reading.UNSURE
        if guarded and reading is not Reading.NO and not words.hedges.isdisjoint(tokens):
            return Reading.UNSURE  # 'creo que sí', 'creo que ya se fue': a guess
        if guarded and reading is Reading.YES and _runs_on(clauses, accented, words):
            return Reading.UNKNOWN  # 'ya va a llegar', 'ya me voy': no answer
        if guarded and reading in {Reading.YES, Reading.OK} and _then_no(clauses, words):
            return Reading.UNSURE  # 'sí, mejor no', 'ok no borres'
        if guarded and reading is Reading.FINE and _leads_with_no(tokens, words):
            return Reading.NO  # 'no, estoy bien', 'no im fine': her no to the question stands
    return reading


def _runs_on(
    clauses: Sequence[Sequence[str]], accented: frozenset[tuple[int, int]], words: Words
) -> bool:
    """The yes opening the answer runs on, in its clause, into words that do not go on saying
    yes, as the conditional 'si' does: 'ya va a llegar', 'ya me voy', 'va a volver', 'pueden
    llevar el parlante a mi mercado'; not 'ya, me voy' nor a 'sí' typed with its accent."""
    spots = _spots(clauses)
    tokens = [clauses[n][i] for n, i in spots]
    at = _skip(tokens, 0, words.fillers | words.hedges)
    found = _answer_at(tokens, at, words)
    if found is None or accented.intersection(spots[at : at + found[0]]):
        return False
    n, i = spots[at + found[0] - 1]
    return not _goes_on_saying_yes(clauses[n][i + 1 :], words)


def _then_no(clauses: Sequence[Sequence[str]], words: Words) -> bool:
    """A no that opens a clause, or follows the yes or ok opening it (fillers aside), and that
    no longer yes, 'fine' or after_si phrase holds: 'sí, mejor no', 'ok no borres', 'yes, not
    at night'; not 'sí, no me llamen', 'sí, no hay nadie', 'si, el no sabe usar whatsapp'."""
    kept = (*words.phrases[Reading.YES], *words.phrases[Reading.FINE], *words.after_si)
    for clause in clauses:
        at = _skip(clause, 0, words.fillers)
        found = _answer_at(clause, at, words)
        if found is not None and found[1] is not Reading.NO:
            at = _skip(clause, at + found[0], words.fillers)
        if _longest(clause, at, words.phrases[Reading.NO]) > _longest(clause, at, kept):
            return True
    return False


def _leads_with_no(tokens: Sequence[str], words: Words) -> bool:
    """The answer opens, fillers aside, with a no that is not the start of a 'fine' phrase:
    'no, estoy bien', 'no ya se fue', 'no im fine'; not 'no está', 'ya no hay nadie'."""
    at = _skip(tokens, 0, words.fillers)
    found = _answer_at(tokens, at, words)
    if found is None or found[1] is not Reading.NO:
        return False
    fine = words.phrases[Reading.FINE]
    return not any(_longest(tokens, start, fine) for start in range(at, at + found[0]))


def _longest(tokens: Sequence[str], at: int, phrases: Sequence[Phrase]) -> int:
    """The length of the longest of the phrases that starts at `at`; 0 when none does."""
    return max((len(p) for p in phrases if tuple(tokens[at : at + len(p)]) == p), default=0)


def _opening(clauses: Sequence[Sequence[str]], words: Words, *, guarded: bool) -> Reading:
    """A long reply whose first clause is, fillers aside, only a doubt ('no lo sé... él no me
    pega pero me grita y rompe cosas': unsure) or, where a wrong yes costs her nothing, only a
    yes ('sí, dice que me va a matar a mí y a mis hijos'); anything else is no answer."""
    first = next((clause for clause in clauses if clause), ())
    said = tuple(first[_skip(first, 0, words.fillers) :])
    allowed = (Reading.UNSURE,) if guarded else (Reading.UNSURE, Reading.YES)
    return next((r for r in allowed if said in words.phrases[r]), Reading.UNKNOWN)


def _read(
    text: str,
    clauses: Sequence[Sequence[str]],
    accented: frozenset[tuple[int, int]],
    words: Words,
) -> Reading:
    tokens = [token for clause in clauses for token in clause]
    emoji = _emoji_reading(text, words)
    if not tokens:
        return emoji or Reading.UNKNOWN
    presence = _presence(clauses, words)
    if presence is Reading.PRESENCE:
        return presence
    if len(tokens) > words.max_words:
        return Reading.UNKNOWN
    for reading in _ANYWHERE:
        if any(_said(tokens, p, words) for p in words.phrases[reading]):
            return reading
    fine = _fine(clauses, words) or presence
    if fine is not None:
        return fine
    lead = None if _asks(text, clauses, words) else _leading(clauses, accented, words)
    if lead is not None:
        return lead
    if any(_starts(tokens, p) for p in words.phrases[Reading.HELP]):
        return Reading.HELP
    return emoji or Reading.UNKNOWN


def _clauses(text: str) -> tuple[list[list[str]], frozenset[tuple[int, int]]]:
    """The answer's clauses as compared words, and where (clause, word) a 'sí' kept its accent.
    Keyed piece by piece: the same words as keying the whole clause (no step looks across
    white space), but each still knows how it was typed."""
    clauses: list[list[str]] = []
    accented: set[tuple[int, int]] = set()
    for part in _CLAUSE.split(text):
        clause: list[str] = []
        for piece in part.split():
            keys = key_of(piece).split()
            if keys == [_SI] and _ACCENTED_SI.search(piece):
                accented.add((len(clauses), len(clause)))
            clause += keys
        clauses.append(clause)
    return clauses, frozenset(accented)


def _asks(text: str, clauses: Sequence[Sequence[str]], words: Words) -> bool:
    """A question whose first clause is more than a yes or a no ('no tengo papeles, me atienden
    igual?' asks, it does not answer no); '¿sí?', 'no?' and 'sí, ¿me llaman?' still answer."""
    first = tuple(next((clause for clause in clauses if clause), ()))
    answers = (*words.phrases[Reading.YES], *words.phrases[Reading.NO])
    return "?" in text and len(first) > 1 and first not in answers


def _emoji_reading(text: str, words: Words) -> Reading | None:
    bare = "".join(ch for ch in text if ch not in _SKIN_AND_VARIATION)
    if any(e in bare for e in words.no_emoji):
        return Reading.NO
    if any(e in bare for e in words.yes_emoji):
        return Reading.YES
    return None


def _starts(tokens: Sequence[str], phrase: Phrase) -> list[int]:
    """Every index where the phrase's words follow each other in the answer."""
    n = len(phrase)
    return [i for i in range(len(tokens) - n + 1) if tuple(tokens[i : i + n]) == phrase]


def _said(tokens: Sequence[str], phrase: Phrase, words: Words) -> bool:
    """The phrase stands in the answer, and not as the start of a longer 'fine' or presence
    phrase that its last word opens: 'ahorita no está' is 'no está' (he is not here), not
    'ahorita no' (later)."""
    longer = (*words.phrases[Reading.FINE], *words.phrases[Reading.PRESENCE])
    n = len(phrase)
    return any(
        not any(
            tuple(tokens[at + k : at + k + len(other)]) == other
            for k in range(1, n)
            for other in longer
            if k + len(other) > n
        )
        for at in _starts(tokens, phrase)
    )


def _denied(clause: Sequence[str], at: int, phrase: Phrase, words: Words) -> bool:
    """A negator stands right before the phrase and denies it ('no está aquí'); not 'no, está
    aquí', nor a 'no' before a phrase that English or 'ya' opens ('no he is here', 'no ya
    llegó', 'no im fine': that 'no' answers the question)."""
    return at > 0 and clause[at - 1] in words.negators and phrase[0] not in words.undenied


def _hits(clauses: Sequence[Sequence[str]], phrases: Sequence[Phrase], words: Words) -> list[bool]:
    """One entry per phrase found: whether it is denied in its clause."""
    return [
        _denied(clause, at, phrase, words)
        for clause in clauses
        for phrase in phrases
        for at in _starts(clause, phrase)
    ]


def _presence(clauses: Sequence[Sequence[str]], words: Words) -> Reading | None:
    """PRESENCE for 'está aquí', 'ya llegó'; FINE when the one who is there is someone she
    names as company ('mi mamá está aquí', 'ya llegó la policía'); None when absent or negated."""
    found = None
    for clause in clauses:
        for phrase in words.phrases[Reading.PRESENCE]:
            for at in _starts(clause, phrase):
                if _denied(clause, at, phrase, words):
                    continue
                named = {clause[at - 1]} if at > 0 else set()
                named.update(clause[at + len(phrase) : at + len(phrase) + 2])
                if named.isdisjoint(words.company):
                    return Reading.PRESENCE
                found = Reading.FINE
    return found


def _fine(clauses: Sequence[Sequence[str]], words: Words) -> Reading | None:
    """'estoy bien' is FINE; 'no estoy bien' asks for help."""
    hits = _hits(clauses, words.phrases[Reading.FINE], words)
    if not hits:
        return None
    return Reading.HELP if all(hits) else Reading.FINE


def _spots(clauses: Sequence[Sequence[str]]) -> list[tuple[int, int]]:
    """(clause, word) of every word, in reading order."""
    return [(n, i) for n, clause in enumerate(clauses) for i in range(len(clause))]


def _opens_condition(
    clauses: Sequence[Sequence[str]],
    accented: frozenset[tuple[int, int]],
    spot: tuple[int, int],
    words: Words,
) -> bool:
    """Is the word at spot an unaccented 'si' that is the conditional 'if': more words follow
    it in its clause and they do not all go on saying yes ('si lo denuncio me mata'; not 'si
    claro', 'si me pueden escribir', 'si estoy sola')?"""
    n, i = spot
    if clauses[n][i] != _SI or spot in accented:
        return False
    return not _goes_on_saying_yes(clauses[n][i + 1 :], words)


def _leading(
    clauses: Sequence[Sequence[str]], accented: frozenset[tuple[int, int]], words: Words
) -> Reading | None:
    """A yes, a no or an ok at the start of the answer, after fillers and hedges ('bueno, sí',
    'creo q no'); longest phrase. An ok or a hedge alone ('supongo') followed by a yes or a no
    is that ('ok, sí', 'supongo que no', 'probably not'). A yes whose unaccented 'si' opens a
    condition ('si lo denuncio me mata', 'claro que si me ve me mata') is no answer."""
    spots = _spots(clauses)
    tokens = [clauses[n][i] for n, i in spots]
    skipped = words.fillers | words.hedges
    at = _skip(tokens, 0, words.fillers)
    if at == len(tokens):  # only fillers: 'bueno' alone is itself the answer
        at = 0
    found = _answer_at(tokens, at, words)
    if found is None:  # 'creo q sí': past the hedge
        at = _skip(tokens, at, skipped)
        found = _answer_at(tokens, at, words)
    if found is not None and (
        found[1] is Reading.OK or words.hedges.issuperset(tokens[at : at + found[0]])
    ):  # 'ok, sí', 'supongo que no': what follows says it
        then = _skip(tokens, at + found[0], skipped)
        more = _answer_at(tokens, then, words)
        if more is not None and _all_of(tokens[then:], more, words):
            at, found = then, more
    if found is None:
        return None
    length, reading = found
    if reading is Reading.YES and any(
        _opens_condition(clauses, accented, spot, words) for spot in spots[at : at + length]
    ):
        return None
    return reading


def _all_of(rest: Sequence[str], found: tuple[int, Reading], words: Words) -> bool:
    """Whether the yes or no found at the start of `rest` is all that is left of the answer
    (a yes may go on saying yes): 'ok, sí, gracias', 'ok no'; not 'ok mana ya' ('mana' there
    is 'hermana')."""
    length, reading = found
    if reading is Reading.YES:
        return _goes_on_saying_yes(rest[length:], words)
    return reading is Reading.NO and length == len(rest)


def _skip(tokens: Sequence[str], at: int, skipped: frozenset[str]) -> int:
    while at < len(tokens) and tokens[at] in skipped:
        at += 1
    return at


def _answer_at(tokens: Sequence[str], at: int, words: Words) -> tuple[int, Reading] | None:
    """The longest yes, no or ok phrase starting at `at`, with its length."""
    best: tuple[int, Reading] | None = None
    for reading in (Reading.YES, Reading.NO, Reading.OK):
        for phrase in words.phrases[reading]:
            if tuple(tokens[at : at + len(phrase)]) == phrase and (
                best is None or len(phrase) > best[0]
            ):
                best = (len(phrase), reading)
    return best


def _goes_on_saying_yes(rest: Sequence[str], words: Words) -> bool:
    """Whether the words after a 'si' are all (left to right, longest first) yes words, words
    that keep a yes (words.after_si), fillers, an ok or a 'fine' phrase: 'claro', 'por favor',
    'mejor por acá', 'estoy sola'; up to a 'pero' ('si pero solo de noche' is a yes, hedged:
    read_answer says what that is)."""
    kept = (
        *words.phrases[Reading.YES],
        *words.phrases[Reading.OK],
        *words.phrases[Reading.FINE],
        *words.after_si,
        *((filler,) for filler in words.fillers),
    )
    at = 0
    while at < len(rest) and rest[at] not in words.contrast:
        n = _longest(rest, at, kept)
        if n == 0:
            return False
        at += n
    return True
