"""The supertoken trainer: random-length chunks while training, no split at inference."""

from __future__ import annotations

import json
import math
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tokkit
from tokkit.errors import TokkitError
from tokkit.trainers.supertoken import random_chunks


@given(st.lists(st.text(max_size=60), max_size=5), st.integers(1, 8), st.integers(0, 12), st.integers(0, 3))
def test_chunks_cut_each_text_into_pieces_of_the_asked_lengths(texts, low, extra, seed):
    high = low + extra
    for text in texts:
        chunks = list(random_chunks([text], low, high, "normal", seed))
        assert "".join(chunks) == text
        assert all(chunks) and all(len(c) <= high for c in chunks)
        assert all(len(c) >= low for c in chunks[:-1])


def test_chunks_are_seeded():
    text = ["The quick brown fox jumps over the lazy dog. " * 20]
    assert list(random_chunks(text, 4, 23, "normal", 1)) == list(random_chunks(text, 4, 23, "normal", 1))
    assert list(random_chunks(text, 4, 23, "normal", 1)) != list(random_chunks(text, 4, 23, "normal", 2))


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_chunk_lengths_follow_the_distribution(distribution):
    chunks = list(random_chunks(["x" * 400_000], 4, 23, distribution, 0))[:-1]
    seen = Counter(len(c) for c in chunks)
    if distribution == "normal":  # mu = 13.5, sigma = 4.75 over 4..23
        weight = {n: math.exp(-((n - 13.5) ** 2) / (2 * 4.75**2)) for n in range(4, 24)}
    else:
        weight = {n: 1.0 for n in range(4, 24)}
    total = sum(weight.values())
    for n in range(4, 24):
        assert abs(seen[n] / len(chunks) - weight[n] / total) < 0.01
    assert set(seen) <= set(range(4, 24))


@pytest.fixture(scope="module")
def supertoken(mixed_corpus):
    return tokkit.train("supertoken", mixed_corpus, 800)[800]


def test_no_split_at_inference_so_tokens_span_words(supertoken):
    pre = json.loads(supertoken.backend.to_str())["pre_tokenizer"]
    steps = pre["pretokenizers"] if pre["type"] == "Sequence" else [pre]
    assert [(s["type"], s["use_regex"]) for s in steps] == [("ByteLevel", False)]
    multiword = [b for b in supertoken.all_token_bytes() if b and re.search(rb"\w \w", b)]
    assert multiword
    ids = supertoken.encode("The quick brown fox jumps over the lazy dog")
    assert any(re.search(rb"\w \w", supertoken.token_bytes(i)) for i in ids)


def test_bad_chunk_options_are_refused(mixed_corpus):
    with pytest.raises(TokkitError, match="min_chunk must be at most max_chunk"):
        tokkit.train("supertoken", mixed_corpus, 400, min_chunk=10, max_chunk=5)
    with pytest.raises(TokkitError, match="distribution"):
        tokkit.train("supertoken", mixed_corpus, 400, distribution="zipf")
    # a list of weights over min..max chunk lengths: 10^9 of them filled the memory
    with pytest.raises(TokkitError, match=r"max_chunk must be in \[1, 1024\]"):
        tokkit.train("supertoken", mixed_corpus, 400, max_chunk=10**9)
