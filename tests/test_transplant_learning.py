"""Learning the transplanted rows (``--learn distill|tune``) on tiny models built here: only the
rows that train change, distillation finds rows the old model's states imply, a seed gives
the same rows, the saved folder loads with transformers alone, bad input is one line and
an interrupted run leaves nothing."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from conftest import cli, mixed_texts, one_error_line  # noqa: E402

import tokkit  # noqa: E402
from tokkit.corpora import TextCorpus  # noqa: E402
from tokkit.errors import InvalidValue, TokkitError  # noqa: E402
from tokkit.transplant import correspondence, learning, methods, pipeline  # noqa: E402
from tokkit.transplant.learning import LearnSettings  # noqa: E402
from tokkit.transplant.learning.examples import make_example, pack  # noqa: E402

#: the learning text: the new tokenizer's own kind of text (lowercased)
TEXTS = [t.lower() for t in mixed_texts(4)]
#: a few quick steps with a large rate, so that tests see the rows move
QUICK = LearnSettings(steps=4, batch=4, length=24, rate=1e-2, held_out=4)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread: on a shared 2-core machine two threads wait on each other (a step of
    these tiny models took ten times as long)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def old_tok(mixed_corpus):
    return tokkit.train("bpe", mixed_corpus, 400)[400]


@pytest.fixture(scope="module")
def new_tok():
    return tokkit.train("bpe", TextCorpus([t.lower() for t in mixed_texts()], spec="lower"), 420)[420]


def tiny_model(kind: str, vocab: int, seed: int = 0):
    torch.manual_seed(seed)
    if kind == "gpt2":
        return transformers.GPT2LMHeadModel(transformers.GPT2Config(vocab_size=vocab, n_positions=128, n_embd=32, n_layer=2, n_head=4)).eval()
    config = transformers.LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                      num_key_value_heads=2, max_position_embeddings=128, tie_word_embeddings=(kind == "llama-tied"))
    return transformers.LlamaForCausalLM(config).eval()


def transplant_and_learn(model, old, new, method: str, settings: LearnSettings = QUICK, texts=TEXTS):
    corr = correspondence.match(old, new)
    plan = learning.prepare(method, settings, texts, "<test text>", old, new, corr.estimate)
    return pipeline.transplant(model, old, new, methods.get_method("mean"), plan=plan, corr=corr), corr


def state(model) -> dict[str, "torch.Tensor"]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize("kind", ["llama-tied", "llama-untied", "gpt2"])
@pytest.mark.parametrize("method,params,targets", [("distill", "rows", "attention"), ("tune", "rows", "attention"),
                                                   ("tune", "lora", "attention"), ("tune", "lora", "all-linear")])
def test_only_the_rows_that_train_change(kind, method, params, targets, old_tok, new_tok):
    if kind == "gpt2" and params == "lora":
        pytest.skip("covered on the Llama models")
    zero_shot = tiny_model(kind, old_tok.vocab_size)
    pipeline.transplant(zero_shot, old_tok, new_tok, methods.get_method("mean"))
    model = tiny_model(kind, old_tok.vocab_size)
    settings = dataclasses.replace(QUICK, params=params, lora_targets=targets)
    result, corr = transplant_and_learn(model, old_tok, new_tok, method, settings)
    adapted = ("q_proj", "v_proj") if targets == "attention" else ("_proj",)
    before, after = state(zero_shot), state(model)
    assert before.keys() == after.keys()  # no adapter left behind
    # the model's own weights were frozen while the rows learned, and are as they were
    assert all(p.grad is None and p.requires_grad for p in model.parameters())
    estimated = torch.tensor(corr.estimate)
    others = torch.ones(new_tok.vocab_size, dtype=torch.bool)
    others[estimated] = False
    for name in before:
        if before[name].shape[:1] == (new_tok.vocab_size,):  # an embedding matrix or the output bias
            assert torch.equal(before[name][others], after[name][others]), name
            assert not torch.equal(before[name][estimated], after[name][estimated]), name
        elif params == "lora" and name.endswith(".weight") and any(p in name for p in adapted):
            assert not torch.equal(before[name], after[name]), name  # the adapters were merged in
        else:
            assert torch.equal(before[name], after[name]), name
    learned = result.learned
    assert learned.rows == len(corr.estimate) and learned.before is not None and learned.after is not None
    assert "the first 4 lines of <test text>" in learned.held_out and 0.01 <= learned.coverage <= 1
    assert {"held-out before", "learn", "held-out after"} <= result.seconds.keys()


def test_tuning_every_embedding_row_lowers_the_held_out_bits(old_tok, new_tok):
    model = tiny_model("llama-untied", old_tok.vocab_size)
    settings = LearnSettings(steps=12, batch=8, length=24, rate=3e-2, held_out=6, params="embeddings")
    learned = transplant_and_learn(model, old_tok, new_tok, "tune", settings)[0].learned
    assert learned.after < learned.before - 0.1 and learned.last_loss < learned.first_loss


@pytest.mark.parametrize("kind", ["llama-untied", "llama-tied"])
def test_distillation_finds_the_rows_the_teacher_states_imply(kind, old_tok):
    """The oracle: with the same tokenizer on both sides, the teacher's states come from the
    true rows, so learning rows that were overwritten must bring them back toward the truth
    (in a tied model too, where the same rows are the output side)."""
    model = tiny_model(kind, old_tok.vocab_size)
    with torch.no_grad():
        model.get_input_embeddings().weight.normal_(0, 1)
    true = model.get_input_embeddings().weight.detach().clone()
    examples = [make_example(line, old_tok, old_tok, 24) for line in mixed_texts(1)]
    counts = torch.bincount(torch.tensor([i for ex in examples for i in ex.new_ids[1:]]), minlength=old_tok.vocab_size)
    wrong = [int(i) for i in counts.argsort(descending=True)[:10]]
    with torch.no_grad():
        model.get_input_embeddings().weight[wrong] = true[wrong].mean(0)
    start = model.get_input_embeddings().weight.detach()[wrong].clone()
    settings = LearnSettings(steps=30, batch=len(examples), rate=5e-2, layer=2)
    job = learning.Job(model, old_tok, old_tok, true, wrong, examples)
    report = learning.get_learner("distill", settings).learn(job)
    got = model.get_input_embeddings().weight.detach()[wrong]
    assert report.losses[-1] < report.losses[0]  # the hidden-state term; the output term stays near ln V
    assert (got - true[wrong]).norm() < 0.8 * (start - true[wrong]).norm()
    others = torch.ones(old_tok.vocab_size, dtype=torch.bool)
    others[wrong] = False
    assert torch.equal(model.get_input_embeddings().weight.detach()[others], true[others])


@pytest.mark.parametrize("method", ["distill", "tune"])
def test_a_seed_gives_the_same_rows(method, old_tok, new_tok):
    rows = []
    for seed in (0, 0, 1):
        model = tiny_model("llama-tied", old_tok.vocab_size)
        transplant_and_learn(model, old_tok, new_tok, method, LearnSettings(steps=3, batch=2, length=16, rate=1e-2, held_out=0, seed=seed))
        rows.append(model.get_input_embeddings().weight.detach().clone())
    assert torch.equal(rows[0], rows[1])
    assert not torch.equal(rows[0], rows[2])


def test_alignment_pairs_positions_that_have_read_the_same_text(old_tok, new_tok):
    line = "the quick brown fox jumps over the lazy dog, twice"
    ex = make_example(line, old_tok, new_tok, 100)
    new_pieces, old_pieces = new_tok.tokens(line), old_tok.tokens(line)
    assert ex.aligned[0] == (0, 0) and len(ex.aligned) > 3
    for new_pos, old_pos in ex.aligned[1:]:
        assert new_pieces[new_pos - 1].end == old_pieces[old_pos - 1].end
    assert ex.aligned[-1] == (len(new_pieces), len(old_pieces))  # both end where the line ends
    assert len(make_example(line, old_tok, new_tok, 3).new_ids) == 4  # cut to 3 tokens after the prefix


def test_packed_lines_keep_their_alignment_and_fit_the_length(old_tok, new_tok):
    lines = ["the quick brown fox", "jumps over the lazy dog", "twice, and then once more", "a dog"]
    singles = [make_example(line, old_tok, new_tok, 100) for line in lines]
    length = len(singles[0].new_ids) + len(singles[1].new_ids) - 1
    packed = pack(iter(singles), length, count=10)
    assert packed[0].new_ids == singles[0].new_ids + singles[1].new_ids  # the two fit; the third does not
    assert packed[0].old_ids == singles[0].old_ids + singles[1].old_ids
    assert sum(len(p.new_ids) for p in packed) == sum(len(s.new_ids) for s in singles)
    assert all(len(p.new_ids) <= length + 1 for p in packed)
    for ex in packed:  # every aligned pair has read the same text: the same bytes, prefixes included
        for new_pos, old_pos in ex.aligned:
            assert new_tok.decode(ex.new_ids[: new_pos + 1]) == old_tok.decode(ex.old_ids[: old_pos + 1])
    assert len(pack(iter(singles), 1, count=2)) == 2  # no more than asked for


@pytest.fixture(scope="module")
def folders(tmp_path_factory, old_tok, new_tok):
    """A tiny Llama folder with its tokenizer, the new tokenizer's folder, and learning text."""
    root = tmp_path_factory.mktemp("learn")
    model = root / "model"
    tiny_model("llama-tied", old_tok.vocab_size).save_pretrained(model)
    old_tok.to_transformers().save_pretrained(model)
    new_tok.save(root / "newtok")
    (root / "learn.txt").write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    return root


def transplant_args(folders, out, *extra):
    return ("transplant", "--model", folders / "model", "--tokenizer", folders / "newtok", "--out", out, "--device", "cpu", *extra)


def test_the_cli_learns_shows_before_and_after_and_the_folder_loads_alone(capsys, folders, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, *transplant_args(folders, out, "--learn", "tune", "--learn-corpus", folders / "learn.txt",
                                                     "--learn-steps", "3", "--learn-params", "lora", "--learn-held-out", "5",
                                                     "--json", tmp_path / "t.json"))
    assert code == 0, err
    assert "held-out bits per byte" in stdout and "learn (s)" in stdout and "rows learned (tune, lora rank 8 on attention)" in stdout
    learned = json.loads((tmp_path / "t.json").read_text())["learned"]
    assert learned["method"] == "tune" and learned["settings"]["steps"] == 3 and learned["settings"]["params"] == "lora"
    assert learned["bits_per_byte_before"] > 0 and learned["bits_per_byte_after"] > 0 and "first 5 lines" in learned["held_out"]
    assert not any(path.name.startswith("adapter") for path in out.iterdir())
    model = transformers.AutoModelForCausalLM.from_pretrained(out).eval()
    ids = [0] + tokkit.load(folders / "newtok").encode(TEXTS[0])
    with torch.no_grad():
        expected = model(torch.tensor([ids])).logits[0, -1].tolist()
    script = (
        "import json, sys, torch, transformers\n"
        f"m = transformers.AutoModelForCausalLM.from_pretrained({str(out)!r}).eval()\n"
        f"with torch.no_grad():\n    last = m(torch.tensor([{ids!r}])).logits[0, -1].tolist()\n"
        "print(json.dumps({'last': last, 'tokkit': any(k.startswith('tokkit') for k in sys.modules)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert not got["tokkit"] and got["last"] == pytest.approx(expected, abs=1e-5)


def test_the_python_api_mirrors_the_cli(folders, tmp_path):
    from tokkit.transplant import run

    summary = run(folders / "model", folders / "newtok", tmp_path / "api", device="cpu", learn="distill",
                  learn_corpus=folders / "learn.txt", learn_steps=2, learn_settings=LearnSettings(held_out=3, batch=2))
    assert summary.learned.settings.steps == 2 and summary.learned.method == "distill"
    assert summary.to_json()["learned"]["settings"]["held_out"] == 3
    assert list(summary.seconds)[:4] == ["load tokenizers", "match", "prepare learning", "load model"]
    assert run(folders / "model", folders / "newtok", tmp_path / "plain", device="cpu").learned is None


@pytest.mark.parametrize("extra,message", [
    (["--learn", "distill"], "--learn-corpus must name the text to learn from with learn distill"),
    (["--learn", "magic", "--learn-corpus", "LEARN"], "--learn must be one of distill, tune, none, not 'magic'"),
    (["--learn", "tune", "--learn-corpus", "LEARN", "--learn-steps", "0"], "--learn-steps must be at least 1, not 0"),
    (["--learn", "tune", "--learn-corpus", "LEARN", "--learn-steps", "-3"], "--learn-steps must be at least 1, not -3"),
    (["--learn", "tune", "--learn-corpus", "LEARN", "--learn-rate", "0"], "--learn-rate must be above 0, not 0.0"),
    (["--learn", "distill", "--learn-corpus", "LEARN", "--learn-params", "lora"], "--learn-params must be one of rows, embeddings with distill"),
    (["--learn", "tune", "--learn-corpus", "LEARN", "--learn-params", "lora", "--learn-lora-targets", "mlp"],
     "--learn-lora-targets must be one of attention, all-linear, not 'mlp'"),
    (["--learn", "tune", "--learn-corpus", "EMPTY"], "has no line to learn from"),
    (["--learn", "tune", "--learn-corpus", "LEARN", "--learn-held-out", "1000"], "has no line to learn from after the 1000 held-out lines"),
    (["--learn", "tune", "--learn-corpus", "UNCOVERED"], "is it in a language the new tokenizer covers?"),
    (["--learn", "tune", "--learn-corpus", "LEARN", "--device", "cuda"], "no CUDA"),
])
def test_bad_learning_input_is_one_line_and_writes_nothing(capsys, folders, tmp_path, monkeypatch, extra, message):
    from tokkit.transplant import end_to_end

    if "cuda" in extra and torch.cuda.is_available():
        pytest.skip("a GPU is present")
    (tmp_path / "empty.txt").write_text("\n  \n", encoding="utf-8")
    # Armenian: the new tokenizer never saw it, so its text is all byte tokens the old vocabulary has too
    (tmp_path / "hy.txt").write_text("Արագ շագանակագույն աղվեսը ցատկում է ծույլ շան վրայով\n" * 50, encoding="utf-8")
    files = {"LEARN": folders / "learn.txt", "EMPTY": tmp_path / "empty.txt", "UNCOVERED": tmp_path / "hy.txt"}

    def no_model_yet(*args, **kwargs):
        raise AssertionError("the model was loaded before the bad input was found")

    monkeypatch.setattr(end_to_end, "load_causal_lm", no_model_yet)
    out = tmp_path / "out"
    code, _, err = cli(capsys, *transplant_args(folders, out, *[str(files.get(a, a)) for a in extra]))
    assert code == 1 and message in one_error_line(err)
    assert not out.exists()


def test_an_interrupted_learning_run_leaves_no_output(capsys, folders, tmp_path, monkeypatch):
    from tokkit.transplant.learning import loop

    calls = []
    adam_step = torch.optim.Adam.step

    def interrupted(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return adam_step(self, *args, **kwargs)

    monkeypatch.setattr(loop.torch.optim.Adam, "step", interrupted)
    code, _, err = cli(capsys, *transplant_args(folders, tmp_path / "out", "--learn", "tune", "--learn-corpus", folders / "learn.txt",
                                                "--learn-steps", "5", "--learn-params", "lora", "--json", tmp_path / "t.json"))
    assert code == 130 and len(calls) == 2
    assert list(tmp_path.iterdir()) == []


def test_settings_refuse_what_they_cannot_use():
    for kwargs, message in [({"batch": 0}, "learn_batch must be at least 1, not 0"), ({"length": 1}, "learn_length must be at least 2"),
                            ({"layer": -1}, "learn_layer must be at least 0"), ({"rate": float("nan")}, "learn_rate must be a finite"),
                            ({"params": "all"}, "learn_params must be one of rows, embeddings, lora"),
                            ({"lora_targets": "mlp"}, "learn_lora_targets must be one of attention, all-linear"),
                            ({"steps": 2.5}, "learn_steps must be a whole number")]:
        with pytest.raises(InvalidValue, match=message):
            LearnSettings(**kwargs)
    with pytest.raises(InvalidValue, match="learn must be one of distill, tune, none"):
        learning.get_learner("none")


def test_the_cli_defaults_are_the_library_defaults():
    import inspect

    from tokkit.cli.transplant import transplant_command

    from tokkit.transplant import run
    from tokkit.transplant.methods import DEFAULT_METHOD, Settings

    options = inspect.signature(transplant_command).parameters
    for name, value in LearnSettings().__dict__.items():
        if name != "seed":
            assert options[f"learn_{name}"].default.default == value, name
    for name, value in Settings().__dict__.items():
        assert options[name].default.default == value, name
    assert options["method"].default.default == DEFAULT_METHOD == inspect.signature(run).parameters["method"].default


def test_a_tokenizer_with_nothing_to_estimate_has_nothing_to_learn_but_adapters(old_tok):
    with pytest.raises(TokkitError, match="nothing to learn"):
        learning.prepare("tune", QUICK, TEXTS, "<test text>", old_tok, old_tok, [])
    # LoRA on the model's own tokenizer (the control of an adaptation): only the adapters learn
    model = tiny_model("llama-tied", old_tok.vocab_size)
    before = state(model)
    plan = learning.prepare("tune", dataclasses.replace(QUICK, params="lora"), TEXTS, "<test text>", old_tok, old_tok, [])
    learned = learning.learn(model, old_tok, old_tok, model.get_input_embeddings().weight.detach().clone(), plan)
    after = state(model)
    assert learned.rows == 0 and learned.coverage == 0.0 and learned.after < learned.before
    for name in before:
        changed = not torch.equal(before[name], after[name])
        assert changed == ("attn" in name and ("q_proj" in name or "v_proj" in name)), name


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("method", ["distill", "tune"])
def test_cuda_learns_the_rows_the_cpu_learns(method, old_tok, new_tok):
    rows = {}
    for device in ("cpu", "cuda"):
        model = tiny_model("llama-untied", old_tok.vocab_size).to(device)
        corr = correspondence.match(old_tok, new_tok)
        plan = learning.prepare(method, QUICK, TEXTS, "<test text>", old_tok, new_tok, corr.estimate)
        pipeline.transplant(model, old_tok, new_tok, methods.get_method("mean"), device=device, plan=plan, corr=corr)
        rows[device] = model.get_input_embeddings().weight.detach().cpu()
    assert torch.allclose(rows["cpu"], rows["cuda"], atol=1e-3), (rows["cpu"] - rows["cuda"]).abs().max()


@pytest.mark.smollm2
def test_smollm2_distillation_brings_overwritten_rows_back():
    import os

    from tokkit.causal_lm import load_causal_lm, load_lm_tokenizer

    path = os.environ.get("TOKKIT_SMOLLM2")
    if not path:
        pytest.skip("TOKKIT_SMOLLM2 is not set to the SmolLM2-135M GGUF file")
    torch.set_num_threads(min(2, torch.get_num_threads()))
    model, tok = load_causal_lm(path, device="cpu"), load_lm_tokenizer(path)
    true = model.get_input_embeddings().weight.detach().clone()
    lines = ["The cat and the dog sat between the chairs.", "If you go there, and if you stay, the day is long."]
    wrong = [tok.token_to_id(t) for t in ("Ġand", "Ġif", "Ġbetween")]
    with torch.no_grad():
        model.get_input_embeddings().weight[wrong] = true[wrong].mean(0)
    start = (model.get_input_embeddings().weight.detach()[wrong] - true[wrong]).norm()
    job = learning.Job(model, tok, tok, true, wrong, [make_example(line, tok, tok, 32) for line in lines])
    report = learning.get_learner("distill", LearnSettings(steps=6, batch=2, rate=1e-2)).learn(job)
    assert report.losses[-1] < report.losses[0]
    assert (model.get_input_embeddings().weight.detach()[wrong] - true[wrong]).norm() < start


CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


@pytest.fixture(scope="module")
def chat_folder(tmp_path_factory, old_tok, new_tok):
    """A tiny chat model: the old tokenizer with ChatML's two control tokens and template."""
    from tokkit.transplant.specials import WithSpecials

    root = tmp_path_factory.mktemp("chat")
    chat = WithSpecials(old_tok, ["<|im_start|>", "<|im_end|>"])
    tiny_model("llama-untied", chat.vocab_size).save_pretrained(root / "model")
    fast = chat.to_transformers()
    fast.chat_template = CHATML
    fast.save_pretrained(root / "model")
    new_tok.save(root / "newtok")
    return root


def test_the_chat_template_goes_along_with_its_control_tokens(chat_folder, tmp_path):
    from tokkit.causal_lm import load_causal_lm, load_lm_tokenizer
    from tokkit.transplant import run

    old = load_lm_tokenizer(chat_folder / "model")
    assert old.chat_template == CHATML and old.token_to_id("<|im_start|>") == 400
    summary = run(chat_folder / "model", chat_folder / "newtok", tmp_path / "out", device="cpu")
    assert summary.chat_template_carried and summary.specials_added == ["<|im_end|>", "<|im_start|>"]
    assert summary.config["vocab_size"] == 422 and summary.counts["specials"] >= 2
    before = load_causal_lm(chat_folder / "model", "cpu").get_input_embeddings().weight.detach()
    after = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "out").get_input_embeddings().weight.detach()
    for token in ("<|im_start|>", "<|im_end|>"):  # the old rows, at the new ids
        assert torch.equal(after[420 + summary.specials_added.index(token)], before[old.token_to_id(token)])
    fast = transformers.AutoTokenizer.from_pretrained(tmp_path / "out")
    ids = fast.apply_chat_template([{"role": "user", "content": "hi there"}], add_generation_prompt=True)
    ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
    assert ids[0] == fast.convert_tokens_to_ids("<|im_start|>") and fast.convert_tokens_to_ids("<|im_end|>") in ids
    carried = tokkit.load(chat_folder / "newtok")
    from tokkit.transplant.specials import WithSpecials

    with_chat = WithSpecials(carried, summary.specials_added)
    text = "<|im_start|>user\nhi there<|im_end|>\n"
    assert with_chat.encode(text) == fast(text, add_special_tokens=False).input_ids
    assert with_chat.decode(with_chat.encode(text)) == text
    assert [p.start for p in with_chat.tokens(text)][:2] == [0, len("<|im_start|>")]

    plain = run(chat_folder / "model", chat_folder / "newtok", tmp_path / "plain", device="cpu", carry_specials=False)
    assert not plain.chat_template_carried and plain.specials_added == []
    assert any("chat template not carried over: the new vocabulary lacks <|im_end|>, <|im_start|>" in w for w in plain.warnings)


def test_a_tokenizer_that_cannot_take_the_tokens_keeps_the_run_going_and_says_so(chat_folder, tmp_path, monkeypatch):
    from tokkit.transplant import run, specials

    def refuse(self):
        raise TokkitError("cannot add special tokens to it")

    monkeypatch.setattr(specials.WithSpecials, "to_transformers", refuse)
    summary = run(chat_folder / "model", chat_folder / "newtok", tmp_path / "out", device="cpu")
    assert summary.specials_added == [] and not summary.chat_template_carried
    assert any(w.startswith("the chat template's control tokens were not added: cannot add") for w in summary.warnings)
