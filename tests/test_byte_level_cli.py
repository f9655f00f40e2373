"""``tokkit bytes``: a tiny saved model end to end, and one-line errors for bad input."""

from __future__ import annotations

import json
import math

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tokkit.cli.app import app  # noqa: E402
from tokkit.cli.common import run_cli  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, mixed_corpus):
    import tokkit

    tok = tokkit.train("bpe", mixed_corpus, [300])[300]
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=tok.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, bos_token_id=tok.specials.bos, eos_token_id=tok.specials.eos)
    folder = tmp_path_factory.mktemp("model")
    transformers.LlamaForCausalLM(config).save_pretrained(folder)
    tok.to_transformers().save_pretrained(folder)
    return folder


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
