"""SentencePiece .model files: tiny models trained here (identity and NFKC normalization,
unigram and BPE) and Mistral v3's real model (TOKKIT_DATA_DIR)."""

from __future__ import annotations

import io
import json

import pytest
import sentencepiece as spm
from hypothesis import given
from hypothesis import strategies as st

import tokkit
from tokkit.backends.sentencepiece import PROBE_TEXTS, SentencePieceTokenizer, is_lossless
from tokkit.errors import TokkitError


def _train(model_type: str, normalization: str) -> bytes:
    from conftest import mixed_texts

    out = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(mixed_texts()), model_writer=out, vocab_size=440, model_type=model_type,
        byte_fallback=True, normalization_rule_name=normalization,
        remove_extra_whitespaces=normalization != "identity", character_coverage=0.98,
        hard_vocab_limit=False, minloglevel=2, num_threads=1,
    )
    return out.getvalue()


@pytest.fixture(scope="module")
def tiny_unigram() -> SentencePieceTokenizer:
    return SentencePieceTokenizer(_train("unigram", "identity"), name="tiny-unigram")


@pytest.fixture(scope="module")
def tiny_bpe() -> SentencePieceTokenizer:
    return SentencePieceTokenizer(_train("bpe", "identity"), name="tiny-bpe")


@pytest.fixture(scope="module")
def tiny_nfkc() -> SentencePieceTokenizer:
    return SentencePieceTokenizer(_train("unigram", "nmt_nfkc"), name="tiny-nfkc")


@pytest.fixture(scope="module")
def mistral(data_dir) -> SentencePieceTokenizer:
    return tokkit.load(data_dir / "tokenizers" / "sentencepiece" / "mistral-v3.model")


@pytest.fixture(params=["tiny_unigram", "tiny_bpe", "mistral"])
def lossless(request) -> SentencePieceTokenizer:
    return request.getfixturevalue(request.param)


def test_lossless_models_are_recognised(lossless, tiny_nfkc):
    assert is_lossless(lossless)
    assert not is_lossless(tiny_nfkc)


def test_round_trip_bytes_and_offsets(lossless):
    """Identity normalization with byte fallback loses nothing but U+2581 '▁', which
    SentencePiece writes for a space and so decodes as one. The tokens' bytes are the text
    with the dummy-prefix space in front; the spans tile the text in order."""

    @given(st.text(max_size=60))
    def check(text):
        ids = lossless.encode(text)
        assert lossless.decode(ids) == text.replace("▁", " ")
        expected = (" " + text if text else "").replace("▁", " ")
        assert b"".join(lossless.token_bytes(i) for i in ids) == expected.encode("utf-8")
        pieces = lossless.tokens(text)
        assert [p.id for p in pieces] == ids
        covered, position = [], 0
        for piece in pieces:
            if piece.end > position:  # byte pieces of one character share its span
                assert piece.start == position
                covered.append(text[piece.start:piece.end])
                position = piece.end
        assert "".join(covered) == text

    check()


def test_nfkc_model_gives_back_its_normalized_text(tiny_nfkc):
    """Lossy by design: what comes back is SentencePiece's normalization of the text (NFKC,
    runs of spaces squeezed, leading/trailing spaces removed), meta spaces as spaces and no
    dummy prefix."""
    sp = tiny_nfkc.processor

    @given(st.text(max_size=60))
    def check(text):
        normalized = sp.normalize(text).replace("▁", " ")
        expected = normalized[1:] if normalized.startswith(" ") else normalized
        assert tiny_nfkc.decode(tiny_nfkc.encode(text)) == expected

    check()
    assert tiny_nfkc.decode(tiny_nfkc.encode("  ﬁne   day  ")) == "fine day"


def test_byte_pieces_get_the_whole_character_span(mistral):
    pieces = mistral.tokens("𠀀a")
    assert [p.token for p in pieces] == ["▁", "<0xF0>", "<0xA0>", "<0x80>", "<0x80>", "a"]
    assert [(p.start, p.end) for p in pieces] == [(0, 0)] + [(0, 1)] * 4 + [(1, 2)]
    assert [mistral.token_bytes(p.id) for p in pieces[1:5]] == [b"\xf0", b"\xa0", b"\x80", b"\x80"]


def test_special_text_is_plain_text_and_controls_decode_literally(mistral):
    assert mistral.specials.bos == 1 and mistral.specials.eos == 2 and mistral.specials.unk == 0
    assert 1 not in mistral.encode("<s>[INST]")
    assert mistral.token_bytes(1) is None and mistral.token_bytes(0) is None
    assert mistral.token_to_id("[INST]") == 3 and mistral.token_to_id("no such piece") is None
    hello = mistral.encode("Hello")  # ▁Hello: the dummy-prefix space is dropped only at the very start
    assert mistral.decode(hello + [2] + hello) == "Hello</s> Hello"
    assert mistral.decode([1] + hello) == "<s> Hello"  # as transformers' decoder renders it


def test_encode_batch(mistral):
    texts = PROBE_TEXTS * 3
    assert mistral.encode_batch(texts) == [mistral.encode(t) for t in texts]


VARIED = PROBE_TEXTS + ["<s> [INST] hi [/INST]", " a", "", "▁x", "a\u00a0b", "\x00\x1f control"]


@pytest.mark.parametrize("name", ["tiny_unigram", "tiny_bpe", "tiny_nfkc", "mistral"])
def test_to_transformers_encodes_identically(request, name):
    tokenizer = request.getfixturevalue(name)
    fast = tokenizer.to_transformers()

    @given(st.text(max_size=40))
    def check(text):
        assert fast.encode(text, add_special_tokens=False) == tokenizer.encode(text)

    for text in VARIED:
        if name in ("tiny_unigram", "tiny_nfkc") and "<s>" in text:  # Unigram: see to_transformers
            continue
        assert fast.encode(text, add_special_tokens=False) == tokenizer.encode(text), text
    check()


def test_save_and_load_back(mistral, tmp_path):
    mistral.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "tokkit.json").read_text())
    assert meta["format"] == "sentencepiece" and meta["tokenizer_json"] is True
    again = tokkit.load(tmp_path / "m")
    assert isinstance(again, SentencePieceTokenizer) and again.specials == mistral.specials
    from transformers import PreTrainedTokenizerFast

    plain = PreTrainedTokenizerFast.from_pretrained(str(tmp_path / "m"))
    for text in VARIED:
        assert again.encode(text) == mistral.encode(text)
        assert plain.encode(text, add_special_tokens=False) == mistral.encode(text), text


def test_folder_roles_from_tokenizer_config(tiny_unigram, tmp_path):
    (tmp_path / "tokenizer.model").write_bytes(tiny_unigram.model_bytes)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<s>", "pad_token": {"content": "</s>"}}))
    loaded = tokkit.load(tmp_path)
    assert loaded.specials.eos == tiny_unigram.token_to_id("<s>")
    assert loaded.specials.pad == tiny_unigram.token_to_id("</s>")


def test_corrupt_model_is_one_line_error(data_dir, tmp_path):
    whole = (data_dir / "tokenizers" / "sentencepiece" / "mistral-v3.model").read_bytes()
    (tmp_path / "cut.model").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "junk.model").write_bytes(b"\x0a\xff\xff\xff\xff garbage")
    for name in ("cut.model", "junk.model"):
        with pytest.raises(TokkitError) as info:
            tokkit.load(tmp_path / name)
        assert "\n" not in str(info.value) and name in str(info.value)


def test_a_converter_that_encodes_differently_is_an_error(tiny_bpe, monkeypatch, tmp_path):
    """As transformers < 5.24 did: a BPE without its merges. One line, and no tokenizer.json."""
    import importlib

    from tokenizers import models

    # the module itself: once transformers has exported its function convert_slow_tokenizer
    # (an AutoTokenizer load does), ``import transformers.convert_slow_tokenizer as`` gives the function
    convert = importlib.import_module("transformers.convert_slow_tokenizer")

    real = convert.SpmConverter.build_tokenizer_from_spm_proto

    def without_merges(proto, vocab, merges=None):
        rust = real(proto, vocab)
        rust.model = models.BPE(vocab=vocab, merges=[], byte_fallback=True)
        return rust

    monkeypatch.setattr(convert.SpmConverter, "build_tokenizer_from_spm_proto", staticmethod(without_merges))
    with pytest.raises(TokkitError, match="encodes .* differently from SentencePiece; tokkit needs transformers >= 5.24"):
        tiny_bpe.to_transformers()
    tiny_bpe.save(tmp_path / "m")
    assert (tmp_path / "m" / "tokenizer.model").is_file() and not (tmp_path / "m" / "tokenizer.json").exists()
