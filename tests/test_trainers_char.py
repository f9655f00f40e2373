"""The char trainer: character BPE with tokens of at most K characters, byte fallback."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import mixed_texts

import tokkit
from tokkit.corpora import TextCorpus
from tokkit.errors import TokkitError

SPECIALS_AND_BYTES = 2 + 256


def learnt(tok) -> list[str]:
    """The tokens after the special tokens and the 256 byte tokens."""
    return [tok.id_to_token(i) for i in range(SPECIALS_AND_BYTES, tok.vocab_size)]


@pytest.mark.parametrize("max_chars", [2, 3, 4])
def test_tokens_are_at_most_max_chars_long_and_reach_it(mixed_corpus, max_chars):
    tok = tokkit.train("char", mixed_corpus, 450, max_chars=max_chars)[450]
    assert max(len(t) for t in learnt(tok)) == max_chars


def test_one_character_tokens_are_the_most_frequent_characters(mixed_corpus):
    tokenizers = tokkit.train("char", mixed_corpus, [300, 350], max_chars=1)
    counts = Counter("".join(mixed_texts()))
    ranked = sorted(counts, key=lambda c: (-counts[c], c))
    for size, tok in tokenizers.items():
        assert learnt(tok) == ranked[: size - SPECIALS_AND_BYTES]
        assert tok.backend.to_str().count('"merges":[]') == 1


def test_characters_outside_the_vocabulary_fall_back_to_bytes(mixed_corpus):
    tok = tokkit.train("char", mixed_corpus, 450)[450]
    assert [tok.id_to_token(i) for i in tok.encode("ქ")] == ["<0xE1>", "<0x83>", "<0xA5>"]
    assert [tok.id_to_token(i) for i in range(2, 5)] == ["<0x00>", "<0x01>", "<0x02>"]


def test_coverage_sets_the_alphabet(mixed_corpus):
    everything = len(set("".join(mixed_texts())))
    full = tokkit.train("char", mixed_corpus, 600, character_coverage=1.0)[600]
    assert sum(len(t) == 1 for t in learnt(full)) == everything
    fewer = tokkit.train("char", mixed_corpus, 600, character_coverage=0.95)[600]
    assert sum(len(t) == 1 for t in learnt(fewer)) < everything
    with pytest.raises(TokkitError, match="character_coverage"):
        tokkit.train("char", mixed_corpus, 300)


def test_byte_token_names_cannot_be_learnt_from_text():
    corpus = TextCorpus(["<0x41> <0xE2><0x96>"] * 50 + ["plain words here"] * 5)
    tok = tokkit.train("char", corpus, 290, max_chars=6)[290]
    assert not any(t.startswith("<0x") for t in learnt(tok))
    assert tok.decode(tok.encode("<0x41>")) == "<0x41>"


def test_bad_options_are_refused(mixed_corpus):
    with pytest.raises(TokkitError, match="max_chars must be at least 1, not 0"):
        tokkit.train("char", mixed_corpus, 450, max_chars=0)
    with pytest.raises(TokkitError, match="pretokenizer must be one of gpt2, cl100k"):
        tokkit.train("char", mixed_corpus, 450, pretokenizer="none")
