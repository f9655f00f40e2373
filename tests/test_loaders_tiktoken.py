"""tiktoken rank files: cl100k_base (TOKKIT_DATA_DIR), recognition, the HF conversion,
saving, bad files; merge recovery on a hand-made rank table."""

from __future__ import annotations

import json
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tokkit
from tokkit.backends.tiktoken import TiktokenTokenizer, recover_merges
from tokkit.errors import TokkitError


@pytest.fixture(scope="module")
def cl100k_file(data_dir):
    return data_dir / "tokenizers" / "tiktoken" / "cl100k_base.tiktoken"


@pytest.fixture(scope="module")
def cl100k(cl100k_file) -> TiktokenTokenizer:
    return tokkit.load(cl100k_file)


@pytest.fixture(scope="module")
def cl100k_fast(cl100k):
    return cl100k.to_transformers()


def test_recognised_with_pattern_and_specials(cl100k):
    assert cl100k.provenance.params["encoding"] == "cl100k_base"
    assert cl100k.provenance.params["matched_by"] == "sha256"
    assert cl100k.vocab_size == 100277
    assert cl100k.specials.eos == 100257 and cl100k.token_bytes(100257) is None
    assert cl100k.token_bytes(100256) is None  # an id cl100k_base does not use
    assert cl100k.encode("hello world") == [15339, 1917]  # tiktoken's documented example


def test_round_trip_and_bytes(cl100k):
    @given(st.text(max_size=120))
    def check(text):
        ids = cl100k.encode(text)
        assert cl100k.decode(ids) == text
        assert b"".join(cl100k.token_bytes(i) for i in ids) == text.encode("utf-8")
        pieces = cl100k.tokens(text)
        assert [p.id for p in pieces] == ids
        assert all(0 <= p.start < p.end <= len(text) for p in pieces)

    check()


def test_partial_character_tokens_get_the_whole_span(cl100k):
    pieces = cl100k.tokens("a🎉b")
    emoji = [p for p in pieces if p.token not in ("a", "b")]
    assert len(emoji) > 1 and all((p.start, p.end) == (1, 2) for p in emoji)


VARIED = [
    "12345678901234567890 and 2024, 3.14159, 1,000,000",
    "I'm you're he'll we've THEY'RE she'd it's y'all O'Neil",
    "a   b\t\t c \n\n\n  \n x  \r\n\r\n   ",
    "🎉🚀👩‍👩‍👧 emoji, 🇹🇷 flags, ❤️",
    "敏捷的棕色狐狸 日本語 한국어 Быстрая лиса الثعلب तेज़ x\u0301",
    "<|endoftext|> text that spells <|fim_prefix|> special tokens",
    "def f(x):\n    return x ** 2  # code\n",
    "",
]


def test_special_token_text_is_plain_text(cl100k, cl100k_fast):
    text = "<|endoftext|>"
    assert 100257 not in cl100k.encode(text)
    assert cl100k_fast.encode(text, add_special_tokens=False) == cl100k.encode(text)


def test_to_transformers_encodes_identically(cl100k, cl100k_fast):
    for text in VARIED:
        assert cl100k_fast.encode(text, add_special_tokens=False) == cl100k.encode(text), text

    @given(st.text(max_size=80))
    def check(text):
        assert cl100k_fast.encode(text, add_special_tokens=False) == cl100k.encode(text)

    check()


def test_encode_batch(cl100k):
    assert cl100k.encode_batch(VARIED * 3) == [cl100k.encode(t) for t in VARIED * 3]


def test_save_and_load_back(cl100k, tmp_path):
    cl100k.save(tmp_path / "t")
    assert (tmp_path / "t" / "cl100k_base.tiktoken").is_file()
    assert json.loads((tmp_path / "t" / "tokkit.json").read_text())["format"] == "tiktoken"
    again = tokkit.load(tmp_path / "t")
    assert isinstance(again, TiktokenTokenizer) and again.specials == cl100k.specials
    from transformers import PreTrainedTokenizerFast

    plain = PreTrainedTokenizerFast(tokenizer_file=str(tmp_path / "t" / "tokenizer.json"))
    for text in VARIED[:5]:  # no special-token text: a bare tokenizer.json matches it
        assert again.encode(text) == cl100k.encode(text)
        assert plain.encode(text, add_special_tokens=False) == cl100k.encode(text)


def test_recover_merges_by_lower_ranks():
    """'abc' is reached by merging 'ab' (rank 3) before 'bc' (rank 5 > 3): its merge is
    ('ab', 'c') even though 'bc' exists; 'bc' itself is ('b', 'c')."""
    ranks = {b"a": 0, b"b": 1, b"c": 2, b"ab": 3, b"abc": 4, b"bc": 5}
    assert recover_merges(ranks) == [(b"a", b"b"), (b"ab", b"c"), (b"b", b"c")]
    with pytest.raises(TokkitError):
        recover_merges({b"a": 0, b"b": 1, b"abb": 2})


def test_unknown_and_renamed_files(cl100k_file, tmp_path):
    lines = cl100k_file.read_bytes().splitlines(keepends=True)
    (tmp_path / "copy.tiktoken").write_bytes(b"".join(lines))
    assert tokkit.load(tmp_path / "copy.tiktoken").provenance.params["matched_by"] == "sha256"
    shorter = b"".join(lines[:5000])
    (tmp_path / "cl100k_base.tiktoken").write_bytes(shorter)
    assert tokkit.load(tmp_path / "cl100k_base.tiktoken").provenance.params["matched_by"] == "file name"
    (tmp_path / "mystery.tiktoken").write_bytes(shorter)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mystery = tokkit.load(tmp_path / "mystery.tiktoken")
    assert any("cl100k_base" in str(w.message) for w in caught)
    assert mystery.provenance.params["pattern"] == "cl100k_base (assumed)"
    assert mystery.special_ids == frozenset() and mystery.vocab_size == 5000


def test_corrupt_files_are_one_line_errors(cl100k_file, tmp_path):
    data = cl100k_file.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 3  # in the middle of a line
    (tmp_path / "cut.tiktoken").write_bytes(data[:cut])
    (tmp_path / "bad.tiktoken").write_bytes(b"IQ== 0\n!!!! 1\n")
    for name in ("cut.tiktoken", "bad.tiktoken"):
        with pytest.raises(TokkitError) as info:
            tokkit.load(tmp_path / name)
        assert "\n" not in str(info.value) and name in str(info.value)


def test_ranks_are_parsed_as_tiktoken_parses_them_and_nothing_is_cached(cl100k_file, tmp_path, monkeypatch):
    from tiktoken.load import load_tiktoken_bpe

    from tokkit.backends.tiktoken import parse_ranks

    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    ours = tokkit.load(cl100k_file)
    assert not any(cache.iterdir())  # tiktoken's loader would have copied the file here
    theirs = load_tiktoken_bpe(str(cl100k_file))
    assert parse_ranks(cl100k_file.read_bytes(), "cl100k") == theirs
    assert ours.vocab_size >= len(theirs)


@pytest.mark.parametrize("lines, message", [
    ([b"IQ== 0", b"IQ== 1"], "line 2 repeats the token b'!'"),
    ([b"IQ== 0", b"Ig== 0"], "line 2 repeats the rank 0"),
    ([b"IQ== x"], "line 1: expected 'base64 rank'"),
    ([b"IQ== 0 9"], "line 1: expected 'base64 rank'"),
    ([b"I-Q= 0"], "line 1:"),
])
def test_malformed_rank_lines_are_named(tmp_path, lines, message):
    from tokkit.backends.tiktoken import parse_ranks

    with pytest.raises(TokkitError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_ranks(b"\n".join(lines) + b"\n", "f.tiktoken")
