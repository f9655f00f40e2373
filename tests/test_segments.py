"""Segments: what every view of a tokenization shows, checked against the text itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tokkit
from tokkit.segments import Segment, segments, shown_bytes, visible


@pytest.fixture(scope="module", params=["bpe", "unigram", "char"])
def tok(request, mixed_corpus):
    sizes = {"bpe": 300, "unigram": 420, "char": 450}
    return tokkit.train(request.param, mixed_corpus, sizes[request.param])[sizes[request.param]]


def _rebuilt(tok, segs: list[Segment]) -> bytes:
    """The text again: covered text where a segment shows text, its token's bytes where it shows bytes."""
    return b"".join(s.text.encode("utf-8") if s.kind == "text" else tok.token_bytes(s.id) or b""
                    for s in segs if s.kind in ("text", "bytes"))


@given(st.text(max_size=60))
def test_segments_put_the_text_back_together(tok, text):
    segs = segments(tok, text)
    assert [s.id for s in segs] == tok.encode(text)
    assert _rebuilt(tok, segs) == text.encode("utf-8", "surrogatepass")
    for s in segs:
        if s.kind == "text":
            assert s.text == text[s.start:s.end]


def test_a_character_split_into_bytes_shows_its_bytes(mixed_corpus):
    tok = tokkit.train("bpe", mixed_corpus, 300)[300]
    segs = segments(tok, "東")  # not in a 300-token vocabulary: three byte tokens
    assert [s.kind for s in segs] == ["bytes"] * 3
    assert "".join(s.text for s in segs) == "<E6><9D><B1>"


def test_the_hybrid_shows_the_text_a_suffix_covers_not_its_canonical_spelling(toy_tok):
    segs = segments(toy_tok, " kitaplar evler")
    shown = [s.text for s in segs if s.kind == "text"]
    assert "".join(shown) == " kitaplar evler"
    assert "ler" in shown or any(t.endswith("ler") for t in shown)


def test_shown_bytes_and_visible():
    assert shown_bytes("a東".encode()) == "a東"
    assert shown_bytes(b"a\xe6\x9d") == "a<E6><9D>"
    assert shown_bytes(b"\xb1 de") == "<B1> de"
    assert visible(" a\tb\n") == "·a→b⏎"


def test_tokenization_counts(tok):
    from tokkit.segments import tokenization

    text = "Kırmızı şapkalı kız 東京"
    result = tokenization(tok, text, name="mine")
    assert result.name == "mine" and result.ids == tok.encode(text) and result.tokens == len(result.ids)
    assert result.bytes == len(text.encode()) and result.chars == len(text)
    assert result.bytes_per_token == result.bytes / result.tokens and result.roundtrip
    assert result.to_json()["segments"] == [s.to_json() for s in segments(tok, text)]
    empty = tokenization(tok, "")
    assert (empty.tokens, empty.bytes_per_token, empty.chars_per_token) == (0, None, None)
