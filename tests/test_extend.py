"""Vocabulary extension (``tokkit extend``, ``tokkit.extend``): every old token, id and
merge kept byte for byte; text that needs no new token encodes as the base does; the new
tokens shorten the extension corpus; the learner against a brute-force BPE; characters a
base spells in bytes become pieces; a token an unbuilt SentencePiece piece would absorb
is refused; the formats that cannot be extended; the CLI's bad inputs; a transplant onto
an extended vocabulary copies every old row by id."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tokkit
from conftest import cli, mixed_texts, one_error_line, word_salad
from tokkit.corpora import TextCorpus
from tokkit.errors import InvalidValue, TokkitError
from tokkit.trainers.extension import extend

#: text unlike the mixed sample the small bases were trained on: new pairs to merge
EXTRA = [line.lower() for line in word_salad(3, 300)]


def model_json(tokenizer) -> dict:
    return json.loads(tokenizer.to_tokenizers().to_str())["model"]


def keeps_old_encodings(base, extended, texts) -> int:
    """Check that every text whose extended encoding holds no new id encodes as the base
    does; return how many needed no new id."""
    plain = 0
    for text in texts:
        ids = extended.encode(text)
        if all(i < base.vocab_size for i in ids):
            assert ids == base.encode(text), text
            plain += 1
    return plain


# -- tokenizer.json BPE ------------------------------------------------------------------
@pytest.fixture(scope="module")
def bpe_base(mixed_corpus):
    return tokkit.train("bpe", mixed_corpus, 400)[400]


@pytest.fixture(scope="module")
def bpe_extended(bpe_base):
    return extend(bpe_base, TextCorpus(EXTRA, spec="<salad>"), 120)


def test_bpe_keeps_every_old_token_id_and_merge(bpe_base, bpe_extended):
    old, new = model_json(bpe_base), model_json(bpe_extended)
    assert bpe_extended.vocab_size == bpe_base.vocab_size + 120
    assert {t: i for t, i in new["vocab"].items() if i < bpe_base.vocab_size} == old["vocab"]
    assert new["merges"][: len(old["merges"])] == old["merges"]
    assert len(new["merges"]) == len(old["merges"]) + 120
    assert sorted(new["vocab"].values())[bpe_base.vocab_size:] == list(range(bpe_base.vocab_size, bpe_extended.vocab_size))
    for i in range(bpe_base.vocab_size):
        assert bpe_extended.id_to_token(i) == bpe_base.id_to_token(i)
        assert bpe_extended.token_bytes(i) == bpe_base.token_bytes(i)
    assert bpe_extended.special_ids == bpe_base.special_ids and bpe_extended.specials == bpe_base.specials
    # each new token is its merge's two parts, in the byte alphabet
    for (left, right), i in zip(new["merges"][len(old["merges"]):], range(bpe_base.vocab_size, bpe_extended.vocab_size)):
        assert bpe_extended.id_to_token(i) == left + right


def test_bpe_new_tokens_shorten_the_extension_text_and_keep_old_encodings(bpe_base, bpe_extended):
    assert sum(map(len, bpe_extended.encode_batch(EXTRA))) < 0.8 * sum(map(len, bpe_base.encode_batch(EXTRA)))
    keeps_old_encodings(bpe_base, bpe_extended, mixed_texts(3) + EXTRA)


@given(st.text(max_size=80))
def test_bpe_round_trip_and_old_ids_on_any_text(bpe_base, bpe_extended, text):
    assert bpe_extended.decode(bpe_extended.encode(text)) == text
    keeps_old_encodings(bpe_base, bpe_extended, [text])


def brute_force_extension(base, texts, n):
    """Continue BPE by recounting every pair at every step over the base's encodings of
    each distinct pre-token (ties: the smaller pair of ids), never making a token twice."""
    rust = base.to_tokenizers()
    words = Counter()
    for text in texts:
        enc = rust.encode(text, add_special_tokens=False)
        for w in sorted(set(enc.word_ids)):
            words[tuple(i for i, wid in zip(enc.ids, enc.word_ids) if wid == w)] += 1
    token_bytes = list(base.all_token_bytes())
    known = {b for b in token_bytes if b is not None}
    while len(token_bytes) < base.vocab_size + n:
        pairs = Counter()
        for word, count in words.items():
            for a, b in zip(word, word[1:]):
                if token_bytes[a] is not None and token_bytes[b] is not None:
                    pairs[a, b] += count
        ranked = sorted((-c, p) for p, c in pairs.items() if c >= 2 and token_bytes[p[0]] + token_bytes[p[1]] not in known)
        if not ranked:
            break
        (a, b), new = ranked[0][1], len(token_bytes)
        token_bytes.append(token_bytes[a] + token_bytes[b])
        known.add(token_bytes[-1])
        rewritten = Counter()
        for word, count in words.items():
            out, k = [], 0
            while k < len(word):
                if k + 1 < len(word) and word[k] == a and word[k + 1] == b:
                    out.append(new)
                    k += 2
                else:
                    out.append(word[k])
                    k += 1
            rewritten[tuple(out)] += count
        words = rewritten
    return [token_bytes[i] for i in range(base.vocab_size, len(token_bytes))]


def test_bpe_extension_equals_a_brute_force_bpe(bpe_base):
    texts = EXTRA[:150]
    extended = extend(bpe_base, TextCorpus(texts, spec="<salad>"), 60)
    expected = brute_force_extension(bpe_base, texts, 60)
    assert [extended.token_bytes(i) for i in range(bpe_base.vocab_size, extended.vocab_size)] == expected


def test_more_than_the_corpus_gives_adds_what_it_can_and_says_so(bpe_base):
    extended = extend(bpe_base, TextCorpus(["abcabc xyz abc"] * 3, spec="<tiny>"), 1000)
    params = extended.provenance.params
    assert params["add"] == 1000 and 0 < params["added"] < 1000
    assert extended.vocab_size == bpe_base.vocab_size + params["added"]


def test_saved_folder_loads_with_transformers_alone_and_records_the_base(bpe_base, bpe_extended, tmp_path):
    transformers = pytest.importorskip("transformers")
    bpe_extended.save(tmp_path / "ext")
    fast = transformers.PreTrainedTokenizerFast(tokenizer_file=str(tmp_path / "ext" / "tokenizer.json"))
    for text in EXTRA[:50]:
        assert fast.encode(text, add_special_tokens=False) == bpe_extended.encode(text)
    meta = json.loads((tmp_path / "ext" / "tokkit.json").read_text())
    assert meta["algorithm"] == "extend" and meta["params"]["add"] == 120
    assert meta["params"]["base_fingerprint"] == hashlib.sha256(bpe_base.to_tokenizers().to_str().encode()).hexdigest()
    config = json.loads((tmp_path / "ext" / "tokenizer_config.json").read_text())
    assert config["eos_token"] == bpe_base.id_to_token(bpe_base.specials.eos)
    again = tokkit.load(tmp_path / "ext")
    assert again.encode_batch(EXTRA[:20]) == bpe_extended.encode_batch(EXTRA[:20])


# -- Unigram -------------------------------------------------------------------------------
def test_unigram_keeps_pieces_and_scores_and_old_segmentations(unigram_420):
    extended = extend(unigram_420, TextCorpus(EXTRA, spec="<salad>"), 80)
    old, new = model_json(unigram_420)["vocab"], model_json(extended)["vocab"]
    assert new[: len(old)] == old and len(new) == len(old) + 80
    assert sum(map(len, extended.encode_batch(EXTRA))) < sum(map(len, unigram_420.encode_batch(EXTRA)))
    keeps_old_encodings(unigram_420, extended, EXTRA + mixed_texts(2))


@pytest.fixture(scope="module")
def sentencepiece_unigram(tmp_path_factory):
    import sentencepiece as spm

    folder = tmp_path_factory.mktemp("spm")
    (folder / "text.txt").write_text("\n".join(mixed_texts()), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(folder / "text.txt"), model_prefix=str(folder / "uni"), vocab_size=450,
                                   model_type="unigram", byte_fallback=True, minloglevel=2)
    return tokkit.load(folder / "uni.model")


def test_sentencepiece_unigram_keeps_pieces_and_old_segmentations(sentencepiece_unigram, tmp_path):
    from sentencepiece import sentencepiece_model_pb2

    extended = extend(sentencepiece_unigram, TextCorpus(EXTRA, spec="<salad>"), 50)
    old, new = sentencepiece_model_pb2.ModelProto(), sentencepiece_model_pb2.ModelProto()
    old.ParseFromString(sentencepiece_unigram.model_bytes)
    new.ParseFromString(extended.model_bytes)
    assert list(new.pieces)[: len(old.pieces)] == list(old.pieces) and len(new.pieces) == len(old.pieces) + 50
    assert sum(map(len, extended.encode_batch(EXTRA))) < sum(map(len, sentencepiece_unigram.encode_batch(EXTRA)))
    keeps_old_encodings(sentencepiece_unigram, extended, EXTRA + mixed_texts(2))
    extended.save(tmp_path / "ext")
    assert tokkit.load(tmp_path / "ext").encode_batch(EXTRA[:20]) == extended.encode_batch(EXTRA[:20])


# -- what cannot be extended, bad values -----------------------------------------------------
def test_formats_that_cannot_be_extended_say_which_can(mixed_corpus, toy_tok):
    from tokenizers import Tokenizer as RustTokenizer
    from tokenizers import models, pre_tokenizers

    from tokkit.backends.hf import HFTokenizer

    char = tokkit.train("char", mixed_corpus, 500)[500]
    rust = RustTokenizer(models.WordPiece({"[UNK]": 0, "a": 1, "##b": 2}, unk_token="[UNK]"))
    rust.pre_tokenizer = pre_tokenizers.Whitespace()
    for base, kind in ((char, "character-level"), (HFTokenizer(rust, name="wp"), "WordPiece"), (toy_tok, "hybrid")):
        with pytest.raises(TokkitError, match=f"{kind}.*cannot be extended: tokkit extends BPE"):
            extend(base, ["a b"], 10)


@pytest.mark.parametrize("options, problem", [({"add": 0}, r"add must be in \[1, 16777216\], not 0"),
                                              ({"add": 2.5}, "add must be a whole number"),
                                              ({"add": 10, "min_frequency": 0}, "min_frequency must be at least 1")])
def test_bad_values_are_refused(bpe_base, options, problem):
    with pytest.raises(InvalidValue, match=problem):
        extend(bpe_base, ["a b"], **options)


# -- the command -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base_folder(bpe_base, tmp_path_factory):
    return bpe_base.save(tmp_path_factory.mktemp("base") / "bpe400")


@pytest.fixture
def salad_file(tmp_path):
    path = tmp_path / "salad.txt"
    path.write_text("\n".join(EXTRA) + "\n", encoding="utf-8")
    return path


def test_cli_extends_writes_json_and_refuses_an_existing_output(capsys, base_folder, salad_file, tmp_path):
    out = tmp_path / "ext"
    code, stdout, err = cli(capsys, "extend", base_folder, salad_file, "--add", 50, "--out", out, "--json", "-")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["added"] == 50 and summary["vocab_size"] == 450 and summary["first_new_id"] == 400
    assert summary["characters"] == 0  # a byte-level base spells every character already
    assert tokkit.load(out).vocab_size == 450
    assert json.loads((out / "tokkit.json").read_text())["params"]["base"] == str(base_folder)
    code, _, err = cli(capsys, "extend", base_folder, salad_file, "--add", 50, "--out", out)
    assert code == 1 and "--force" in one_error_line(err)
    code, _, err = cli(capsys, "extend", base_folder, salad_file, "--add", 60, "--out", out, "--force")
    assert code == 0 and tokkit.load(out).vocab_size == 460


def test_cli_says_how_many_it_could_add(capsys, base_folder, tmp_path):
    small = tmp_path / "small.txt"
    small.write_text("abcabc xyz abc\n" * 3, encoding="utf-8")
    code, out, err = cli(capsys, "extend", base_folder, small, "--add", 1000, "--out", tmp_path / "ext")
    assert code == 0, err
    assert "of the 1,000 tokens asked for" in out


@pytest.mark.parametrize("content, problem", [(b"", "empty"), (b"ok\n\xff\xfe bad\n", "UTF-8")])
def test_cli_bad_corpora_are_one_line(capsys, base_folder, tmp_path, content, problem):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(content)
    code, _, err = cli(capsys, "extend", base_folder, corpus, "--add", 10, "--out", tmp_path / "ext")
    assert code == 1 and problem in one_error_line(err)
    assert not (tmp_path / "ext").exists()


def test_cli_refuses_bad_values_and_formats(capsys, base_folder, salad_file, mixed_corpus, tmp_path):
    code, _, err = cli(capsys, "extend", base_folder, salad_file, "--add", 0, "--out", tmp_path / "ext")
    assert code == 1 and "--add must be in [1, 16777216], not 0" in one_error_line(err)
    char = tokkit.train("char", mixed_corpus, 500)[500].save(tmp_path / "char")
    code, _, err = cli(capsys, "extend", char, salad_file, "--add", 10, "--out", tmp_path / "ext")
    assert code == 1 and "cannot be extended" in one_error_line(err)


def test_cli_help_has_examples(capsys):
    code, out, _ = cli(capsys, "extend", "--help")
    assert code == 0 and "Examples" in out and "tokkit extend" in out


# -- transplanting onto an extended vocabulary -------------------------------------------------
def test_transplant_onto_an_extension_copies_every_old_row_by_id(bpe_base, bpe_extended):
    torch = pytest.importorskip("torch")
    from test_transplant import tiny_model

    from tokkit.transplant import correspondence, methods, pipeline

    model = tiny_model("llama-untied", bpe_base.vocab_size)
    before = [model.get_input_embeddings().weight.detach().clone(), model.get_output_embeddings().weight.detach().clone()]
    corr = correspondence.match(bpe_base, bpe_extended)
    assert corr.extends
    assert corr.estimate == list(range(bpe_base.vocab_size, bpe_extended.vocab_size))
    result = pipeline.transplant(model, bpe_base, bpe_extended, methods.get_method("tokenadapt"))
    after = [model.get_input_embeddings().weight, model.get_output_embeddings().weight]
    for old, new in zip(before, after):
        assert torch.equal(new[: bpe_base.vocab_size], old)
        assert not torch.equal(new[bpe_base.vocab_size:], torch.zeros_like(new[bpe_base.vocab_size:]))
    assert result.relation == (f"extends the model's tokenizer: {bpe_base.vocab_size:,} rows copied by id, "
                               f"{bpe_extended.vocab_size - bpe_base.vocab_size:,} estimated")
    assert correspondence.match(bpe_base, tokkit.train("bpe", TextCorpus(EXTRA, spec="<s>"), 420)[420]).relation() is None


def test_same_bytes_at_the_same_id_keep_their_own_row():
    """Two old ids with the same bytes (a byte piece and a character): each keeps its own."""
    from tokkit.transplant import correspondence

    base = tokkit.train("unigram", TextCorpus(mixed_texts(), spec="<m>"), 420)[420]
    corr = correspondence.match(base, base)
    assert all(new == old for new, old in corr.shared.items())


# -- real tokenizers ---------------------------------------------------------------------------
REAL_BASES = {
    "gguf-gpt2": "tokenizers/gguf/ggml-vocab-gpt-2.gguf",
    "gguf-llama-spm": "tokenizers/gguf/ggml-vocab-llama-spm.gguf",
    "gguf-llama3": "tokenizers/gguf/ggml-vocab-llama-bpe.gguf",  # ignore_merges: a pre-token that is a token stays whole
    "cl100k": "tokenizers/tiktoken/cl100k_base.tiktoken",
    "mistral": "tokenizers/sentencepiece/mistral-v3.model",
}


@pytest.fixture(scope="module")
def turkish(data_dir):
    lines = (data_dir / "text" / "tur" / "train.txt").read_text(encoding="utf-8").splitlines()[:20000]
    return TextCorpus(lines, spec="text:tur[:20000]")


@pytest.fixture(scope="module")
def flores(data_dir):
    def read(lang):
        return (data_dir / "flores200" / "devtest" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()

    return {"eng": read("eng_Latn"), "tur": read("tur_Latn")}


@pytest.fixture(scope="module", params=list(REAL_BASES))
def real_pair(request, data_dir, turkish):
    base = tokkit.load(data_dir / REAL_BASES[request.param])
    return request.param, base, extend(base, turkish, 1000)


def old_entries(name, tokenizer):
    """The vocabulary as the format stores it: ranks, ModelProto pieces, or the model JSON."""
    if name == "cl100k":
        return tokenizer.encoding._mergeable_ranks, tokenizer.encoding._special_tokens
    if name == "mistral":
        from sentencepiece import sentencepiece_model_pb2

        proto = sentencepiece_model_pb2.ModelProto()
        proto.ParseFromString(tokenizer.model_bytes)
        return [(p.piece, p.score, p.type) for p in proto.pieces], None
    model = model_json(tokenizer)
    return model["vocab"], model["merges"]


def test_real_bases_keep_every_old_token_id_and_merge(real_pair):
    name, base, extended = real_pair
    old, old_rest = old_entries(name, base)
    new, new_rest = old_entries(name, extended)
    assert extended.vocab_size == base.vocab_size + 1000
    if isinstance(old, dict):
        assert {t: i for t, i in new.items() if i < base.vocab_size} == old
        assert sorted(i for i in new.values() if i >= base.vocab_size) == list(range(base.vocab_size, extended.vocab_size))
    else:
        assert new[: len(old)] == old
    if isinstance(old_rest, list):
        merges = 1000 - extended.provenance.params["characters"]  # a character is a token with no merge
        assert new_rest[: len(old_rest)] == old_rest and len(new_rest) == len(old_rest) + merges
    elif old_rest is not None:
        assert new_rest == old_rest  # tiktoken's special tokens
    assert [extended.token_bytes(i) for i in range(base.vocab_size)] == base.all_token_bytes()


def test_real_bases_keep_old_encodings_and_shorten_turkish(real_pair, flores):
    name, base, extended = real_pair
    assert keeps_old_encodings(base, extended, flores["eng"]) >= 0.6 * len(flores["eng"])
    keeps_old_encodings(base, extended, flores["tur"])
    before = sum(map(len, base.encode_batch(flores["tur"])))
    after = sum(map(len, extended.encode_batch(flores["tur"])))
    assert after < (0.97 if name == "gguf-llama3" else 0.9) * before, (name, before, after)  # Llama-3 knows Turkish


def test_real_bases_save_and_load_back_and_agree_with_transformers(real_pair, flores, tmp_path):
    pytest.importorskip("transformers")
    name, base, extended = real_pair
    extended.save(tmp_path / "ext")
    again = tokkit.load(tmp_path / "ext")
    lines = flores["tur"][:200] + flores["eng"][:50]
    assert again.encode_batch(lines) == extended.encode_batch(lines)
    fast = extended.to_transformers()
    assert [fast.encode(line, add_special_tokens=False) for line in lines] == extended.encode_batch(lines)
    if name == "mistral":
        assert (tmp_path / "ext" / "tokenizer.model").is_file()


@given(text=st.text(max_size=60))
def test_byte_level_real_bases_round_trip_any_text(real_pair, text):
    name, base, extended = real_pair
    if name in ("gguf-gpt2", "gguf-llama3", "cl100k"):  # byte-level: lossless on any text
        assert extended.decode(extended.encode(text)) == text
    keeps_old_encodings(base, extended, [text])


def test_cli_transplant_onto_an_extension_says_so_and_keeps_the_old_rows(capsys, bpe_base, salad_file, tmp_path):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from safetensors.torch import load_file
    from test_transplant import tiny_model

    model = tiny_model("llama-tied", bpe_base.vocab_size)
    model.save_pretrained(tmp_path / "model")
    bpe_base.to_transformers().save_pretrained(tmp_path / "model")
    code, _, err = cli(capsys, "extend", tmp_path / "model", salad_file, "--add", 50, "--out", tmp_path / "ext")
    assert code == 0, err
    code, out, err = cli(capsys, "transplant", "--model", tmp_path / "model", "--tokenizer", tmp_path / "ext",
                         "--out", tmp_path / "out", "--device", "cpu", "--json", tmp_path / "t.json")
    assert code == 0, err
    line = f"extends the model's tokenizer: {bpe_base.vocab_size:,} rows copied by id, 50 estimated"
    assert line in out and json.loads((tmp_path / "t.json").read_text())["relation"] == line
    rows = load_file(tmp_path / "out" / "model.safetensors")["model.embed_tokens.weight"]
    assert rows.shape[0] == bpe_base.vocab_size + 50
    assert torch.equal(rows[: bpe_base.vocab_size], model.get_input_embeddings().weight.detach())
    saved, extended = transformers.AutoTokenizer.from_pretrained(tmp_path / "out"), tokkit.load(tmp_path / "ext")
    assert [saved.encode(text, add_special_tokens=False) for text in EXTRA[:20]] == extended.encode_batch(EXTRA[:20])


# -- characters the base spells in bytes ---------------------------------------------------
#: a script the small bases never saw (Georgian), repeated so that its characters and pairs recur
GEORGIAN = [f"ქართული ენა {i} და სიტყვები ქართულად" for i in range(40)]


@pytest.mark.parametrize("which", ["unigram_420", "sentencepiece_unigram"])
def test_characters_spelled_in_bytes_become_pieces_first(which, request):
    base = request.getfixturevalue(which)
    extended = extend(base, TextCorpus(GEORGIAN, spec="<ka>"), 30)
    params = extended.provenance.params
    letters = sorted({c for line in GEORGIAN for c in line if "\u10a0" <= c <= "\u10ff"})
    assert params["characters"] == len(letters) and params["added"] == 30
    new = {extended.id_to_token(i) for i in range(base.vocab_size, base.vocab_size + len(letters))}
    assert new == set(letters)
    assert sum(map(len, extended.encode_batch(GEORGIAN))) < 0.5 * sum(map(len, base.encode_batch(GEORGIAN)))
    keeps_old_encodings(base, extended, GEORGIAN + mixed_texts(2) + EXTRA[:50])
    for text in GEORGIAN[:5]:
        assert extended.decode(extended.encode(text)) == base.decode(base.encode(text))


def test_a_byte_level_base_adds_no_characters(bpe_base):
    extended = extend(bpe_base, TextCorpus(GEORGIAN, spec="<ka>"), 30)
    assert extended.provenance.params["characters"] == 0 and extended.provenance.params["added"] == 30


def test_real_sentencepiece_learns_a_script_it_never_saw(data_dir):
    """Mistral's pieces hold hardly any Ethiopic: Amharic characters become pieces, then merges."""
    base = tokkit.load(data_dir / REAL_BASES["mistral"])
    read = lambda split: (data_dir / "flores200" / split / "amh_Ethi.txt").read_text(encoding="utf-8").splitlines()
    extended = extend(base, TextCorpus(read("dev"), spec="flores200:dev:amh_Ethi"), 2000)
    assert extended.provenance.params["characters"] > 100
    test = read("devtest")
    assert sum(map(len, extended.encode_batch(test))) < 0.4 * sum(map(len, base.encode_batch(test)))
    keeps_old_encodings(base, extended, test)


# -- bases that merge by concatenation -------------------------------------------------------
def test_absorbers_refuse_a_token_an_old_token_would_swallow():
    from tokkit.trainers.extension import Absorbers

    absorbers = Absorbers([b"a", b"b", b"c", b"abc", None])
    known = {b"a", b"b", b"c", b"abc"}
    assert not absorbers(b"ab", known)  # ab + c is the old abc
    assert not absorbers(b"bc", known)  # a + bc is the old abc
    assert absorbers(b"ca", known) and absorbers(b"ab", {b"a", b"b"})  # no c: nothing to join with


@pytest.fixture(scope="module")
def bpe_with_an_unbuilt_piece(tmp_path_factory):
    """A SentencePiece BPE with one piece its own merging cannot build: the first three
    pieces of the commonest word of EXTRA that it cuts into three or more, joined (as a
    hand-edited or merged model may hold)."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    from tokkit.backends.sentencepiece import SentencePieceTokenizer

    folder = tmp_path_factory.mktemp("spmbpe")
    (folder / "text.txt").write_text("\n".join(mixed_texts()), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(folder / "text.txt"), model_prefix=str(folder / "bpe"), vocab_size=450,
                                   model_type="bpe", byte_fallback=True, minloglevel=2)
    base = tokkit.load(folder / "bpe.model")
    words = Counter(word for line in EXTRA for word in line.split())
    cut = next(pieces for word, _ in words.most_common() if len(pieces := base.processor.encode(word, out_type=str)) >= 3)
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(base.model_bytes)
    piece = proto.pieces.add()
    piece.piece, piece.score, piece.type = "".join(cut[:3]), min(p.score for p in proto.pieces) - 1, 1
    return SentencePieceTokenizer(proto.SerializeToString(), name="bpe-unbuilt"), "".join(cut[:2])


def test_a_token_an_unbuilt_piece_would_absorb_is_refused(bpe_with_an_unbuilt_piece, monkeypatch):
    """SentencePiece merges any pair whose concatenation is a piece: the new ``p+q`` would
    turn into the old, unbuilt ``p+q+r``, old ids that differ from the base's."""
    from tokkit.trainers.extension import Absorbers

    base, absorbed = bpe_with_an_unbuilt_piece
    words = sorted({word for line in EXTRA for word in line.split()})
    corpus = TextCorpus(EXTRA, spec="<salad>")
    extended = extend(base, corpus, 60)
    assert absorbed not in {extended.id_to_token(i) for i in range(base.vocab_size, extended.vocab_size)}
    keeps_old_encodings(base, extended, words)
    monkeypatch.setattr(Absorbers, "__call__", lambda self, new, known: True)
    careless = extend(base, corpus, 60)
    assert absorbed in {careless.id_to_token(i) for i in range(base.vocab_size, careless.vocab_size)}
    with pytest.raises(AssertionError):
        keeps_old_encodings(base, careless, words)


def test_real_bases_have_every_token_built_from_its_own_text(real_pair):
    """tiktoken's ranks and Mistral's pieces: nothing to absorb, so nothing is refused."""
    from tokkit.trainers.extension import extender_for

    name, base, _ = real_pair
    assert extender_for(base).view(base).absorbers is None


def test_the_base_chat_template_and_roles_go_along(bpe_base, tmp_path):
    from tokkit.backends.hf import HFTokenizer

    template = "{% for m in messages %}<|endoftext|>{{ m['content'] }}{% endfor %}"
    chat = HFTokenizer(bpe_base.backend, name="chat", specials=bpe_base.specials, chat_template=template)
    extend(chat, TextCorpus(EXTRA, spec="<salad>"), 20).save(tmp_path / "ext")
    config = json.loads((tmp_path / "ext" / "tokenizer_config.json").read_text())
    assert config["chat_template"] == template
    assert {role: config[f"{role}_token"] for role, _ in bpe_base.specials.items()} == {
        role: bpe_base.id_to_token(i) for role, i in bpe_base.specials.items()}
