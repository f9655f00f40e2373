"""The metric functions, each against a computation written out here by hand."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from tokenizers import Tokenizer as RustTokenizer
from tokenizers import decoders, models, pre_tokenizers

from tokkit import metrics as M
from tokkit.backends.hf import HFTokenizer


def test_ctc_leaves_out_special_tokens():
    special = np.array([True, False, False, False])
    ids = np.array([1, 2, 0, 3, 3, 0])
    assert M.ctc(ids, special) == 4


def test_line_ctc_counts_each_line_and_handles_empty_lines():
    special = np.array([True, False, False, False])
    lines = [[1, 2], [], [0, 3, 3], [0]]
    flat = np.array([i for line in lines for i in line])
    ends = np.cumsum([len(line) for line in lines])
    assert M.line_ctc(flat, ends, special).tolist() == [2, 0, 2, 0]


def test_line_premiums_skip_lines_whose_pivot_is_empty():
    lang = np.array([4, 3, 6, 9])
    pivot = np.array([2, 0, 3, 3])
    assert M.line_premiums(lang, pivot).tolist() == [2.0, 2.0, 3.0]


def test_premium_spread_is_median_and_interquartile_range():
    # sorted 1..5: median 3; with linear interpolation p25 = 2 and p75 = 4
    median, iqr = M.premium_spread(np.array([5.0, 1.0, 4.0, 2.0, 3.0]))
    assert (median, iqr) == (3.0, 2.0)


def test_ratios():
    assert M.premium(30, 20) == 1.5
    assert M.bytes_per_token(12, 4) == 3.0
    assert M.chars_per_token(10, 4) == 2.5
    assert M.fertility(9, 6) == 1.5
    assert M.throughput_mb_s(3_000_000, 2.0) == 1.5


@pytest.mark.parametrize("lang, spaced", [
    ("eng_Latn", True), ("tur_Latn", True), ("kor_Hang", True), ("arb_Arab", True), ("hin_Deva", True),
    ("zho_Hans", False), ("zho_Hant", False), ("jpn_Jpan", False), ("tha_Thai", False), ("mya_Mymr", False),
    ("khm_Khmr", False), ("lao_Laoo", False), ("bod_Tibt", False), ("jpn", False), ("eng", True), ("all", True),
])
def test_separates_words_by_script(lang, spaced):
    assert M.separates_words(lang) is spaced


@pytest.fixture(scope="module")
def byte_fallback_tokenizer():
    """A tiny SentencePiece-style vocabulary: an unknown token, two byte pieces, words."""
    vocab = {"<unk>": 0, "<0x41>": 1, "<0xC3>": 2, "a": 3, "b": 4, "ab": 5, "<s>": 6}
    rust = RustTokenizer(models.BPE(vocab, [("a", "b")], unk_token="<unk>", byte_fallback=True))
    rust.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Fuse()])
    rust.pre_tokenizer = pre_tokenizers.Whitespace()
    rust.add_special_tokens(["<s>"])
    return HFTokenizer(rust, name="tiny-bf")


def test_vocab_facts_mark_unknown_byte_pieces_and_specials(byte_fallback_tokenizer):
    facts = M.VocabFacts.of(byte_fallback_tokenizer)
    assert facts.unknown.tolist() == [True, True, True, False, False, False, False]
    assert facts.special.tolist() == [False, False, False, False, False, False, True]


def test_unk_rate_counts_unknown_and_byte_pieces_among_ordinary_tokens(byte_fallback_tokenizer):
    facts = M.VocabFacts.of(byte_fallback_tokenizer)
    ids = np.array([0, 1, 3, 5, 5, 6, 4, 2])  # 7 ordinary tokens (6 is <s>), 3 of them unknown/bytes
    assert M.unk_rate(ids, facts) == pytest.approx(3 / 7)


def test_byte_level_single_bytes_are_not_unknown(mixed_corpus):
    import tokkit

    tok = tokkit.train("bpe", mixed_corpus, 300)[300]
    facts = M.VocabFacts.of(tok)
    assert not facts.unknown.any()
    assert facts.special[list(tok.special_ids)].all()


def test_token_counts_and_vocab_utilisation():
    special = np.array([False, False, False, True, False])
    ids = np.array([0, 0, 2, 3, 2, 2])
    counts = M.token_counts(ids, special)
    assert counts.tolist() == [2, 0, 3, 0, 0]
    assert M.vocab_utilisation(counts, special) == 2 / 4  # ids 0 and 2 of the 4 ordinary ones


def test_shannon_entropy_by_hand():
    counts = np.array([2, 1, 0, 1])  # p = 1/2, 1/4, 1/4
    assert M.shannon_entropy(counts) == pytest.approx(0.5 * 1 + 0.25 * 2 + 0.25 * 2)


def test_renyi_efficiency_by_hand():
    counts = np.array([2, 1, 1])
    p = [0.5, 0.25, 0.25]
    for alpha in (0.5, 2.0, 2.5, 3.0):
        h = math.log2(sum(x**alpha for x in p)) / (1 - alpha)
        assert M.renyi_efficiency(counts, alpha) == pytest.approx(h / math.log2(3))
    shannon = -sum(x * math.log2(x) for x in p)
    assert M.renyi_efficiency(counts, 1.0) == pytest.approx(shannon / math.log2(3))
    assert M.renyi_efficiency(np.array([5, 5, 5, 5])) == pytest.approx(1.0)
    assert M.renyi_efficiency(np.array([7])) == 0.0


def _scorer_text(lines: list[list[int]]) -> str:
    return "\n".join(" ".join(f"t{i}" for i in line) for line in lines)


@pytest.mark.parametrize("alpha", [0.5, 2.5, 3.0])
def test_renyi_efficiency_agrees_with_tokenization_scorer(alpha):
    tokenization_scorer = pytest.importorskip("tokenization_scorer")
    rng = random.Random(alpha)
    for _ in range(5):
        lines = [[int(rng.paretovariate(1.2)) % 200 for _ in range(rng.randint(1, 30))] for _ in range(40)]
        counts = np.bincount([i for line in lines for i in line])
        expected = tokenization_scorer.score(_scorer_text(lines), metric="renyi", power=alpha)
        assert M.renyi_efficiency(counts, alpha) == pytest.approx(expected, rel=1e-9)
        entropy = tokenization_scorer.score(_scorer_text(lines), metric="shannon_entropy")
        assert M.shannon_entropy(counts) == pytest.approx(entropy, rel=1e-9)


def test_roundtrip_rate():
    assert M.roundtrip_rate(["a", "b", "c", "d"], ["a", "x", "c", "d"]) == 0.75


class _Fake:
    names = ("x_rate",)
    langs = {"tur_Latn"}

    def compute(self, tokenizer, texts, ids):
        return {"x_rate": 1.0}


def test_the_linguistic_protocol_is_structural():
    assert isinstance(_Fake(), M.LinguisticMetric)
