"""GGUF vocabularies: llama.cpp's reference tokenizations, round trips, roles, conversion,
saving, bad files. Reference data is llama.cpp's (TOKKIT_DATA_DIR/tokenizers/gguf)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tokkit
from tokkit.backends.gguf import load_gguf
from tokkit.backends.gguf_metadata import read_metadata
from tokkit.backends.hf import HFTokenizer
from tokkit.errors import TokkitError

SMALL = ["gpt-2", "phi-3", "llama-spm"]
LARGE = ["llama-bpe", "qwen2"]  # 128k / 152k vocabularies: every reference test takes seconds
BYTE_LEVEL = ["gpt-2", "llama-bpe", "qwen2"]
SPM = ["phi-3", "llama-spm"]


def _param(name: str):
    return pytest.param(name, marks=pytest.mark.slow) if name in LARGE else name


@functools.lru_cache(maxsize=None)
def _load(path: str) -> HFTokenizer:
    return load_gguf(Path(path), Path(path).name)


def vocab_file(data_dir: Path, name: str) -> Path:
    return data_dir / "tokenizers" / "gguf" / f"ggml-vocab-{name}.gguf"


def read_references(path: Path) -> list[tuple[str, list[int]]]:
    """llama.cpp's test-tokenizer-0 format: inputs separated by a line ``__ggml_vocab_test__``
    (the text after the last separator is empty and ends the list), one line of ids per
    input. llama.cpp tokenizes them with add_special=False: no BOS."""
    raw = Path(f"{path}.inp").read_text(encoding="utf-8")
    inputs = raw.split("\n__ggml_vocab_test__\n")
    if inputs and inputs[-1] == "":
        inputs.pop()
    outputs = Path(f"{path}.out").read_text(encoding="utf-8").splitlines()
    assert len(inputs) == len(outputs)
    return [(text, [int(t) for t in line.split()]) for text, line in zip(inputs, outputs)]


@pytest.mark.parametrize("name", [_param(n) for n in SMALL + LARGE])
def test_reproduces_llama_cpp_references(data_dir, name):
    path = vocab_file(data_dir, name)
    tokenizer = _load(str(path))
    references = read_references(path)
    wrong = [(text, ids, tokenizer.encode(text)) for text, ids in references if tokenizer.encode(text) != ids]
    assert not wrong, f"{len(references) - len(wrong)}/{len(references)} reproduced; first miss: {wrong[0]}"
    assert len(references) == 46


@pytest.mark.slow
def test_llama3_pre_token_in_vocabulary_is_one_token(data_dir):
    """The llama-bpe reference transformers' GGUF conversion misses: 'Việt' is a Llama-3
    token that its merges cannot build; llama.cpp (ignore_merges) emits it whole."""
    tokenizer = _load(str(vocab_file(data_dir, "llama-bpe")))
    assert tokenizer.encode("Cửa Việt") == [34, 91163, 101798]
    assert tokenizer.backend.model.ignore_merges


text_strategy = st.text(max_size=80)


@pytest.mark.parametrize("name", [_param(n) for n in BYTE_LEVEL])
def test_byte_level_round_trip_and_bytes(data_dir, name):
    tokenizer = _load(str(vocab_file(data_dir, name)))

    @given(text_strategy)
    def check(text):
        ids = tokenizer.encode(text)
        assert tokenizer.decode(ids) == text
        assert b"".join(tokenizer.token_bytes(i) for i in ids) == text.encode("utf-8")

    check()


@pytest.mark.parametrize("name", SPM)
def test_sentencepiece_vocabulary_round_trip(data_dir, name):
    """Lossless except U+2581 '▁', which the SentencePiece vocabulary cannot tell from a
    space; the bytes of the tokens are the text with the dummy-prefix space in front."""
    tokenizer = _load(str(vocab_file(data_dir, name)))

    @given(st.text(max_size=60).filter(lambda t: "<" not in t))  # no control-token literals
    def check(text):
        ids = tokenizer.encode(text)
        assert tokenizer.decode(ids) == text.replace("▁", " ")
        expected = (" " + text if text else "").replace("▁", " ").encode("utf-8")
        assert b"".join(tokenizer.token_bytes(i) for i in ids) == expected

    check()


def _reader_contents(path: Path) -> dict:
    """Every key-value pair as gguf's own GGUFReader gives it (the oracle)."""
    from gguf import GGUFReader

    return {key: field.contents() for key, field in GGUFReader(str(path)).fields.items() if not key.startswith("GGUF.")}


@pytest.mark.parametrize("name", [_param(n) for n in SMALL + LARGE])
def test_metadata_reader_equals_gguf_reader(data_dir, name):
    path = vocab_file(data_dir, name)
    metadata = read_metadata(path)
    assert metadata == _reader_contents(path)
    assert len(metadata["tokenizer.ggml.tokens"]) > 30000


@pytest.mark.parametrize("endian", ["little", "big"])
def test_metadata_reader_every_value_type(tmp_path, endian):
    """Each scalar type, strings (non-ASCII, empty) and arrays, in both byte orders."""
    import gguf

    path = tmp_path / f"{endian}.gguf"
    order = gguf.GGUFEndian.BIG if endian == "big" else gguf.GGUFEndian.LITTLE
    writer = gguf.GGUFWriter(str(path), arch="llama", endianess=order)
    values = {"u8": 200, "i8": -5, "u16": 60000, "i16": -30000, "u32": 4_000_000_000, "i32": -2_000_000_000,
              "f32": 1.5, "bool": True, "string": "şİ€😀", "u64": 2**40 + 1, "i64": -(2**40), "f64": 0.1}
    adders = {"u8": writer.add_uint8, "i8": writer.add_int8, "u16": writer.add_uint16, "i16": writer.add_int16,
              "u32": writer.add_uint32, "i32": writer.add_int32, "f32": writer.add_float32, "bool": writer.add_bool,
              "string": writer.add_string, "u64": writer.add_uint64, "i64": writer.add_int64, "f64": writer.add_float64}
    for key, value in values.items():
        adders[key](f"t.{key}", value)
    arrays = {"t.ints": [1, -2, 3], "t.floats": [0.5, -1.25], "t.strings": ["a", "", "ü😀"], "t.flags": [True, False]}
    for key, value in arrays.items():
        writer.add_array(key, value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    metadata = read_metadata(path)
    assert metadata == _reader_contents(path)
    assert {k: metadata[f"t.{k}"] for k in values} == values
    assert {k: metadata[k] for k in arrays} == arrays


def test_roles_and_chat_template_come_from_metadata(data_dir):
    """phi-3's eos is <|endoftext|> (32000) by its metadata, not '</s>' (2) as the token
    text suggests; pad too; the chat template travels with the tokenizer."""
    path = vocab_file(data_dir, "phi-3")
    meta = _reader_contents(path)
    tokenizer = _load(str(path))
    assert tokenizer.specials.eos == meta["tokenizer.ggml.eos_token_id"] == 32000
    assert tokenizer.specials.bos == meta["tokenizer.ggml.bos_token_id"]
    assert tokenizer.specials.pad == meta["tokenizer.ggml.padding_token_id"]
    assert tokenizer.specials.unk == meta["tokenizer.ggml.unknown_token_id"]
    assert tokenizer.chat_template == meta["tokenizer.chat_template"]
    assert tokenizer.token_bytes(32000) is None and 32000 in tokenizer.special_ids


VARIED = [
    "Hello world! It's 2024: 1234567890 cats, 3.14 dogs.",
    "  leading and   inner  spaces\tand tabs\nnew lines\n\n\n",
    "Kırmızı İstanbul; größer, naïve café — “quotes” y'all DON'T",
    "敏捷的棕色狐狸 日本語 한국어 Быстрая лиса الثعلب तेज़",
    "emoji 🎉🚀👩‍👩‍👧 rare 𠀀𝔘 x\u0301",
    "def f(x):\n    return x ** 2  # code",
]


@pytest.mark.parametrize("name", SMALL)
def test_to_transformers_and_save_reload_encode_identically(data_dir, tmp_path, name):
    tokenizer = _load(str(vocab_file(data_dir, name)))
    fast = tokenizer.to_transformers()
    tokenizer.save(tmp_path / "saved")
    again = tokkit.load(tmp_path / "saved")
    assert (tmp_path / "saved" / "tokenizer.json").is_file()
    assert again.specials == tokenizer.specials
    for text in VARIED:
        ids = tokenizer.encode(text)
        assert fast.encode(text, add_special_tokens=False) == ids
        assert again.encode(text) == ids


# -- bad files ------------------------------------------------------------------------------
def _write_gguf(path: Path, model: str, pre: str | None) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_tokenizer_model(model)
    if pre is not None:
        writer.add_tokenizer_pre(pre)
    writer.add_token_list(["a", "b", "ab"])
    writer.add_token_types([1, 1, 1])
    writer.add_token_merges(["a b"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    return path


def _one_line_error(spec) -> str:
    with pytest.raises(TokkitError) as info:
        tokkit.load(spec)
    message = str(info.value)
    assert message and "\n" not in message
    return message


def test_tiny_gguf_and_bad_pre_or_model(tmp_path):
    tiny = tokkit.load(_write_gguf(tmp_path / "tiny.gguf", "gpt2", "gpt-2"))
    assert [tiny.id_to_token(i) for i in tiny.encode("aba")] == ["ab", "a"]
    message = _one_line_error(_write_gguf(tmp_path / "pre.gguf", "gpt2", "no-such-pre"))
    assert "no-such-pre" in message
    message = _one_line_error(_write_gguf(tmp_path / "bert.gguf", "bert", None))
    assert "'bert'" in message


def test_truncated_and_corrupt_gguf(data_dir, tmp_path):
    whole = vocab_file(data_dir, "gpt-2").read_bytes()
    (tmp_path / "cut.gguf").write_bytes(whole[: len(whole) // 3])
    assert "cut.gguf" in _one_line_error(tmp_path / "cut.gguf")
    (tmp_path / "noise.gguf").write_bytes(b"GGUF" + np.random.default_rng(0).bytes(4000))
    _one_line_error(tmp_path / "noise.gguf")
    (tmp_path / "empty.gguf").write_bytes(b"")
    assert "empty.gguf" in _one_line_error(tmp_path / "empty.gguf")
    (tmp_path / "v9.gguf").write_bytes(b"GGUF" + (9).to_bytes(4, "little") + whole[8:])
    assert "version 9" in _one_line_error(tmp_path / "v9.gguf")
    # the first key's length (after magic, version, tensor and key counts) made huge
    (tmp_path / "long.gguf").write_bytes(whole[:24] + (2**62).to_bytes(8, "little") + whole[32:])
    assert "runs past the end" in _one_line_error(tmp_path / "long.gguf")


def _write_tiny_llama(path: Path) -> Path:
    """A one-block Llama with random float32 weights and a 32-token vocabulary, as llama.cpp lays it out."""
    import gguf

    rng = np.random.default_rng(0)
    vocab, dim, ff, kv = 32, 16, 32, 8
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_block_count(1)
    writer.add_context_length(64)
    writer.add_embedding_length(dim)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(2)
    writer.add_head_count_kv(1)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(8)
    writer.add_vocab_size(vocab)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list([chr(97 + i) for i in range(26)] + [f"<{i}>" for i in range(26, vocab)])
    writer.add_token_merges([])
    shapes = {"token_embd": (vocab, dim), "output_norm": (dim,), "blk.0.attn_norm": (dim,), "blk.0.attn_q": (dim, dim),
              "blk.0.attn_k": (kv, dim), "blk.0.attn_v": (kv, dim), "blk.0.attn_output": (dim, dim),
              "blk.0.ffn_norm": (dim,), "blk.0.ffn_gate": (ff, dim), "blk.0.ffn_up": (ff, dim), "blk.0.ffn_down": (dim, ff)}
    for name, shape in shapes.items():
        writer.add_tensor(f"{name}.weight", rng.standard_normal(shape).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_gguf_model_loads_with_one_parse(tmp_path, monkeypatch):
    """transformers' GGUF loading inside reading_once: the file parsed once, the same model."""
    import gguf

    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokkit.causal_lm import reading_gguf_once

    path = _write_tiny_llama(tmp_path / "tiny.gguf")
    parses = []
    reader = gguf.GGUFReader
    monkeypatch.setattr(gguf, "GGUFReader", lambda *args, **kwargs: parses.append(args) or reader(*args, **kwargs))
    counting, name_map = gguf.GGUFReader, gguf.get_tensor_name_map

    def load():
        return transformers.AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file=path.name, dtype=torch.float32)

    plain = load()
    parses.clear()
    with reading_gguf_once():
        once = load()
    assert len(parses) == 1
    assert gguf.GGUFReader is counting and gguf.get_tensor_name_map is name_map  # restored
    assert once.config.to_dict() == plain.config.to_dict()
    expected = plain.state_dict()
    assert once.state_dict().keys() == expected.keys()
    assert all(torch.equal(tensor, expected[name]) for name, tensor in once.state_dict().items())


# -- the real model --------------------------------------------------------------------------
@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    value = os.environ.get("TOKKIT_SMOLLM2")
    if not value or not Path(value).exists():
        pytest.skip("TOKKIT_SMOLLM2 is not set to the SmolLM2-135M GGUF file")
    path = Path(value)
    return path if path.is_file() else next(path.glob("*.gguf"))


@pytest.mark.smollm2
def test_smollm2_matches_transformers(smollm2_gguf):
    """The real model file: same ids as transformers' own GGUF loader; roles from metadata."""
    from transformers import AutoTokenizer

    tokenizer = tokkit.load(smollm2_gguf)
    reference = AutoTokenizer.from_pretrained(str(smollm2_gguf.parent), gguf_file=smollm2_gguf.name)
    for text in VARIED + ["<|im_start|>user\nHi<|im_end|>", "33333 + 4444 = 37777"]:
        assert tokenizer.encode(text) == reference.encode(text, add_special_tokens=False), text
    meta = _reader_contents(smollm2_gguf)
    assert tokenizer.specials.bos == meta["tokenizer.ggml.bos_token_id"]
    assert tokenizer.specials.eos == meta["tokenizer.ggml.eos_token_id"]
    assert tokenizer.specials.pad == meta["tokenizer.ggml.padding_token_id"]
    assert tokenizer.specials.unk == meta["tokenizer.ggml.unknown_token_id"]
    assert tokenizer.chat_template == meta["tokenizer.chat_template"]
