"""Exactness of byte-level probabilities against brute force (Phan et al. 2024's lemma):
a tiny random Llama (float64) over a small regex BPE and a small SentencePiece model."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tokkit.byte_level.distribution import EOS, ByteModel  # noqa: E402
from tokkit.byte_level.lm import CausalLM  # noqa: E402

#: continuations the brute force appends to a candidate's text to see whether the
#: tokenizer can produce the candidate as a prefix (chars of every class these
#: tokenizers treat differently; CJK/Cyrillic letters complete partial characters)
EXTENSIONS = ["", " ", "  ", "x", "s", "t", "re", "1", "9", ".", ",", "'", "\n", "\t", "ş", "é", "敏", "捷", "的", "人", "Б", "ы", "🎉", " z", "\n\n"]


def tiny_llama(vocab_size: int, seed: int = 0):
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(
        vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
    )
    model = transformers.LlamaForCausalLM(config).double()
    with torch.no_grad():  # sharper than the default init, so that probabilities differ
        model.lm_head.weight.mul_(40)
    return model.eval()


@pytest.fixture(scope="session")
def bpe_model(mixed_corpus):
    import tokkit

    tok = tokkit.train("bpe", mixed_corpus, [360])[360]
    return ByteModel(CausalLM(tiny_llama(tok.vocab_size), tok))


def sentencepiece_byte_model(folder, corpus, model_type: str, vocab_size: int) -> ByteModel:
    """A tiny Llama over a SentencePiece model trained without the lossy defaults."""
    spm = pytest.importorskip("sentencepiece")
    import tokkit

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus.texts()), model_prefix=str(folder / "m"), vocab_size=vocab_size,
        model_type=model_type, byte_fallback=True, character_coverage=0.98, normalization_rule_name="identity",
        remove_extra_whitespaces=False, split_digits=True, minloglevel=2,
    )
    tok = tokkit.load(folder / "m.model")
    return ByteModel(CausalLM(tiny_llama(tok.vocab_size, seed=1), tok))


@pytest.fixture(scope="session")
def spm_model(tmp_path_factory, mixed_corpus):
    return sentencepiece_byte_model(tmp_path_factory.mktemp("spm"), mixed_corpus, "bpe", 460)


@pytest.fixture(scope="session")
def spm_unigram_model(tmp_path_factory, mixed_corpus):
    """Viterbi segmentation, not merges."""
    return sentencepiece_byte_model(tmp_path_factory.mktemp("spm-unigram"), mixed_corpus, "unigram", 440)


def completions(raw: bytes) -> list[bytes]:
    """Byte strings to append to ``raw``: the extensions, or, where ``raw`` ends inside a
    character, the rest of every character that starts that way."""
    for cut in range(1, 4):
        partial = raw[-cut:]
        need = 2 if partial[0] < 0xE0 else 3 if partial[0] < 0xF0 else 4
        if len(partial) == cut and partial[0] >= 0xC0 and need > cut:
            rests = [bytes(t) for t in itertools.product(range(0x80, 0xC0), repeat=need - cut)]
            return [r for r in rests if _decodes(partial + r)]
    return [e.encode() for e in EXTENSIONS]


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def brute_covers(bm: ByteModel, prefix: bytes) -> list[tuple[int, ...]]:
    """Every token sequence whose last token alone crosses the end of ``prefix`` and that
    the tokenizer produces as the start of some text that extends it."""
    tok = bm.tokenizer
    lead = bm.canonical.lead
    data = lead + prefix
    pieces = [(i, b) for i, b in enumerate(tok.all_token_bytes()) if b]

    def producible(seq: tuple[int, ...]) -> bool:
        raw = b"".join(tok.token_bytes(i) for i in seq)
        if lead and not raw.startswith(lead):
            return False
        texts = [(raw + ext)[len(lead):] for ext in completions(raw)]
        texts = [t.decode("utf-8") for t in texts if _decodes(t)]
        return any(tuple(ids[: len(seq)]) == seq for ids in tok.encode_batch(texts))

    found = []

    def walk(seq: tuple[int, ...], pos: int) -> None:
        for i, b in pieces:
            if pos + len(b) < len(data) and data[pos : pos + len(b)] == b:
                if producible(seq + (i,)):
                    walk(seq + (i,), pos + len(b))
            elif b.startswith(data[pos:]) and producible(seq + (i,)):
                found.append(seq + (i,))

    walk((), 0)
    return found


def brute_logprob(bm: ByteModel, prefix: bytes, context: list[int] | None = None) -> float:
    """log of the sum of P(cover | context) over the brute-force covers, each group of
    covers that share all but the last token read by one uncached forward, float64."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for cover in brute_covers(bm, prefix):
        groups.setdefault(cover[:-1], []).append(cover[-1])
    terms = []
    context = bm.default_context() if context is None else context
    for head, lasts in groups.items():
        ids = context + list(head)
        with torch.no_grad():
            logits = bm.lm.model(torch.tensor([ids], device=bm.lm.device)).logits[0].double()
        logprobs = torch.log_softmax(logits, -1)
        head_logp = float(sum(logprobs[k, ids[k + 1]] for k in range(len(context) - 1, len(ids) - 1)))
        terms.extend(head_logp + float(logprobs[-1, t]) for t in lasts)
    return float(np.logaddexp.reduce(terms)) if terms else -math.inf


BPE_PROMPTS = [
    "The qu".encode(),  # mid-word
    "fox jumps ".encode(),  # after whitespace
    "twice: 12".encode(),  # inside a digit group
    "345 ti".encode(),
    "İstanbul'".encode(),  # before a contraction
    "敏捷".encode()[:4],  # inside a UTF-8 character
    "and   sp".encode(),  # after a whitespace run
    "code\n    ret".encode(),  # after a newline and indentation
]


@pytest.mark.parametrize("prompt", BPE_PROMPTS, ids=repr)
def test_prefix_logprob_matches_brute_force_bpe(bpe_model, prompt):
    (exact,) = bpe_model.logprob([prompt])
    assert abs(exact - brute_logprob(bpe_model, prompt)) <= 1e-6


SPM_PROMPTS = ["The qu".encode(), "lazy dog, tw".encode(), "12 an".encode(), "敏捷".encode()[:5], "Emoji 🎉".encode()[:8],
               "lazy dog jumps ov".encode(), "dog.\n  over  th".encode()]  # long enough to be cut at a space


@pytest.mark.parametrize("prompt", SPM_PROMPTS, ids=repr)
def test_prefix_logprob_matches_brute_force_sentencepiece(spm_model, prompt):
    (exact,) = spm_model.logprob([prompt])
    assert abs(exact - brute_logprob(spm_model, prompt)) <= 1e-6
    if prompt.count(b" ") >= 3:
        assert spm_model.start([prompt])[0].tree.frozen_end > 0


@pytest.mark.parametrize("model", ["spm_model", "spm_unigram_model"])
def test_sentencepiece_cuts_keep_random_prompts_exact(request, model):
    """Prompts of spaces, newlines and words, started whole and pushed byte by byte:
    wherever the stable point is cut, the prefix probability is the brute force's."""
    bm = request.getfixturevalue(model)
    assert bm.canonical.space_bounded

    @settings(max_examples=10, deadline=None)
    @given(st.lists(st.sampled_from(["a", "b", "the", " ", "  ", "\n", "é", "1", "x", "'s", "dog"]), min_size=6, max_size=12))
    def check(pieces):
        prompt = "".join(pieces).encode()
        (exact,) = bm.logprob([prompt])
        assert abs(exact - brute_logprob(bm, prompt)) <= 1e-6
        (state,) = bm.start([prompt[:1]])
        for byte in prompt[1:]:
            bm.push([state], [byte])
        assert abs(state.tree.logprob() - exact) <= 1e-9

    check()


def test_a_sentencepiece_window_not_at_a_cut_is_a_bug_not_a_wrong_answer(spm_model):
    """A window after a cut is encoded behind the anchor word; one that joins the anchor
    (it does not start with a space) is refused, with -O too."""
    from tokkit.byte_level.canonical import ANCHOR

    canonical, anchor = spm_model.canonical, spm_model.canonical.encode(ANCHOR)
    joined = [w for w in ("nd", "n", "t", "s", "re") if canonical.encode(ANCHOR + w)[: len(anchor)] != anchor]
    assert joined
    with pytest.raises(RuntimeError, match="tokkit bug"):
        canonical.encode_many([" x", joined[0]], at_start=False)


def test_next_byte_distribution_is_exact_and_sums_to_one(bpe_model):
    prompt = b"The qu"
    (dist,) = bpe_model.next_byte_logprobs(bpe_model.start([prompt]))
    assert abs(np.exp(dist).sum() - 1) < 1e-12
    # ratios between outcomes equal ratios of brute-force prefix probabilities
    top = [int(b) for b in np.argsort(-dist)[:3] if b != EOS]
    brute = {b: brute_logprob(bpe_model, prompt + bytes([b])) for b in top}
    for a, b in itertools.combinations(top, 2):
        assert abs((dist[a] - dist[b]) - (brute[a] - brute[b])) <= 1e-6


def test_end_of_text_is_the_canonical_encoding_then_eos(bpe_model):
    prompt = b"fox"
    (state,) = bpe_model.start([prompt])
    scores = state.tree.next_byte_scores()
    canonical = tuple(bpe_model.tokenizer.encode("fox"))
    ids = bpe_model.default_context() + list(canonical) + [bpe_model.tokenizer.specials.eos]
    with torch.no_grad():
        logprobs = torch.log_softmax(bpe_model.lm.model(torch.tensor([ids])).logits[0].double(), -1)
    expected = float(sum(logprobs[k, ids[k + 1]] for k in range(len(ids) - 1)))
    assert abs(scores[EOS] - expected) <= 1e-9


def test_batched_equals_unbatched(bpe_model):
    prompts = [b"The qu", b"twice: 1", "敏捷".encode()[:4], b"jumps "]
    batched = bpe_model.next_byte_logprobs(bpe_model.start(prompts))
    for prompt, row in zip(prompts, batched):
        (single,) = bpe_model.next_byte_logprobs(bpe_model.start([prompt]))
        finite = np.isfinite(single)
        assert np.array_equal(finite, np.isfinite(row))
        assert np.max(np.abs(single[finite] - row[finite])) <= 1e-9
    assert np.allclose(bpe_model.logprob(prompts), [bpe_model.logprob([p])[0] for p in prompts], atol=1e-9)


@pytest.mark.parametrize("model", ["bpe_model", "spm_model"])
def test_incremental_equals_fresh_start(request, model):
    """Pushing bytes one at a time (cached prefixes) gives what starting afresh gives."""
    bpe_model = request.getfixturevalue(model)
    text = "The lazy dog's 12345 jumps\n  over  the 敏捷 fox".encode()
    (state,) = bpe_model.start([text[:3]])
    for byte in text[3:]:
        bpe_model.push([state], [byte])
    fresh = bpe_model.start([text])[0]
    # the stable point moved on as bytes came: at regex pre-tokens (BPE), at spaces that
    # start a piece (SentencePiece, whose vocabulary joins no space to a byte before it)
    assert bpe_model.canonical.space_bounded == (model == "spm_model")
    assert state.tree.frozen_end > 20
    # hypotheses the model has read hold no link to their ancestors (which would keep every
    # dropped hypothesis, and its next-token distribution, alive for the whole text)
    assert all(h.parent is None for h in state.tree.hypotheses if h.state is not None)
    assert abs(state.tree.logprob() - fresh.tree.logprob()) <= 1e-9
    a, b = bpe_model.next_byte_logprobs([state])[0], bpe_model.next_byte_logprobs([fresh])[0]
    assert np.allclose(np.exp(a), np.exp(b), atol=1e-12)


def test_at_most_one_forward_per_generated_byte(bpe_model):
    from tokkit.byte_level.sampling import SamplingOptions, generate_bytes

    prompts = [b"The qu", b"fox ju"]
    before = bpe_model.lm.forward_calls
    states = bpe_model.start(prompts)
    assert bpe_model.lm.forward_calls - before == 2  # stable tokens, then every open-end hypothesis
    before = bpe_model.lm.forward_calls
    for _ in range(12):
        dists = bpe_model.next_byte_logprobs(states)
        bpe_model.push(states, [int(np.argmax(d[:256])) for d in dists])
    assert bpe_model.lm.forward_calls - before <= 12
    out = generate_bytes(bpe_model, prompts, SamplingOptions(max_bytes=8, temperature=0.7, top_p=0.9, seed=3))
    assert all(len(o) <= 8 for o in out)


@pytest.mark.parametrize("model", ["bpe_model", "spm_model"])
def test_lookahead_gives_the_same_distributions_with_fewer_forwards(request, model):
    """States read ahead are the states a forward would compute: every next-byte
    distribution along a greedy path is the same with and without lookahead, for a batch
    of prompts; and over those prompts, each run alone, lookahead needs fewer forwards (a
    batch saves a forward only where every prompt's guess was right, which depends on the
    tiny random model's path: one prompt here never guesses right under SentencePiece 0.2.2's
    vocabulary)."""
    base = request.getfixturevalue(model)
    plain, ahead = ByteModel(base.lm, lookahead=0), ByteModel(base.lm, lookahead=8)
    prompts = [b"The quick brown fox jumps", b"twice: 12"]

    def greedy(bm, batch):
        before = bm.lm.forward_calls
        states, dists = bm.start(batch), []
        for _ in range(24):
            dist = bm.next_byte_logprobs(states)
            dists.append(dist)
            bm.push(states, [int(np.argmax(d[:256])) for d in dist])
        return dists, bm.lm.forward_calls - before

    (expected, _), (dists, _) = greedy(plain, prompts), greedy(ahead, prompts)
    for got, want in zip(dists, expected):
        assert np.array_equal(np.isfinite(got), np.isfinite(want))
        assert np.max(np.abs(got[np.isfinite(got)] - want[np.isfinite(want)])) <= 1e-9
    forwards = {bm.lookahead: sum(greedy(bm, [prompt])[1] for prompt in prompts) for bm in (plain, ahead)}
    assert forwards[8] < forwards[0] <= len(prompts) * (2 + 24)


def test_fill_in_the_middle_with_fim_tokens(mixed_corpus):
    """A vocabulary with StarCoder's FIM tokens, both formats of Bavarian et al. (2022):
    psm puts both sides in the header and starts the middle afresh; spm lets the prefix
    run into the middle. Byte probabilities after either context are exact against brute
    force with the same context."""
    import tokkit
    from tokkit.backends.hf import HFTokenizer
    from tokkit.byte_level.completion import complete, fim_prompt
    from tokkit.byte_level.sampling import SamplingOptions

    base = tokkit.train("bpe", mixed_corpus, [330])[330]
    rust = base.backend
    rust.add_special_tokens(["<fim_prefix>", "<fim_suffix>", "<fim_middle>"])
    tok = HFTokenizer(rust, name="fim", specials=base.specials)
    bm = ByteModel(CausalLM(tiny_llama(tok.vocab_size, seed=2), tok))
    pre, suf, mid = (tok.token_to_id(n) for n in ("<fim_prefix>", "<fim_suffix>", "<fim_middle>"))
    encode, prefix, suffix = bm.canonical.encode, b"def add(a, b):\n    return a", b"\n"
    psm, nothing = fim_prompt(bm, prefix, suffix, "psm")
    assert psm == bm.default_context() + [pre] + encode(prefix.decode()) + [suf] + encode("\n") + [mid] and nothing == b""
    spm, prompt = fim_prompt(bm, prefix, suffix, "spm")
    assert spm == bm.default_context() + [pre, suf] + encode("\n") + [mid] and prompt == prefix
    assert fim_prompt(bpe_like(mixed_corpus), b"x", b"y") is None
    for context, start in ((psm, b""), (spm, prefix[-6:])):
        for middle in (b" +", b" + b"):
            head = spm + encode(prefix[:-6].decode()) if start else context  # most of the prefix as context: a small brute force
            (exact,) = bm.logprob([start + middle], contexts=[head])
            assert abs(exact - brute_logprob(bm, start + middle, context=head)) <= 1e-6
    options = SamplingOptions(max_bytes=1)
    (out,) = complete(bm, [b""], "exact", options, contexts=[psm])
    (dist,) = bm.next_byte_logprobs(bm.start([b""], contexts=[psm]))
    assert out == bytes([int(np.argmax(dist))]) or (int(np.argmax(dist)) == EOS and out == b"")
    assert len(complete(bm, [prompt], "boundary", options, contexts=[spm])[0]) <= 1


def bpe_like(mixed_corpus) -> ByteModel:
    """A model whose vocabulary has no FIM tokens."""
    import tokkit

    tok = tokkit.train("bpe", mixed_corpus, [300])[300]
    return ByteModel(CausalLM(tiny_llama(tok.vocab_size), tok))


@pytest.mark.parametrize("mode", ["exact", "boundary", "heal", "naive"])
def test_completion_modes(bpe_model, mode):
    from tokkit.byte_level.completion import complete
    from tokkit.byte_level.sampling import SamplingOptions

    out = complete(bpe_model, [b"The qu", b"def tok"], mode, SamplingOptions(max_bytes=6, stop=(b"\n",)))
    assert len(out) == 2 and all(len(o) <= 6 and b"\n" not in o for o in out)
    if mode == "exact":  # greedy byte-level continuation is the argmax byte at each step
        (dist,) = bpe_model.next_byte_logprobs(bpe_model.start([b"The qu"]))
        assert out[0][:1] == bytes([int(np.argmax(dist))]) or (np.argmax(dist) == EOS and out[0] == b"")


def test_healing_continues_the_prompt_without_repeating_its_tail(bpe_model):
    """Healing drops the prompt's last token and makes the first new token start with its
    text: the output must be what follows the prompt, not the dropped tail again."""
    from tokkit.byte_level.completion import complete
    from tokkit.byte_level.sampling import SamplingOptions

    canonical = bpe_model.canonical
    prompt = b"The quick brown fo"
    ids = canonical.encode(prompt.decode())
    tail = canonical.token_bytes[ids[-1]]
    assert len(tail) > 1
    (healed,) = complete(bpe_model, [prompt], "heal", SamplingOptions(max_bytes=12))
    # greedy healing by hand, without a cache: the best token that starts with the tail
    # after the prompt minus its last token, then the best token, and so on
    context = bpe_model.default_context() + ids[:-1]
    allowed = canonical.with_prefix(tail)
    logprobs = bpe_model.lm.start(context).next_logprobs
    generated = [allowed[int(np.argmax(logprobs[allowed]))]]
    while len(b"".join(canonical.token_bytes[t] for t in generated)) < len(tail) + 12:
        generated.append(int(np.argmax(bpe_model.lm.start(context + generated).next_logprobs)))
    by_hand = b"".join(canonical.token_bytes[t] for t in generated)
    assert by_hand.startswith(tail)
    assert healed == by_hand[len(tail):][:12]


def test_mixture_of_one_model_with_itself_is_the_model(bpe_model):
    from tokkit.byte_level.ensemble import combine

    (dist,) = bpe_model.next_byte_logprobs(bpe_model.start([b"The qu"]))
    assert np.allclose(np.exp(combine([dist, dist], "mixture", [1, 1])), np.exp(dist), atol=1e-12)
    assert np.allclose(np.exp(combine([dist, dist], "product", [0.5, 0.5])), np.exp(dist), atol=1e-12)


@pytest.mark.parametrize("pretokenizer", ["cl100k", "gpt2"])
def test_piece_rules_agree_with_re_encoding(mixed_corpus, pretokenizer):
    """The fast validity rules decide exactly as re-encoding does, for every token after
    many tails (canonical ones, and prefixes of encodings of longer texts)."""
    import tokkit
    from tokkit.byte_level.canonical import Canonical

    tok = tokkit.train("bpe", mixed_corpus, [400], pretokenizer=pretokenizer)[400]
    canonical = Canonical(tok)
    assert canonical.rules is not None
    every = np.arange(canonical.vocab_size)
    decided = 0
    for line in ["The quick brown fox's 12345 jumps", "def tokenize(text):\n    return [t for t", "a.b,c;  d\n\n e $abc ..a",
                 "it's we're they'LL x'r d've 'll  '12", "if x:\n        y  = (1)\n\t z   ab"]:
        for cut in range(1, len(line), 3):
            for extra in ["", "s", " "]:
                ids = canonical.encode(line[:cut] + extra)
                for k in range(1, len(ids) + 1, 2):
                    tail = tuple(ids[:k])
                    fast = canonical.valid_after(tail, every, at_start=True)
                    assert np.array_equal(fast, canonical.valid_by_encoding(tail, every, at_start=True)), tail
                    decided += int((~canonical.rules.decide(tail, every)[1]).sum())
    assert decided > 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_gives_the_cpu_distributions(bpe_model):
    """The same tiny model (float64) on the GPU: batched forest forwards, lookahead and
    all, are exact against brute force on the GPU, and give the CPU's next-byte
    distributions up to float32 rounding (transformers computes rotary embeddings in
    float32, and the two devices round those differently: about 1e-7 relative)."""
    import copy

    on_gpu = ByteModel(CausalLM(copy.deepcopy(bpe_model.lm.model).to("cuda"), bpe_model.tokenizer))
    assert on_gpu.lm.device.type == "cuda"
    for prompt in (b"The quick", b"twice: 12", "敏捷".encode()[:4]):
        assert abs(on_gpu.logprob([prompt])[0] - brute_logprob(on_gpu, prompt)) <= 1e-6
    prompts = [b"The qu", b"twice: 1", "敏捷".encode()[:4], b"fox jumps "]
    states = {bm: bm.start(prompts) for bm in (bpe_model, on_gpu)}
    for _ in range(16):
        cpu, gpu = bpe_model.next_byte_logprobs(states[bpe_model]), on_gpu.next_byte_logprobs(states[on_gpu])
        assert np.array_equal(np.isfinite(cpu), np.isfinite(gpu))
        assert np.max(np.abs(cpu[np.isfinite(cpu)] - gpu[np.isfinite(gpu)])) <= 1e-4
        picks = [int(np.argmax(d[:256])) for d in cpu]
        for bm in (bpe_model, on_gpu):
            bm.push(states[bm], picks)
