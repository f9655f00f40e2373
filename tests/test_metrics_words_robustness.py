"""The tokka-bench metrics (unique tokens, continued words, whitespace inside tokens) and
the TokSuite-style robustness metrics, each against a computation written out here from
the tokenizer's own encode and decode; the perturbations themselves."""

from __future__ import annotations

import re
import unicodedata

import pytest

import tokkit
from tokkit import metrics as M
from tokkit.corpora import ParallelCorpus
from tokkit.evaluation import evaluate
from tokkit.perturbations import PERTURBATIONS, TYPO_RATE, no_diacritics, perturb, typos

LINES = {
    "eng_Latn": ["The quick brown fox jumps over the lazy dog.", "We walked to the park today, 12 times."],
    "tur_Latn": ["Hızlı kahverengi tilki tembel köpeğin üstünden atlar.", "Bugün parka yürüdük, ĞÜŞİÖÇ."],
    "zho_Hans": ["敏捷的棕色狐狸跳过了懒狗。", "我们今天去公园散步了。"],
}
CORPUS = ParallelCorpus.from_lines(LINES, spec="three")


@pytest.fixture(scope="module")
def bpe_700(mixed_corpus):
    """Large enough for the test text's common words to be single tokens."""
    return tokkit.train("bpe", mixed_corpus, 700)[700]


@pytest.fixture(scope="module")
def superword(mixed_corpus):
    return tokkit.train("superword", mixed_corpus, 600, transition=0.7)[600]


def _value(table, tok, lang, metric):
    rows = table.select(tokenizer=tok.name, lang=lang, metric=metric)
    assert len(rows) == 1, (lang, metric, rows)
    return rows[0].value


def test_unique_tokens_count_the_distinct_ids_of_each_language_and_of_the_whole(bpe_300):
    table = evaluate(bpe_300, CORPUS, metrics=["unique_tokens"])
    everywhere = set()
    for lang, lines in LINES.items():
        ids = {i for line in lines for i in bpe_300.encode(line)}
        everywhere |= ids
        assert _value(table, bpe_300, lang, "unique_tokens") == len(ids)
    assert _value(table, bpe_300, "all", "unique_tokens") == len(everywhere)


def _inner_space(tok, i) -> bool:
    """tokka-bench's test on the token's decoded text."""
    stripped = tok.decode([i]).strip()
    return bool(stripped) and any(ch.isspace() for ch in stripped)


def test_inner_whitespace_rate_is_the_share_of_tokens_across_words(bpe_300, superword):
    for tok in (bpe_300, superword):
        table = evaluate(tok, CORPUS, metrics=["inner_whitespace_rate"])
        for lang, lines in LINES.items():
            ids = [i for line in lines for i in tok.encode(line)]
            expected = sum(_inner_space(tok, i) for i in ids) / len(ids)
            assert _value(table, tok, lang, "inner_whitespace_rate") == pytest.approx(expected)
    english = evaluate(superword, CORPUS, metrics=["inner_whitespace_rate"])
    assert _value(english, superword, "eng_Latn", "inner_whitespace_rate") > 0  # superwords run across spaces
    assert _value(evaluate(bpe_300, CORPUS, metrics=["inner_whitespace_rate"]), bpe_300, "eng_Latn", "inner_whitespace_rate") == 0


def test_continued_word_rate_encodes_each_word_alone(bpe_700):
    table = evaluate(bpe_700, CORPUS, metrics=["continued_word_rate"])
    words = continued = 0
    for lang, lines in LINES.items():
        if lang == "zho_Hans":  # written without spaces: each character is a unit
            units = [ch for line in lines for ch in line if not ch.isspace()]
        else:
            units = [word for line in lines for word in line.split()]
        split = sum(len(bpe_700.encode(unit)) > 1 for unit in units)
        assert _value(table, bpe_700, lang, "continued_word_rate") == pytest.approx(split / len(units))
        words, continued = words + len(units), continued + split
    assert _value(table, bpe_700, "all", "continued_word_rate") == pytest.approx(continued / words)
    assert 0 < continued < words


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_ctc_change_is_how_far_each_line_count_moves(bpe_300, name):
    metric = f"ctc_change_{name}"
    table = evaluate(bpe_300, CORPUS, metrics=[metric])
    moved = total = 0
    for lang, lines in LINES.items():
        before = [len(bpe_300.encode(line)) for line in lines]
        after = [len(bpe_300.encode(perturb(line, name))) for line in lines]
        lang_moved = sum(abs(a - b) for a, b in zip(after, before))
        assert _value(table, bpe_300, lang, metric) == pytest.approx(lang_moved / sum(before))
        moved, total = moved + lang_moved, total + sum(before)
    assert _value(table, bpe_300, "all", metric) == pytest.approx(moved / total)


def test_perturbations_that_change_these_lines_move_the_count(bpe_300):
    table = evaluate(bpe_300, CORPUS, metrics=["ctc_change_uppercase", "ctc_change_no_diacritics", "ctc_change_nfc"])
    assert _value(table, bpe_300, "eng_Latn", "ctc_change_uppercase") > 0
    assert _value(table, bpe_300, "tur_Latn", "ctc_change_no_diacritics") > 0
    assert _value(table, bpe_300, "eng_Latn", "ctc_change_no_diacritics") == 0  # nothing to remove
    assert _value(table, bpe_300, "all", "ctc_change_nfc") == 0  # the lines are NFC already


def test_costly_metrics_are_computed_only_when_named():
    costly = {"continued_word_rate", *(f"ctc_change_{name}" for name in PERTURBATIONS)}
    assert not costly & set(M.DEFAULT_METRICS)
    for name in costly:
        metric = M.get_metric(name)
        assert metric is not None and metric.default is False and metric.higher_is_better is False
    assert {"unique_tokens", "inner_whitespace_rate", "ctc"} <= set(M.DEFAULT_METRICS)
    assert [m.name for m in M.resolve(["default", "ctc_change_typos"])][-1] == "ctc_change_typos"


def _damerau(a: str, b: str) -> int:
    """Edits (deletion, insertion, substitution, swap of neighbours) from ``a`` to ``b``."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def test_typos_are_seeded_by_the_line_and_touch_only_letters():
    text = "The quick brown fox jumps over the lazy dog, 12 and 345 times. " * 20
    once = typos(text)
    assert once == typos(text) and once != text  # the same typos every time
    assert typos(text, seed=1) != once
    assert [ch for ch in once if not ch.isalpha()] == [ch for ch in text if not ch.isalpha()]
    letters = sum(ch.isalpha() for ch in text)
    # what lies between the letters is untouched, so the words line up one to one
    pairs = list(zip(re.split(r"[^\W\d_]+", text), re.split(r"[^\W\d_]+", once)))
    words = list(zip(re.findall(r"[^\W\d_]+", text), re.findall(r"[^\W\d_]+", once)))
    assert all(a == b for a, b in pairs)
    edits = sum(_damerau(a, b) for a, b in words)
    assert 0.5 * TYPO_RATE * letters < edits < 2 * TYPO_RATE * letters  # about one edit per 1/TYPO_RATE letters
    assert typos("12, 345 — !") == "12, 345 — !"


def test_no_diacritics_strips_combining_marks_and_keeps_vowel_signs():
    assert no_diacritics("Ağaç şöyle güzel, café, naïve") == "Agac soyle guzel, cafe, naive"
    assert no_diacritics("йод ёж") == "иод еж"
    assert no_diacritics("हिन्दी") == "हिन्दी"  # Devanagari vowel signs and virama are not diacritics
    assert no_diacritics("Vi\u0301ệt") == "Viet"


def test_normal_forms_are_unicodedatas():
    text = "ﬁne ℌ café Å 한국"
    for form in ("NFC", "NFD", "NFKC", "NFKD"):
        assert perturb(text, form.lower()) == unicodedata.normalize(form, text)
    assert perturb("Abc", "uppercase") == "ABC"
    with pytest.raises(tokkit.TokkitError, match="perturbation must be one of"):
        perturb("x", "shout")
