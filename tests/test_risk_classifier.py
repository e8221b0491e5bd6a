"""The learned second opinion: pure-Python inference from shipped weights, only ever raising
the rules' verdict, and reproducible training (same inputs, byte-identical weights file)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.risk_report import DEV, load_model, load_rows
from bot.content import RISK_CLASSIFIER, ContentError, load_risk_model
from flows.risk import Classifier, RiskModel, assess_risk, parse_classifier
from flows.risk.classifier import _unpack, features
from flows.risk.prepare import prepare
from flows.types import Severity

CONTENT = Path(__file__).resolve().parents[1] / "content"


@pytest.fixture(scope="module")
def model() -> RiskModel:
    return load_model()


@pytest.fixture(scope="module")
def written() -> dict[str, tuple[float, float, float]]:
    """The shipped weights as written (the classifier keeps them only packed)."""
    weights = {}
    for line in (CONTENT / RISK_CLASSIFIER).read_text(encoding="utf-8").split("\n"):
        if line and not line.startswith("# "):
            name, imminent, high, flag = line.split("\t")
            weights[name] = (float(imminent), float(high), float(flag))
    return weights


def _constant(bias: float, thresholds: tuple[float, float, float]) -> Classifier:
    """A classifier that says the same probability for every text (bias only)."""
    return Classifier("test", (bias, bias, bias), {}, thresholds)


def test_shipped_weights_load_and_score_in_pure_python(model: RiskModel) -> None:
    assert model.classifier is not None
    assert len(model.classifier.names()) > 1000
    risky = model.classifier.scores("me kiere matar esta noche")
    calm = model.classifier.scores("a ke ora es el programa de radio")
    assert risky.high > calm.high
    assert all(0.0 <= p <= 1.0 for p in (risky.imminent, risky.high, risky.flag))


def test_probability_is_in_the_evidence_and_json_keeps_the_contract(model: RiskModel) -> None:
    result = assess_risk("me pego ayer", model)
    data = result.to_json()
    assert list(data)[:2] == ["severity", "categories"]
    assert data["severity"] == result.severity.value
    assert set(data["classifier"]) == {"imminent", "high", "flag"}  # type: ignore[arg-type]
    assert any(note.startswith("classifier:") for note in result.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "me dijo q me va a matar",
        "me pego ayer",
        "me insulta todo el tiempo",
        "hola, a que hora es el programa?",
        "me muero de risa jaja",
    ],
)
def test_the_classifier_never_lowers_the_rules(model: RiskModel, text: str) -> None:
    rules = assess_risk(text, model.without_classifier()).severity
    for bias in (-30.0, 0.0, 30.0):
        for thresholds in ((0.5, 0.5, 0.5), (1.01, 1.01, 1.01), (0.0, 0.0, 0.0)):
            both = model.with_classifier(_constant(bias, thresholds))
            assert assess_risk(text, both).severity.at_least(rules), (text, bias, thresholds)


def test_a_confident_head_raises_and_a_closed_one_does_not(model: RiskModel) -> None:
    text = "no se como decirlo pero ya no puedo mas con esto"
    rules = model.without_classifier()
    assert assess_risk(text, rules).severity is Severity.NONE
    sure = model.with_classifier(_constant(30.0, (1.01, 0.5, 0.5)))
    raised = assess_risk(text, sure)
    assert raised.severity is Severity.HIGH
    assert any("raised to high" in note for note in raised.evidence)
    closed = model.with_classifier(_constant(30.0, (1.01, 1.01, 1.01)))
    assert assess_risk(text, closed).severity is Severity.NONE


@pytest.mark.parametrize(
    "text",
    [
        "jajaja mi tia dice que me va a jalar las orejas si no llego 😂",  # laughing
        "a mi sobrino le agarro una tos bien fuerte en la madrugada",  # a harmless reading
        "ya",  # too short to act alone
    ],
)
def test_a_sure_classifier_does_not_act_alone_on_jokes_harmless_uses_or_one_word(
    model: RiskModel, text: str
) -> None:
    rules = model.without_classifier()
    assert assess_risk(text, rules).severity is Severity.NONE
    sure = model.with_classifier(_constant(30.0, (0.5, 0.5, 0.5)))
    assert assess_risk(text, sure).severity is Severity.NONE, text


def test_features_survive_invisible_characters_and_run_together_words(model: RiskModel) -> None:
    from flows.risk.prepare import prepare

    plain = features(prepare("me va a matar", model)[1])
    hidden = features(prepare("me va a ma\u200btar", model)[1])
    assert plain == hidden
    glued = features(prepare("mevaamatar", model)[1])
    assert {"mata", "atar"} <= glued


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# version x\n# bias 0 0 0\n", "thresholds"),
        ("# version x\n# bias 0 0\n# thresholds 0.5 0.5 0.5\n", "three"),
        ("# version x\n# bias 0 0 0\n# thresholds 0.5 0.5 0.5\nfeature\t1\t2\n", "line 4"),
    ],
)
def test_malformed_weights_are_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_classifier(text)


def test_bad_weights_file_stops_the_bot_naming_it(tmp_path: Path) -> None:
    (tmp_path / "risk.yaml").write_text((CONTENT / "risk.yaml").read_text("utf-8"), "utf-8")
    (tmp_path / "risk_classifier.tsv").write_text("# version x\nnot a weight line\n", "utf-8")
    with pytest.raises(ContentError, match=r"risk_classifier\.tsv"):
        load_risk_model(tmp_path)
    (tmp_path / "risk_classifier.tsv").unlink()
    assert load_risk_model(tmp_path).classifier is None


def test_training_is_reproducible(model: RiskModel) -> None:
    pytest.importorskip("sklearn", reason="training needs scikit-learn (python3 dev.py train-risk)")
    from benchmarks.train_risk import train

    rows = load_rows(DEV)
    random.Random(7).shuffle(rows)
    small = rows[:80]
    rules = model.without_classifier()
    first = train(small, rules, count=1)
    second = train(list(small), rules, count=1)
    assert first == second
    trained = parse_classifier(first)
    assert trained.names()
    other = train(small[:60], rules, count=1)
    assert other != first


def test_training_combines_rules_and_classifier_exactly_as_serving_does(model: RiskModel) -> None:
    """The thresholds are chosen on the verdict training computes from the rules' verdict, its
    guards and the probabilities: for every development message it is the served verdict."""
    from benchmarks.train_risk import _combined
    from flows.risk.assess import rules_verdict

    assert model.classifier is not None
    rules = model.without_classifier()
    thresholds = model.classifier.thresholds
    texts = [row.text for row in load_rows(DEV)]
    texts += ["ya", "jajaja me va a matar mi vieja 😂", "me pego anoche", "SOCORRO", "ayuda"]
    differ = []
    for text in texts:
        scores = model.classifier.scores(prepare(text, model)[1])
        p = (scores.imminent, scores.high, scores.flag)
        trained = _combined(rules_verdict(text, rules), p, thresholds)
        if trained is not assess_risk(text, model).severity:
            differ.append(text)
    assert not differ


def test_packed_weights_sum_as_the_three_heads(
    model: RiskModel, written: dict[str, tuple[float, float, float]]
) -> None:
    """The three weights of a feature are summed as one integer: the sums are those of the
    heads (exact for the shipped 4-decimal weights), also with large and negative ones."""
    assert model.classifier is not None
    shipped = model.classifier
    assert shipped.unit == 10**4
    rng = random.Random(7)
    names = sorted(written)
    assert names == sorted(shipped.names())
    for _ in range(50):
        picked = rng.sample(names, rng.randint(1, 800))
        total = sum(shipped.packed(name) or 0 for name in picked) >> shipped.shift
        for got, head in zip(_unpack(total, shipped.base, shipped.unit), range(3), strict=True):
            assert got == pytest.approx(sum(written[n][head] for n in picked), abs=1e-9)
    odd = Classifier("odd", (0.0, 0.0, 0.0), {"a": (-99.5, 0.0001, 42.0)}, (0.5, 0.5, 0.5))
    total = sum([odd.packed("a") or 0] * 900) >> odd.shift
    assert _unpack(total, odd.base, odd.unit) == pytest.approx((-89550.0, 0.09, 37800.0))
    fine = Classifier("fine", (0.0, 0.0, 0.0), {"a": (0.1, 1e-12, 1 / 3)}, (0.5, 0.5, 0.5))
    assert fine.unit == 10**12  # 1/3 has no exact decimals: rounded to 10**-12, as before


def _plain_sum(classifier: Classifier, keyed: str) -> tuple[float, float, float, int]:
    """The three head sums and the feature count, feature by feature from :func:`features`."""
    found = features(keyed)
    known = [classifier.packed(f) for f in found]
    total = sum(v for v in known if v is not None) >> classifier.shift
    return (*_unpack(total, classifier.base, classifier.unit), len(found))


def test_word_by_word_features_are_the_plain_features(model: RiskModel) -> None:
    """Scores take each word's own features from a memo and make only those between words:
    the same features, counted once, as :func:`features` (also for unknown words, texts
    longer than MAX_FEATURE_CHARS, one-letter words, and the odd '_' or '+')."""
    assert model.classifier is not None
    shipped = model.classifier
    texts = [prepare(row.text, model)[1] for row in load_rows(DEV)]
    texts += [
        "",
        "a",
        "a b",
        "a a a a a",
        "zqxw kjhg zqxw",
        "me mata matando a a mata",
        "me_mata y + otro",
        "mi_ex+novio",
        "x" * 1000,
        "a " * 300,
        " ".join(texts[:30]),
        "zq xw zq xw zq",  # slices and pairs between words the model does not know, repeated
        "me zqa me zqa mata zq",
        "éé éé a éé 一 一一 一",
    ]
    for keyed in texts:
        total, count = shipped._sum(keyed)
        got = (*_unpack(total >> shipped.shift, shipped.base, shipped.unit), count)
        assert got == _plain_sum(shipped, keyed), keyed


_KNOWN = ["me", "va", "a", "matar", "mi", "ex", "de", "la", "que", "pega", "y", "o", "no"]
"""Words that make pairs and slices between words the shipped model knows."""


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="aeimostu_+#1 ", min_size=1, max_size=7),
            st.text(alphabet="aemtñ\u0301😀\u2003\x1c ", min_size=1, max_size=5),
            st.sampled_from(_KNOWN),
            st.sampled_from(["zq", "qzx", "一", "éz"]),  # never between known words
        ),
        max_size=60,
    )
)
def test_word_by_word_features_on_any_text(model: RiskModel, words: list[str]) -> None:
    shipped = model.classifier
    assert shipped is not None
    keyed = " ".join(words)
    total, count = shipped._sum(keyed)
    got = (*_unpack(total >> shipped.shift, shipped.base, shipped.unit), count)
    assert got == _plain_sum(shipped, keyed)


def test_scores_are_the_logistic_of_the_plain_sums(
    model: RiskModel, written: dict[str, tuple[float, float, float]]
) -> None:
    assert model.classifier is not None
    shipped = model.classifier
    for row in load_rows(DEV)[:80]:
        keyed = prepare(row.text, model)[1]
        found = features(keyed)
        known = [written[f] for f in found if f in written]
        plain = [sum(w[h] for w in known) for h in range(3)]
        expected = [
            1.0 / (1.0 + math.exp(-(s / math.sqrt(len(found)) + b)))
            for s, b in zip(plain, shipped.bias, strict=True)
        ]
        got = shipped.scores(keyed)
        assert (got.imminent, got.high, got.flag) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "rules_say"),
    [
        ("xD mi ex dice que me va a buscar", Severity.NONE),  # a joke: the rules ask
        ("jaja mi esposo me grita todo el dia", Severity.MODERATE),
    ],
)
def test_a_sure_classifier_does_not_lift_what_the_rules_read_as_a_joke(
    model: RiskModel, text: str, rules_say: Severity
) -> None:
    rules = assess_risk(text, model.without_classifier())
    assert rules.severity is rules_say
    sure = assess_risk(text, model.with_classifier(_constant(30.0, (0.5, 0.5, 0.5))))
    assert (sure.severity, sure.follow_up) == (rules.severity, rules.follow_up)
    assert any("a joke" in note for note in sure.evidence)


def test_held_out_scoring_uses_the_serving_verdict_for_any_thresholds(model: RiskModel) -> None:
    """Leave-one-set-out picks thresholds on a table of the eight cases per message: for any
    thresholds it must give what second_opinion gives."""
    from benchmarks.train_risk import HeldOut, _combined, _Scored
    from flows.risk.assess import rules_verdict

    rules = model.without_classifier()
    rows = load_rows(DEV)[:60]
    rng = random.Random(3)
    probs = [(rng.random(), rng.random(), rng.random()) for _ in rows]
    today = [rules_verdict(row.text, rules) for row in rows]
    scored = _Scored(HeldOut("dev", rows, probs, today), first=False)
    for _ in range(20):
        t = (rng.random(), rng.random(), rng.random())
        served = [_combined(s, p, t).rank for s, p in zip(today, probs, strict=True)]
        assert list(scored.verdicts(t)) == served, t
    assert list(scored.verdicts(None)) == [s[0].rank for s in today]


def test_reworded_variants_swap_words_of_one_lexicon_list_reproducibly() -> None:
    from benchmarks.risk_variants import alternatives, reword

    table = alternatives()
    text = "mi esposo me pega todos los dias cuando llega borracho"
    first = [reword(text, random.Random(5)) for _ in range(2)]
    assert first[0] == first[1]
    seen = {reword(text, random.Random(seed)) for seed in range(30)}
    assert len(seen) > 5
    for varied in seen:
        words, original = varied.split(), text.split()
        assert len(words) == len(original)
        for new, old in zip(words, original, strict=True):
            assert new == old or any(new in group for group in table[old]), (old, new)
        assert "todos" in words and "cuando" in words  # function words stay
