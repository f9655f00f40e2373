"""The unigram trainer: SentencePiece's segmentation, converted losslessly."""

from __future__ import annotations

import pytest
from conftest import MIXED_TEXT, mixed_texts

import tokkit
from tokkit.corpora import CorpusError, TextCorpus, open_corpus
from tokkit.errors import TokkitError
from tokkit.trainers.unigram import UnigramOptions, spm_to_hf, spm_trainer_args, train_spm


@pytest.fixture(scope="module")
def spm_and_hf(mixed_corpus):
    sp = train_spm(mixed_texts(), spm_trainer_args(UnigramOptions(), 468), mixed_corpus, 470)
    return sp, spm_to_hf(sp)


def test_the_converted_model_segments_as_sentencepiece_does(spm_and_hf):
    sp, hf = spm_and_hf
    texts = mixed_texts() + ["  leading and  double spaces ", "Unseen: ქართული ✓ 🎉", "tabs\tand\nnewlines\r\n"]
    same = 0
    for text in texts:
        spm_pieces = [p.replace("▁", " ") for p in sp.encode(text, out_type=str)]
        same += spm_pieces == hf.encode(text, add_special_tokens=False).tokens
    assert same / len(texts) >= 0.99


def test_token_layout(mixed_corpus):
    tok = tokkit.train("unigram", mixed_corpus, 440)[440]
    assert [tok.id_to_token(i) for i in range(4)] == ["<|endoftext|>", "<|pad|>", "<unk>", "<0x00>"]
    assert tok.id_to_token(258) == "<0xFF>" and tok.token_bytes(3 + 0x41) == b"A"
    assert tok.specials.unk == 2 and tok.is_special(2)
    assert all("▁" not in tok.id_to_token(i) for i in range(259, tok.vocab_size))
    assert any(tok.id_to_token(i).startswith(" ") for i in range(259, tok.vocab_size))


def test_meta_space_and_byte_names_in_the_text_stay_text(mixed_corpus):
    tok = tokkit.train("unigram", mixed_corpus, 440)[440]
    ids = tok.encode("a▁b")
    assert [tok.id_to_token(i) for i in ids][1:4] == ["<0xE2>", "<0x96>", "<0x81>"]
    ids = tok.encode("x <0x41> y")
    assert tok.decode(ids) == "x <0x41> y"
    assert tok.token_to_id("<0x41>") not in ids


def test_sizes_below_the_alphabet_say_what_to_do(mixed_corpus):
    with pytest.raises(TokkitError, match="character_coverage"):
        tokkit.train("unigram", mixed_corpus, 300)
    # fewer characters covered: a smaller vocabulary becomes possible
    tok = tokkit.train("unigram", mixed_corpus, 410, character_coverage=0.98)[410]
    assert tok.vocab_size == 410
    with pytest.raises(TokkitError, match=r"character_coverage must be in \[0.98, 1\], not 0.9"):
        tokkit.train("unigram", mixed_corpus, 400, character_coverage=0.9)
    with pytest.raises(TokkitError, match="gives only"):
        tokkit.train("unigram", mixed_corpus, [420, 5000])


def test_threads_are_part_of_the_recipe(mixed_corpus):
    tok = tokkit.train("unigram", mixed_corpus, 440, num_threads=1)[440]
    assert tok.provenance.params["num_threads"] == 1
    assert tok.decode(tok.encode(MIXED_TEXT[1])) == MIXED_TEXT[1]


def test_sentencepiece_keeps_a_seeded_sample_of_at_most_max_sentences(mixed_corpus):
    whole = tokkit.train("unigram", mixed_corpus, 440)[440]
    part = tokkit.train("unigram", mixed_corpus, 440, max_sentences=120)[440]
    assert part.provenance.params["max_sentences"] == 120 and whole.provenance.params["max_sentences"] == 1_000_000
    assert part.provenance.corpus["sample"] == 120 and "sample=120, seed=0" in part.provenance.corpus["spec"]
    assert "sample" not in whole.provenance.corpus
    pieces = {tok: [t.id_to_token(i) for i in range(t.vocab_size)] for tok, t in (("whole", whole), ("part", part))}
    assert pieces["whole"] != pieces["part"]
    again = tokkit.train("unigram", mixed_corpus, 440, max_sentences=120)[440]
    assert again.backend.to_str() == part.backend.to_str()
    reseeded = tokkit.train("unigram", mixed_corpus, 440, max_sentences=120, seed=5)[440]
    assert reseeded.backend.to_str() != part.backend.to_str()
    assert tokkit.train("unigram", mixed_corpus, 440, max_sentences=0)[440].backend.to_str() == whole.backend.to_str()


def test_errors_while_sentencepiece_reads_are_tokkits(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("\n".join(mixed_texts()).encode("utf-8") + b"\ncaf\xe9\n")
    with pytest.raises(CorpusError, match=r"bad\.txt is not valid UTF-8: byte offset \d+ \(line \d+\)"):
        tokkit.train("unigram", open_corpus(str(bad)), 440)
    with pytest.raises(TokkitError, match="empty"):
        tokkit.train("unigram", TextCorpus(["", ""]), 440)
