"""``tokkit bytes``: a tiny saved model end to end, and one-line errors for bad input."""

from __future__ import annotations

import json
import math

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tokkit.cli.app import app  # noqa: E402
from tokkit.cli.common import run_cli  # noqa: E402


def save_tiny_llama(folder, corpus, **config):
    """A tiny random Llama over a 300-token BPE, saved as a model folder."""
    import tokkit

    tok = tokkit.train("bpe", corpus, [300])[300]
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=tok.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, bos_token_id=tok.specials.bos,
                                      eos_token_id=tok.specials.eos, **config)
    transformers.LlamaForCausalLM(config).save_pretrained(folder)
    tok.to_transformers().save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, mixed_corpus):
    return save_tiny_llama(tmp_path_factory.mktemp("model"), mixed_corpus)


@pytest.fixture(scope="module")
def short_model_dir(tmp_path_factory, mixed_corpus):
    """The same with a context of 32 tokens."""
    return save_tiny_llama(tmp_path_factory.mktemp("short"), mixed_corpus, max_position_embeddings=32)


def test_next_writes_a_distribution(model_dir, tmp_path):
    out = tmp_path / "next.json"
    assert run_cli(app, ["bytes", "next", "--model", str(model_dir), "The qu", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert abs(sum(r["prob"] for r in rows) - 1) < 1e-6
    assert all(r["byte"] == "eos" or 0 <= r["byte"] < 256 for r in rows)
    assert all(abs(math.log(r["prob"]) - r["logprob"]) < 1e-9 for r in rows)


@pytest.mark.parametrize("mode", ["exact", "boundary"])
def test_generate_runs(model_dir, tmp_path, mode):
    out = tmp_path / "gen.json"
    args = ["bytes", "generate", "--model", str(model_dir), "--prompt", "fox ju", "--mode", mode, "--max-bytes", "5", "--json", str(out)]
    assert run_cli(app, args) == 0
    assert len(json.loads(out.read_text())["bytes"]) <= 5


@pytest.mark.parametrize(
    "args",
    [
        ["bytes", "next", "--model", "{m}", ""],
        ["bytes", "generate", "--model", "{m}", "--prompt", "x", "--top-p", "0.5"],
        ["bytes", "generate", "--model", "{m}", "--prompt", "x", "--mode", "fast"],
        ["bytes", "generate", "--model", "{m}", "--prompt", "\\xe6\\x95", "--escapes", "--mode", "naive"],
        ["bytes", "ensemble", "--model", "{m}", "--prompt", "x"],
        ["bytes", "fim", "--model", "{m}", "--prefix", "x", "--suffix", "y", "--format", "mps"],
        ["bytes", "next", "--model", "{bad}", "x"],
        ["bytes", "next", "--model", "/no/such/model", "x"],
    ],
)
def test_bad_input_is_one_line_and_exit_1(model_dir, tmp_path, capsys, args):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00garbage")
    args = [a.format(m=model_dir, bad=bad) for a in args]
    assert run_cli(app, args) == 1
    err = capsys.readouterr().err.strip()
    assert err.splitlines()[-1].startswith("error:") and "Traceback" not in err


LONG = "The quick brown fox jumps over the lazy dog, twice: 12 and 345 times. " * 3


@pytest.mark.parametrize("args, message", [
    (["bytes", "next", "--model", "{m}", LONG], "error: the text is longer than {m}'s context of 32 tokens (it reached 170): shorten it"),
    (["bytes", "generate", "--model", "{m}", "--prompt", LONG], "error: the text is longer than {m}'s context of 32 tokens"),
    # exact: BOS, the stable tokens and one for each open byte (7); naive: BOS and the prompt's 5 tokens
    (["bytes", "generate", "--model", "{m}", "--prompt", "The qu", "--max-bytes", "1000000000"],
     "error: --max-bytes must be at most 25 here, not 1,000,000,000: {m} reads 32 tokens at most and the prompt takes 7"),
    (["bytes", "generate", "--model", "{m}", "--prompt", "The qu", "--mode", "naive", "--max-bytes", "100"],
     "error: --max-bytes must be at most 26 here, not 100: {m} reads 32 tokens at most and the prompt takes 6"),
    (["bytes", "fim", "--model", "{m}", "--prefix", LONG, "--suffix", ""], "error: the text is longer than {m}'s context of 32 tokens"),
    (["bytes", "ensemble", "--model", "{m}", "--model", "{m}", "--prompt", "The qu", "--max-bytes", "26"],
     "error: --max-bytes must be at most 25 here, not 26"),
])
def test_text_past_the_models_context_is_refused_in_one_line(short_model_dir, capsys, args, message):
    """It was read past the 32 trained positions without a word (rotary positions give
    garbage there; learned ones fail)."""
    from conftest import one_error_line

    assert run_cli(app, [a.format(m=short_model_dir) for a in args]) == 1
    assert one_error_line(capsys.readouterr().err).startswith(message.format(m=short_model_dir))


@pytest.mark.parametrize("mode", ["exact", "naive"])
def test_a_generation_that_fills_the_context_exactly_runs(short_model_dir, tmp_path, mode):
    """Up to the last position, with the lookahead's guesses past it left unread."""
    out = tmp_path / "gen.json"
    room = 25 if mode == "exact" else 26
    args = ["bytes", "generate", "--model", str(short_model_dir), "--prompt", "The qu", "--mode", mode, "--max-bytes", str(room),
            "--json", str(out)]
    assert run_cli(app, args) == 0
    assert 0 < len(json.loads(out.read_text())["bytes"]) <= room


def test_a_json_output_is_checked_before_the_model_loads(tmp_path, capsys):
    out = tmp_path / "next.json"
    out.write_text("{}")
    assert run_cli(app, ["bytes", "next", "--model", str(tmp_path / "no-model"), "x", "--json", str(out)]) == 1
    assert f"{out} exists; pass --force" in capsys.readouterr().err
    assert run_cli(app, ["bytes", "generate", "--model", str(tmp_path / "no-model"), "--prompt", "x", "--seed", "-1"]) == 1
    assert "--seed must be at least 0, not -1" in capsys.readouterr().err
