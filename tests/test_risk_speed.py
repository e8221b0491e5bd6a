"""Shortcuts taken for speed change nothing the assessor reads or decides.

Each shortcut skips work only where it provably finds nothing; these tests put the text where
the shortcut must not skip (an emoji after a long accented testimony, the lowest emoji of the
lexicon, astral characters that are no emoji) and compare with the plain path.
"""

from __future__ import annotations

import dataclasses
import re
from unicodedata import normalize

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.risk_report import DEV, DEV2, load_model, load_rows
from benchmarks.risk_verdicts import differences, verdicts
from flows.risk import RiskModel
from flows.risk.assess import _found, _Frames, _read
from flows.risk.assess import _spans as _spans_of
from flows.risk.memo import WordMemo
from flows.risk.model import _CONTEXTS, _Index
from flows.risk.phrases import _CLITICS, prefix_free
from flows.risk.prepare import (
    _SENTENCE_RUN,
    _SENTENCE_WORD,
    _SENTENCES,
    GLUED_WORD,
    SENTENCE,
    TextIndex,
    _mark_sentences,
    index,
    prefixes,
    prepare,
    read,
)
from flows.spelling import key
from flows.text import MAX_TEXT_CHARS, drop_invisible, fold, fold_visible, is_latin1

TESTIMONY = "Señora, le cuento lo que pasó ayer en la casa de mi mamá con él. " * 12


@pytest.fixture(scope="module")
def model() -> RiskModel:
    return load_model()


@pytest.mark.parametrize(
    "text",
    [
        TESTIMONY + "🔫",
        TESTIMONY + "⚰ me dijo",  # the lowest first character of the lexicon's emoji
        "ya viene 🔪🔪 está aquí",
        "𝓂𝑒 𝓅𝑒𝑔𝑜 🙏 ✨ ♥",  # astral and symbol characters that are no emoji of the lexicon
        TESTIMONY,
        "ayuda por favor",
    ],
)
def test_emoji_shortcut_reads_as_the_plain_path(model: RiskModel, text: str) -> None:
    plain = dataclasses.replace(model, emoji_start=None)
    assert prepare(text, model) == prepare(text, plain)


def test_emoji_after_a_long_testimony_is_read(model: RiskModel) -> None:
    assert prepare(TESTIMONY + "🔫", model)[1].endswith("pistola")
    assert "muerte" in prepare(TESTIMONY + "⚰ me dijo", model)[1]


def test_verdicts_compare_finds_a_changed_row(model: RiskModel) -> None:
    saved = verdicts(model)
    assert saved and differences(saved, verdicts(model)) == []  # the assessor is deterministic
    changed = [dict(r) for r in saved]
    changed[3]["severity"] = "imminent" if changed[3]["severity"] != "imminent" else "none"
    assert len(differences(saved, changed)) == 1
    assert len(differences(saved, saved[:-1])) == 1


def test_prefix_free_starts_find_the_same_words() -> None:
    assert prefix_free(frozenset({"me", "mes", "mesa", "la", "a", "ami"})) == {"me", "la", "a"}
    assert prefix_free(None) is None
    keyed = "me mesa ami a la mama # amenasa mematar lamento"
    words = index(keyed)
    for first in (frozenset({"me", "mes", "mesa"}), frozenset({"a", "am", "la", "lam", "mam"})):
        every = sorted(
            pos
            for pos, word in ((m.start(), m.group()) for m in re.finditer(r"\w+", keyed))
            if word.startswith(tuple(first))
        )
        assert words._positions(prefix_free(first) or frozenset()) == every


_WORDS = st.sampled_from(
    [
        "me",
        "mequiere",
        "ll",
        "hh",
        "chh",
        "que",
        "quiero",
        "cielo",
        "cecina",
        "zz",
        "vv",
        "h",
        "nosmata",
        "lamento",
        "mematarasinoteiscallada",
        "ahorita",
        "q",
        "xq",
        "#",
        "~~",
        "a1",
    ]
)
_LETTERS = st.text(alphabet="abcehilqrsuvz0#~", min_size=1, max_size=14)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_WORDS, _LETTERS), max_size=30))
def test_word_memo_reads_as_the_whole_text(model: RiskModel, words: list[str]) -> None:
    """Key spelling and word starts remembered word by word are those of the whole text
    (no key step looks past a space; a word's starts depend on that word alone)."""
    text = " ".join(words)
    shown = fold(text).split()
    whole = key(" ".join([model.spelling.get(w, w) for w in shown]))
    assert prepare(text, model) == (shown, whole)  # new words (the memo is the module's)
    assert prepare(text, model) == (shown, whole)  # remembered
    distinct = set(whole.split())
    glued = {
        w[3:] if w.startswith("nos") else w[2:]
        for w in distinct
        if len(w) > 4 and w.startswith(_CLITICS)
    }
    glued |= {w[i:] for w in distinct if len(w) >= GLUED_WORD for i in range(3, len(w) - 3)}
    every = distinct | glued
    expected = {w[:n] for w in every for n in (1, 2, 3, 4, 5)}
    assert prefixes(distinct) == expected
    assert index(whole, model.memo).prefixes == expected
    assert index(whole, model.memo).prefixes == expected  # remembered


_TRICKY = st.sampled_from(
    [
        " ",
        "\u00a0",  # no-break space (white space for split(), a symbol for the fold)
        "\u2028",
        "\x1c",
        "\x85",
        "\u3000",
        "\u00a8",  # diaeresis: NFKD makes it a space and a combining mark
        "\u0301",
        "Σ",  # lower() looks at its neighbours (final sigma)
        "ΑΣ",
        "İ",
        "ß",
        "ﬁ",
        "Ａ",
        "aaa",
        "AAA",
        "__",
        "¡",
        "ñ",
        "é",
        "😂",
        "'",
        ".",
        "-",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_TRICKY, st.text(max_size=6)), max_size=20))
def test_fold_piece_by_piece_is_the_fold_of_the_whole(parts: list[str]) -> None:
    """prepare() folds each white-space piece alone (and remembers it): fold must look at no
    character across white space."""
    text = drop_invisible("".join(parts))
    pieces = [w for piece in text.split() for w in fold_visible(piece).split()]
    assert " ".join(pieces) == fold_visible(text) == fold(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            _TRICKY,
            st.sampled_from(["\u200b", "\ufe0f", "\u3164", "?\u0301", "\n"]),
            st.text(max_size=6),
        ),
        max_size=20,
    )
)
def test_sentence_marks_keep_a_text_without_invisible_characters(parts: list[str]) -> None:
    """prepare() no longer drops invisible characters a second time after putting sentence
    words in place of sentence marks (unless emoji became words): it would change nothing."""
    text = drop_invisible("".join(parts))
    marked = _SENTENCES.sub(_SENTENCE_WORD, text)
    assert drop_invisible(marked) == marked


_ANSWERS = re.compile(r"[.!?;¡¿\n\r]+|(?i:(?:(?<=\Wno)|(?<=^no))\s*[,:])")
"""Sentence marks as first written: the answer's 'no,' after a non-word character or at the
start (its lookbehinds cost every character of the text)."""


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["no", "No", "NO", "nO", "ño", "ono", "_no", "1no", ",", ":", " ", "\n", "\r"]
            ),
            st.sampled_from([".", "!", "¿", "\t", "\u2003", "a", "é", "x"]),
            st.text(alphabet="noNO ,:.\n\r\tx", max_size=5),
        ),
        max_size=25,
    )
)
def test_sentence_marks_are_those_of_the_first_regex(parts: list[str]) -> None:
    """The sentence marks found in one fast scan where no 'no,' can be, and by a cheaper
    regex elsewhere, are those of the regex first written."""
    text = "".join(parts)
    assert _mark_sentences(text) == _SENTENCES.sub(_SENTENCE_WORD, text)
    assert _mark_sentences(text) == _ANSWERS.sub(_SENTENCE_WORD, text)


def _plain_prepare(text: str, model: RiskModel) -> tuple[list[str], str]:
    """prepare() without memos or shortcuts: fold the whole text, key each word."""
    text = drop_invisible(text[:MAX_TEXT_CHARS])
    if model.emoji is not None:
        text = model.emoji.sub(lambda m: model.emoji_words[m.group()], text)
    text = drop_invisible(_SENTENCES.sub(_SENTENCE_WORD, text)[:MAX_TEXT_CHARS])
    folded = _SENTENCE_RUN.sub(SENTENCE, fold_visible(text)).strip(f" {SENTENCE}")
    shown = folded.split()
    return shown, " ".join(key(model.spelling.get(w, w)) for w in shown)


_PIECES = st.lists(
    st.sampled_from(
        [
            " ",
            ". ",
            "¿",
            "!!",
            "\n",
            "0sentence0",
            "x0sentence0",
            "0sentence0b",
            "ce",
            "x",
            "casa",
            "llama",
            "q",
            "xq",
            "😂",
            "🔪",
            "é",
            "Ａ",
            "\u200b",
            "#",
            " mequiere nosmata ",
            " mematarasinoteiscallada ",
            TESTIMONY,
            "\r\n",
            " \n ",
            "\r",
            "?!",
            "no, ",
            "No :",
            "no\n,",
            "ano,",
            "¿?" * 150,
            "a." * 300,
        ]
    ),
    max_size=25,
)
"""Texts of sentence marks (runs across line breaks, an answer's 'no,', so many that sentence
words would pass the length cut), sentence words (alone, inside words), emoji, clitics, glued
words and long testimonies (matched sentence by sentence)."""


@settings(max_examples=400, deadline=None)
@given(_PIECES)
def test_pieces_read_once_are_the_plain_reading(model: RiskModel, parts: list[str]) -> None:
    """Each piece's folded words and keys are remembered together; sentence words are found
    in the folded and the key text alike (and word by word where one hides inside a word)."""
    text = "".join(parts)
    assert prepare(text, model) == _plain_prepare(text, model)
    assert prepare(text, model) == _plain_prepare(text, model)  # remembered


def test_answer_and_many_marks_are_cut_as_the_plain_reading(model: RiskModel) -> None:
    """An answer's 'no :' where the other marks alone would fit: its sentence words may pass
    the length cut too (found by the property test below)."""
    text = "No :" + "a." * 300 + " " + "casa " * 18  # 695 characters, 4,005 once marked
    assert prepare(text, model) == _plain_prepare(text, model)


@settings(max_examples=400, deadline=None)
@given(_PIECES)
def test_word_starts_remembered_with_pieces_are_the_key_texts(
    model: RiskModel, parts: list[str]
) -> None:
    """read() takes the word starts from each piece's memo: those index() finds in its key
    text without a memo (the sentences' '#' too), and the same folded words and key text."""
    text = "".join(parts)
    for _ in range(2):  # new pieces, then remembered
        shown, words = read(text, model)
        assert (shown, words.keyed) == _plain_prepare(text, model)
        plain = index(words.keyed)
        assert (words.prefixes, words.ends, words.chunks) == (
            plain.prefixes,
            plain.ends,
            plain.chunks,
        )
    pieces = model.memo.folds.values()
    assert not any(" " in k or SENTENCE in k for p in pieces for k in p[1::3])  # one word each


def test_candidate_alone_is_membership_of_the_candidate_set(model: RiskModel) -> None:
    """One pattern's anchor check is membership of the whole text's candidate set."""
    rows = [row.text for path in (DEV, DEV2) for row in load_rows(path)]
    assert model.concepts is not None
    for text in [*rows[::7], TESTIMONY, "mequieren matar ya", "x"]:
        words = index(prepare(text, model)[1], model.memo)
        for idx in (model.rule_index, model.false_friend_index, model.concepts):
            every = idx.candidate_set(words.prefixes)
            assert {
                i for i in range(len(idx.patterns)) if idx.candidate(i, words.prefixes)
            } == every


def _plain_sweep(words: TextIndex, idx: _Index, text: str) -> dict[int, list[tuple[int, int]]]:
    """Every candidate pattern tried at every word start its first words allow."""
    found = {}
    for i in sorted(idx.candidate_set(words.prefixes)):
        spans = [m.span() for m in words.scan(idx.patterns[i], idx.starts[i], text)]
        if spans:
            found[i] = spans
    return found


def _spans(found: dict[int, list[re.Match[str]]]) -> dict[int, list[tuple[int, int]]]:
    return {i: [m.span() for m in ms] for i, ms in found.items()}


def _check_openings(model: RiskModel, text: str) -> None:
    """Patterns looked for after their openings find what they find at every word start."""
    keyed = prepare(text, model)[1]
    words = index(keyed, WordMemo())
    blanked = keyed.replace("me mata", "~~~~~~~")  # blanked text: spans of '~' (spaces too)
    # Blanks that cut an opening ('me ma~~') or end in a space before a word ('~~~mata'): the
    # places found in the key text serve it too (TextIndex.places).
    cut = re.sub(r"(?<=me ma)\w+|\b(?:la|me|no) ", lambda m: "~" * len(m.group()), keyed)
    assert model.concepts is not None
    for idx in (model.rule_index, model.false_friend_index, model.concepts):
        for text_ in (keyed, blanked, cut):
            assert _spans(words.sweep(idx, text_)) == _plain_sweep(words, idx, text_)
    matchers = [getattr(model, name) for name in _CONTEXTS]
    matchers += [m for g in model.guards for m in (g.cue, g.unless)]
    matchers += model.false_friend_unless
    assert sum(m is not None and m.opening is model.rule_index.opening for m in matchers) > 20
    for matcher in matchers:
        if matcher is not None:
            for text_ in (keyed, blanked, cut):
                plain = words.scan(matcher.pattern, matcher.starts, text_)
                assert [m.span() for m in words.look(matcher, text_)] == [m.span() for m in plain]


def test_openings_find_what_every_word_start_finds(model: RiskModel) -> None:
    rows = [row.text for path in (DEV, DEV2) for row in load_rows(path)]
    for text in [*rows[::5], TESTIMONY, "mequieren matar ya", "me mata # la mata ~ memata", ""]:
        _check_openings(model, text)


_PHRASE_TEXT = (
    "me la le nos te mi mata matar pega pegó golpea quiere amenaza amenazó cuchillo pistola "
    "ahorita ya no si mi esposo ex pareja hija mamá casa viene está aquí puerta ayuda # ~ x "
    "ahorca asfixia encerró dinero celular mequiere lamata nosmata ami"
)
_PHRASE_WORDS = st.sampled_from(_PHRASE_TEXT.split())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_PHRASE_WORDS, _LETTERS), max_size=40))
def test_openings_find_the_same_on_any_words(model: RiskModel, words: list[str]) -> None:
    """Run-together words, glued clitics, sentence marks and blanks: the same matches."""
    _check_openings(model, " ".join(words))


@pytest.mark.parametrize(
    "text",
    [
        "me está matando el dolor de cabeza, ya tomé paracetamol y él me pega ahorita",
        "mi esposo me pega todos los días hace años, ahora está en la puerta",
        TESTIMONY + " me pegó anoche y me amenaza con un cuchillo jajaja",
    ],
)
def test_contexts_remembered_per_message_are_those_looked_for(model: RiskModel, text: str) -> None:
    """A context asked again in the same message (blanked text or as written, in any order)
    is where it matches in that text: the two texts never share an answer once one is blanked."""
    read, _ = _read(text, model)
    matchers = [model.now, model.past, model.topic, model.personal, model.laughter]
    matchers += [m for g in model.guards for m in (g.cue, g.unless)]
    frames = _Frames(read)
    for matcher in [*matchers, *reversed(matchers)]:
        if matcher is None:
            continue
        for text_, asked in (
            (read.blanked, _spans_of(matcher, read)),
            (read.keyed, frames.where(matcher)),
        ):
            plain = (
                read.words.look(matcher, text_) if matcher.may_match(read.words.prefixes) else []
            )
            assert asked == [m.span() for m in plain]
            assert _found(matcher, read) == bool(_spans_of(matcher, read))
    assert (read.blanked != read.keyed) == (read.written is not read.seen)


_FIRST_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
"""The invisible characters as first written: one class, astral ranges included."""


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["\u200b", "\u00ad", "\ufe0f", "\ufeff", "\U000e0041", "\U000e0101", "\U0001d173"]
            ),
            st.sampled_from(["😂", "𝓂", "\U0001bca2", "\U0001bca4", "ﬁ", "é", "e\u0301", "a"]),
            st.text(max_size=4),
        ),
        max_size=20,
    )
)
def test_invisible_characters_dropped_as_by_one_class(parts: list[str]) -> None:
    """Astral invisible characters, looked for only where an astral character is, are dropped
    as the one class first written drops them (and the text is folded alike)."""
    text = "".join(parts)
    expected = text if text.isascii() else normalize("NFKC", _FIRST_INVISIBLE.sub("", text))
    assert drop_invisible(text) == expected


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["\u00ad", "\u00a0", "ª", "²", "½", "é", "ñ", "¿", "\u0100", "\u200b"]),
            st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=6),
        ),
        max_size=20,
    )
)
def test_latin1_text_drops_invisible_characters_as_by_one_class(parts: list[str]) -> None:
    """A Latin-1 text (no regex scan: its soft hyphens alone removed) is dropped and folded as
    the one class first written drops it; so is a text with a character above (U+0100, U+200B)."""
    text = "".join(parts)
    expected = text if text.isascii() else normalize("NFKC", _FIRST_INVISIBLE.sub("", text))
    assert drop_invisible(text) == expected
    assert is_latin1(text) == all(ord(c) < 0x100 for c in text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["©", "®", "é", "ñ", " ", "me dijo", "\u00ad", "🔫", "⚰", "€", "x"]),
        max_size=15,
    )
)
def test_emoji_in_latin1_text_is_read_when_the_lexicon_has_one(
    model: RiskModel, parts: list[str]
) -> None:
    """A Latin-1 text is not scanned for emoji when the lexicon's lowest emoji start is above
    Latin-1; where it is not (an emoji '©' in the lexicon), it is, and read as the plain path."""
    text = "".join(parts)
    assert prepare(text, model) == _plain_prepare(text, model)
    assert model.emoji is not None
    emoji_words = {**model.emoji_words, "©": "copyright", "®": "marca"}
    low = dataclasses.replace(
        model,
        emoji=re.compile("|".join(re.escape(e) for e in sorted(emoji_words, key=len)[::-1])),
        emoji_words=emoji_words,
        emoji_start=re.compile("[©-\U0010ffff]"),
    )
    assert prepare(text, low) == _plain_prepare(text, low)
    if "©" in text:
        assert "copyright" in " ".join(prepare(text, low)[0])
