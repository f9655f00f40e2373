"""Transplant on tiny models built here (2-layer Llama tied/untied, GPT-2), with tiny BPE
tokenizers trained on the mixed test text: shared rows, specials by role, the identity
transplant, the batched methods against a plain per-token implementation written here,
scoring against an unbatched computation, and saved folders that load without tokkit."""

from __future__ import annotations

import copy
import json
import math
import struct
import subprocess
import sys
from unittest import mock

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import tokkit  # noqa: E402
from tokkit.corpora import TextCorpus  # noqa: E402
from tokkit.errors import InvalidValue, TokkitError  # noqa: E402
from tokkit.tokenizer import SpecialTokens  # noqa: E402
from tokkit.causal_lm import load_causal_lm, load_lm_tokenizer, resolve_device  # noqa: E402
from tokkit.transplant import aux_space, correspondence, methods, pipeline, saving, scoring  # noqa: E402

LINES = [
    "The quick brown fox jumps over the lazy dog.",
    "Kırmızı şapkalı kız İstanbul'a gitti.",
    "敏捷的棕色狐狸跳过了懒狗。",
    "def tokenize(text): return text.split()",
]


@pytest.fixture(scope="module")
def old_tok(mixed_corpus):
    return tokkit.train("bpe", mixed_corpus, 400)[400]


@pytest.fixture(scope="module")
def new_tok():
    from conftest import mixed_texts

    texts = [t.lower() for t in mixed_texts()[::2]] + ["naïve café résumé über straße"] * 20
    return tokkit.train("bpe", TextCorpus(texts, spec="<lower>"), 420)[420]


def tiny_model(kind: str, vocab: int, seed: int = 0):
    torch.manual_seed(seed)
    if kind == "gpt2":
        config = transformers.GPT2Config(vocab_size=vocab, n_positions=128, n_embd=32, n_layer=2, n_head=4)
        model = transformers.GPT2LMHeadModel(config)
    else:
        config = transformers.LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                                          tie_word_embeddings=(kind == "llama-tied"))
        model = transformers.LlamaForCausalLM(config)
    with torch.no_grad():  # rows far apart, so that estimates are distinguishable
        model.get_input_embeddings().weight.normal_(0, 1)
        if model.get_output_embeddings().weight is not model.get_input_embeddings().weight:
            model.get_output_embeddings().weight.normal_(0, 1)
    return model.eval()


@pytest.mark.parametrize("kind", ["llama-tied", "llama-untied", "gpt2"])
def test_shared_rows_are_copied_and_each_side_gets_its_own_estimate(kind, old_tok, new_tok):
    model = tiny_model(kind, old_tok.vocab_size)
    old_in = model.get_input_embeddings().weight.detach().clone()
    old_out = model.get_output_embeddings().weight.detach().clone()
    tied = kind != "llama-untied"
    result = pipeline.transplant(model, old_tok, new_tok, methods.get_method("mean", methods.Settings(scale=1.0)))
    corr = correspondence.match(old_tok, new_tok)
    assert result.counts["shared"] == len(corr.shared) > 256
    assert result.counts["estimated"] == len(corr.estimate) > 10
    new_in = model.get_input_embeddings().weight.detach()
    new_out = model.get_output_embeddings().weight.detach()
    assert new_in.shape[0] == new_tok.vocab_size == model.config.vocab_size
    for new_id, old_id in corr.shared.items():
        assert torch.equal(new_in[new_id], old_in[old_id])
        assert torch.equal(new_out[new_id], old_out[old_id])
    assert (new_out.data_ptr() == new_in.data_ptr()) == tied
    for j, new_id in enumerate(corr.estimate[:20]):
        pieces = corr.pieces[j]
        assert torch.allclose(new_in[new_id], old_in[pieces].mean(0), atol=1e-5)
        assert torch.allclose(new_out[new_id], old_out[pieces].mean(0), atol=1e-5)


def test_decompositions_spell_the_token_bytes(old_tok, new_tok):
    corr = correspondence.match(old_tok, new_tok)
    old_bytes = old_tok.all_token_bytes()
    for new_id, pieces in zip(corr.estimate, corr.pieces):
        assert b"".join(old_bytes[p] for p in pieces) == new_tok.token_bytes(new_id)
    # partial UTF-8: the bytes of "€" split, each spelled by its own byte token
    partial = correspondence.decompose(old_tok, [b"\xe2\x82", b"a\x82"])
    assert [b"".join(old_bytes[p] for p in ids) for ids in partial] == [b"\xe2\x82", b"a\x82"]
    assert aux_space.encoder_text(b"\xe2\x82", "?") != aux_space.encoder_text(b"\xe2\x80", "?")


def test_bytes_not_strings_decide_what_is_shared(old_tok):
    """A SentencePiece-style copy of the vocabulary (▁ for the space) shares every token."""
    from tokenizers import Tokenizer as RustTokenizer
    from tokenizers import decoders, models as tmodels

    from tokkit.backends.hf import HFTokenizer

    vocab = {}
    for i, raw in enumerate(old_tok.all_token_bytes()):
        if raw is not None:
            try:
                vocab[raw.decode("utf-8").replace(" ", "▁")] = len(vocab)
            except UnicodeDecodeError:
                pass
    rust = RustTokenizer(tmodels.WordLevel(vocab, unk_token=None))
    rust.decoder = decoders.Metaspace()
    spm_like = HFTokenizer(rust, name="metaspace")
    corr = correspondence.match(old_tok, spm_like)
    assert len(corr.shared) == len(vocab) and not corr.estimate
    assert any(t.startswith("▁") for t in vocab)


def test_special_tokens_map_by_text_then_role(old_tok, new_tok):
    from tokenizers import Tokenizer as RustTokenizer

    from tokkit.backends.hf import HFTokenizer

    renamed = new_tok.backend.to_str().replace("<|endoftext|>", "<s>").replace("<|pad|>", "<pad>")
    new = HFTokenizer(RustTokenizer.from_str(renamed), name="renamed", specials=SpecialTokens(bos=0, eos=0, pad=1))
    corr = correspondence.match(old_tok, new)
    assert corr.specials == {0: old_tok.specials.bos, 1: old_tok.specials.pad}
    assert corr.roles["pad"] == (1, old_tok.specials.pad)
    # same text wins over role: a bos named <|endoftext|> maps to <|endoftext|>
    same = correspondence.match(old_tok, new_tok)
    assert same.specials[new_tok.token_to_id("<|endoftext|>")] == old_tok.token_to_id("<|endoftext|>")
    model = tiny_model("llama-untied", old_tok.vocab_size)
    old_in = model.get_input_embeddings().weight.detach().clone()
    pipeline.transplant(model, old_tok, new, methods.get_method("tokenadapt"))
    assert torch.equal(model.get_input_embeddings().weight[1], old_in[old_tok.specials.pad])
    assert (model.config.bos_token_id, model.config.eos_token_id, model.config.pad_token_id) == (0, 0, 1)


@pytest.mark.parametrize("kind", ["llama-tied", "llama-untied"])
def test_identity_transplant_keeps_logits_and_bits_per_byte(kind, old_tok):
    model = tiny_model(kind, old_tok.vocab_size)
    before = scoring.score(model, old_tok, LINES)
    ids = torch.tensor([[0] + old_tok.encode(LINES[0])])
    logits = model(ids).logits
    same = copy.deepcopy(model)
    result = pipeline.transplant(same, old_tok, old_tok, methods.get_method("tokenadapt"))
    assert result.counts["estimated"] == 0
    assert torch.equal(same(ids).logits, logits)
    assert scoring.score(same, old_tok, LINES).bits_per_byte == before.bits_per_byte


def test_scoring_equals_an_unbatched_computation(old_tok):
    model = tiny_model("llama-untied", old_tok.vocab_size)
    result = scoring.score(model, old_tok, LINES + ["", "   "])
    bits, first, tokens = 0.0, 0.0, 0
    for line in LINES:
        ids = [old_tok.token_to_id("<|endoftext|>")] + old_tok.encode(line)
        with torch.no_grad():
            logp = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), -1)
        bits -= sum(logp[t, ids[t + 1]].item() for t in range(len(ids) - 1)) / math.log(2)
        first -= logp[0, ids[1]].item() / math.log(2)
        tokens += len(ids) - 1
    n_bytes = sum(len(line.encode()) for line in LINES)
    assert result.tokens == tokens and result.bytes == n_bytes
    assert result.bits_per_byte == pytest.approx(bits / n_bytes, rel=1e-5)
    assert result.first_token_bits == pytest.approx(first, rel=1e-5)
    assert result.bits_per_byte_first_unscored() == pytest.approx((bits - first) / n_bytes, rel=1e-5)
    assert result.token_perplexity == pytest.approx(math.exp(bits * math.log(2) / tokens), rel=1e-5)


@pytest.mark.parametrize("window", [4096, 9])
def test_stream_scoring_equals_a_per_token_computation(old_tok, window):
    """Lines read as one stream, each token predicted from the window the module docstring
    describes (one window for the whole stream, or windows of 9 tokens, 4 scored each)."""
    model = tiny_model("llama-untied", old_tok.vocab_size)
    seq, scored, firsts = [], [], set()
    for line in LINES:
        seq.append(old_tok.token_to_id("<|endoftext|>"))
        firsts.add(len(seq))
        scored += [False] + [True] * len(old_tok.encode(line))
        seq += old_tok.encode(line)
    width = min(window, len(seq))
    stride = width // 2

    def begin(j):  # where the window that scores position j starts
        if j < width:
            return 0
        end = min(len(seq), width + ((j - width) // stride + 1) * stride)
        return end - width

    bits = first = 0.0
    for j in range(1, len(seq)):
        if scored[j]:
            with torch.no_grad():
                logp = torch.log_softmax(model(torch.tensor([seq[begin(j) : j]])).logits[0, -1].double(), -1)
            bits -= logp[seq[j]].item() / math.log(2)
            first -= logp[seq[j]].item() / math.log(2) if j in firsts else 0.0
    with mock.patch.object(scoring, "STREAM_WINDOW", window):
        result = scoring.score(model, old_tok, LINES + [""], stream=True)
    n_bytes = sum(len(line.encode()) for line in LINES)
    assert result.tokens == sum(scored) and result.bytes == n_bytes
    assert result.bits_per_byte == pytest.approx(bits / n_bytes, rel=1e-5)
    assert result.first_token_bits == pytest.approx(first, rel=1e-5)
    if window > len(seq):  # the lines before are context: the stream is not the lines alone
        assert result.bits_per_byte != scoring.score(model, old_tok, LINES).bits_per_byte


def test_a_line_longer_than_the_context_is_read_in_windows(old_tok):
    """Scored alone, a line past the model's context is the one-line stream: the same tokens
    read in the same windows (which the test above checks against a per-token computation)."""
    model = tiny_model("llama-untied", old_tok.vocab_size)
    long = " ".join(LINES * 6)
    assert len(old_tok.encode(long)) + 1 > model.config.max_position_embeddings
    alone, streamed = scoring.score(model, old_tok, [long]), scoring.score(model, old_tok, [long], stream=True)
    assert math.isfinite(alone.bits_per_byte) and alone.tokens == streamed.tokens == len(old_tok.encode(long))
    assert alone.bits_per_byte == pytest.approx(streamed.bits_per_byte, rel=1e-6)
    assert alone.first_token_bits == pytest.approx(streamed.first_token_bits, rel=1e-6)
    short = scoring.score(model, old_tok, LINES[:1])
    both = scoring.score(model, old_tok, [LINES[0], long])
    assert both.tokens == short.tokens + alone.tokens
    bits = short.bits_per_byte * short.bytes + alone.bits_per_byte * alone.bytes
    assert both.bits_per_byte * both.bytes == pytest.approx(bits, rel=1e-6)


# -- the batched methods against a plain per-token implementation --------------------------

def reference_rows(name, corr, aux, old_bytes, new_bytes, matrix, s: methods.Settings):
    """One token at a time, float64, a full sort per neighbour query: what the methods mean."""
    E = matrix.double()
    A_old = torch.nn.functional.normalize(aux.old.double(), dim=-1)
    A_new = torch.nn.functional.normalize(aux.new.double(), dim=-1)
    candidates = [i for i, raw in enumerate(old_bytes) if raw]
    fallback = E[candidates].mean(0)
    rows = []
    for j, pieces in enumerate(corr.pieces):
        raw = new_bytes[j]
        local = None
        if pieces:
            scores = torch.tensor([((A_old[p] @ A_new[j]).item() + len(old_bytes[p]) / len(raw)) / 2 / s.temperature for p in pieces], dtype=torch.float64)
            w = torch.softmax(scores, 0)
            local = sum(wi * E[p] for wi, p in zip(w, pieces))
            if name == "mean":
                local = E[pieces].mean(0)
        space = raw[:1].isspace()
        pool = sorted(((A_old[i] @ A_new[j]).item(), i) for i in candidates if old_bytes[i][:1].isspace() == space)
        pool.sort(key=lambda p: (-p[0], p[1]))
        near = [(sim, i) for sim, i in pool[: s.top_k] if sim >= s.threshold and bool(aux.new_valid[j])]
        glob = None
        if near:
            w = torch.softmax(torch.tensor([sim / s.temperature for sim, _ in near], dtype=torch.float64), 0)
            glob = sum(wi * E[i] for wi, (_, i) in zip(w, near))
        if name in ("mean", "local"):
            row = local
        elif name == "global":
            row = glob
        else:
            row = local if glob is None else glob if local is None else (1 - s.weight) * local + s.weight * glob
        rows.append(fallback if row is None else row)
    return torch.stack(rows).float() * s.scale


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory, old_tok):
    """A random 2-layer BERT with a tokkit BPE as its tokenizer, saved as a HF folder."""
    folder = tmp_path_factory.mktemp("encoder")
    torch.manual_seed(1)
    config = transformers.BertConfig(vocab_size=old_tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=64, max_position_embeddings=128)
    transformers.BertModel(config).save_pretrained(folder)
    fast = old_tok.to_transformers()
    fast.pad_token = "<|pad|>"
    fast.save_pretrained(folder)
    return folder


@pytest.mark.parametrize("name,space", [(m, "own") for m in ("tokenadapt", "local", "global", "mean")] + [("tokenadapt", "encoder")])
def test_batched_methods_equal_a_per_token_reference(name, space, old_tok, new_tok, tiny_encoder, tmp_path):
    model = tiny_model("llama-untied", old_tok.vocab_size)
    corr = correspondence.match(old_tok, new_tok)
    matrix = model.get_input_embeddings().weight.detach()
    if space == "own":
        aux = aux_space.own_space(matrix, corr.pieces)
        settings = methods.Settings(threshold=0.2)
    else:
        encoder = aux_space.Encoder(str(tiny_encoder), cache_dir=tmp_path)
        aux = aux_space.encoder_space(encoder, old_tok, new_tok, corr.estimate)
        settings = methods.Settings(threshold=0.5)
    new_bytes = [new_tok.token_bytes(i) for i in corr.estimate]
    problem = methods.make_problem(old_tok.all_token_bytes(), new_bytes, corr.pieces, aux)
    rows, = methods.get_method(name, settings).estimate(problem, [matrix])
    expected = reference_rows(name, corr, aux, old_tok.all_token_bytes(), new_bytes, matrix, settings)
    assert torch.allclose(rows, expected, atol=1e-4)
    again, = methods.get_method(name, settings).estimate(problem, [matrix])
    assert torch.equal(rows, again)


def test_omp_rebuilds_a_token_that_is_a_combination_of_old_ones(old_tok):
    torch.manual_seed(0)
    old_aux = torch.randn(old_tok.vocab_size, 64)
    target = 0.7 * old_aux[300] + 0.4 * old_aux[301]
    aux = methods.AuxVectors(old=old_aux, new=target.unsqueeze(0), new_valid=torch.tensor([True]))
    problem = methods.make_problem(old_tok.all_token_bytes(), [b"zz"], [[]], aux)
    weights = methods.get_method("omp", methods.Settings(omp_k=2)).weights(problem).to_dense()
    assert weights[0, 300] == pytest.approx(0.7, abs=1e-4) and weights[0, 301] == pytest.approx(0.4, abs=1e-4)


def test_omp_k_past_what_can_help_is_capped_and_tiles_keep_the_rows(old_tok, new_tok):
    """An omp_k past the auxiliary width (32 here) is that width, with a warning; tiles of
    one token (a tiny tile budget) give the rows that tiles of many do."""
    from tokkit.transplant import tensor_ops

    model = tiny_model("llama-untied", old_tok.vocab_size)
    with pytest.warns(UserWarning, match=r"omp_k 1000000 asks for more atoms than can help \(.* 32 dimensions\): using 32"):
        _, capped, _ = pipeline.estimate_rows(model, old_tok, new_tok, methods.get_method("omp", methods.Settings(omp_k=1_000_000)))
    _, exact, _ = pipeline.estimate_rows(model, old_tok, new_tok, methods.get_method("omp", methods.Settings(omp_k=32)))
    assert torch.equal(capped[0], exact[0]) and torch.isfinite(exact[0]).all()
    omp = methods.get_method("omp")
    _, rows, _ = pipeline.estimate_rows(model, old_tok, new_tok, omp)
    with mock.patch.object(tensor_ops, "TILE_FLOATS", 1):
        _, tiled, _ = pipeline.estimate_rows(model, old_tok, new_tok, omp)
    assert torch.allclose(tiled[0], rows[0], atol=1e-5)


@pytest.mark.parametrize("field,value,problem", [
    ("scale", math.nan, "must be a finite number, not nan"),
    ("scale", math.inf, "must be a finite number, not inf"),
    ("omp_k", 0, "must be at least 1, not 0"),
    ("top_k", 2.5, "must be a whole number, not 2.5"),
])
def test_settings_refuse_values_no_method_can_use(field, value, problem):
    from dataclasses import FrozenInstanceError

    with pytest.raises(InvalidValue) as caught:
        methods.Settings(**{field: value})
    assert (caught.value.parameter, caught.value.problem) == (field, problem)
    with pytest.raises(FrozenInstanceError):
        methods.Settings().scale = math.nan


def test_random_keeps_the_statistics_and_the_seed(old_tok, new_tok):
    model = tiny_model("llama-untied", old_tok.vocab_size)
    a, b = (copy.deepcopy(model) for _ in range(2))
    pipeline.transplant(a, old_tok, new_tok, methods.get_method("random", methods.Settings(seed=3)))
    pipeline.transplant(b, old_tok, new_tok, methods.get_method("random", methods.Settings(seed=3)))
    assert torch.equal(a.get_input_embeddings().weight, b.get_input_embeddings().weight)


def test_encoder_cache_and_wrong_kind_of_aux_model(tiny_encoder, old_tok, tmp_path):
    encoder = aux_space.Encoder(str(tiny_encoder), cache_dir=tmp_path)
    first = encoder.encode(["hello", " world", "hello"])
    assert torch.equal(first[0], first[2]) and len(list((tmp_path / "aux").glob("*.safetensors"))) == 1
    assert torch.equal(encoder.encode(["hello", " world", "hello"]), first)
    llama = tmp_path / "llama"
    tiny_model("llama-tied", old_tok.vocab_size).save_pretrained(llama)
    with pytest.raises(TokkitError, match="not an encoder"):
        aux_space.Encoder(str(llama))


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_encoder_fast_path_equals_one_string_at_a_time(precision, tiny_encoder, old_tok, tmp_path):
    texts = [old_tok.id_to_token(i) for i in range(0, old_tok.vocab_size, 7)] + ["hello", "hello", " world and more", "\\xe2", "x" * 200]
    encoder = aux_space.Encoder(str(tiny_encoder), cache_dir=tmp_path, precision=precision)
    old_part, new_part = encoder.encode_lists([texts[:30], texts[30:]])
    fast = torch.cat([old_part, new_part])
    with torch.no_grad():
        expected = torch.stack([
            encoder.model(input_ids=torch.tensor([ids])).last_hidden_state[0].mean(0)
            for ids in (encoder.tokenizer(text, add_special_tokens=True, truncation=True, max_length=64)["input_ids"] for text in texts)])
    if precision == "float32":
        assert torch.allclose(fast, expected, atol=1e-5)
    else:
        assert torch.nn.functional.cosine_similarity(fast, expected).min() > 0.999
    assert len(list((tmp_path / "aux").glob("*.safetensors"))) == 2
    assert torch.equal(encoder.encode(texts[30:]), new_part)


def test_no_shared_tokens_warns_and_still_works(old_tok):
    from tokenizers import Tokenizer as RustTokenizer
    from tokenizers import models as tmodels

    from tokkit.backends.hf import HFTokenizer

    rust = RustTokenizer(tmodels.WordLevel({"☃☃☃": 0, "☂☂☂": 1, "☔☔": 2}, unk_token=None))
    alien = HFTokenizer(rust, name="alien")
    model = tiny_model("llama-untied", old_tok.vocab_size)
    with pytest.warns(UserWarning, match="shares no token"):
        result = pipeline.transplant(model, old_tok, alien, methods.get_method("tokenadapt"))
    assert result.counts["estimated"] == 3 and model.config.vocab_size == 3
    assert torch.isfinite(model.get_input_embeddings().weight).all()


def test_pad_to_multiple_and_dtype_kept(old_tok, new_tok):
    model = tiny_model("llama-untied", old_tok.vocab_size).to(torch.bfloat16)
    pipeline.transplant(model, old_tok, new_tok, methods.get_method("tokenadapt"), pad_multiple=64)
    assert model.get_input_embeddings().weight.shape[0] == 448 == model.config.vocab_size
    assert model.get_input_embeddings().weight.dtype == torch.bfloat16 == model.get_output_embeddings().weight.dtype


@pytest.mark.parametrize("name", ["tokenadapt", "omp", "random"])
def test_embedding_rows_past_the_tokenizer_take_no_part(name, old_tok, new_tok):
    """An embedding padded past its tokenizer (512 rows for 400 tokens, the extra ones far off)
    gives the rows of the same model cut to its tokenizer: the extra rows own no token."""
    padded = tiny_model("llama-untied", 512)
    with torch.no_grad():
        padded.get_input_embeddings().weight[old_tok.vocab_size:] = 1e4
        padded.get_output_embeddings().weight[old_tok.vocab_size:] = -1e4
    cut = copy.deepcopy(padded)
    cut.resize_token_embeddings(old_tok.vocab_size)
    for model in (padded, cut):
        pipeline.transplant(model, old_tok, new_tok, methods.get_method(name, methods.Settings(threshold=0.2)))
    assert padded.config.vocab_size == cut.config.vocab_size == new_tok.vocab_size
    assert torch.equal(padded.get_input_embeddings().weight, cut.get_input_embeddings().weight)
    assert torch.equal(padded.get_output_embeddings().weight, cut.get_output_embeddings().weight)


def test_a_tokenizer_larger_than_the_embedding_is_refused(old_tok, new_tok):
    model = tiny_model("llama-tied", 300)
    match = "the tokenizer and the model do not match: .* has 400 tokens, the model's embedding only 300 rows"
    with pytest.raises(TokkitError, match=match):
        scoring.score(model, old_tok, LINES)
    with pytest.raises(TokkitError, match=match):
        pipeline.transplant(model, old_tok, new_tok, methods.get_method("mean"))


def test_chat_template_only_where_its_tokens_exist(old_tok, new_tok):
    from tokkit.transplant.surgery import carry_chat_template

    fine = "{% for m in messages %}{{ m['content'] }}<|endoftext|>{% endfor %}"
    assert carry_chat_template(fine, old_tok, new_tok) == (fine, [])
    chat = "{% for m in messages %}<|im_start|>{{ m['content'] }}<|im_end|>{% endfor %}"
    assert carry_chat_template(chat, old_tok, new_tok) == (None, ["<|im_end|>", "<|im_start|>"])


def test_saved_folder_loads_without_tokkit(old_tok, new_tok, tmp_path):
    model = tiny_model("llama-untied", old_tok.vocab_size)
    pipeline.transplant(model, old_tok, new_tok, methods.get_method("tokenadapt"))
    out = tmp_path / "out"
    saving.save(model, new_tok, out, chat_template="{{ messages[0]['content'] }}<|endoftext|>")
    ids = [0] + new_tok.encode(LINES[0])
    with torch.no_grad():
        expected = model(torch.tensor([ids])).logits[0, -1].tolist()
    script = (
        "import json, sys, torch, transformers\n"
        f"d = {str(out)!r}\n"
        "m = transformers.AutoModelForCausalLM.from_pretrained(d).eval()\n"
        "t = transformers.AutoTokenizer.from_pretrained(d)\n"
        f"ids = [t.bos_token_id] + t({LINES[0]!r}, add_special_tokens=False).input_ids\n"
        "with torch.no_grad():\n    last = m(torch.tensor([ids])).logits[0, -1].tolist()\n"
        "print(json.dumps({'ids': ids, 'last': last, 'tokkit': any(k.startswith('tokkit') for k in sys.modules),"
        " 'pad': t.pad_token, 'template': t.chat_template}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["ids"] == ids and not got["tokkit"] and got["pad"] == "<|pad|>"
    assert got["template"].endswith("<|endoftext|>")
    assert got["last"] == pytest.approx(expected, abs=1e-5)


def test_model_loading_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text("{}")
    with pytest.raises(TokkitError, match="no model weights"):
        load_causal_lm(str(empty))
    with pytest.raises(TokkitError, match="no config.json"):
        load_causal_lm(str(tmp_path))
    vocabulary = tmp_path / "vocab.gguf"  # a GGUF header with no tensors (and no keys)
    vocabulary.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    for load in (load_causal_lm, load_lm_tokenizer):
        with pytest.raises(TokkitError, match="is a GGUF vocabulary with no weights"):
            load(str(vocabulary))
    if not torch.cuda.is_available():
        with pytest.raises(TokkitError, match="no CUDA"):
            resolve_device("cuda")
    with pytest.raises(TokkitError, match="device must be auto, cpu, cuda or cuda:N"):
        resolve_device("tpu")
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.smollm2
def test_smollm2_identity_transplant_keeps_bits_per_byte(tmp_path):
    import os

    path = os.environ.get("TOKKIT_SMOLLM2")
    if not path:
        pytest.skip("TOKKIT_SMOLLM2 is not set to the SmolLM2-135M GGUF file")
    torch.set_num_threads(min(2, torch.get_num_threads()))
    model = load_causal_lm(path, device="cpu")
    tok = load_lm_tokenizer(path)
    lines = LINES[:2]
    before = scoring.score(model, tok, lines)
    result = pipeline.transplant(model, tok, tokkit.load(path), methods.get_method("tokenadapt"))
    assert result.counts["estimated"] == 0 and result.counts["shared"] > 49000
    after = scoring.score(model, tok, lines)
    assert abs(after.bits_per_byte - before.bits_per_byte) < 1e-4
    saving.save(model, tok, tmp_path / "out", result.chat_template)  # a GGUF model saves as plain safetensors
    again = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "out")
    assert abs(scoring.score(again, tok, lines).bits_per_byte - before.bits_per_byte) < 1e-4


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", ["tokenadapt", "local", "global", "mean", "omp", "random"])
def test_cuda_estimates_equal_cpu_estimates(name, old_tok, new_tok):
    """The batched methods on the GPU (tiled top-k, masked softmax) give the CPU's rows."""
    model = tiny_model("llama-untied", old_tok.vocab_size)
    rows = {}
    for device in ("cpu", "cuda"):
        corr, estimated, _ = pipeline.estimate_rows(model, old_tok, new_tok, methods.get_method(name, methods.Settings(threshold=0.2)),
                                                     device=device)
        rows[device] = [m.cpu() for m in estimated]
    for cpu, cuda in zip(rows["cpu"], rows["cuda"]):
        assert cpu.shape == cuda.shape and cpu.dtype == cuda.dtype
        assert torch.allclose(cpu, cuda, atol=1e-4), (cpu - cuda).abs().max()
