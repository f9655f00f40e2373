"""`tokkit transplant` and `tokkit score` as a user runs them, bad input included."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from conftest import cli, one_error_line  # noqa: E402

import tokkit  # noqa: E402


@pytest.fixture(scope="module")
def folders(tmp_path_factory, mixed_corpus):
    """A tiny Llama folder with its tokenizer, a new tokenizer folder, and a line file."""
    from conftest import mixed_texts

    root = tmp_path_factory.mktemp("cli")
    old = tokkit.train("bpe", mixed_corpus, 400)[400]
    new = tokkit.train("bpe", tokkit.corpora.TextCorpus([t.lower() for t in mixed_texts()], spec="lower"), 420)[420]
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=old.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    model = root / "model"
    transformers.LlamaForCausalLM(config).save_pretrained(model)
    old.to_transformers().save_pretrained(model)
    new.save(root / "newtok")
    text = root / "lines.txt"
    text.write_text("\n".join(mixed_texts(1)) + "\n", encoding="utf-8")
    return {"model": model, "tok": root / "newtok", "text": text, "root": root}


def test_transplant_then_score(capsys, folders, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, "transplant", "--model", folders["model"], "--tokenizer", folders["tok"], "--out", out,
                            "--device", "cpu", "--json", tmp_path / "t.json")
    assert code == 0, err
    assert "shared" in stdout and "estimate (s)" in stdout
    summary = json.loads((tmp_path / "t.json").read_text())
    assert summary["counts"]["estimated"] > 0 and summary["config"]["vocab_size"] == 420
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()
    # the tokenizer's length limit is the model's context, not transformers' 1e30
    assert json.loads((out / "tokenizer_config.json").read_text())["model_max_length"] == 128

    code, stdout, err = cli(capsys, "score", "--model", out, "--corpus", folders["text"], "--device", "cpu", "--json", tmp_path / "s.json")
    assert code == 0, err
    scored = json.loads((tmp_path / "s.json").read_text())
    assert scored["bits_per_byte"] > 0 and scored["tokens"] > 0
    # what was scored: the model, its own tokenizer, the corpus, no limit, the lines read
    assert (scored["model"], scored["tokenizer"], scored["corpus"], scored["limit"]) == (str(out), None, [str(folders["text"])], None)
    assert scored["lines"] == len(folders["text"].read_text().splitlines())
    code, stdout, err = cli(capsys, "score", "--model", out, "--corpus", folders["text"], "--limit", "3", "--json", "-")
    assert code == 0, err
    limited = json.loads(stdout)  # standard output holds the JSON alone; the table went to stderr
    assert (limited["limit"], limited["lines"]) == (3, 3) and "bits per byte" in err
    code, stdout, err = cli(capsys, "score", "--model", out, "--corpus", folders["text"], "--device", "cpu", "--stream", "--json", tmp_path / "r.json")
    assert code == 0 and "one stream" in stdout, err
    streamed = json.loads((tmp_path / "r.json").read_text())
    assert streamed["stream"] and not scored["stream"] and streamed["tokens"] == scored["tokens"]

    code, _, err = cli(capsys, "transplant", "--model", folders["model"], "--tokenizer", folders["tok"], "--out", out, "--method", "mean")
    assert "exists" in one_error_line(err) and code == 1
    code, _, err = cli(capsys, "transplant", "--model", folders["model"], "--tokenizer", folders["tok"], "--out", out, "--method", "mean", "--force")
    assert code == 0, err


def test_identity_transplant_scores_the_same(capsys, folders, tmp_path):
    out = tmp_path / "same"
    assert cli(capsys, "transplant", "--model", folders["model"], "--tokenizer", folders["model"], "--out", out)[0] == 0
    scores = []
    for model in (folders["model"], out):
        code, _, err = cli(capsys, "score", "--model", model, "--corpus", folders["text"], "--json", tmp_path / f"{len(scores)}.json")
        assert code == 0, err
        scores.append(json.loads((tmp_path / f"{len(scores)}.json").read_text()))
    measured = ("bits_per_byte", "token_perplexity", "tokens", "bytes")
    assert [scores[0][k] for k in measured] == [scores[1][k] for k in measured]


@pytest.mark.parametrize("what,message", [
    ("bad-tokenizer", "not a valid tokenizer.json"),
    ("no-weights", "no model weights"),
    ("bad-method", "unknown method"),
    ("cuda", "no CUDA"),
    ("--scale nan", "--scale must be a finite number, not nan"),
    ("--temperature 0", "--temperature must be above 0, not 0.0"),
    ("--pad-to-multiple 0", "--pad-to-multiple must be at least 1, not 0"),
    ("--weight 2", "--weight must be in [0, 1], not 2.0"),
])
def test_bad_input_is_one_line(capsys, folders, tmp_path, what, message):
    if what == "cuda" and torch.cuda.is_available():
        pytest.skip("a GPU is present")
    args = {"model": folders["model"], "tokenizer": folders["tok"], "extra": []}
    if what == "bad-tokenizer":
        bad = tmp_path / "tokenizer.json"
        bad.write_text("{ not json")
        args["tokenizer"] = bad
    elif what == "no-weights":
        empty = tmp_path / "empty"
        empty.mkdir()
        (empty / "config.json").write_text(json.dumps({"model_type": "llama"}))
        for name in ("tokenizer.json", "tokenizer_config.json"):
            (empty / name).write_bytes((folders["model"] / name).read_bytes())
        args["model"] = empty
    elif what == "bad-method":
        args["extra"] = ["--method", "magic"]
    elif what.startswith("--"):
        args["extra"] = what.split()
    else:
        args["extra"] = ["--device", "cuda"]
    out = tmp_path / "out"
    code, _, err = cli(capsys, "transplant", "--model", args["model"], "--tokenizer", args["tokenizer"], "--out", out, *args["extra"])
    assert code == 1 and message in one_error_line(err)
    assert not out.exists()
