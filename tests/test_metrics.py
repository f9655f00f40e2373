"""The metric formulas and counts, each against a computation written out here by hand;
the registry's definitions."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from tokenizers import Tokenizer as RustTokenizer
from tokenizers import decoders, models, pre_tokenizers

import tokkit
from tokkit import metrics as M
from tokkit.metrics import formulas as F
from tokkit.backends.hf import HFTokenizer


def test_ctc_leaves_out_special_tokens():
    special = np.array([True, False, False, False])
    ids = np.array([1, 2, 0, 3, 3, 0])
    assert F.ctc(ids, special) == 4


def test_line_ctc_counts_each_line_and_handles_empty_lines():
    special = np.array([True, False, False, False])
    lines = [[1, 2], [], [0, 3, 3], [0]]
    flat = np.array([i for line in lines for i in line])
    ends = np.cumsum([len(line) for line in lines])
    assert F.line_ctc(flat, ends, special).tolist() == [2, 0, 2, 0]


def test_line_premiums_skip_lines_whose_pivot_is_empty():
    lang = np.array([4, 3, 6, 9])
    pivot = np.array([2, 0, 3, 3])
    assert F.line_premiums(lang, pivot).tolist() == [2.0, 2.0, 3.0]


def test_premium_spread_is_median_and_interquartile_range():
    # sorted 1..5: median 3; with linear interpolation p25 = 2 and p75 = 4
    median, iqr = F.premium_spread(np.array([5.0, 1.0, 4.0, 2.0, 3.0]))
    assert (median, iqr) == (3.0, 2.0)


def test_ratios():
    assert F.premium(30, 20) == 1.5
    assert F.bytes_per_token(12, 4) == 3.0
    assert F.chars_per_token(10, 4) == 2.5
    assert F.fertility(9, 6) == 1.5
    assert F.throughput_mb_s(3_000_000, 2.0) == 1.5


@pytest.mark.parametrize("lang, spaced", [
    ("eng_Latn", True), ("tur_Latn", True), ("kor_Hang", True), ("arb_Arab", True), ("hin_Deva", True),
    ("zho_Hans", False), ("zho_Hant", False), ("jpn_Jpan", False), ("tha_Thai", False), ("mya_Mymr", False),
    ("khm_Khmr", False), ("lao_Laoo", False), ("bod_Tibt", False), ("jpn", False), ("eng", True), ("all", True),
])
def test_separates_words_by_script(lang, spaced):
    assert F.separates_words(lang) is spaced


@pytest.fixture(scope="module")
def byte_fallback_tokenizer():
    """A tiny SentencePiece-style vocabulary: an unknown token, two byte pieces, words."""
    vocab = {"<unk>": 0, "<0x41>": 1, "<0xC3>": 2, "a": 3, "b": 4, "ab": 5, "<s>": 6}
    rust = RustTokenizer(models.BPE(vocab, [("a", "b")], unk_token="<unk>", byte_fallback=True))
    rust.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Fuse()])
    rust.pre_tokenizer = pre_tokenizers.Whitespace()
    rust.add_special_tokens(["<s>"])
    return HFTokenizer(rust, name="tiny-bf")


def test_vocab_facts_mark_the_unknown_token_partial_characters_and_specials(byte_fallback_tokenizer):
    facts = M.VocabFacts.of(byte_fallback_tokenizer)
    assert facts.unk == 0
    assert facts.partial.tolist() == [False, False, True, False, False, False, False]  # <0xC3> alone; <0x41> is "A"
    assert facts.special.tolist() == [False, False, False, False, False, False, True]
    frequencies = F.token_counts(np.array([0, 1, 3, 5, 5, 6, 4, 2, 0]), facts.special)
    assert facts.unknown(frequencies) == 2


def test_byte_level_bytes_of_characters_are_partial_and_nothing_is_unknown(mixed_corpus):
    import tokkit

    tok = tokkit.train("bpe", mixed_corpus, 300)[300]
    facts = M.VocabFacts.of(tok)
    assert facts.unk is None and facts.special[list(tok.special_ids)].all()
    single = {tok.token_bytes(i): i for i in range(tok.vocab_size) if tok.token_bytes(i) and len(tok.token_bytes(i)) == 1}
    assert all(facts.partial[single[bytes([b])]] == (b >= 0x80) for b in range(256))


def test_token_counts_and_vocab_utilisation():
    special = np.array([False, False, False, True, False])
    ids = np.array([0, 0, 2, 3, 2, 2])
    counts = F.token_counts(ids, special)
    assert counts.tolist() == [2, 0, 3, 0, 0]
    assert F.vocab_utilisation(counts, special) == 2 / 4  # ids 0 and 2 of the 4 ordinary ones


def test_shannon_entropy_by_hand():
    counts = np.array([2, 1, 0, 1])  # p = 1/2, 1/4, 1/4
    assert F.shannon_entropy(counts) == pytest.approx(0.5 * 1 + 0.25 * 2 + 0.25 * 2)


def test_renyi_efficiency_by_hand():
    counts = np.array([2, 1, 1])
    p = [0.5, 0.25, 0.25]
    for alpha in (0.5, 2.0, 2.5, 3.0):
        h = math.log2(sum(x**alpha for x in p)) / (1 - alpha)
        assert F.renyi_efficiency(counts, alpha) == pytest.approx(h / math.log2(3))
    shannon = -sum(x * math.log2(x) for x in p)
    assert F.renyi_efficiency(counts, 1.0) == pytest.approx(shannon / math.log2(3))
    assert F.renyi_efficiency(np.array([5, 5, 5, 5])) == pytest.approx(1.0)
    assert F.renyi_efficiency(np.array([7])) == 0.0


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
        assert F.renyi_efficiency(counts, alpha) == pytest.approx(expected, rel=1e-9)
        entropy = tokenization_scorer.score(_scorer_text(lines), metric="shannon_entropy")
        assert F.shannon_entropy(counts) == pytest.approx(entropy, rel=1e-9)


def _reading(tok, texts):
    return M.Reading.of(tok, M.VocabFacts.of(tok), "all", texts)


def test_roundtrip_counts_compare_each_decoded_line(byte_fallback_tokenizer):
    # the whitespace pre-tokenizer drops the space of "a b": it decodes as "ab"
    counts = M.RoundTripCounts.collect(_reading(byte_fallback_tokenizer, ["ab", "a b", "b"]))
    assert (counts.lines, counts.same) == (3, 2)


def test_counts_of_parts_add_up_to_the_counts_of_the_whole(byte_fallback_tokenizer):
    texts = ["ab ab", "a", "Ã b", "", "<s> ab"]
    whole = M.TokenCounts.collect(_reading(byte_fallback_tokenizer, texts))
    parts = M.TokenCounts.collect(_reading(byte_fallback_tokenizer, texts[:2])) + M.TokenCounts.collect(
        _reading(byte_fallback_tokenizer, texts[2:]))
    for name in ("lines", "bytes", "chars", "tokens"):
        assert getattr(parts, name) == getattr(whole, name), name
    assert parts.frequencies.tolist() == whole.frequencies.tolist()
    assert parts.line_tokens.tolist() == whole.line_tokens.tolist()
    assert whole.tokens == sum(len(byte_fallback_tokenizer.encode(t)) for t in texts) - 1  # one <s>
    unknown = M.VocabFacts.of(byte_fallback_tokenizer).unknown(whole.frequencies)
    assert unknown == sum(byte_fallback_tokenizer.encode(t).count(0) for t in texts)


def test_every_builtin_metric_is_defined_once_with_a_direction():
    names = [m.name for m in map(M.get_metric, M.DEFAULT_METRICS)]
    assert len(names) == len(set(names)) == len(M.DEFAULT_METRICS)
    for name in names:
        metric = M.get_metric(name)
        assert metric.about and metric.higher_is_better in (True, False, None)
        assert M.higher_is_better(name) is metric.higher_is_better
    assert M.higher_is_better("bytes_per_token") is True and M.higher_is_better("premium") is False
    assert M.higher_is_better("no_such_metric") is None


def test_resolve_expands_default_and_refuses_unknown_names():
    assert [m.name for m in M.resolve(None)] == list(M.DEFAULT_METRICS)
    assert [m.name for m in M.resolve(["ctc", "default"])] == list(M.DEFAULT_METRICS)
    with pytest.raises(tokkit.TokkitError, match="unknown metric nope: choose from ctc, premium"):
        M.resolve(["nope"])
    assert M.metric_order(["vocab_size", "renyi_efficiency", "ctc"]) == ["ctc", "renyi_efficiency", "vocab_size"]
