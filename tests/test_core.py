"""The Tokenizer contract, loading, saving and the trainer registry, on a small BPE."""

from __future__ import annotations

import json

import pytest
from conftest import MIXED_TEXT
from hypothesis import given
from hypothesis import strategies as st

import tokkit
from tokkit.corpora import TextCorpus
from tokkit.errors import TokkitError


@pytest.fixture(scope="module")
def bpe(mixed_corpus):
    return tokkit.train("bpe", mixed_corpus, 400)[400]


@given(st.text())
def test_token_bytes_concatenate_to_the_text(bpe, text):
    ids = bpe.encode(text)
    assert bpe.decode(ids) == text
    assert b"".join(bpe.token_bytes(i) for i in ids) == text.encode("utf-8")


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_pieces_carry_ids_and_offsets_in_order(bpe, text):
    pieces = bpe.tokens(text)
    assert [p.id for p in pieces] == bpe.encode(text)
    for piece in pieces:
        assert 0 <= piece.start <= piece.end <= len(text)
        assert piece.token == bpe.id_to_token(piece.id)
    starts = [p.start for p in pieces]
    assert starts == sorted(starts)


def test_specials_by_role_carry_no_bytes(bpe):
    roles = dict(bpe.specials.items())
    assert bpe.id_to_token(roles["eos"]) == "<|endoftext|>"
    assert roles["bos"] == roles["eos"]
    assert bpe.id_to_token(roles["pad"]) == "<|pad|>"
    for id in roles.values():
        assert bpe.is_special(id) and bpe.token_bytes(id) is None
    assert bpe.all_token_bytes()[roles["pad"]] is None
    assert len(bpe.all_token_bytes()) == bpe.vocab_size


def test_encode_batch_equals_encode(bpe):
    texts = ["one", "", "İstanbul'da 2024", "敏捷的棕色狐狸"]
    assert bpe.encode_batch(texts) == [bpe.encode(t) for t in texts]


def test_save_and_load_give_the_same_tokenizer(bpe, mixed_corpus, tmp_path):
    folder = bpe.save(tmp_path / "tok")
    assert sorted(p.name for p in folder.iterdir()) == ["tokenizer.json", "tokenizer_config.json", "tokkit.json"]
    meta = json.loads((folder / "tokkit.json").read_text())
    assert meta["algorithm"] == "bpe" and meta["vocab_size"] == 400 and meta["seed"] == 0
    assert meta["corpus"] == {"spec": mixed_corpus.spec, "sha256": mixed_corpus.fingerprint()}
    loaded = tokkit.load(folder)
    text = "The quick brown fox İı 🎉"
    assert loaded.encode(text) == bpe.encode(text)
    assert loaded.specials == bpe.specials
    # the plain tokenizer.json loads too, and the roles come from tokenizer_config.json
    plain = tokkit.load(folder / "tokenizer.json")
    assert plain.encode(text) == bpe.encode(text) and plain.specials == bpe.specials


def test_save_refuses_an_existing_folder_and_force_replaces_it(bpe, tmp_path):
    target = tmp_path / "tok"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    with pytest.raises(TokkitError, match="exists"):
        bpe.save(target)
    assert (target / "keep.txt").exists()
    bpe.save(target, force=True)
    assert not (target / "keep.txt").exists() and (target / "tokenizer.json").exists()


def test_a_failed_save_leaves_nothing(bpe, tmp_path, monkeypatch):
    def broken(folder):
        (folder / "tokenizer.json").write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(bpe, "_write", broken)
    with pytest.raises(TokkitError, match="cannot write .*tok: disk full"):
        bpe.save(tmp_path / "tok")
    assert list(tmp_path.iterdir()) == []


def test_to_transformers_encodes_identically(bpe):
    fast = bpe.to_transformers()
    for text in ["Hello world", "İstanbul'da  2024 yılında\n\tsekme", "🎉 emoji ZWJ 👩‍👩‍👧", ""]:
        assert fast.encode(text, add_special_tokens=False) == bpe.encode(text)
        assert fast.decode(bpe.encode(text)) == text
    assert fast.eos_token == "<|endoftext|>" and fast.pad_token == "<|pad|>"


#: a tokenizer of each kind byte_level works with, in TOKKIT_DATA_DIR/tokenizers
REAL_TOKENIZERS = {
    "sentencepiece": "sentencepiece/mistral-v3.model",
    "gguf-byte-level-bpe": "gguf/ggml-vocab-gpt-2.gguf",
    "gguf-sentencepiece": "gguf/ggml-vocab-llama-spm.gguf",
    "tiktoken": "tiktoken/cl100k_base.tiktoken",
}


@pytest.mark.parametrize("kind", ["trained-bpe", *(pytest.param(k, marks=pytest.mark.realdata) for k in REAL_TOKENIZERS)])
def test_to_tokenizers_encodes_identically(request, bpe, kind):
    """The Rust tokenizer that byte-level code re-encodes with gives the tokenizer's ids, on
    every kind byte_level works with; special tokens' text is plain text to both."""
    tokenizer = bpe if kind == "trained-bpe" else tokkit.load(request.getfixturevalue("data_dir") / "tokenizers" / REAL_TOKENIZERS[kind])
    rust = tokenizer.to_tokenizers()
    texts = [*MIXED_TEXT, "  runs of   spaces \n\n\t", "don't WE'LL 12345", "<|endoftext|> <s></s><unk>", ""]
    assert [rust.encode(text, add_special_tokens=False).ids for text in texts] == [tokenizer.encode(text) for text in texts]


def test_to_tokenizers_of_a_tokenizers_backend_is_that_backend(bpe):
    assert bpe.to_tokenizers() is bpe.backend


def test_load_rejects_missing_unknown_and_corrupt_files(tmp_path):
    with pytest.raises(TokkitError, match="no tokenizer at"):
        tokkit.load(tmp_path / "missing")
    unknown = tmp_path / "notes.txt"
    unknown.write_text("just some words\n")
    with pytest.raises(TokkitError, match="cannot tell what tokenizer format"):
        tokkit.load(unknown)
    corrupt = tmp_path / "tokenizer.json"
    corrupt.write_text('{"version": "1.0", "model": {"type": "BPE", "vocab": 3}}')
    with pytest.raises(TokkitError, match="not a valid tokenizer.json"):
        tokkit.load(corrupt)


def test_registry_names_the_algorithms_and_rejects_unknown_ones():
    names = tokkit.trainer_names()
    for name in ("bpe", "unigram", "char", "superword", "supertoken", "hybrid"):
        assert name in names
    with pytest.raises(TokkitError, match="unknown algorithm 'nope'.*bpe"):
        tokkit.get_trainer("nope")


def test_bad_sizes_and_empty_corpora_are_refused(mixed_corpus):
    with pytest.raises(TokkitError, match="below the 258"):
        tokkit.train("bpe", mixed_corpus, 100)
    with pytest.raises(TokkitError, match="gives only"):
        tokkit.train("bpe", mixed_corpus, 100_000)
    with pytest.raises(TokkitError, match="empty"):
        tokkit.train("bpe", TextCorpus(["", ""]), 300)
    with pytest.raises(TokkitError, match="bpe"):
        tokkit.train("bpe", mixed_corpus, 300, no_such_option=1)


def test_smaller_sizes_are_prefixes_of_the_largest(mixed_corpus):
    tokenizers = tokkit.train("bpe", mixed_corpus, [300, 500])
    small, large = tokenizers[300], tokenizers[500]
    assert small.vocab_size == 300 and large.vocab_size == 500
    for i in range(300):
        assert small.id_to_token(i) == large.id_to_token(i)
    fresh = tokkit.train("bpe", mixed_corpus, 300)[300]
    assert json.loads(fresh.backend.to_str())["model"]["merges"] == json.loads(small.backend.to_str())["model"]["merges"]


def test_a_saved_role_outside_the_vocabulary_is_one_clear_error(bpe, tmp_path):
    folder = bpe.save(tmp_path / "tok")
    meta = json.loads((folder / "tokkit.json").read_text())
    meta["specials"]["eos"] = 10_000
    (folder / "tokkit.json").write_text(json.dumps(meta))
    with pytest.raises(TokkitError, match="eos token id 10000 is outside the vocabulary"):
        tokkit.load(folder)


def test_tokenizer_config_roles_are_read_in_both_spellings_and_bad_ones_refused(bpe, tmp_path):
    folder = tmp_path / "hf"
    folder.mkdir()
    bpe.backend.save(str(folder / "tokenizer.json"))
    config = folder / "tokenizer_config.json"
    config.write_text(json.dumps({"eos_token": {"content": "<|pad|>"}, "bos_token": "<|endoftext|>", "unk_token": "<nope>",
                                  "chat_template": [{"name": "default", "template": "x"}]}))
    loaded = tokkit.load(folder)
    assert (loaded.specials.bos, loaded.specials.eos, loaded.specials.unk) == (bpe.specials.bos, bpe.specials.pad, None)
    assert loaded.chat_template is None  # a list of named templates is not one template
    for bad, message in (([1, 2], "not a JSON object"), ({"bos_token": 5}, "bos_token must be a string, not int"), ("{", "not valid JSON")):
        config.write_text(bad if isinstance(bad, str) else json.dumps(bad))
        with pytest.raises(TokkitError, match=message):
            tokkit.load(folder)


@pytest.mark.parametrize("change, message", [
    ({"specials": [0, 1]}, "specials must be an object, not [0, 1]"),
    ({"specials": "bos"}, 'specials must be an object, not "bos"'),
    ({"specials": {"bos": "0"}}, 'specials.bos must be a whole number, not "0"'),
    ({"specials": {"bos": 0.5}}, "specials.bos must be a whole number, not 0.5"),
    ({"specials": {"bos": 1.0}}, "specials.bos must be a whole number, not 1.0"),
    ({"specials": {"bos": True}}, "specials.bos must be a whole number, not true"),
    ({"specials": {"bos": None}}, "specials.bos must be a whole number, not null"),
    ({"specials": {"cls": 0}}, "specials.cls is not one of the keys bos, eos, pad, unk"),
    ({"format": 3}, "format must be a string, not 3"),
    ({"format": ["hf"]}, 'format must be a string, not ["hf"]'),
    ({"params": "x"}, 'params must be an object, not "x"'),
    ({"algorithm": {}}, "algorithm must be a string, not {}"),
    ({"corpus": ["sample"]}, 'corpus must be an object or null, not ["sample"]'),
    ({"seed": "0"}, 'seed must be a whole number or null, not "0"'),
])
def test_a_wrong_typed_tokkit_json_is_one_line_naming_the_field(bpe, tmp_path, capsys, change, message):
    from conftest import cli, one_error_line

    folder = bpe.save(tmp_path / "tok")
    meta = json.loads((folder / "tokkit.json").read_text())
    (folder / "tokkit.json").write_text(json.dumps({**meta, **change}))
    with pytest.raises(TokkitError) as caught:
        tokkit.load(folder)
    assert str(caught.value) == f"{folder / 'tokkit.json'}: {message}"
    code, _, err = cli(capsys, "info", folder)
    assert code == 1 and message in one_error_line(err)


@pytest.mark.parametrize("content", ["[1, 2]", '"x"', "3", "null"])
def test_a_tokkit_json_that_is_no_object_is_one_line(bpe, tmp_path, content):
    folder = bpe.save(tmp_path / "tok")
    (folder / "tokkit.json").write_text(content)
    with pytest.raises(TokkitError) as caught:
        tokkit.load(folder)
    assert str(caught.value) == f"{folder / 'tokkit.json'} must be an object, not {content}"


def test_the_fields_a_loader_does_not_read_may_hold_anything_and_null_provenance_loads(bpe, tmp_path):
    folder = bpe.save(tmp_path / "tok")
    meta = json.loads((folder / "tokkit.json").read_text())
    (folder / "tokkit.json").write_text(json.dumps({**meta, "name": 5, "vocab_size": "many", "corpus": None, "seed": None}))
    loaded = tokkit.load(folder)
    assert loaded.encode("Hello world") == bpe.encode("Hello world") and loaded.provenance.corpus is None


@pytest.mark.parametrize("new_id", [10_000, 5])
def test_a_tokenizer_json_whose_ids_leave_a_gap_is_one_line(bpe, tmp_path, capsys, new_id):
    """The Rust loader takes a token moved to an id past the end, or onto another's id;
    the gap it leaves was an IndexError in tokkit eval."""
    from conftest import cli, one_error_line

    folder = bpe.save(tmp_path / "tok")
    config = json.loads((folder / "tokenizer.json").read_text())
    vocab = config["model"]["vocab"]
    moved = next(token for token, i in vocab.items() if i == 300)
    vocab[moved] = new_id
    (folder / "tokenizer.json").write_text(json.dumps(config))
    with pytest.raises(TokkitError, match="its ids are not 0 to 399 with one token each"):
        tokkit.load(folder)
    code, _, err = cli(capsys, "eval", folder, "--corpus", "sample:eng")
    assert code == 1 and "(id 300 has none)" in one_error_line(err)
