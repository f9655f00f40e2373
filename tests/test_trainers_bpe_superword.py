"""The bpe and superword trainers: lossless, deterministic, several sizes from one
training, transformers-compatible, superword's stage-2 rules, and clear errors.

The superword learner is checked against a brute-force oracle: a naive BPE that recounts
every pair from scratch at each step must choose the same merges, and applying those
merges naively must give what the saved tokenizer.json encodes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tokkit
from tokkit.corpora import TextCorpus
from tokkit.errors import TokkitError
from tokkit.trainers.bpe_family import byte_level_pre_tokenizer
from tokkit.trainers.superword import STAGE2_PATTERN
from tokkit.trainers.superword_learner import ChunkCollector, count_words, learn_superword_merges

from conftest import superword_cases

FIXTURES = Path(__file__).parent / "fixtures"

#: algorithm -> (options, sizes the mixed corpus can give; the largest is trained)
CONFIGS = {
    "bpe": ({}, (300, 400, 520)),
    "superword": ({"transition": 400}, (300, 400, 460, 520)),
}

#: hard cases: Turkish dotted/dotless i, CJK, emoji sequences, combining marks, RTL,
#: control characters, odd whitespace, and strings that look like special tokens
HARD = [
    "İ", "ı", "IĞDIR'a", "i̇stanbul", "漢字かな交じり", "敏捷的狐狸", "🎉🚀", "👩‍💻", "🇹🇷", "✋🏿",
    "n\u0303", "o\u0308\u0304", "עברית", "العربية بالعربي", "\u202e", "\u200b", "\x00", "\x01", "\x7f",
    "\r\n", "\n", "\t\t", "   ", "\u00a0", "\u2028", "\ufeff", "\U0001f600", "\ufffd", "Ġ", "Ċ", "<|", "|>",
    "12345678", "...", "?!", " , ", "a  b",
]

text_strategy = st.lists(st.sampled_from(HARD) | st.text(max_size=60), max_size=10).map("".join)


@pytest.fixture(scope="module")
def all_trained(mixed_corpus):
    """{algorithm: {size: tokenizer}}, each trained once on the mixed corpus."""
    return {name: tokkit.train(name, mixed_corpus, list(sizes), **options) for name, (options, sizes) in CONFIGS.items()}


@pytest.fixture(scope="module", params=list(CONFIGS))
def trained(request, all_trained):
    """(algorithm, {size: tokenizer}) for each algorithm."""
    return request.param, all_trained[request.param]


def largest(trained):
    algorithm, tokenizers = trained
    return tokenizers[max(tokenizers)]


@given(text=text_strategy)
def test_round_trip_on_any_unicode(trained, text):
    tokenizer = largest(trained)
    ids = tokenizer.encode(text)
    assert tokenizer.decode(ids) == text
    assert b"".join(tokenizer.token_bytes(i) for i in ids) == text.encode("utf-8")


@pytest.mark.parametrize("text", ["", "x" * 20000, "word " * 3000, "\n".join(HARD), "".join(HARD) * 20])
def test_round_trip_on_empty_and_long_lines(trained, text):
    tokenizer = largest(trained)
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_training_twice_gives_identical_files(trained, mixed_corpus, tmp_path):
    algorithm, tokenizers = trained
    options, sizes = CONFIGS[algorithm]
    again = tokkit.train(algorithm, mixed_corpus, list(sizes), **options)
    for size in sizes:
        first = tokenizers[size].save(tmp_path / f"a{size}")
        second = again[size].save(tmp_path / f"b{size}")
        assert (first / "tokenizer.json").read_bytes() == (second / "tokenizer.json").read_bytes()


def _model(tokenizer) -> dict:
    return json.loads(tokenizer.backend.to_str())


def test_bpe_sizes_cut_from_one_training_equal_fresh_trainings(mixed_corpus):
    _, sizes = CONFIGS["bpe"]
    together = tokkit.train("bpe", mixed_corpus, list(sizes))
    for size in sizes[:-1]:
        fresh = tokkit.train("bpe", mixed_corpus, size)[size]
        assert together[size].vocab_size == size
        assert _model(together[size])["model"] == _model(fresh)["model"]
        assert _model(together[size])["model"]["merges"] == _model(fresh)["model"]["merges"]


def test_superword_sizes_cut_from_one_training_equal_fresh_trainings(all_trained, mixed_corpus):
    """Above the transition, a cut equals a fresh superword training with the same absolute
    transition; at or below it, a cut is plain BPE and equals a fresh bpe training."""
    tokenizers = all_trained["superword"]
    transition = CONFIGS["superword"][0]["transition"]
    for size, tokenizer in tokenizers.items():
        assert tokenizer.vocab_size == size
        if size <= transition:
            fresh = tokkit.train("bpe", mixed_corpus, size)[size]
        elif size < max(tokenizers):
            fresh = tokkit.train("superword", mixed_corpus, size, transition=transition)[size]
        else:
            continue
        assert _model(tokenizer) == _model(fresh)


def test_superword_pre_tokenizers(all_trained):
    tokenizers = all_trained["superword"]
    transition = CONFIGS["superword"][0]["transition"]
    for size, tokenizer in tokenizers.items():
        pattern = json.dumps(_model(tokenizer)["pre_tokenizer"])
        assert (json.dumps(STAGE2_PATTERN) in pattern) == (size > transition)
        assert tokenizer.provenance.params["transition_size"] == transition


def test_saved_tokenizer_json_runs_in_transformers(trained, tmp_path):
    transformers = pytest.importorskip("transformers")
    tokenizer = largest(trained)
    folder = tokenizer.save(tmp_path / "tok")
    fast = transformers.PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))
    converted = tokenizer.to_transformers()
    for text in HARD + ["The quick brown fox jumps over the lazy dog, twice.", "Kırmızı şapkalı kız"]:
        expected = tokenizer.encode(text)
        assert fast.encode(text, add_special_tokens=False) == expected
        assert converted.encode(text, add_special_tokens=False) == expected


# -- superword's stage 2 ------------------------------------------------------------------
def test_superword_tokens_span_words_and_respect_max_words(mixed_corpus):
    for max_words in (2, 4):
        tokenizer = tokkit.train("superword", mixed_corpus, 700, transition=400, max_words=max_words)[700]
        words = [count_words(b) for b in tokenizer.all_token_bytes()[2:]]  # the 2 specials carry no bytes
        assert max(words[: 400 - 2]) == 1  # stage 1: subwords only
        assert max(words[400 - 2 :]) == max_words  # stage 2: tokens span words, none spans more


def test_count_words():
    assert [count_words(t) for t in (b"", b" ", b"the", b" the", b"of the", b" of the ", b"a\tb\nc")] == [0, 0, 1, 1, 2, 2, 3]


def _naive_stage2(chunks, tokens, n_merges, max_words):
    """Brute force stage 2: recount every pair at every step (the learner's oracle)."""
    chunks, tokens = [list(c) for c in chunks], list(tokens)
    known = set(tokens)
    merges = []
    while len(merges) < n_merges:
        counts: dict[tuple[int, int], int] = {}
        for chunk in chunks:
            for pair in zip(chunk, chunk[1:]):
                merged = tokens[pair[0]] + tokens[pair[1]]
                if count_words(merged) <= max_words and merged not in known:
                    counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        if counts[best] < 2:
            break
        merges.append(best)
        new = len(tokens)
        tokens.append(tokens[best[0]] + tokens[best[1]])
        known.add(tokens[-1])
        for chunk in chunks:
            i = 0
            while i < len(chunk) - 1:
                if (chunk[i], chunk[i + 1]) == best:
                    chunk[i : i + 2] = [new]
                i += 1
    return merges, chunks


def _learn(chunks, tokens, n_merges, max_words, batch=3):
    """The learner on these chunks, collected a few at a time (so equal chunks meet across batches)."""
    collector = ChunkCollector()
    chunks = [c for c in chunks if c]
    for start in range(0, len(chunks), batch):
        part = chunks[start : start + batch]
        collector.add(np.array([id for chunk in part for id in chunk], dtype=np.int64), np.array([len(c) for c in part]))
    return learn_superword_merges(collector.chunks(), tokens, n_merges, max_words)


@given(
    st.lists(st.lists(st.integers(0, 5), max_size=14), min_size=1, max_size=12).filter(lambda c: any(c)),
    st.integers(1, 3),
)
def test_superword_learner_matches_brute_force_on_runs_and_chains(chunks, max_words):
    """Few symbols, so runs ("a a a") and chains ("a b a b") abound, and merged tokens
    collide with existing ones ("a" + " b" = "a b")."""
    tokens = [b"a", b" b", b"a b", b" ", b"b", b"c "]
    assert _learn(chunks, tokens, 30, max_words) == _naive_stage2(chunks, tokens, 30, max_words)[0]


def test_superword_learner_matches_brute_force_and_inference(mixed_corpus):
    transition, size = 400, 470
    tokenizer = tokkit.train("superword", mixed_corpus, size, transition=transition)[size]
    stage1 = tokkit.train("bpe", mixed_corpus, transition)[transition]
    rust = stage1.backend
    rust.pre_tokenizer = byte_level_pre_tokenizer(STAGE2_PATTERN)
    chunks = []
    for text in mixed_corpus.texts():
        encoding = rust.encode(text, add_special_tokens=False)
        by_word: dict[int, list[int]] = {}
        for id, word in zip(encoding.ids, encoding.word_ids):
            by_word.setdefault(word, []).append(id)
        chunks.extend(by_word.values())
    tokens = [None if stage1.is_special(i) else stage1.token_bytes(i) for i in range(transition)]
    merges, final = _naive_stage2(chunks, [t or b"<special>" for t in tokens], size - transition, 4)
    assert merges == _learn(chunks, tokens, size - transition, 4)
    learned = [tuple(m) for m in _model(tokenizer)["model"]["merges"][transition - 258 :]]
    assert learned == [(tokenizer.id_to_token(a), tokenizer.id_to_token(b)) for a, b in merges]
    # what training ended with is exactly what the saved tokenizer encodes
    encoded = [id for text in mixed_corpus.texts() for id in tokenizer.encode(text)]
    assert encoded == [id for chunk in final for id in chunk]


@pytest.mark.parametrize("case", sorted(superword_cases()))
def test_superword_merges_equal_those_of_the_learner_that_held_every_chunk(case):
    """Stage 2 over distinct chunks with counts learns what the previous learner (every
    chunk occurrence in one array) learnt: tests/fixtures/superword_merges.json holds the
    merges that learner gave on these corpora (tokkit at commit 3ece00f, where
    tests/conftest.py:superword_cases was first written)."""
    texts, size, options = superword_cases()[case]
    expected = json.loads((FIXTURES / "superword_merges.json").read_text(encoding="utf-8"))[case]
    tokenizer = tokkit.train("superword", TextCorpus(texts), size, **options)[size]
    merges = [" ".join(m) for m in _model(tokenizer)["model"]["merges"]]
    assert merges == expected


# -- bad input --------------------------------------------------------------------------
@pytest.mark.parametrize("algorithm", list(CONFIGS))
def test_impossible_requests_are_user_errors(algorithm, mixed_corpus):
    with pytest.raises(TokkitError, match="empty"):
        tokkit.train(algorithm, TextCorpus(["", ""], spec="<empty>"), 400)
    with pytest.raises(TokkitError, match="below"):
        tokkit.train(algorithm, mixed_corpus, 100)
    with pytest.raises(TokkitError, match="gives only"):
        tokkit.train(algorithm, mixed_corpus, 50000)
    with pytest.raises(TokkitError):
        tokkit.train(algorithm, mixed_corpus, [])


@pytest.mark.parametrize(
    "options", [{"transition": 0}, {"transition": 600}, {"transition": 1.5}, {"transition": 100}, {"max_words": 0}]
)
def test_bad_superword_options_are_user_errors(options, mixed_corpus):
    with pytest.raises(TokkitError):
        tokkit.train("superword", mixed_corpus, 520, **options)


# -- real data ----------------------------------------------------------------------------
@pytest.mark.realdata
def test_round_trip_on_all_204_flores_devtest_languages(data_dir):
    text = (data_dir / "text" / "eng" / "train.txt").read_bytes()[:1_000_000].decode("utf-8", "ignore")
    corpus = TextCorpus(text.splitlines(), spec="text:eng[:1MB]")
    files = sorted((data_dir / "flores200" / "devtest").glob("*.txt"))
    assert len(files) == 204
    # 250 lines of each language keep this test short; bench/bench_superword.py checks every line
    texts = [line for f in files for line in f.read_text(encoding="utf-8").splitlines()[:250]]
    for algorithm, options in (("bpe", {}), ("superword", {"transition": 0.75})):
        tokenizer = tokkit.train(algorithm, corpus, 4000, **options)[4000]
        backend = tokenizer.backend
        decoded = backend.decode_batch(tokenizer.encode_batch(texts), skip_special_tokens=False)
        failures = [t for t, d in zip(texts, decoded) if t != d]
        assert not failures, f"{algorithm}: {len(failures)} of {len(texts)} lines do not round-trip, e.g. {failures[0]!r}"
